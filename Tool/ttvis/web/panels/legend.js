// Legend with the run's fixed class colours; a click hides or shows a class, a double-click shows
// that class alone.
import { h } from './dom.js';

export function renderLegend(root, { classes, counts, hidden, onToggle, onOnly }) {
  root.replaceChildren(...classes.map((c) => h('label', {
    class: `legend-item${hidden.includes(c.index) ? ' off' : ''}`, title: 'click: show/hide · double-click: only this class',
    ondblclick: (ev) => { ev.preventDefault(); onOnly(c.index); },
  },
  h('input', { type: 'checkbox', checked: !hidden.includes(c.index), 'data-class': c.index, onchange: () => onToggle(c.index) }),
  h('span', { class: 'swatch', style: { background: c.color } }),
  h('span', { class: 'name' }, c.name),
  h('span', { class: 'count' }, counts ? String(counts[c.index]) : ''))));
}
