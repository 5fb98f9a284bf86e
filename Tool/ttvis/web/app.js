// The page: one store, one subscription. Loading turns the state's run, method and epoch into a
// `frame` (positions, territory, predictions of every scene); painting hands each controlled Scene
// its props; the panels render from the same state.
import * as api from './api.js';
import { createStore, fromURL } from './store.js';
import { View } from './view.js';
import { Scene, TRANSITION_MS, clock } from './scene.js';
import { Session, nearest, landingRun } from './session.js';
import { createPlayback } from './playback.js';
import { createGalleries } from './galleries.js';
import { createBuilds } from './builds.js';
import { createMarks } from './marks.js';
import { createLive } from './live.js';
import { installHook } from './hook.js';
import { visibleMask, dotColors, legendCounts } from './colors.js';
import { showHover } from './panels/hover.js';
import { renderSample, THUMB_TARGET_PX } from './panels/sample.js';
import { renderGallery } from './panels/gallery.js';
import { renderLegend, legendEntries, BACKGROUND_NOTE } from './panels/legend.js';
import { renderMetrics } from './panels/metrics.js';
import { renderTimeline, timelineSummary } from './panels/timeline.js';
import { renderHelp } from './panels/help.js';
import { h } from './panels/dom.js';
import { exportPNG, exportCSV, fileSafe } from './export.js';
import { bindKeys } from './keyboard.js';

export const GALLERY_THUMB_PX = 48;
export const HOVER_THUMB_PX = 56;
export const SHORT_SCREEN_PX = 800;   // below this height the metrics start folded
const DEMO_HINT = 'No runs in the data folder yet. Make one with `ttvis demo` (it writes training_dynamic/digits, '
  + 'the folder served by default) or `ttvis demo --out FOLDER/digits` for `ttvis serve --root FOLDER`, then reload.';
const PANEL_HINT = 'Click a dot to inspect a sample and follow its trail · shift-drag to lasso a group · search by index or e.g. label:8 pred:1 · ? for keys';

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const store = createStore(fromURL(location.search));
const view = new View(store.get().view);
const session = new Session(api);   // its source is api.js, or a synthetic in-page run for benchmarks
let scenes = [];
const loads = { pending: 0, token: 0 };

const info = () => store.get().info;
const epochsNow = () => session.methodEpochs(store.get().method);
const frameKey = (s) => (s.info && s.method ? `${s.info.name}|${s.lies ? 1 : 0}|${session.sources(s).map((x) => `${x.method}:${x.epoch}`).join('|')}` : null);
const playback = createPlayback(store, epochsNow);
const hook = installHook({
  store, scenes: () => scenes, requestFrame,
  idle: () => loads.pending === 0 && !!store.get().frame && store.get().frame.key === frameKey(store.get()),
});
const galleries = createGalleries({ store, session, centerOn });
const marks = createMarks({ store, session, galleries });
const builds = createBuilds({ store, session, onBuilt: (name, m) => openRun(name, m) });
const live = createLive({
  store, session, goTo: playback.goTo,
  onMethod: (m) => {   // a first visualization appeared: as a build from the page shows it, unless following
    const epochs = session.methodEpochs(m);
    store.set({ method: m, epoch: store.get().follow ? epochs.at(-1) : nearest(epochs, store.get().epoch), notice: null });
  },
});

/** URL of sample i's image scaled to about px pixels, or null when the run keeps no images. */
function imageSrc(i, px = THUMB_TARGET_PX) {
  const meta = info()?.meta;
  if (!meta?.image) return null;
  return api.imageURL(meta.name, i, Math.max(1, Math.round(px / Math.max(...meta.image.shape.slice(0, 2)))));
}

function fail(err) {
  hook.error = String(err.message || err);
  store.set({ notice: { text: hook.error, kind: 'error' } });
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
  if (animating && clock.hold === null) requestFrame();
  else if (!animating && loads.pending === 0) playback.idle();
}

