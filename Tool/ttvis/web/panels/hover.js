// The hover card: index, label, prediction, confidence and split of the dot under the cursor.
import { h, pct } from './dom.js';

export function showHover(card, info) {
  if (!info) { card.hidden = true; return; }
  const { index, label, pred, conf, split, x, y, classes } = info;
  const wrong = pred !== undefined && pred !== label;
  card.replaceChildren(
    h('div', { class: 'hc-title' }, `#${index}`, h('span', { class: 'hc-split' }, split)),
    h('div', {}, 'label ', h('b', { style: { color: classes[label].color } }, classes[label].name)),
    pred === undefined ? null : h('div', { class: wrong ? 'wrong' : '' }, 'prediction ',
      h('b', { style: { color: classes[pred]?.color } }, classes[pred]?.name ?? String(pred)), ` (${pct(conf)})`),
  );
  card.hidden = false;
  const host = card.parentElement.getBoundingClientRect();
  const left = Math.min(x - host.left + 14, host.width - card.offsetWidth - 4);
  const top = Math.min(y - host.top + 14, host.height - card.offsetHeight - 4);
  card.style.left = `${Math.max(4, left)}px`;
  card.style.top = `${Math.max(4, top)}px`;
}
