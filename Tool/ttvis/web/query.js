// The search box: a sample index ("17"), or filters combined with AND: label:8 pred:1 wrong
// conf:0.2-0.5 split:test (class names work as well as numbers; conf:<0.5 and conf:>0.9 too).

export const QUERY_HELP = 'a sample index, or e.g. label:8 pred:1 wrong conf:0.2-0.5 split:test';

/** Parse a query: {index} | {filters: {label, pred, correct, conf: [lo, hi], split}} | {error} | null (empty). */
export function parseQuery(text, classes, n) {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (!words.length) return null;
  if (words.length === 1 && /^#?\d+$/.test(words[0])) {
    const index = Number(words[0].replace('#', ''));
    return index < n ? { index } : { error: `sample index must be 0..${n - 1}` };
  }
  const cls = (v) => {
    if (/^\d+$/.test(v) && Number(v) < classes.length) return Number(v);
    const k = classes.findIndex((c) => c.name.toLowerCase() === v.toLowerCase());
    return k >= 0 ? k : null;
  };
  const filters = {};
  for (const w of words) {
    const [key, value = ''] = w.includes(':') ? [w.slice(0, w.indexOf(':')).toLowerCase(), w.slice(w.indexOf(':') + 1)] : ['is', w.toLowerCase()];
    if (key === 'label' || key === 'pred' || key === 'prediction') {
      const c = cls(value);
      if (c === null) return { error: `no class "${value}"` };
      filters[key === 'label' ? 'label' : 'pred'] = c;
    } else if (key === 'is' && (value === 'correct' || value === 'wrong')) {
      filters.correct = value;
    } else if (key === 'split' && (value === 'train' || value === 'test')) {
      filters.split = value;
    } else if (key === 'conf' || key === 'confidence') {
      const m = value.match(/^(<|>)?(\d*\.?\d+)(?:(?:-|\.\.)(\d*\.?\d+))?$/);
      if (!m) return { error: `cannot read confidence "${value}": use e.g. conf:0.2-0.5, conf:<0.5` };
      const a = Number(m[2]), b = m[3] === undefined ? null : Number(m[3]);
      filters.conf = m[1] === '<' ? [0, a] : m[1] === '>' ? [a, 1] : b === null ? [a, 1] : [Math.min(a, b), Math.max(a, b)];
    } else {
      return { error: `cannot read "${w}": search for ${QUERY_HELP}` };
    }
  }
  return { filters };
}

/** Indices of the samples passing every filter, given the shown epoch's predictions and confidences. */
export function runQuery(filters, { labels, split, preds, conf }) {
  const out = [];
  for (let i = 0; i < labels.length; i++) {
    if (filters.label !== undefined && labels[i] !== filters.label) continue;
    if (filters.pred !== undefined && preds[i] !== filters.pred) continue;
    if (filters.correct && (filters.correct === 'correct') !== (preds[i] === labels[i])) continue;
    if (filters.split && split[i] !== (filters.split === 'test' ? 1 : 0)) continue;
    if (filters.conf && (conf[i] < filters.conf[0] || conf[i] > filters.conf[1])) continue;
    out.push(i);
  }
  return out;
}