// -- runs and loading ----------------------------------------------------------------------
/** Open a run; `prefer` is the method to show when built (else the URL's, else the best built one). */
async function openRun(name, prefer) {
  playback.stop();
  const opened = await session.open(name);
  const s = store.get(), built = session.builtMethods();
  const asked = prefer || s.method;
  const method = built.includes(asked) ? asked : built[0] || null;
  const notices = [];
  if (asked && !built.includes(asked)) notices.push(`run "${name}" has no visualization "${asked}"; showing ${method || 'nothing'}`);
  if (!method) notices.push(`No visualization of "${name}" yet: choose a method under Build and press Build.`);
  store.set({
    info: opened, run: name, method, epoch: method ? nearest(session.methodEpochs(method), s.epoch) : null,
    sel: s.sel < opened.labels.length ? s.sel : -1, frame: null, trails: null, timeline: null, marks: null,
    notice: notices.length ? { text: notices.join(' · '), kind: 'info' } : null,
  });
  builds.fill();
  store.set({ live: null });
  if (session.source === api) live.watch(name);   // not the benchmarks' synthetic in-page run
  if (store.get().follow) live.follow(true).catch(fail);
  if (!method) $('build-section').open = true;
  session.timeline().then((t) => { if (info() === opened) store.set({ timeline: t }); }).catch(() => {});
  marks.load().catch(fail);
  if (!method) { ensureScenes(1); requestFrame(); }
}

/** Fetch what the state asks to show, then publish it as one `frame` (so colours and positions agree). */
async function load() {
  const s = store.get(), key = frameKey(s);
  if (!key || s.frame?.key === key) return;
  const token = ++loads.token, srcs = session.sources(s);
  loads.pending++;
  try {
    const views = await Promise.all(srcs.map((src) => session.view(src, { lies: s.lies })));
    const ref = session.flipReference(srcs);
    const refPreds = ref === null ? null : await session.preds(ref);
    if (token !== loads.token) return;
    store.set({ frame: { key, views, ref, refPreds } });
    session.prefetch(s.method, s.epoch);
  } catch (err) {
    if (token === loads.token) fail(err);
  } finally {
    loads.pending--;
    requestFrame();
  }
}

function ensureScenes(n) {
  while (scenes.length > n) { scenes.pop().dispose(); $('scene-b').hidden = true; }
  while (scenes.length < n) {
    const host = scenes.length ? $('scene-b') : $('scene-a');
    host.hidden = false;
    scenes.push(new Scene(host, view, sceneHandlers));
  }
  for (const s of scenes) s.fit();
}

// -- painting ------------------------------------------------------------------------------
const memo = new WeakMap();   // view -> {args, colors}, {marks}
function colorsOf(v, s, flipPair) {
  const args = [v.preds, s.color, s.hide, s.split, s.correct, s.flipped, flipPair?.[1]];
  const old = memo.get(v);
  if (old?.args && old.args.every((a, k) => a === args[k])) return old.colors;
  const { labels, split, palette } = info();
  const mask = visibleMask({ labels, split, preds: v.preds, flipPair, hide: s.hide, mode: s.color, splitFilter: s.split,
    correct: s.correct, flipped: s.flipped });
  const colors = dotColors({ mode: s.color, labels, preds: v.preds, palette, mask });
  memo.set(v, { ...old, args, colors });
  return colors;
}
function marksOf(v) {
  const old = memo.get(v) || {};
  if (!old.marks) {
    const out = [];
    if (v.roundtrip) for (let i = 0; i < v.preds.length; i++) if (v.roundtrip[i] !== v.preds[i]) out.push(i);
    memo.set(v, { ...old, marks: out });
  }
  return memo.get(v).marks;
}

let emphasisCache = { gallery: undefined, sel: undefined, value: null };
function emphasisOf(s) {
  if (emphasisCache.gallery !== s.gallery || emphasisCache.sel !== s.sel) {
    const idx = s.gallery?.items ? s.gallery.items.map((it) => it.index) : [];
    if (s.sel >= 0) idx.push(s.sel);
    emphasisCache = { gallery: s.gallery, sel: s.sel, value: idx };
  }
  return emphasisCache.value;
}

