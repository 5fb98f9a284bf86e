// The current epoch's quality metrics as a small table: one row per metric, one column per split.
// The engine writes {train: {nn: {"15": {count}}, ppr, trustworthiness, temporal_ranking, boundary}, test: {...}};
// anything else is listed key by key so no metric goes unseen.
import { h } from './dom.js';

export const NN_K = '15';

/** [label, explanation, value(splitDoc) -> number|null, format]; rows whose value is missing everywhere are left out. */
export const METRIC_ROWS = [
  [`NN@${NN_K}`, `Of each sample's ${NN_K} nearest neighbours in representation space, how many stay among its ${NN_K} nearest on the map (mean; ${NN_K} is perfect).`,
    (d) => d.nn?.[NN_K]?.count, (v) => `${v.toFixed(1)}/${NN_K}`],
  [`boundary@${NN_K}`, `Like NN@${NN_K}, but counting only neighbours among the boundary samples the method generated near decision boundaries (${NN_K} is perfect).`,
    (d) => d.boundary?.[NN_K]?.count, (v) => `${v.toFixed(1)}/${NN_K}`],
  ['PPR', 'Prediction preserving rate: the share of samples whose map point, decoded back to representation space, gets the same prediction from the model (1 is perfect).',
    (d) => d.ppr, (v) => v.toFixed(3)],
  ['trustworthiness', `How rarely the map shows as neighbours samples that are far apart in representation space (${NN_K} neighbours; 1 is perfect).`,
    (d) => d.trustworthiness, (v) => v.toFixed(3)],
  ['temporal ranking', "How well each sample's distances to its own positions at other epochs keep their order on the map (mean Spearman correlation; 1 is perfect).",
    (d) => d.temporal_ranking, (v) => v.toFixed(3)],
];
const SPLITS = ['train', 'test'];

const fmt = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : String(v));
const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);

function splitTable(metrics) {
  const splits = SPLITS.filter((s) => metrics[s] && typeof metrics[s] === 'object');
  const rows = METRIC_ROWS.map(([label, why, get, show]) => {
    const values = splits.map((s) => get(metrics[s]));
    if (!values.some(isNumber)) return null;
    return h('tr', { title: why, 'data-metric': label },
      h('th', {}, label), values.map((v, k) => h('td', { 'data-split': splits[k] }, isNumber(v) ? show(v) : '–')));
  }).filter(Boolean);
  if (!rows.length) return null;
  return h('table', { class: 'metrics' },
    h('thead', {}, h('tr', {}, h('th', {}, ''), splits.map((s) => h('th', { class: 'split' }, s)))),
    h('tbody', {}, rows));
}

function flatList(metrics) {
  const rows = [];
  const walk = (obj, prefix) => {
    for (const [k, v] of Object.entries(obj || {})) {
      if (v && typeof v === 'object' && !Array.isArray(v)) walk(v, `${prefix}${k}.`);
      else if (typeof v === 'number' || typeof v === 'string') rows.push([prefix + k, v]);
    }
  };
  walk(metrics, '');
  return rows.length
    ? h('table', { class: 'metrics' }, rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, fmt(v)))))
    : null;
}

export function renderMetrics(root, metrics) {
  const table = (metrics && splitTable(metrics)) || flatList(metrics);
  root.replaceChildren(table || h('div', { class: 'caption' }, 'no metrics for this epoch'));
}
