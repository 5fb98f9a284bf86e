// Benchmark support, loaded only with ?bench=1 or ?synthetic=N: frame timing mid-transition measured
// like shared/bench/webgl_reference.html (draw + a 1-pixel readPixels to wait for the GPU), and an
// in-page synthetic run for sizes no run on disk has.
import { clock, ease } from './scene.js';

const TAB10 = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#637939', '#bcbd22', '#17becf'];

/** Step to the next epoch, wait until it is loaded, then time `frames` frames with t sweeping 0..1. */
export async function runBench({ scenes, hook, frames = 120, step, requestFrame }) {
  clock.hold = 0;   // keep the transition from ending before it is measured
  step(1);
  const t0 = performance.now();
  while (!scenes().every((s) => s.prev && s.prev !== s.next) && performance.now() - t0 < 30000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  hook.benchActive = true;
  const timeFrames = (draw) => new Promise((resolve) => {
    const times = [];
    let f = 0;
    const tick = () => {
      const start = performance.now();
      clock.hold = (f % 60) / 60;
      for (const s of scenes()) { s.step(start); draw(s); }
      for (const s of scenes()) for (const gl of [s.gl, s.territory.gl]) gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
      times.push(performance.now() - start);
      f += 1;
      if (f < frames) requestAnimationFrame(tick); else resolve(times);
    };
    requestAnimationFrame(tick);
  });
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const times = await timeFrames((s) => s.render());
  // where the time goes: each layer alone (same sync); a territory redraw happens only on view changes
  // and at each of the CROSSFADE_STEPS of a transition
  const layerArgs = (s) => ({ xf: s.xf(), width: s.width, height: s.height, dpr: s.dpr, mix: ease(s.t), dim: false, zoom: 1 });
  const clear = (s) => { s.gl.viewport(0, 0, s.canvas.width, s.canvas.height); s.gl.clearColor(1, 1, 1, 1); s.gl.clear(s.gl.COLOR_BUFFER_BIT); };
  const breakdown = {
    clear_ms: median(await timeFrames(clear)),
    territory_redraw_ms: median(await timeFrames((s) => { s.territory.invalidate(); s.territory.render(layerArgs(s)); })),
    points_ms: median(await timeFrames((s) => { clear(s); s.points.render(layerArgs(s)); })),
  };
  hook.benchActive = false;
  clock.hold = null;
  for (const s of scenes()) s.step(performance.now());
  requestFrame();
  const sorted = [...times].sort((a, b) => a - b);
  const gl = scenes()[0].gl, dbg = gl.getExtension('WEBGL_debug_renderer_info');
  hook.bench = {
    frames: times.length, median_ms: sorted[Math.floor(sorted.length / 2)], p90_ms: sorted[Math.floor(sorted.length * 0.9)],
    n_points: scenes()[0].points.n, renderer: dbg ? gl.getParameter(dbg.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
    canvas: [scenes()[0].canvas.width, scenes()[0].canvas.height], breakdown,
  };
  return hook.bench;
}

function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
}

/** A data source with the api.js interface holding a synthetic two-epoch run of n points. */
export function syntheticSource(n) {
  const C = 10, rand = rng(7), gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: C }, (_, c) => [Math.cos((2 * Math.PI * c) / C), Math.sin((2 * Math.PI * c) / C)]);
  const labels = new Uint8Array(n), split = new Uint8Array(n);
  for (let i = 0; i < n; i++) { labels[i] = i % C; split[i] = rand() < 0.2 ? 1 : 0; }
  const layout = (spread) => {
    const p = { x: new Float32Array(n), y: new Float32Array(n) };
    for (let i = 0; i < n; i++) { const c = centres[labels[i]]; p.x[i] = c[0] + spread * gauss(); p.y[i] = c[1] + spread * gauss(); }
    return p;
  };
  const pos = [layout(0.6), layout(0.2)];
  const preds = [labels.map((l) => (rand() < 0.4 ? (l + 1) % C : l)), labels.map((l) => (rand() < 0.05 ? (l + 1) % C : l))];
  const conf = [new Float32Array(n).map(() => 0.3 + 0.3 * rand()), new Float32Array(n).map(() => 0.7 + 0.3 * rand())];
  const extent = { x_min: -2, x_max: 2, y_min: -2, y_max: 2 };
  const territory = async () => {
    const S = 256, img = new ImageData(S, S);
    for (let r = 0; r < S; r++) for (let q = 0; q < S; q++) {
      const x = -2 + (4 * (q + 0.5)) / S, y = 2 - (4 * (r + 0.5)) / S;
      let best = 0, bd = Infinity;
      centres.forEach(([cx, cy], c) => { const d = (x - cx) ** 2 + (y - cy) ** 2; if (d < bd) { bd = d; best = c; } });
      const hex = TAB10[best], o = 4 * (r * S + q);
      for (let k = 0; k < 3; k++) img.data[o + k] = parseInt(hex.slice(1 + 2 * k, 3 + 2 * k), 16);
      img.data[o + 3] = 255;
    }
    return createImageBitmap(img);
  };
  const meta = {
    name: 'synthetic', n_samples: n, n_train: n - split.reduce((a, b) => a + b, 0), n_test: split.reduce((a, b) => a + b, 0), dim: 2,
    epochs: [0, 1], classes: TAB10.map((color, index) => ({ index, name: `class ${index}`, color })), image: null, ground_truth: {},
    methods: { synthetic: { epochs: [0, 1], extent, has_territory: true, summary: {} } },
  };
  const no = () => Promise.reject(new Error('not available for the synthetic benchmark run'));
  return {
    listRuns: async () => ({ runs: [{ name: 'synthetic', n_samples: n, classes: meta.classes.map((c) => c.name), epochs: [0, 1], methods: ['synthetic'] }] }),
    getRun: async () => meta, labels: async () => labels, split: async () => split,
    predictions: async (_, e) => preds[e], confidence: async (_, e) => conf[e], positions: async (_, m, e) => pos[e],
    territory, epochMetrics: async () => ({}), timeline: no, territoryGrid: no, roundtrip: no, cancelBuild: no, listMethods: no, sample: no, trajectory: no, search: no, suspicious: no, startBuild: no, buildStatus: no,
  };
}
