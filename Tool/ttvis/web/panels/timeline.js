// The strip over the time bar: train and test accuracy per epoch (lines) and how many predictions
// changed since the previous epoch (bars), aligned with the epoch slider, so a person sees where
// learning happens. Each epoch has a hover target with its numbers.

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs) => { const el = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v); return el; };

export const TRAIN_COLOR = '#1f5fbf';
export const TEST_COLOR = '#e07b00';
export const THUMB_INSET_CSS = 8;   // the slider's thumb centre sits this far in from each end

const pct = (v) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)}%`);

/** data: the /timeline JSON; epochs: the slider's epochs; current: the shown epoch. */
export function renderTimeline(root, { data, epochs, current }) {
  const box = root.getBoundingClientRect(), width = Math.max(1, box.width), height = Math.max(1, box.height);
  root.setAttribute('viewBox', `0 0 ${width} ${height}`);
  root.replaceChildren();
  if (!data || !epochs.length) return;
  const row = new Map(data.epochs.map((e, k) => [e, k]));
  const ks = epochs.map((e) => row.get(e));
  const n = epochs.length, inset = THUMB_INSET_CSS;
  const x = (j) => (n === 1 ? width / 2 : inset + (j * (width - 2 * inset)) / (n - 1));
  const accs = ['train_accuracy', 'test_accuracy'].flatMap((key) => (data[key] ? ks.map((k) => data[key][k]) : []));
  const lo = Math.max(0, Math.floor(10 * Math.min(...accs, 1)) / 10);   // the axis starts at a round tenth
  const y = (v) => height - 2 - ((v - lo) / (1 - lo || 1)) * (height - 4);
  const maxFlips = Math.max(1, ...ks.map((k) => data.flips[k] || 0));
  const slot = n > 1 ? (width - 2 * inset) / (n - 1) : width;
  ks.forEach((k, j) => {
    const f = data.flips[k] || 0;
    if (f) root.append(svg('rect', { class: 'tl-flips', x: x(j) - Math.max(1, slot * 0.35), width: Math.max(2, slot * 0.7),
      y: height - 1 - (f / maxFlips) * (height * 0.45), height: (f / maxFlips) * (height * 0.45), fill: '#c9c9cf' }));
  });
  for (const [key, color] of [['train_accuracy', TRAIN_COLOR], ['test_accuracy', TEST_COLOR]]) {
    if (!data[key]) continue;
    root.append(svg('polyline', { class: `tl-${key}`, fill: 'none', stroke: color, 'stroke-width': 1.5,
      points: ks.map((k, j) => `${x(j)},${y(data[key][k])}`).join(' ') }));
  }
  const now = epochs.indexOf(current);
  if (now >= 0) root.append(svg('line', { x1: x(now), x2: x(now), y1: 0, y2: height, stroke: '#000', 'stroke-width': 1 }));
  ks.forEach((k, j) => {
    const hit = svg('rect', { class: 'tl-hit', x: x(j) - slot / 2, width: Math.max(1, slot), y: 0, height, fill: 'transparent',
      'data-epoch': epochs[j], 'data-train': data.train_accuracy?.[k] ?? '', 'data-test': data.test_accuracy?.[k] ?? '',
      'data-flips': data.flips[k] });
    const title = svg('title', {});
    title.textContent = `accuracy axis ${pct(lo)}–100% · epoch ${epochs[j]}: train ${pct(data.train_accuracy?.[k])}, test ${pct(data.test_accuracy?.[k])}, ${data.flips[k]} prediction flips`;
    hit.append(title);
    root.append(hit);
  });
}

/** One line for the shown epoch: "train 97.1% · test 95.0% · 12 flips". */
export function timelineSummary(data, epoch) {
  const k = data ? data.epochs.indexOf(epoch) : -1;
  if (k < 0) return '';
  return `train ${pct(data.train_accuracy?.[k])} · test ${pct(data.test_accuracy?.[k])} · ${data.flips[k]} flips`;
}