function paint(s) {
  const f = s.frame;
  if (!f || !s.info) return;
  ensureScenes(f.views.length);
  const flipPair = f.refPreds ? [f.views[0].preds, f.refPreds] : null;
  f.views.forEach((v, k) => {
    const { method, epoch } = v.src;
    scenes[k].setProps({
      group: `${s.info.name}|${method}`, positions: v.positions, territoryKey: `${method}|${epoch}`, bitmap: v.bitmap,
      extent: s.info.meta.methods[method].extent, animate: true, duration: TRANSITION_MS / s.speed,
      colors: colorsOf(v, s, flipPair), emphasis: emphasisOf(s), dim: !!s.gallery?.items && s.gallery.kind !== 'lasso',
      marks: s.lies ? marksOf(v) : null, selected: s.sel, opacity: s.opacity,
      trail: s.trails?.[k] || null, current: epoch, badge: `${method} · epoch ${epoch}`,
    });
  });
  $('shown-count').textContent = `${scenes[0].shown} of ${s.info.labels.length} shown`;
  $('flipped-text').textContent = f.ref === null ? 'prediction changed (no earlier epoch)' : `prediction changed since epoch ${f.ref}`;
  const lies = s.lies && f.views[0].roundtrip ? marksOf(f.views[0]).length : null;
  $('lies-count').textContent = s.lies ? (lies === null ? 'not available for this method' : `${lies} misplaced`) : '';
  requestFrame();
}

// -- panels --------------------------------------------------------------------------------
function renderLegendUI(s) {
  const v = s.frame?.views[0];
  const counts = legendCounts({ mode: s.color, labels: s.info.labels, preds: v?.preds, nClasses: s.info.classes.length });
  const correctness = s.color === 'correctness';
  renderLegend($('legend'), {
    title: { label: 'Label', prediction: 'Prediction', correctness: 'Prediction is' }[s.color],
    entries: legendEntries({ mode: s.color, classes: s.info.classes, counts, hide: s.hide, correct: s.correct }),
    note: BACKGROUND_NOTE,
    onToggle: (key) => {
      if (correctness) { store.set({ correct: store.get().correct === 'all' ? (key === 'correct' ? 'wrong' : 'correct') : 'all' }); return; }
      const hide = store.get().hide;
      store.set({ hide: hide.includes(key) ? hide.filter((x) => x !== key) : [...hide, key] });
    },
    onOnly: (key) => (correctness ? store.set({ correct: key }) : store.set({ hide: s.info.classes.map((c) => c.index).filter((c) => c !== key) })),
    onShowAll: () => store.set({ hide: [], correct: 'all' }),
  });
}

let sampleToken = 0;
async function renderSamplePanel(s) {
  const t = ++sampleToken;
  if (s.sel < 0 || !s.info) { $('sample-panel').hidden = true; syncSidePanel(); return; }
  try {
    const smp = await session.sample(s.sel);
    if (t !== sampleToken) return;
    renderSample($('sample-panel'), smp, {
      classes: s.info.classes, epoch: store.get().epoch, imageSrc: imageSrc(smp.index), mark: s.marks?.[smp.index],
      onMark: s.marks ? (m) => marks.set(smp.index, m).catch(fail) : null,
      onEpoch: playback.goTo, onClose: () => store.set({ sel: -1 }), onSimilar: (space) => galleries.similar(smp.index, space),
      onCenter: () => centerOn(smp.index),
    });
    syncSidePanel();
  } catch (err) { fail(err); }
}

function renderGalleryUI(s) {
  const g = s.gallery;
  $('gallery-panel').hidden = !g;
  if (g) {
    renderGallery($('gallery-panel'), g, {
      labels: s.info.labels, preds: s.frame?.views[0].preds, classes: s.info.classes, marks: s.marks, selected: s.sel,
      imageSrc: (i) => imageSrc(i, GALLERY_THUMB_PX), onPick: (i) => store.set({ sel: i }), onClear: galleries.clear,
    });
  }
  syncSidePanel();
}

/** The right panel: a hint when it has nothing to show (it folds away on narrow screens then). */
function syncSidePanel() {
  const empty = $('sample-panel').hidden && $('gallery-panel').hidden;
  $('panel-hint').hidden = !empty;
  document.body.classList.toggle('right-empty', empty);
}

