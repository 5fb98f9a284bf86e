// The view state in one place, mirrored into the URL so that a link reproduces the view.

export const DEFAULTS = Object.freeze({
  run: null,          // run name
  method: null,       // visualization method
  epoch: null,        // shown epoch
  color: 'label',     // label | prediction | correctness
  sel: -1,            // selected sample index
  hide: [],           // class indices hidden by the legend
  split: 'all',       // all | train | test
  correct: 'all',     // all | correct | wrong
  flipped: false,     // only samples whose prediction changed between the shown epochs
  cmp: '',            // '' | 'e:<epoch>' | 'm:<method>'  (second view side by side)
  view: null,         // [cu, cv, k]: centre in extent units and zoom
  speed: 1,           // playback speed factor
});

const COLORS = ['label', 'prediction', 'correctness'];
const SPLITS = ['all', 'train', 'test'];
const CORRECT = ['all', 'correct', 'wrong'];

/** Parse a query string into a full state, ignoring unknown or malformed values. */
export function fromURL(search) {
  const q = new URLSearchParams(search);
  const s = { ...DEFAULTS, hide: [] };
  if (q.get('run')) s.run = q.get('run');
  if (q.get('method')) s.method = q.get('method');
  const int = (v) => (v !== null && /^-?\d+$/.test(v) ? parseInt(v, 10) : null);
  if (int(q.get('epoch')) !== null) s.epoch = int(q.get('epoch'));
  if (COLORS.includes(q.get('color'))) s.color = q.get('color');
  if (int(q.get('sel')) !== null && int(q.get('sel')) >= 0) s.sel = int(q.get('sel'));
  if (q.get('hide')) s.hide = q.get('hide').split(',').map(Number).filter(Number.isInteger);
  if (SPLITS.includes(q.get('split'))) s.split = q.get('split');
  if (CORRECT.includes(q.get('correct'))) s.correct = q.get('correct');
  s.flipped = q.get('flipped') === '1';
  if (/^(e:-?\d+|m:[a-z0-9_-]+)$/.test(q.get('cmp') || '')) s.cmp = q.get('cmp');
  const view = (q.get('view') || '').split(',').map(Number);
  if (view.length === 3 && view.every(Number.isFinite) && view[2] > 0) s.view = view;
  const speed = Number(q.get('speed'));
  if (speed > 0 && speed <= 16) s.speed = speed;
  return s;
}

/** The query string for a state: only what differs from the defaults. */
export function toURL(s) {
  const q = new URLSearchParams();
  if (s.run) q.set('run', s.run);
  if (s.method) q.set('method', s.method);
  if (s.epoch !== null) q.set('epoch', s.epoch);
  if (s.color !== DEFAULTS.color) q.set('color', s.color);
  if (s.sel >= 0) q.set('sel', s.sel);
  if (s.hide.length) q.set('hide', [...s.hide].sort((a, b) => a - b).join(','));
  if (s.split !== 'all') q.set('split', s.split);
  if (s.correct !== 'all') q.set('correct', s.correct);
  if (s.flipped) q.set('flipped', '1');
  if (s.cmp) q.set('cmp', s.cmp);
  if (s.view) q.set('view', s.view.map((v) => +v.toFixed(4)).join(','));
  if (s.speed !== 1) q.set('speed', s.speed);
  return q.toString();
}

/** A tiny observable store; subscribers get (state, changedKeys). The URL follows with replaceState. */
export function createStore(initial) {
  let state = { ...initial };
  const subscribers = new Set();
  let urlTimer = null;
  return {
    get: () => state,
    set(patch) {
      const changed = Object.keys(patch).filter((k) => patch[k] !== state[k]);
      if (!changed.length) return;
      state = { ...state, ...patch };
      clearTimeout(urlTimer);
      urlTimer = setTimeout(() => history.replaceState(null, '', `?${toURL(state)}`), 100);
      for (const fn of subscribers) fn(state, new Set(changed));
    },
    subscribe(fn) { subscribers.add(fn); return () => subscribers.delete(fn); },
    flushURL() { clearTimeout(urlTimer); history.replaceState(null, '', `?${toURL(state)}`); },
  };
}
