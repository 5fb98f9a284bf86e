// Live runs: the page long-polls its run's live state (/api/runs/<run>/live). When a Recorder adds epochs,
// or the server's follow mode adds their positions, the run's metadata is refreshed in place: the slider
// and the accuracy strip grow, and in follow mode the view glides to the newest epoch. Selection, zoom and
// filters are state keys this module never touches, so nothing the user is doing is lost.
import * as api from './api.js';

export const WAIT_S = 25;          // how long one poll may wait on the server for a change
export const RETRY_MS = 5000;      // after a failed poll (server restarting), ask again this much later

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const same = (a, b) => a.length === b.length && a.every((x, k) => x === b[k]);

/** store: the page store; session: the open run; goTo(epoch): glide there; onMethod(m): show method m. */
export function createLive({ store, session, goTo, onMethod }) {
  let token = 0;

  /** Watch run `name` until another run is opened (or stop()). */
  async function watch(name) {
    const mine = ++token;
    let etag = null;
    while (mine === token) {
      let answer;
      try {
        answer = await api.live(name, etag, etag ? WAIT_S : 0);
      } catch (err) {
        await pause(RETRY_MS);
        continue;
      }
      if (mine !== token) return;
      if (answer.state) {
        etag = answer.etag;
        await apply(name, answer.state, mine);
      }
      if (answer.retryAfter) await pause(answer.retryAfter * 1000);
    }
  }

  async function apply(name, live, mine) {
    const first = store.get().live === null;
    store.set({ live });
    if (first && live.follow && !store.get().follow) store.set({ follow: true });   // the server follows this run
    const meta = session.info?.meta;
    if (!meta || session.info.name !== name) return;
    const methodsNow = Object.fromEntries(Object.entries(meta.methods).map(([m, v]) => [m, v.epochs]));
    const grown = !same(live.epochs, meta.epochs)
      || Object.entries(live.methods).some(([m, list]) => !methodsNow[m] || !same(list, methodsNow[m]));
    if (!grown) return;
    const fresh = await api.getRun(name);   // the methods' extents and territory flags with the new epochs
    if (mine !== token || session.info?.name !== name) return;
    const moved = session.refresh(fresh), info = session.info;
    const s = store.get();
    store.set(moved.includes(s.method) ? { info, frame: null } : { info });   // a moved extent: reload the frame
    session.timeline().then((timeline) => { if (session.info === info) store.set({ timeline }); }).catch(() => {});
    if (!s.method) {
      const built = session.builtMethods();
      if (built.length) onMethod(built[0]);
      return;
    }
    if (store.get().follow) goTo(session.methodEpochs(s.method).at(-1));
  }

  /** Turn follow mode on or off: the server extends the run's visualization, the page glides along. */
  async function follow(on) {
    const s = store.get();
    store.set({ follow: on });
    if (!s.run) return;
    if (on) goTo(session.methodEpochs(s.method).at(-1));
    // the server picks the method when none is shown, and follows its own stand-in's original
    await api.follow(s.run, on, s.method || undefined);
  }

  return { watch, follow, stop: () => { token++; } };
}
