// The open run and what the page fetched for it. Per-epoch data (positions, territory, predictions,
// confidences, round-trip predictions) is loaded when an epoch is shown, the epochs next to it are
// fetched ahead, and a bounded cache drops the least recently used, so a run of 200 epochs is never
// loaded all at once.
import * as api from './api.js';
import { hexToRgb } from './colors.js';

export const MAX_CACHED = 120;        // cached items (per-epoch arrays, samples, trajectories)
export const PREFETCH_AHEAD = 2;      // epochs fetched ahead of the shown one (and one behind)
/** Methods to open first, best first (the engine's `preference` ranks, kept equal by a test: the page
 *  lands before the engine, which loads torch, would answer /api/methods); others follow alphabetically. */
export const PREFERRED_METHODS = ['timevis', 'dvi', 'umap', 'aligned-umap', 'tsne', 'pca'];

const rank = (m) => { const k = PREFERRED_METHODS.indexOf(m); return k < 0 ? PREFERRED_METHODS.length : k; };
export const byPreference = (methods) => [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

/** The epoch of `list` nearest to e (the first when e is unset). */
export function nearest(list, e) {
  if (!list.length) return null;
  if (e === null || e === undefined) return list[0];
  return list.reduce((best, x) => (Math.abs(x - e) < Math.abs(best - e) ? x : best), list[0]);
}

/** The run to open: the one asked for, else one with a visualization (timevis first), else the first. */
export function landingRun(runs, wanted) {
  if (wanted && runs.some((r) => r.name === wanted)) return { name: wanted, unknown: null };
  const score = (r) => (r.methods?.length ? Math.min(...r.methods.map(rank)) : PREFERRED_METHODS.length + 1);
  const best = [...runs].sort((a, b) => score(a) - score(b))[0];
  return { name: best ? best.name : null, unknown: wanted || null };
}

export class Session {
  constructor(source = api) {
    this.source = source;
    this.info = null;
    this.cache = new Map();
  }

  /** Open run `name`: metadata, labels and split; forget everything cached for the previous run. */
  async open(name) {
    const src = this.source;
    const [meta, labels, split] = await Promise.all([src.getRun(name), src.labels(name), src.split(name)]);
    this.cache.clear();
    const classes = meta.classes;
    this.info = { name, meta, labels, split, classes, palette: classes.map((c) => hexToRgb(c.color)) };
    return this.info;
  }

  /** Take the open run's metadata after it grew (a live run). Per-epoch arrays stay cached; what spans all
   * epochs (timeline, samples, trails) is fetched again, and so are the territories of a method whose
   * extent changed (they were repainted). Returns the methods whose extent changed. */
  refresh(meta) {
    const old = this.info.meta.methods, moved = [];
    for (const [m, v] of Object.entries(meta.methods)) {
      if (old[m] && JSON.stringify(old[m].extent) !== JSON.stringify(v.extent)) moved.push(m);
    }
    const stale = (key) => {
      const [, kind, m] = key.split('|');
      return kind === 'timeline' || kind === 's' || kind === 'j' || ((kind === 't' || kind === 'g') && moved.includes(m));
    };
    for (const key of [...this.cache.keys()]) if (stale(key)) this.cache.delete(key);
    this.info = { ...this.info, meta };
    return moved;
  }

  builtMethods() {
    return byPreference(Object.entries(this.info?.meta.methods || {}).filter(([, m]) => m.epochs?.length).map(([k]) => k));
  }

  methodEpochs(m) { return this.info?.meta.methods[m]?.epochs || []; }

  /** What each scene shows, [{method, epoch}]: one entry, or two in compare mode. */
  sources(s) {
    const a = { method: s.method, epoch: s.epoch };
    if (!s.cmp) return [a];
    const [kind, value] = [s.cmp[0], s.cmp.slice(2)];
    if (kind === 'e') return [a, { method: s.method, epoch: nearest(this.methodEpochs(s.method), Number(value)) }];
    if (!this.info.meta.methods[value]) return [a];
    return [a, { method: value, epoch: nearest(this.methodEpochs(value), s.epoch) }];
  }

  /** The epoch whose predictions the "flipped" filter compares against, or null. */
  flipReference(srcs) {
    if (srcs.length === 2 && srcs[1].epoch !== srcs[0].epoch) return srcs[1].epoch;
    const all = this.info.meta.epochs, k = all.indexOf(srcs[0].epoch);
    return k > 0 ? all[k - 1] : null;
  }

  _once(key, load) {
    const full = `${this.info.name}|${key}`;
    if (this.cache.has(full)) {
      const p = this.cache.get(full);
      this.cache.delete(full);
      this.cache.set(full, p);   // most recently used last
      return p;
    }
    const p = load();
    this.cache.set(full, p);
    p.catch(() => this.cache.delete(full));
    while (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value);
    return p;
  }

  preds(e) { return this._once(`p|${e}`, () => this.source.predictions(this.info.name, e)); }
  conf(e) { return this._once(`c|${e}`, () => this.source.confidence(this.info.name, e)); }
  positions(m, e) { return this._once(`x|${m}|${e}`, () => this.source.positions(this.info.name, m, e)); }
  territory(m, e) {
    return this.info.meta.methods[m]?.has_territory
      ? this._once(`t|${m}|${e}`, () => this.source.territory(this.info.name, m, e).catch(() => null)) : Promise.resolve(null);
  }
  grid(m, e) { return this._once(`g|${m}|${e}`, () => this.source.territoryGrid(this.info.name, m, e)); }
  roundtrip(m, e) { return this._once(`r|${m}|${e}`, () => this.source.roundtrip(this.info.name, m, e)); }
  sample(i) { return this._once(`s|${i}`, () => this.source.sample(this.info.name, i)); }
  trajectory(m, i) { return this._once(`j|${m}|${i}`, () => this.source.trajectory(this.info.name, m, i)); }
  timeline() { return this._once('timeline', () => this.source.timeline(this.info.name)); }

  /** Everything one scene needs for one source: {src, positions, bitmap, preds, conf, roundtrip}. */
  async view(src, { lies }) {
    const { method: m, epoch: e } = src;
    const [positions, bitmap, preds, conf, roundtrip] = await Promise.all([this.positions(m, e), this.territory(m, e),
      this.preds(e), this.conf(e), lies ? this.roundtrip(m, e).catch(() => null) : null]);
    return { src, positions, bitmap, preds, conf, roundtrip };
  }

  /** Fetch the epochs around `epoch` of method m in the background (errors are ignored here). */
  prefetch(m, epoch, forward = true) {
    const list = this.methodEpochs(m), k = list.indexOf(epoch);
    if (k < 0) return;
    const around = forward ? [k + 1, k + 2, k - 1].slice(0, PREFETCH_AHEAD + 1) : [k - 1, k - 2, k + 1].slice(0, PREFETCH_AHEAD + 1);
    for (const j of around) {
      if (j < 0 || j >= list.length) continue;
      const e = list[j];
      for (const p of [this.positions(m, e), this.territory(m, e), this.preds(e), this.conf(e)]) p.catch(() => {});
    }
  }
}
