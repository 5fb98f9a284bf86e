// Building a visualization from the page: the method picker (cheapest unbuilt method first), a warning
// before a method that takes minutes, progress by phase with a time estimate, and a cancel button.
// The methods, their order and when they are slow come from the server's engine (/api/methods).
import { h } from './panels/dom.js';

export const BUILD_POLL_MS = 400;

const $ = (id) => document.getElementById(id);

/** store: page store (build); session: the open run and its data source; onBuilt(run, method): reopen the run. */
export function createBuilds({ store, session, onBuilt }) {
  let engine = null;   // the methods the engine builds, cheapest first: [{name, slow_from, ...}] once fetched
  const slow = (m) => {
    const d = engine && engine.find((x) => x.name === m);
    return !!d && d.slow_from !== null && !!session.info && session.info.labels.length >= d.slow_from;
  };

  let listed = null;   // the methods the menu shows: refilled only when they change
  function fill() {
    if (engine === null) {
      engine = [];     // asked once; the menu fills again when the answer comes
      session.source.listMethods().then(({ methods }) => { engine = methods; fill(); }, () => {});
    }
    const built = session.builtMethods();
    const all = [...new Set([...engine.map((m) => m.name), ...built])];
    if (listed === `${all.join()}|${built.join()}`) return sync();
    listed = `${all.join()}|${built.join()}`;
    const pick = all.find((m) => !built.includes(m)) || all[0];
    $('build-method').replaceChildren(...all.map((m) => h('option', { value: m }, built.includes(m) ? `${m} (built)` : m)));
    $('build-method').value = pick;
    sync();
  }

  function sync() {
    const m = $('build-method').value, built = session.builtMethods().includes(m);
    $('build').textContent = built ? 'Rebuild' : 'Build';
    $('build-warning').textContent = slow(m) ? `${m} takes minutes on ${session.info.labels.length} samples` : '';
    $('build-warning').hidden = !slow(m);
  }

  async function start() {
    const m = $('build-method').value, name = session.info.name, force = session.builtMethods().includes(m);
    const began = performance.now();
    store.set({ build: { method: m, state: 'running', progress: 0, message: 'starting', eta: null } });
    try {
      await session.source.startBuild(name, m, force);
      for (;;) {
        const st = await session.source.buildStatus(name, m);
        const elapsed = (performance.now() - began) / 1000, p = st.progress || 0;
        const eta = p > 0.02 && p < 1 ? (elapsed * (1 - p)) / p : null;
        store.set({ build: { method: m, state: st.state, progress: p, message: st.message || st.state, eta } });
        if (st.state === 'done' || st.state === 'cancelled') break;
        if (st.state === 'failed') throw new Error(`build of ${m} failed: ${st.message}`);
        await new Promise((r) => setTimeout(r, BUILD_POLL_MS));
      }
      if (store.get().build.state === 'done') {
        store.set({ build: { method: m, state: 'done', progress: 1, message: `${m} built`, eta: null } });
        if (session.info && session.info.name === name) await onBuilt(name, m);
      }
    } catch (err) {
      store.set({ build: { method: m, state: 'failed', progress: 0, message: String(err.message || err), eta: null } });
    }
  }

  async function cancel() {
    const b = store.get().build;
    if (!b || b.state !== 'running') return;
    store.set({ build: { ...b, message: 'cancelling…' } });
    try { await session.source.cancelBuild(session.info.name, b.method); } catch (err) { /* it finished first */ }
  }

  /** Show the build state: progress bar, phase and time left, cancel while running. */
  function render(b) {
    const running = !!b && b.state === 'running';
    $('build-progress').hidden = !running;
    $('build-cancel').hidden = !running;
    $('build').disabled = running;
    if (running) $('build-progress').value = b.progress;
    const left = running && b.eta !== null ? ` · about ${b.eta < 90 ? `${Math.ceil(b.eta)} s` : `${Math.ceil(b.eta / 60)} min`} left` : '';
    $('build-message').textContent = b ? `${b.message}${running ? ` (${Math.round(100 * b.progress)}%)` : ''}${left}` : '';
  }

  $('build-method').addEventListener('change', sync);
  $('build').addEventListener('click', start);
  $('build-cancel').addEventListener('click', cancel);
  return { fill, render };
}