async function loadMetrics(s) {
  if (!s.info || !s.method) { renderMetrics($('metrics'), {}); return; }
  try { renderMetrics($('metrics'), await session.source.epochMetrics(s.info.name, s.method, s.epoch)); } catch (err) { renderMetrics($('metrics'), {}); }
}

async function loadTrails(s) {
  const srcs = s.frame ? s.frame.views.map((v) => v.src) : [];
  if (s.sel < 0 || !srcs.length) { store.set({ trails: null }); return; }
  const sel = s.sel;
  const trails = await Promise.all(srcs.map((src) => session.trajectory(src.method, sel).catch(() => null)));
  if (store.get().sel === sel) store.set({ trails });
}

function syncTimebar(s) {
  const list = epochsNow(), k = list.indexOf(s.epoch), slider = $('epoch-slider');
  slider.max = Math.max(0, list.length - 1);
  slider.value = Math.max(0, k);
  slider.disabled = list.length < 2;
  $('epoch-label').textContent = k >= 0 ? `epoch ${s.epoch}  (${k + 1}/${list.length})` : 'no epochs';
  $('epoch-stats').textContent = timelineSummary(s.timeline, s.epoch);
  renderTimeline($('timeline'), { data: s.timeline, epochs: list, current: s.epoch });
}

function options(select, items, value) {
  select.replaceChildren(...items.map(([v, text]) => h('option', { value: v }, text)));
  select.value = value ?? '';
}

function fillPickers(s) {
  const built = session.builtMethods();
  options($('method'), built.map((m) => [m, m]), s.method);
  options($('cmp'), [['', 'off'], ...s.info.meta.epochs.filter((e) => session.methodEpochs(s.method).includes(e)).map((e) => [`e:${e}`, `epoch ${e}`]),
    ...built.filter((m) => m !== s.method).map((m) => [`m:${m}`, `method ${m}`])], s.cmp);
}

function syncControls(s) {
  for (const id of ['color', 'split', 'correct', 'speed']) $(id).value = String(s[id]);
  $('flipped').checked = s.flipped;
  $('lies').checked = s.lies;
  $('follow').checked = s.follow;
  $('opacity').value = String(s.opacity);
}

/** The badge of a run being written: "live", the epoch being recorded, and what the follower does. */
function renderLive(state) {
  const badge = $('live-badge');
  badge.hidden = !state?.live;
  if (!state?.live) return;
  const parts = ['live'];
  if (state.writing.length) parts.push(`recording epoch ${state.writing.join(', ')}`);
  if (state.follow?.state === 'extending' || state.follow?.state === 'failed') parts.push(state.follow.message);
  badge.textContent = parts.join(' · ');
}

function message(notice) {
  const el = $('message');
  el.textContent = notice ? notice.text : '';
  el.className = notice ? notice.kind : '';
  el.hidden = !notice;
}

function centerOn(i) {
  const sc = scenes[0], p = sc && sc.position(i);
  if (p) view.centerOn(p[0], p[1], sc.extent);
}

// -- the one subscription --------------------------------------------------------------------
const any = (changed, keys) => keys.some((k) => changed.has(k));
store.subscribe((s, changed) => {
  if (changed.has('notice')) message(s.notice);
  if (changed.has('playing')) { $('play').textContent = s.playing ? '▮▮' : '▶'; $('play').title = s.playing ? 'Pause (space)' : 'Play (space)'; }
  if (changed.has('build')) builds.render(s.build);
  if (changed.has('info') && s.info) builds.fill();   // a build or a live run may add methods
  if (changed.has('follow')) $('follow').checked = s.follow;
  if (any(changed, ['live', 'follow'])) renderLive(s.live);
  if (!s.info) return;
  if (any(changed, ['info', 'method', 'epoch', 'cmp', 'lies'])) load();
  if (any(changed, ['info', 'method', 'cmp'])) fillPickers(s);
  if (any(changed, ['info', 'color', 'split', 'correct', 'flipped', 'speed', 'lies', 'opacity'])) syncControls(s);
  if (any(changed, ['frame', 'color', 'hide', 'split', 'correct', 'flipped', 'sel', 'gallery', 'opacity', 'lies', 'trails'])) paint(s);
  if (any(changed, ['info', 'frame', 'color', 'hide', 'correct'])) renderLegendUI(s);
  if (any(changed, ['info', 'sel', 'epoch', 'marks'])) renderSamplePanel(s);
  if (any(changed, ['sel', 'frame']) && (changed.has('sel') || s.sel >= 0)) loadTrails(s);
  if (any(changed, ['gallery', 'sel', 'frame', 'marks'])) renderGalleryUI(s);
  if (any(changed, ['info', 'method', 'epoch'])) loadMetrics(s);
  if (any(changed, ['info', 'method', 'epoch', 'timeline'])) syncTimebar(s);
  if (changed.has('epoch') && s.g.startsWith('q:') && s.gallery?.kind === 'query') galleries.restore(s.g);
  requestFrame();
});
view.listeners.add(() => { store.set({ view: view.isDefault() ? null : view.toArray() }); requestFrame(); });

