// The hover card: the dot under the cursor (thumbnail, index, label, prediction, confidence, split), or
// the territory under it ("region: class k, margin m").
import { h, pct } from './dom.js';

export function showHover(card, info) {
  if (!info) { card.hidden = true; return; }
  if (info.region) {
    const { cls, margin } = info.region;
    card.replaceChildren(h('div', { class: 'hc-region' }, 'region: ',
      h('b', { style: { color: cls.color } }, cls.name), ` · margin ${margin.toFixed(2)}`));
  } else {
    const { index, label, pred, conf, split, classes, image } = info;
    const wrong = pred !== undefined && pred !== label;
    card.replaceChildren(
      image ? h('img', { class: 'hc-thumb', src: image, alt: `image of sample ${index}` }) : null,
      h('div', { class: 'hc-body' },
        h('div', { class: 'hc-title' }, `#${index}`, h('span', { class: 'hc-split' }, split)),
        h('div', {}, 'label ', h('b', { style: { color: classes[label].color } }, classes[label].name)),
        pred === undefined ? null : h('div', { class: wrong ? 'wrong' : '' }, 'prediction ',
          h('b', { style: { color: classes[pred]?.color } }, classes[pred]?.name ?? String(pred)), ` (${pct(conf)})`)),
    );
  }
  card.hidden = false;
  const host = card.parentElement.getBoundingClientRect();
  const left = Math.min(info.x - host.left + 14, host.width - card.offsetWidth - 4);
  const top = Math.min(info.y - host.top + 14, host.height - card.offsetHeight - 4);
  card.style.left = `${Math.max(4, left)}px`;
  card.style.top = `${Math.max(4, top)}px`;
}
