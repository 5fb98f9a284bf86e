// The keyboard help shown by the "?" key.
import { h } from './dom.js';

export const KEYS = [
  ['space', 'play / pause'], ['← →', 'previous / next epoch'], ['Home End', 'first / last epoch'],
  ['Esc', 'clear selection and gallery'], ['R', 'reset the view'], ['?', 'this help'],
  ['drag', 'pan'], ['wheel', 'zoom'], ['double-click', 'reset the view'], ['click', 'inspect a sample'],
  ['shift-drag', 'lasso a group'],
];

export function renderHelp(root, onClose) {
  root.replaceChildren(h('div', { class: 'help-card', role: 'dialog', 'aria-label': 'keyboard help' },
    h('div', { class: 'panel-head' }, h('h2', {}, 'Keys'), h('button', { class: 'icon', title: 'Close', onclick: onClose }, '×')),
    h('table', {}, KEYS.map(([k, what]) => h('tr', {}, h('th', {}, h('kbd', {}, k)), h('td', {}, what))))));
}