// -- wiring --------------------------------------------------------------------------------
const sceneHandlers = {
  redraw: requestFrame,
  hover(i, ev, sc, world) {
    const s = store.get();
    if (!s.info || !ev) { showHover($('hover-card'), null); return; }
    const v = s.frame?.views[scenes.indexOf(sc)];
    if (i >= 0) {
      showHover($('hover-card'), {
        index: i, label: s.info.labels[i], pred: v?.preds[i], conf: v?.conf[i], split: s.info.split[i] ? 'test' : 'train',
        x: ev.clientX, y: ev.clientY, classes: s.info.classes, image: imageSrc(i, HOVER_THUMB_PX),
      });
      return;
    }
    if (!world || !v || !v.bitmap) { showHover($('hover-card'), null); return; }
    const { x, y } = { x: ev.clientX, y: ev.clientY };
    session.grid(v.src.method, v.src.epoch).then((grid) => {
      const e = s.info.meta.methods[v.src.method].extent;
      const clamp = (a, hi) => Math.max(0, Math.min(hi - 1, Math.floor(a)));
      const col = clamp(((world[0] - e.x_min) / (e.x_max - e.x_min)) * grid.width, grid.width);
      const row = clamp(((e.y_max - world[1]) / (e.y_max - e.y_min)) * grid.height, grid.height);
      const c = grid.classes[row * grid.width + col];
      if (sc.hover !== -1) return;
      showHover($('hover-card'), { region: { cls: s.info.classes[c] || { name: String(c), color: '#333' }, margin: grid.margin[row * grid.width + col] }, x, y });
    }).catch(() => showHover($('hover-card'), null));
  },
  click(i) { store.set({ sel: i }); },
  lasso(indices) { galleries.lasso(indices); },
};

function toggleHelp() {
  const el = $('help');
  el.hidden = !el.hidden;
  if (!el.hidden) renderHelp(el, () => { el.hidden = true; });
}

function exportName(ext) {
  const s = store.get(), srcs = session.sources(s);
  const what = srcs.map((x, k) => (k === 0 ? `${x.method}_e${x.epoch}` : `vs_${x.method === srcs[0].method ? '' : `${x.method}_`}e${x.epoch}`)).join('_');
  return `${fileSafe(s.info.name)}_${fileSafe(what)}.${ext}`;
}

async function exportPositionsCSV() {
  const s = store.get(), v = s.frame.views[0];
  const visible = [];
  for (let i = 0; i < s.info.labels.length; i++) if (scenes[0].visible(i)) visible.push(i);
  const picked = s.gallery?.items ? new Set(s.gallery.items.map((it) => it.index)) : null;
  exportCSV({
    indices: picked ? visible.filter((i) => picked.has(i)) : visible, method: v.src.method, epoch: v.src.epoch,
    positions: v.positions, labels: s.info.labels, split: s.info.split, preds: v.preds, conf: v.conf,
    classNames: s.info.classes.map((c) => c.name),
  }, exportName('csv'));
}

