// The page: wires the store, the data source, the scenes and the panels together.
import * as api from './api.js';
import { createStore, fromURL } from './store.js';
import { View } from './view.js';
import { Scene, TRANSITION_MS } from './scene.js';
import { TERRITORY_OPACITY } from './layers/territory.js';
import { hexToRgb, visibleMask, dotColors } from './colors.js';
import { showHover } from './panels/hover.js';
import { renderSample, THUMB_TARGET_PX } from './panels/sample.js';
import { renderGallery, renderGalleryStatus } from './panels/gallery.js';
import { renderLegend } from './panels/legend.js';
import { renderMetrics } from './panels/metrics.js';
import { h } from './panels/dom.js';
import { exportPNG, exportCSV } from './export.js';
import { bindKeys } from './keyboard.js';

export const HOLD_MS = 350;            // pause on each epoch while playing (at speed 1)
export const SUSPICIOUS_K = 50;
export const SEARCH_K = 20;
export const GALLERY_THUMB_PX = 48;
export const ALL_METHODS = ['timevis', 'dvi', 'pca', 'umap', 'aligned-umap', 'tsne'];
const BUILD_POLL_MS = 500;

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const store = createStore(fromURL(location.search));
const view = new View(store.get().view);

/** Read-only hook for tests and benchmarks: state, screen positions, frame counter. */
const hook = {
  territoryOpacity: TERRITORY_OPACITY,
  frames: 0, firstFrameMs: null, pending: 0, error: null, bench: null, searching: false,
  get state() { return store.get(); },
  get ready() { return this.pending === 0 && !!run && scenes.length > 0 && scenes.every((s) => !s.animating && s.next); },
  get scenes() { return scenes.length; },
  get playing() { return playing; },
  get gallery() { return gallery ? gallery.items.map((it) => it.index) : []; },
  project: (i, k = 0) => (scenes[k] ? scenes[k].project(i) : null),
  /** World point (x, y) of scene k in viewport CSS pixels. */
  toScreen(x, y, k = 0) {
    const sc = scenes[k], xf = sc && sc.xf();
    if (!xf) return null;
    const r = sc.canvas.getBoundingClientRect();
    return { x: r.left + xf.ox + xf.sx * x, y: r.top + xf.oy + xf.sy * y };
  },
  visible: (i, k = 0) => (scenes[k] ? scenes[k].visible(i) : false),
};
window.ttvis = hook;

let data = api;            // the data source (a synthetic in-page one for benchmarks)
let run = null;            // {name, meta, labels, split, classes, palette, counts}
let scenes = [];
let playing = false, playTimer = null;
let gallery = null;        // {kind, title, subtitle, items: [{index, note}]}
let flipPair = null;       // predictions of the two shown epochs for the "flipped" filter
let showToken = 0;
let loading = false;        // a run is being opened: store changes are applied by loadRun itself
const cache = new Map();

