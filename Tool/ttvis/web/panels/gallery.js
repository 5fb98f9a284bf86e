// A gallery of samples: lasso selections, search and similarity results, suspicious samples. Each
// thumbnail carries a label badge and a prediction badge (wrong ones marked), a person's mark when it
// has one, a full caption, and the sample's reason in words when the ranking gives one.
import { h } from './dom.js';
import { markBadge } from './mark.js';

export const MAX_THUMBS = 240;

/** Label / prediction badges of sample i at the shown epoch, and its mark. */
function badges(i, { labels, preds, classes, marks }) {
  const label = labels[i], pred = preds ? preds[i] : undefined, wrong = pred !== undefined && pred !== label;
  const name = (c) => classes[c]?.name ?? String(c);
  return h('div', { class: 'badges' },
    h('span', { class: 'tag', title: `label ${name(label)}`, style: { borderColor: classes[label]?.color } }, name(label)),
    pred === undefined ? null : h('span', { class: `tag pred${wrong ? ' wrong' : ''}`, title: `prediction ${name(pred)}${wrong ? ' (wrong)' : ''}` },
      wrong ? `✗ ${name(pred)}` : '✓'),
    marks?.[i] ? markBadge(marks[i], classes) : null);
}

function caption(it, ctx) {
  const { labels, preds, classes } = ctx, i = it.index;
  const name = (c) => classes[c]?.name ?? String(c);
  const parts = [`#${i}`, `label ${name(labels[i])}`];
  if (preds) parts.push(`predicted ${name(preds[i])}${preds[i] !== labels[i] ? ' (wrong)' : ''}`);
  if (it.note) parts.push(it.note);
  return parts.join(' · ');
}

/** g: {kind, title, subtitle, items: [{index, note?, reasons?}]}; ctx: {labels, preds, classes, marks, selected,
 * imageSrc(i), onPick(i), onClear} */
export function renderGallery(root, g, ctx) {
  const head = h('div', { class: 'panel-head' }, h('h2', {}, g.title),
    h('button', { class: 'icon', title: 'Clear', onclick: ctx.onClear }, '×'));
  if (!g.items) {
    root.replaceChildren(head, g.subtitle ? h('div', { class: 'caption' }, g.subtitle) : null,
      g.pending ? h('div', { class: 'pending', role: 'status' }, h('span', { class: 'spinner' }), g.pending) : null,
      g.error ? h('div', { class: 'panel-error', role: 'alert' }, g.error) : null);
    return;
  }
  const shown = g.items.slice(0, MAX_THUMBS);
  const listed = shown.some((it) => it.reasons && it.reasons.length);
  const thumb = (it) => {
    const src = ctx.imageSrc(it.index), text = caption(it, ctx);
    const reason = it.reasons && it.reasons.length ? it.reasons.slice(0, 2).join('; ') : '';
    return h('figure', {
      class: `thumb${it.index === ctx.selected ? ' on' : ''}`, title: reason ? `${text}\n${reason}` : text,
      'data-index': it.index, onclick: () => ctx.onPick(it.index),
    },
    h('div', { class: 'pic' }, src ? h('img', { src, loading: 'lazy', alt: `#${it.index}` }) : h('div', { class: 'noimg' }), badges(it.index, ctx)),
    h('figcaption', {}, listed ? h('div', { class: 'cap' }, text) : `#${it.index}${it.note ? ` · ${it.note}` : ''}`,
      reason ? h('div', { class: 'reason' }, reason) : null));
  };
  root.replaceChildren(head,
    g.subtitle ? h('div', { class: 'caption' }, g.subtitle) : null,
    h('div', { class: 'caption' }, g.items.length > shown.length ? `showing ${shown.length} of ${g.items.length}` : `${g.items.length} samples`),
    h('div', { class: listed ? 'list' : 'grid' }, shown.map(thumb)));
}
