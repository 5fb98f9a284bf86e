// Time: step, jump, and play. Playing holds each epoch HOLD_MS (at speed 1) after its transition ends
// and its data is in, then moves on; the frame loop says when the page is idle.

export const HOLD_MS = 350;

/** store: the page store (epoch, playing, speed); epochs(): the shown method's epochs. */
export function createPlayback(store, epochs) {
  let timer = null;
  const goTo = (e) => { if (e !== null && e !== undefined) store.set({ epoch: e }); };
  const at = () => epochs().indexOf(store.get().epoch);
  function step(d) {
    const list = epochs(), k = at();
    if (k >= 0) goTo(list[Math.max(0, Math.min(list.length - 1, k + d))]);
  }
  function stop() { clearTimeout(timer); timer = null; store.set({ playing: false }); }
  function toggle() {
    if (store.get().playing) { stop(); return; }
    const list = epochs();
    if (!list.length) return;
    if (at() === list.length - 1) goTo(list[0]);
    store.set({ playing: true });
  }
  /** Called when nothing loads or moves: schedule the next epoch, or stop at the last. */
  function idle() {
    if (!store.get().playing || timer) return;
    timer = setTimeout(() => {
      timer = null;
      if (!store.get().playing) return;
      const list = epochs(), k = at();
      if (k < 0 || k >= list.length - 1) stop(); else goTo(list[k + 1]);
    }, HOLD_MS / store.get().speed);
  }
  return { goTo, step, stop, toggle, idle, first: () => goTo(epochs()[0]), last: () => goTo(epochs().at(-1)) };
}
