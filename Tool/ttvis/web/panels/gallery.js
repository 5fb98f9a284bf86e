// A grid of thumbnails: lasso selections, similarity-search results, suspicious samples.
import { h } from './dom.js';

export const MAX_THUMBS = 240;

/** items: [{index, note?}]; opts: {title, subtitle, imageSrc(i), onPick(i), onClear, selected} */
export function renderGallery(root, items, opts) {
  const shown = items.slice(0, MAX_THUMBS);
  root.replaceChildren(
    h('div', { class: 'panel-head' }, h('h2', {}, opts.title),
      h('button', { class: 'icon', title: 'Clear', onclick: opts.onClear }, '×')),
    opts.subtitle ? h('div', { class: 'caption' }, opts.subtitle) : null,
    h('div', { class: 'caption' }, items.length > shown.length ? `showing ${shown.length} of ${items.length}` : `${items.length} samples`),
    h('div', { class: 'grid' }, shown.map((it) => h('figure', {
      class: `thumb${it.index === opts.selected ? ' on' : ''}`, title: `#${it.index}${it.note ? ' · ' + it.note : ''}`,
      'data-index': it.index, onclick: () => opts.onPick(it.index),
    }, opts.imageSrc(it.index) ? h('img', { src: opts.imageSrc(it.index), loading: 'lazy', alt: `#${it.index}` }) : h('div', { class: 'noimg' }, '·'),
    h('figcaption', {}, it.note ? `${it.index} · ${it.note}` : `${it.index}`)))),
  );
  root.hidden = false;
}

/** The gallery panel while its items are on the way (pending) or after they failed (error text). */
export function renderGalleryStatus(root, { title, subtitle, pending, error, onClear }) {
  root.replaceChildren(
    h('div', { class: 'panel-head' }, h('h2', {}, title),
      h('button', { class: 'icon', title: 'Clear', onclick: onClear }, '×')),
    subtitle ? h('div', { class: 'caption' }, subtitle) : null,
    pending ? h('div', { class: 'pending', role: 'status' }, h('span', { class: 'spinner' }), pending) : null,
    error ? h('div', { class: 'panel-error', role: 'alert' }, error) : null,
  );
  root.hidden = false;
}