function once(key, load) {
  if (!cache.has(key)) {
    const p = load();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return cache.get(key);
}
const predsOf = (e) => once(`p|${run.name}|${e}`, () => data.predictions(run.name, e));
const confOf = (e) => once(`c|${run.name}|${e}`, () => data.confidence(run.name, e));
const posOf = (m, e) => once(`x|${run.name}|${m}|${e}`, () => data.positions(run.name, m, e));
const territoryOf = (m, e) => (run.meta.methods[m].has_territory
  ? once(`t|${run.name}|${m}|${e}`, () => data.territory(run.name, m, e).catch(() => null)) : Promise.resolve(null));
const sampleOf = (i) => once(`s|${run.name}|${i}`, () => data.sample(run.name, i));
const trajectoryOf = (m, i) => once(`j|${run.name}|${m}|${i}`, () => data.trajectory(run.name, m, i));
/** URL of sample i's image scaled to about px pixels, or null when the run keeps no images. */
const imageSrc = (i, px = THUMB_TARGET_PX) => (run.meta.image
  ? api.imageURL(run.name, i, Math.max(1, Math.round(px / Math.max(...run.meta.image.shape.slice(0, 2))))) : null);

// -- messages ------------------------------------------------------------------------------
function message(text, kind = 'info') {
  const el = $('message');
  el.textContent = text || '';
  el.className = text ? kind : '';
  el.hidden = !text;
}
function fail(err) {
  hook.error = String(err.message || err);
  message(hook.error, 'error');
  console.error(err);
}

// -- frames --------------------------------------------------------------------------------
let framePending = false;
function requestFrame() {
  if (!framePending) { framePending = true; requestAnimationFrame(frame); }
}
function frame(now) {
  framePending = false;
  if (hook.benchActive) return;
  let animating = false;
  for (const s of scenes) { s.step(now); s.render(); animating = animating || s.animating; }
  hook.frames++;
  if (hook.firstFrameMs === null && scenes[0]?.next) {
    scenes[0].gl.readPixels(0, 0, 1, 1, scenes[0].gl.RGBA, scenes[0].gl.UNSIGNED_BYTE, new Uint8Array(4));
    hook.firstFrameMs = performance.now();
  }
  if (animating) requestFrame();
  else if (playing && !playTimer && hook.pending === 0) {
    playTimer = setTimeout(() => { playTimer = null; if (playing) advance(); }, HOLD_MS / store.get().speed);
  }
}

// -- run and scenes ------------------------------------------------------------------------
function builtMethods() {
  return Object.entries(run.meta.methods || {}).filter(([, m]) => m.epochs && m.epochs.length).map(([k]) => k);
}
function methodEpochs(m) { return run.meta.methods[m]?.epochs || []; }
function nearest(list, e) {
  if (!list.length) return null;
  if (e === null || e === undefined) return list[0];
  return list.reduce((best, x) => (Math.abs(x - e) < Math.abs(best - e) ? x : best), list[0]);
}

/** What each scene shows: [{method, epoch}], one or two entries. */
function sources(s) {
  const a = { method: s.method, epoch: s.epoch };
  if (!s.cmp) return [a];
  const [kind, value] = [s.cmp[0], s.cmp.slice(2)];
  if (kind === 'e') return [a, { method: s.method, epoch: nearest(methodEpochs(s.method), Number(value)) }];
  if (!run.meta.methods[value]) return [a];
  return [a, { method: value, epoch: nearest(methodEpochs(value), s.epoch) }];
}

function ensureScenes(n) {
  while (scenes.length > n) { scenes.pop().dispose(); $('scene-b').hidden = true; }
  while (scenes.length < n) {
    const host = scenes.length ? $('scene-b') : $('scene-a');
    host.hidden = false;
    scenes.push(new Scene(host, view, sceneHandlers));
  }
  for (const s of scenes) s.resize();
}

/** Open a run; `prefer` picks the method to show when it is built (else the URL's, else the first). */
async function loadRun(name, prefer) {
  stopPlaying();
  run = null;
  cache.clear();
  for (const s of scenes) s.dispose();
  scenes = [];
  $('scene-b').hidden = true;
  const [meta, labels, split] = await Promise.all([data.getRun(name), data.labels(name), data.split(name)]);
  const classes = meta.classes;
  const counts = new Uint32Array(classes.length);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  run = { name, meta, labels, split, classes, palette: classes.map((c) => hexToRgb(c.color)), counts };
  const s = store.get();
  const built = builtMethods();
  const method = [prefer, s.method].find((m) => m && built.includes(m)) || built[0] || null;
  const epoch = method ? nearest(methodEpochs(method), s.epoch) : null;
  loading = true;
  store.set({ run: name, method, epoch, sel: s.sel < labels.length ? s.sel : -1 });
  loading = false;
  fillPickers();
  renderLegendUI();
  if (!method) {
    message(`No visualization of "${name}" yet: choose a method under Build and press Build.`);
    ensureScenes(1);
    requestFrame();
    return;
  }
  message('');
  await showScenes(false);
  selectionChanged();
  loadMetrics();
}

/** Load what every scene needs, then apply it all at once (so colours and positions agree). */
async function showScenes(animate) {
  if (!run || !store.get().method) return;
  const s = store.get();
  const srcs = sources(s);
  const token = ++showToken;
  hook.pending++;
  try {
    const loaded = await Promise.all(srcs.map((src) => Promise.all([
      posOf(src.method, src.epoch), territoryOf(src.method, src.epoch), predsOf(src.epoch), confOf(src.epoch)])));
    const ref = flipReference(srcs);
    const refPreds = ref === null ? null : await predsOf(ref);
    if (token !== showToken) return;
    ensureScenes(srcs.length);
    srcs.forEach((src, k) => {
      const sc = scenes[k], [positions, bitmap, preds, conf] = loaded[k];
      const same = sc.src && sc.src.run === run.name && sc.src.method === src.method;
      if (!same || sc.src.epoch !== src.epoch) {
        if (!same) sc.clear();
        sc.show({
          positions, bitmap, key: `${src.method}|${src.epoch}`, extent: run.meta.methods[src.method].extent,
          animate: animate && same, duration: TRANSITION_MS / s.speed,
        });
      }
      sc.src = { ...src, run: run.name };
      sc.preds = preds; sc.conf = conf;
      sc.setBadge(`${src.method} · epoch ${src.epoch}`);
    });
    flipPair = refPreds ? [loaded[0][2], refPreds] : null;
    $('flipped-text').textContent = ref === null ? 'prediction changed (no earlier epoch)'
      : `prediction changed since epoch ${ref}`;
    applyColors();
    applyEmphasis();
    updateTrails();
    syncTimebar();
    requestFrame();
  } catch (err) {
    fail(err);
  } finally {
    hook.pending--;
    requestFrame();
  }
}

/** The epoch whose predictions the "flipped" filter compares against. */
function flipReference(srcs) {
  if (srcs.length === 2 && srcs[1].epoch !== srcs[0].epoch) return srcs[1].epoch;
  const all = run.meta.epochs, k = all.indexOf(srcs[0].epoch);
  return k > 0 ? all[k - 1] : null;
}

function applyColors() {
  const s = store.get();
  for (const sc of scenes) {
    if (!sc.preds) continue;
    const mask = visibleMask({
      labels: run.labels, split: run.split, preds: sc.preds, flipPair, hide: s.hide,
      splitFilter: s.split, correct: s.correct, flipped: s.flipped,
    });
    sc.setColors(dotColors({ mode: s.color, labels: run.labels, preds: sc.preds, palette: run.palette, mask }));
  }
  let shown = 0;
  if (scenes[0]?.colors) for (let i = 3; i < scenes[0].colors.length; i += 4) shown += scenes[0].colors[i] > 0;
  $('shown-count').textContent = `${shown} of ${run.labels.length} shown`;
  requestFrame();
}

function applyEmphasis() {
  const sel = store.get().sel;
  const idx = gallery ? gallery.items.map((it) => it.index) : [];
  if (sel >= 0) idx.push(sel);
  for (const sc of scenes) {
    sc.setEmphasis(idx, !!gallery && gallery.kind !== 'lasso');
    sc.selected = sel;
  }
  requestFrame();
}

async function updateTrails() {
  const sel = store.get().sel;
  await Promise.all(scenes.map(async (sc) => {
    if (sel < 0 || !sc.src) { sc.setTrail(null); return; }
    try { sc.setTrail(await trajectoryOf(sc.src.method, sel), sc.src.epoch); } catch (err) { sc.setTrail(null); }
  }));
  requestFrame();
}

// -- time ----------------------------------------------------------------------------------
function epochsNow() { return methodEpochs(store.get().method); }
function goTo(e) { if (e !== null && e !== undefined) store.set({ epoch: e }); }
function step(d) {
  const list = epochsNow(), k = list.indexOf(store.get().epoch);
  if (k < 0) return;
  goTo(list[Math.max(0, Math.min(list.length - 1, k + d))]);
}
function advance() {
  const list = epochsNow(), k = list.indexOf(store.get().epoch);
  if (k >= list.length - 1) { stopPlaying(); return; }
  goTo(list[k + 1]);
}
function stopPlaying() { playing = false; clearTimeout(playTimer); playTimer = null; syncPlayButton(); }
function togglePlay() {
  if (playing) { stopPlaying(); return; }
  const list = epochsNow();
  if (!list.length) return;
  playing = true;
  syncPlayButton();
  if (store.get().epoch === list[list.length - 1]) goTo(list[0]);
  requestFrame();
}
function syncPlayButton() { $('play').textContent = playing ? '▮▮' : '▶'; $('play').title = playing ? 'Pause (space)' : 'Play (space)'; }
function syncTimebar() {
  const list = epochsNow(), e = store.get().epoch, k = list.indexOf(e);
  const slider = $('epoch-slider');
  slider.max = Math.max(0, list.length - 1);
  slider.value = Math.max(0, k);
  slider.disabled = list.length < 2;
  $('epoch-label').textContent = k >= 0 ? `epoch ${e}  (${k + 1}/${list.length})` : 'no epochs';
}

// -- selection and panels ------------------------------------------------------------------
async function selectionChanged() {
  const s = store.get();
  applyEmphasis();
  updateTrails();
  if (s.sel < 0 || !run) { $('sample-panel').hidden = true; return; }
  try {
    const info = await sampleOf(s.sel);
    if (store.get().sel !== info.index) return;
    renderSample($('sample-panel'), info, {
      classes: run.classes, epoch: store.get().epoch, imageSrc: imageSrc(info.index),
      onEpoch: goTo, onClose: () => store.set({ sel: -1 }), onSimilar: (space) => similar(info.index, space),
      onCenter: () => centerOn(info.index),
    });
  } catch (err) { fail(err); }
}

function centerOn(i) {
  const sc = scenes[0], p = sc && sc.position(i);
  if (p) view.centerOn(p[0], p[1], sc.extent);
}

function showGallery(g) {
  if (!g || g.kind !== 'search') { searchToken++; hook.searching = false; }  // a newer panel replaces a pending search
  gallery = g;
  if (!g) { $('gallery-panel').hidden = true; applyEmphasis(); return; }
  renderGallery($('gallery-panel'), g.items, {
    title: g.title, subtitle: g.subtitle, selected: store.get().sel,
    imageSrc: (i) => imageSrc(i, GALLERY_THUMB_PX), onPick: (i) => store.set({ sel: i }), onClear: () => showGallery(null),
  });
  applyEmphasis();
}

let searchToken = 0;
/** Nearest neighbours of sample i. The first search of an epoch can take minutes (the database indexes
 * it), so the panel says so with a spinner, and shows the server's error text if the search fails. */
async function similar(i, space) {
  const s = store.get(), token = ++searchToken;
  const title = `Similar to #${i}`;
  const what = space === 'trajectory' ? 'training trajectory' : `representation at epoch ${s.epoch}`;
  const onClear = () => { searchToken++; showGallery(null); };
  gallery = null;
  applyEmphasis();
  renderGalleryStatus($('gallery-panel'), { title, subtitle: what, pending: 'indexing / searching… (the first search of an epoch indexes it)', onClear });
  hook.searching = true;
  try {
    const r = await data.search(run.name, { sample: i, epoch: s.epoch, k: SEARCH_K, space });
    if (token !== searchToken) return;
    showGallery({
      kind: 'search', title, subtitle: `${space === 'trajectory' ? 'training trajectory' : `representation at epoch ${r.epoch}`}, k=${r.k}`,
      items: r.ids.map((id, k) => ({ index: id, note: `d=${Number(r.distances[k]).toPrecision(3)}` })),
    });
  } catch (err) {
    if (token !== searchToken) return;
    const status = err.status ? ` (${err.status})` : '';
    renderGalleryStatus($('gallery-panel'), { title, subtitle: what, error: `Search failed${status}: ${err.message || err}`, onClear });
  } finally {
    if (token === searchToken) hook.searching = false;
  }
}

async function showSuspicious() {
  try {
    message('ranking suspicious samples…');
    const r = await data.suspicious(run.name, SUSPICIOUS_K);
    message('');
    showGallery({
      kind: 'suspicious', title: 'Suspicious samples', subtitle: `ranked by ${r.signals.join(', ')}`,
      items: r.samples.map((smp) => ({ index: smp.index, note: `#${smp.rank} ${Number(smp.score).toFixed(2)}` })),
    });
  } catch (err) { fail(err); }
}

async function loadMetrics() {
  const s = store.get();
  if (!run || !s.method) { renderMetrics($('metrics'), {}); return; }
  try { renderMetrics($('metrics'), await data.epochMetrics(run.name, s.method, s.epoch)); } catch (err) { renderMetrics($('metrics'), {}); }
}

function renderLegendUI() {
  const s = store.get();
  renderLegend($('legend'), {
    classes: run.classes, counts: run.counts, hidden: s.hide,
    onToggle: (c) => { const hide = store.get().hide; store.set({ hide: hide.includes(c) ? hide.filter((x) => x !== c) : [...hide, c] }); },
    onOnly: (c) => store.set({ hide: run.classes.map((x) => x.index).filter((x) => x !== c) }),
  });
}

// -- pickers, build ------------------------------------------------------------------------
function options(select, items, value) {
  select.replaceChildren(...items.map(([v, text]) => h('option', { value: v }, text)));
  select.value = value ?? '';
}

function fillPickers() {
  const s = store.get(), built = builtMethods();
  options($('method'), built.map((m) => [m, m]), s.method);
  options($('cmp'), [['', 'off'], ...run.meta.epochs.filter((e) => methodEpochs(s.method).includes(e)).map((e) => [`e:${e}`, `epoch ${e}`]),
    ...built.filter((m) => m !== s.method).map((m) => [`m:${m}`, `method ${m}`])], s.cmp);
  const all = [...new Set([...ALL_METHODS, ...built])];
  options($('build-method'), all.map((m) => [m, built.includes(m) ? `${m} (built)` : m]), all.find((m) => !built.includes(m)) || all[0]);
  syncBuildButton();
  for (const [id, key] of [['color', 'color'], ['split', 'split'], ['correct', 'correct'], ['speed', 'speed']]) $(id).value = String(s[key]);
  $('flipped').checked = s.flipped;
}

function syncBuildButton() {
  const m = $('build-method').value;
  $('build').textContent = run && builtMethods().includes(m) ? 'Rebuild' : 'Build';
}

async function build() {
  const m = $('build-method').value, name = run.name;
  const force = builtMethods().includes(m);
  const bar = $('build-progress'), msg = $('build-message');
  bar.hidden = false; bar.value = 0; $('build').disabled = true;
  try {
    await data.startBuild(name, m, force);
    for (;;) {
      const st = await data.buildStatus(name, m);
      bar.value = st.progress || 0;
      msg.textContent = st.message || st.state;
      if (st.state === 'done') break;
      if (st.state === 'failed') throw new Error(`build of ${m} failed: ${st.message}`);
      await new Promise((r) => setTimeout(r, BUILD_POLL_MS));
    }
    msg.textContent = `${m} built`;
    if (run && run.name === name) await loadRun(name, m);
  } catch (err) {
    msg.textContent = String(err.message || err);
  } finally {
    $('build').disabled = false; bar.hidden = true;
  }
}

// -- export --------------------------------------------------------------------------------
async function exportPositionsCSV() {
  const s = store.get();
  const [positions, preds, conf] = await Promise.all([posOf(s.method, s.epoch), predsOf(s.epoch), confOf(s.epoch)]);
  exportCSV({ positions, labels: run.labels, split: run.split, preds, conf, classNames: run.classes.map((c) => c.name) },
    `${run.name}_${s.method}_epoch${s.epoch}.csv`);
}

// -- wiring --------------------------------------------------------------------------------
const sceneHandlers = {
  redraw: requestFrame,
  hover(i, ev, sc) {
    if (i < 0 || !run) { showHover($('hover-card'), null); return; }
    showHover($('hover-card'), {
      index: i, label: run.labels[i], pred: sc.preds?.[i], conf: sc.conf?.[i],
      split: run.split[i] ? 'test' : 'train', x: ev.clientX, y: ev.clientY, classes: run.classes,
    });
  },
  click(i) { store.set({ sel: i }); },
  lasso(indices) {
    showGallery(indices.length ? { kind: 'lasso', title: `Selection (${indices.length})`, items: indices.map((i) => ({ index: i })) } : null);
  },
};

store.subscribe((s, changed) => {
  if (!run || loading || changed.has('run')) return;
  if (changed.has('method') || changed.has('cmp')) { fillPickers(); showScenes(false); loadMetrics(); }
  else if (changed.has('epoch')) { showScenes(true); loadMetrics(); syncTimebar(); }
  if (['color', 'hide', 'split', 'correct', 'flipped'].some((k) => changed.has(k))) { applyColors(); renderLegendUI(); }
  if (changed.has('sel') || changed.has('epoch')) selectionChanged();
  if (changed.has('sel') && gallery) showGallery(gallery);
  requestFrame();
});
view.listeners.add(() => { store.set({ view: view.isDefault() ? null : view.toArray() }); requestFrame(); });

function wireControls() {
  $('run').addEventListener('change', (ev) => {
    store.set({ run: ev.target.value, method: null, epoch: null, sel: -1, hide: [], cmp: '', view: null });
    view.reset(); showGallery(null);
    loadRun(ev.target.value).catch(fail);
  });
  $('method').addEventListener('change', (ev) => store.set({ method: ev.target.value, epoch: nearest(methodEpochs(ev.target.value), store.get().epoch), cmp: '' }));
  $('cmp').addEventListener('change', (ev) => store.set({ cmp: ev.target.value }));
  $('color').addEventListener('change', (ev) => store.set({ color: ev.target.value }));
  $('split').addEventListener('change', (ev) => store.set({ split: ev.target.value }));
  $('correct').addEventListener('change', (ev) => store.set({ correct: ev.target.value }));
  $('flipped').addEventListener('change', (ev) => store.set({ flipped: ev.target.checked }));
  $('speed').addEventListener('change', (ev) => store.set({ speed: Number(ev.target.value) }));
  $('epoch-slider').addEventListener('input', (ev) => goTo(epochsNow()[Number(ev.target.value)]));
  $('play').addEventListener('click', togglePlay);
  $('step-back').addEventListener('click', () => step(-1));
  $('step-fwd').addEventListener('click', () => step(1));
  $('reset-view').addEventListener('click', () => view.reset());
  $('find').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const i = Number($('find-index').value);
    if (!run || !Number.isInteger(i) || i < 0 || i >= run.labels.length) { message(`sample index must be 0..${run ? run.labels.length - 1 : '?'}`, 'error'); return; }
    message('');
    store.set({ sel: i });
    centerOn(i);
  });
  $('suspicious').addEventListener('click', showSuspicious);
  $('export-png').addEventListener('click', () => exportPNG(scenes, `${run.name}_${store.get().method}_epoch${store.get().epoch}.png`));
  $('export-csv').addEventListener('click', () => exportPositionsCSV().catch(fail));
  $('build-method').addEventListener('change', syncBuildButton);
  $('build').addEventListener('click', build);
  bindKeys({
    togglePlay, step, first: () => goTo(epochsNow()[0]), last: () => goTo(epochsNow().at(-1)),
    clear: () => { store.set({ sel: -1 }); showGallery(null); }, resetView: () => view.reset(),
  });
  new ResizeObserver(() => { for (const s of scenes) s.resize(); requestFrame(); }).observe($('stage'));
}

async function main() {
  wireControls();
  if (query.get('synthetic')) {
    const { syntheticSource } = await import('./bench.js');
    data = syntheticSource(Number(query.get('synthetic')));
  }
  const { runs } = await data.listRuns();
  options($('run'), runs.map((r) => [r.name, r.name]), null);
  if (!runs.length) { message('No runs under the data folder. Make one with: ttvis demo runs/digits'); return; }
  const want = store.get().run;
  const name = runs.some((r) => r.name === want) ? want : runs[0].name;
  $('run').value = name;
  await loadRun(name);
}

if (query.get('bench')) import('./bench.js').then((b) => { hook.runBench = (frames) => b.runBench({ scenes: () => scenes, hook, frames, step, requestFrame }); });
main().catch(fail);
