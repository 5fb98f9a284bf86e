// Side panel for the selected sample: image, label, and its prediction and confidence at every
// epoch (a strip of cells, one per epoch, plus a sparkline of the given label's probability).
import { h, pct } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs) => { const el = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v); return el; };

export const THUMB_TARGET_PX = 112;

/** info: the /samples/<i> JSON. opts: {classes, imageSrc, epoch, onEpoch, onSimilar, onClose, onCenter} */
export function renderSample(root, info, opts) {
  const { classes, epoch } = opts;
  const k = info.epochs.indexOf(epoch);
  const pred = k >= 0 ? info.predictions[k] : undefined;
  const cls = (c) => classes[c] || { name: String(c), color: '#888' };
  const strip = h('div', { class: 'strip' }, info.epochs.map((e, j) => {
    const p = info.predictions[j], c = info.confidences[j];
    return h('div', {
      class: `cell${p !== info.label ? ' wrong' : ''}${e === epoch ? ' now' : ''}${info.flips.includes(e) ? ' flip' : ''}`,
      title: `epoch ${e}: ${cls(p).name} (${pct(c)})`,
      style: { background: cls(p).color, opacity: 0.3 + 0.7 * c },
      onclick: () => opts.onEpoch(e),
    });
  }));
  root.replaceChildren(
    h('div', { class: 'panel-head' }, h('h2', {}, `Sample #${info.index}`),
      h('button', { class: 'icon', title: 'Close (Esc)', onclick: opts.onClose }, '×')),
    h('div', { class: 'sample-top' },
      opts.imageSrc ? h('img', { class: 'sample-image', src: opts.imageSrc, alt: `image of sample ${info.index}` }) : null,
      h('dl', {},
        h('dt', {}, 'label'), h('dd', { class: 'label-name', style: { color: cls(info.label).color } }, info.label_name),
        h('dt', {}, 'split'), h('dd', {}, info.split),
        h('dt', {}, `epoch ${epoch}`),
        h('dd', { class: pred !== info.label ? 'wrong' : '' }, pred === undefined ? '–' : `${cls(pred).name} (${pct(info.confidences[k])})`),
        h('dt', {}, 'flips'), h('dd', {}, info.flips.length ? info.flips.join(', ') : 'none'))),
    h('div', { class: 'caption' }, 'prediction per epoch (opacity = confidence, red edge = wrong)'),
    strip,
    h('div', { class: 'caption' }, 'probability of the given label (black) and top confidence (grey)'),
    sparkline(info, epoch),
    h('div', { class: 'actions' },
      h('button', { onclick: () => opts.onSimilar('representation') }, 'Similar now'),
      h('button', { onclick: () => opts.onSimilar('trajectory') }, 'Similar trajectory'),
      h('button', { onclick: opts.onCenter }, 'Centre')),
  );
  root.hidden = false;
}

function sparkline(info, epoch) {
  const W = 240, H = 48, n = info.epochs.length;
  const x = (j) => (n === 1 ? W / 2 : 4 + (j * (W - 8)) / (n - 1));
  const y = (v) => H - 4 - v * (H - 8);
  const root = svg('svg', { class: 'sparkline', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none' });
  const line = (vals, attrs) => root.append(svg('polyline', { points: vals.map((v, j) => `${x(j)},${y(v)}`).join(' '), fill: 'none', ...attrs }));
  root.append(svg('line', { x1: 0, x2: W, y1: y(0.5), y2: y(0.5), stroke: '#ddd' }));
  info.flips.forEach((e) => { const j = info.epochs.indexOf(e); root.append(svg('line', { x1: x(j), x2: x(j), y1: 0, y2: H, stroke: '#d62728', 'stroke-opacity': 0.5 })); });
  line(info.confidences, { stroke: '#999', 'stroke-dasharray': '3 2', 'stroke-width': 1.5 });
  line(info.label_probabilities, { stroke: '#111', 'stroke-width': 2 });
  const k = info.epochs.indexOf(epoch);
  if (k >= 0) root.append(svg('circle', { cx: x(k), cy: y(info.label_probabilities[k]), r: 3.5, fill: '#111' }));
  return root;
}
