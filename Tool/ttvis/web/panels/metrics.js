// The current epoch's quality metrics (NN@15, PPR, temporal ...), whatever keys the engine wrote.
import { h } from './dom.js';

const fmt = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : String(v));

export function renderMetrics(root, metrics) {
  const rows = [];
  const walk = (obj, prefix) => {
    for (const [k, v] of Object.entries(obj || {})) {
      if (v && typeof v === 'object' && !Array.isArray(v)) walk(v, `${prefix}${k}.`);
      else if (typeof v === 'number' || typeof v === 'string') rows.push([prefix + k, v]);
    }
  };
  walk(metrics, '');
  root.replaceChildren(rows.length
    ? h('table', { class: 'metrics' }, rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, fmt(v)))))
    : h('div', { class: 'caption' }, 'no metrics for this epoch'));
}