function exportFrame() {
  const s = store.get(), entries = legendEntries({ mode: s.color, classes: s.info.classes, counts: [], hide: s.hide, correct: s.correct });
  exportPNG(scenes, entries.filter((e) => !e.off).map((e) => ({ name: e.name, color: e.color })), exportName('png'));
}

function wireControls() {
  const on = (id, ev, fn) => $(id).addEventListener(ev, fn);
  on('run', 'change', (ev) => {
    store.set({ method: null, epoch: null, sel: -1, hide: [], cmp: '', view: null, gallery: null, g: '' });
    view.reset();
    openRun(ev.target.value).catch(fail);
  });
  on('method', 'change', (ev) => store.set({ method: ev.target.value, epoch: nearest(session.methodEpochs(ev.target.value), store.get().epoch), cmp: '' }));
  on('cmp', 'change', (ev) => store.set({ cmp: ev.target.value }));
  on('color', 'change', (ev) => store.set({ color: ev.target.value, hide: [] }));
  on('split', 'change', (ev) => store.set({ split: ev.target.value }));
  on('correct', 'change', (ev) => store.set({ correct: ev.target.value }));
  on('flipped', 'change', (ev) => store.set({ flipped: ev.target.checked }));
  on('lies', 'change', (ev) => store.set({ lies: ev.target.checked }));
  on('opacity', 'input', (ev) => store.set({ opacity: Number(ev.target.value) }));
  on('speed', 'change', (ev) => store.set({ speed: Number(ev.target.value) }));
  on('epoch-slider', 'input', (ev) => playback.goTo(epochsNow()[Number(ev.target.value)]));
  on('play', 'click', playback.toggle);
  on('follow', 'change', (ev) => live.follow(ev.target.checked).catch(fail));
  on('step-back', 'click', () => playback.step(-1));
  on('step-fwd', 'click', () => playback.step(1));
  on('reset-view', 'click', () => view.reset());
  on('toggle-left', 'click', () => document.body.classList.toggle('left-collapsed'));
  on('find', 'submit', (ev) => { ev.preventDefault(); if (info()) galleries.query($('find-text').value).catch(fail); });
  on('suspicious', 'click', () => galleries.suspicious());
  on('export-png', 'click', exportFrame);
  on('export-csv', 'click', () => exportPositionsCSV().catch(fail));
  on('help-button', 'click', toggleHelp);
  bindKeys({
    togglePlay: playback.toggle, step: playback.step, first: playback.first, last: playback.last,
    clear: () => { store.set({ sel: -1 }); galleries.clear(); $('help').hidden = true; }, resetView: () => view.reset(), help: toggleHelp,
  });
  new ResizeObserver(() => { for (const s of scenes) s.fit(); if (info()) syncTimebar(store.get()); requestFrame(); }).observe($('stage'));
  // the strip is drawn at its width: draw it again when the time bar alone changes (e.g. the live badge shows)
  new ResizeObserver(() => { if (info()) syncTimebar(store.get()); }).observe($('timeline').parentElement);
  $('panel-hint').textContent = PANEL_HINT;
  if (innerHeight < SHORT_SCREEN_PX) $('metrics-section').open = false;   // the left panel fits without scrolling
}

async function main() {
  wireControls();
  if (query.get('synthetic')) {
    const { syntheticSource } = await import('./bench.js');
    session.source = syntheticSource(Number(query.get('synthetic')));
  }
  const { runs } = await session.source.listRuns();
  options($('run'), runs.map((r) => [r.name, r.name]), null);
  if (!runs.length) { store.set({ notice: { text: DEMO_HINT, kind: 'info' } }); return; }
  const { name, unknown } = landingRun(runs, store.get().run);
  $('run').value = name;
  await openRun(name);
  if (unknown) {
    const prev = store.get().notice;
    store.set({ notice: { text: `unknown run "${unknown}"; showing ${name}${prev ? ` · ${prev.text}` : ''}`, kind: 'info' } });
  }
  if (store.get().g) galleries.restore(store.get().g);
}

if (query.get('bench')) {
  import('./bench.js').then((b) => { hook.runBench = (frames) => b.runBench({ scenes: () => scenes, hook, frames, step: playback.step, requestFrame }); });
}
main().catch(fail);
