// A person's verdicts on samples: "label is wrong -> class k", "poisoned" or "fine". The server keeps
// them in the run folder; the store holds the open run's (`marks`), and a shown suspicious ranking is
// fetched again after each change, since the server re-orders it with the marks.

/** store: the page store; session: the open run and its data source; galleries: the gallery controller. */
export function createMarks({ store, session, galleries }) {
  /** Fetch the open run's marks (none for a source without them, such as the synthetic benchmark run). */
  async function load() {
    const run = session.info, src = session.source;
    const { marks } = src.marks ? await src.marks(run.name) : { marks: {} };
    if (session.info === run) store.set({ marks });
  }

  /** Mark sample i ({mark, label?}), or clear its mark (null). */
  async function set(i, mark) {
    const run = session.info, src = session.source;
    const r = mark ? await src.setMark(run.name, i, mark) : await src.clearMark(run.name, i);
    if (session.info !== run) return;
    const marks = { ...store.get().marks };
    if (r.mark) marks[i] = r.mark; else delete marks[i];
    store.set({ marks });
    if (store.get().gallery?.kind === 'suspicious') galleries.suspicious({ keep: true });
  }

  return { load, set };
}
