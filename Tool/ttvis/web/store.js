// The page state in one place. URL keys are mirrored into the query string, so that a link reproduces
// the view; ephemeral keys (what is loaded, playing, the gallery's items) live here too, so that one
// subscription drives rendering.

export const TERRITORY_OPACITY = 0.5;   // default territory opacity: dots stand out on their own region

export const DEFAULTS = Object.freeze({
  // -- URL keys
  run: null,          // run name
  method: null,       // visualization method
  epoch: null,        // shown epoch
  color: 'label',     // label | prediction | correctness
  sel: -1,            // selected sample index
  hide: [],           // classes hidden by the legend (by label, or by prediction when colouring by it)
  split: 'all',       // all | train | test
  correct: 'all',     // all | correct | wrong
  flipped: false,     // only samples whose prediction changed between the shown epochs
  cmp: '',            // '' | 'e:<epoch>' | 'm:<method>'  (second view side by side)
  view: null,         // [cu, cv, k]: centre in extent units and zoom
  speed: 1,           // playback speed factor
  opacity: TERRITORY_OPACITY,  // territory opacity
  lies: false,        // mark samples whose prediction flips through the map's round trip
  follow: false,      // follow the newest epoch as training records it (live.js)
  g: '',              // gallery: '' | 'suspicious' | 'similar:<i>:<space>' | 'q:<query>'
  // -- ephemeral keys
  frame: null,        // what the scenes show: {run, views: [{src, positions, bitmap, preds, conf, ...}]}
  info: null,         // the open run: {name, meta, labels, split, classes, palette}
  playing: false,
  gallery: null,      // {kind, title, subtitle, items: [{index, note, reasons}]}, or {kind, title, pending|error}
  marks: null,        // the open run's marks: {index: {mark: 'wrong_label' | 'poisoned' | 'fine', label?}}
  notice: null,       // {text, kind}: one line over the map
  build: null,        // {method, state, progress, message, eta} while a build runs
  live: null,         // the run's live state from the server: {epochs, writing, live, methods, follow}
  trails: null,       // the selected sample's trajectory in each scene
  timeline: null,     // accuracy and prediction flips per epoch (the strip over the time bar)
});

const URL_KEYS = ['run', 'method', 'epoch', 'color', 'sel', 'hide', 'split', 'correct', 'flipped', 'cmp', 'view', 'speed',
  'opacity', 'lies', 'follow', 'g'];
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
  s.lies = q.get('lies') === '1';
  s.follow = q.get('follow') === '1';
  if (/^(e:-?\d+|m:[a-z0-9_-]+)$/.test(q.get('cmp') || '')) s.cmp = q.get('cmp');
  const view = (q.get('view') || '').split(',').map(Number);
  if (view.length === 3 && view.every(Number.isFinite) && view[2] > 0) s.view = view;
  const speed = Number(q.get('speed'));
  if (speed > 0 && speed <= 16) s.speed = speed;
  const opacity = q.get('opacity') === null ? NaN : Number(q.get('opacity'));
  if (opacity >= 0 && opacity <= 1) s.opacity = opacity;
  if (/^(suspicious|similar:\d+:(representation|trajectory)|q:.+)$/.test(q.get('g') || '')) s.g = q.get('g');
  return s;
}

/** The query string for a state: only URL keys that differ from the defaults. */
export function toURL(s) {
  const q = new URLSearchParams();
  for (const k of URL_KEYS) {
    const v = s[k];
    if (v === null || v === DEFAULTS[k] || (Array.isArray(v) && !v.length) || (k === 'sel' && v < 0)) continue;
    if (k === 'hide') q.set(k, [...v].sort((a, b) => a - b).join(','));
    else if (k === 'view') q.set(k, v.map((x) => +x.toFixed(4)).join(','));
    else if (typeof v === 'boolean') q.set(k, '1');
    else q.set(k, v);
  }
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
      if (changed.some((k) => URL_KEYS.includes(k))) {
        clearTimeout(urlTimer);
        urlTimer = setTimeout(() => history.replaceState(null, '', `?${toURL(state)}`), 100);
      }
      const keys = new Set(changed);
      for (const fn of subscribers) fn(state, keys);
    },
    subscribe(fn) { subscribers.add(fn); return () => subscribers.delete(fn); },
  };
}
