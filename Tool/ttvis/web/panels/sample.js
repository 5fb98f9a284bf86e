// Side panel for the selected sample: image, label, and its prediction and confidence at every
// epoch (a strip of cells, one per epoch, plus a sparkline of the given label's probability).
import { h, pct } from './dom.js';
import { markControls } from './mark.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs) => { const el = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v); return el; };

export const THUMB_TARGET_PX = 112;

/** info: the /samples/<i> JSON. opts: {classes, imageSrc, epoch, mark, onEpoch, onSimilar, onClose, onCenter,
 * onMark} (no mark controls without onMark) */
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
    h('div', { class: 'caption' }, 'prediction per epoch (opacity = confidence, magenta edge = wrong)'),
    strip,
    h('div', { class: 'caption' }, 'probability of the given label (black) and top confidence (grey)'),
    sparkline(info, epoch),
    h('div', { class: 'actions' },
      h('button', { onclick: () => opts.onSimilar('representation') }, 'Similar now'),
      h('button', { onclick: () => opts.onSimilar('trajectory') }, 'Similar trajectory'),
      h('button', { onclick: opts.onCenter }, 'Centre')),
    opts.onMark
      ? markControls({ index: info.index, label: info.label, mark: opts.mark, guess: pred, classes, onMark: opts.onMark }) : null,
  );
  root.hidden = false;
}

/** Label probability (black) and top confidence (grey dashed) per epoch, with axes: probability 0..1
 * on the left, epochs along the bottom, prediction flips as red ticks. */
function sparkline(info, epoch) {
  const W = 260, H = 70, L = 22, R = 6, T = 6, B = 16, n = info.epochs.length;
  const x = (j) => (n === 1 ? (L + W - R) / 2 : L + (j * (W - L - R)) / (n - 1));
  const y = (v) => H - B - v * (H - B - T);
  const root = svg('svg', { class: 'sparkline', viewBox: `0 0 ${W} ${H}` });
  const text = (tx, ty, s, anchor) => { const t = svg('text', { x: tx, y: ty, 'text-anchor': anchor, class: 'axis' }); t.textContent = s; root.append(t); };
  const line = (vals, attrs) => root.append(svg('polyline', { points: vals.map((v, j) => `${x(j)},${y(v)}`).join(' '), fill: 'none', ...attrs }));
  root.append(svg('line', { x1: L, x2: L, y1: T, y2: H - B, stroke: '#999' }));
  root.append(svg('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#999' }));
  root.append(svg('line', { x1: L, x2: W - R, y1: y(0.5), y2: y(0.5), stroke: '#e4e4e4' }));
  text(L - 3, y(1) + 4, '1', 'end'); text(L - 3, y(0.5) + 3, '.5', 'end'); text(L - 3, y(0) + 1, '0', 'end');
  text(x(0), H - 3, `epoch ${info.epochs[0]}`, 'start');
  if (n > 1) text(x(n - 1), H - 3, String(info.epochs[n - 1]), 'end');
  info.flips.forEach((e) => { const j = info.epochs.indexOf(e); root.append(svg('line', { x1: x(j), x2: x(j), y1: T, y2: H - B, stroke: '#d62728', 'stroke-opacity': 0.5 })); });
  line(info.confidences, { stroke: '#999', 'stroke-dasharray': '3 2', 'stroke-width': 1.5 });
  line(info.label_probabilities, { stroke: '#111', 'stroke-width': 2 });
  const k = info.epochs.indexOf(epoch);
  if (k >= 0) root.append(svg('circle', { cx: x(k), cy: y(info.label_probabilities[k]), r: 3.5, fill: '#111' }));
  return root;
}
