// A sample's mark in words (the badge on thumbnails and in the sample panel), and the controls that set it.
import { h } from './dom.js';

/** "→ 4", "poisoned" or "fine". */
export function markText(mark, classes) {
  if (mark.mark === 'wrong_label') return `→ ${classes[mark.label]?.name ?? String(mark.label)}`;
  return mark.mark;
}

export const markBadge = (mark, classes) => h('span', {
  class: `tag mark ${mark.mark}`, title: mark.mark === 'wrong_label' ? `marked: label is wrong, ${markText(mark, classes)}` : `marked: ${mark.mark}`,
}, markText(mark, classes));

/** Buttons to mark sample `index` (labelled `label`): label is wrong -> [class], poisoned, fine, clear.
 * `guess`: the class offered first (the prediction, when it differs from the label); onMark({..} | null). */
export function markControls({ index, label, mark, guess, classes, onMark }) {
  const others = classes.filter((c) => c.index !== label);
  const chosen = mark?.mark === 'wrong_label' ? mark.label : (guess !== undefined && guess !== label ? guess : others[0]?.index);
  const pick = h('select', { class: 'mark-class', title: 'the class it really is' },
    others.map((c) => h('option', { value: String(c.index), selected: c.index === chosen }, c.name)));
  const button = (kind, text, body) => h('button', { 'data-mark': kind, onclick: () => onMark(body()) }, text);
  return h('div', { class: 'mark-row', 'data-index': index },
    h('div', { class: 'caption' }, 'Mark: ', mark ? markBadge(mark, classes) : 'none'),
    h('div', { class: 'actions' },
      button('wrong_label', 'Label is wrong →', () => ({ mark: 'wrong_label', label: Number(pick.value) })), pick,
      button('poisoned', 'Poisoned', () => ({ mark: 'poisoned' })),
      button('fine', 'Fine', () => ({ mark: 'fine' })),
      mark ? button('clear', 'Clear', () => null) : null));
}
