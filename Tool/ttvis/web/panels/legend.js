// The legend follows the colour mode: classes by label or by prediction (with counts), or correct /
// wrong. A click hides or shows an entry, a double-click shows it alone, "show all" clears the filter.
// One line says what the background means.
import { h } from './dom.js';
import { CORRECTNESS, rgbCss } from '../colors.js';

export const BACKGROUND_NOTE = 'Background: predicted class; pale = near a decision boundary.';

/** entries: [{key, name, color, count, off}]; opts: {title, onToggle(key), onOnly(key), onShowAll, note} */
export function renderLegend(root, { title, entries, onToggle, onOnly, onShowAll, note }) {
  root.replaceChildren(
    h('div', { class: 'legend-head' }, h('span', { class: 'legend-title' }, title),
      h('button', { class: 'link', id: 'show-all', onclick: onShowAll, disabled: !entries.some((e) => e.off) }, 'show all')),
    ...entries.map((e) => h('label', {
      class: `legend-item${e.off ? ' off' : ''}`, title: 'click: show/hide · double-click: only this',
      'data-key': e.key, ondblclick: (ev) => { ev.preventDefault(); onOnly(e.key); },
    },
    h('input', { type: 'checkbox', checked: !e.off, 'data-class': e.key, onchange: () => onToggle(e.key) }),
    h('span', { class: 'swatch', style: { background: e.color } }),
    h('span', { class: 'name' }, e.name),
    h('span', { class: 'count' }, String(e.count)))),
    note ? h('div', { class: 'caption legend-note' }, note) : null,
  );
}

/** The legend entries for a colour mode. */
export function legendEntries({ mode, classes, counts, hide, correct }) {
  if (mode === 'correctness') {
    return CORRECTNESS.map((c, k) => ({ key: c.key, name: c.name, color: rgbCss(c.rgb), count: counts[k],
      off: correct !== 'all' && correct !== c.key }));
  }
  return classes.map((c) => ({ key: c.index, name: c.name, color: c.color, count: counts[c.index], off: hide.includes(c.index) }));
}
