// The hook for tests and benchmarks (window.ttvis): state, readiness, screen positions, a frame
// counter, and the transition clock, which a test pins at a given progress instead of sampling
// wall-clock frames.
import { clock } from './scene.js';

/** store; scenes(): the live scenes; idle(): nothing is loading and the frame shows what the state asks. */
export function installHook({ store, scenes, idle, requestFrame }) {
  const hook = {
    frames: 0, firstFrameMs: null, error: null, bench: null, benchActive: false,
    get state() { return store.get(); },
    get ready() { return idle() && scenes().length > 0 && scenes().every((s) => !s.animating && s.next); },
    get scenes() { return scenes().length; },
    get playing() { return store.get().playing; },
    get gallery() { const g = store.get().gallery; return g && g.items ? g.items.map((it) => it.index) : []; },
    get searching() { const g = store.get().gallery; return !!(g && g.pending); },
    get territoryOpacity() { return store.get().opacity; },
    /** The epoch each scene moves to (or rests at). */
    get shown() { return scenes().map((s) => s.props.current ?? null); },
    /** Transition progress of each scene, 0..1. */
    get progress() { return scenes().map((s) => s.t); },
    project: (i, k = 0) => (scenes()[k] ? scenes()[k].project(i) : null),
    visible: (i, k = 0) => (scenes()[k] ? scenes()[k].visible(i) : false),
    /** World point (x, y) of scene k in viewport CSS pixels. */
    toScreen(x, y, k = 0) {
      const sc = scenes()[k], xf = sc && sc.xf();
      if (!xf) return null;
      const r = sc.canvas.getBoundingClientRect();
      return { x: r.left + xf.ox + xf.sx * x, y: r.top + xf.oy + xf.sy * y };
    },
    /** Pin every transition at progress t in [0, 1], applied at once; null lets the clock run again. */
    holdTransition(t) {
      clock.hold = t;
      for (const s of scenes()) s.step(performance.now());
      requestFrame();
    },
  };
  window.ttvis = hook;
  return hook;
}
