// What fills the gallery: search-box queries, similarity search, suspicious samples and lasso
// selections. Each request takes a token; an answer that arrives after a newer request is dropped.
// The gallery's items live in the store (`gallery`), and what produced them in the URL (`g`).
import { parseQuery, runQuery } from './query.js';

export const SUSPICIOUS_K = 50;
export const SEARCH_K = 20;

/** store: the page store; session: the open run and its data source; centerOn(i). */
export function createGalleries({ store, session, centerOn }) {
  let token = 0;
  const show = (gallery, g) => store.set({ gallery, g });
  const name = () => session.info.name;

  function clear() { token++; show(null, ''); }

  function lasso(indices) {
    token++;
    show(indices.length ? { kind: 'lasso', title: `Selection (${indices.length})`, subtitle: 'shift-drag to select again',
      items: indices.map((i) => ({ index: i })) } : null, '');
  }

  /** The search box: an index selects that sample; filters list the matching samples of the shown epoch. */
  async function query(text) {
    const q = parseQuery(text, session.info.classes, session.info.labels.length);
    if (!q) { clear(); store.set({ notice: null }); return; }
    if (q.error) { store.set({ notice: { text: q.error, kind: 'error' } }); return; }
    store.set({ notice: null });
    if (q.index !== undefined) { store.set({ sel: q.index }); centerOn(q.index); return; }
    const t = ++token, epoch = store.get().epoch;
    const [preds, conf] = await Promise.all([session.preds(epoch), session.conf(epoch)]);
    if (t !== token) return;
    const { labels, split } = session.info;
    const hits = runQuery(q.filters, { labels, split, preds, conf });
    show({ kind: 'query', title: `Search: ${text.trim()}`, subtitle: `${hits.length} samples at epoch ${epoch}`,
      items: hits.map((i) => ({ index: i, note: `conf ${conf[i].toFixed(2)}` })) }, `q:${text.trim()}`);
  }

  /** Nearest neighbours of sample i. The first search of an epoch can take minutes (the database indexes
   * it), so the panel says so with a spinner, and shows the server's error text if the search fails. */
  async function similar(i, space) {
    const t = ++token, epoch = store.get().epoch;
    const title = `Similar to #${i}`, g = `similar:${i}:${space}`;
    const what = space === 'trajectory' ? 'training trajectory' : `representation at epoch ${epoch}`;
    show({ kind: 'similar', title, subtitle: what, pending: 'indexing / searching… (the first search of an epoch indexes it)' }, g);
    try {
      const r = await session.source.search(name(), { sample: i, epoch, k: SEARCH_K, space });
      if (t !== token) return;
      show({ kind: 'similar', title, subtitle: `${space === 'trajectory' ? 'training trajectory' : `representation at epoch ${r.epoch}`}, k=${r.k}`,
        items: r.ids.map((id, k) => ({ index: id, note: `distance ${Number(r.distances[k]).toPrecision(3)}` })) }, g);
    } catch (err) {
      if (t !== token) return;
      const status = err.status ? ` (${err.status})` : '';
      show({ kind: 'similar', title, subtitle: what, error: `Search failed${status}: ${err.message || err}` }, g);
    }
  }

  /** The ranking; keep: leave the shown ranking up until the new one arrives (a re-rank after a mark). */
  async function suspicious({ keep = false } = {}) {
    const t = ++token, title = 'Suspicious samples';
    if (!(keep && store.get().gallery?.kind === 'suspicious')) {
      show({ kind: 'suspicious', title, pending: 'ranking samples by their training dynamics…' }, 'suspicious');
    }
    try {
      const r = await session.source.suspicious(name(), SUSPICIOUS_K);
      if (t !== token) return;
      const signals = Array.isArray(r.signals) && r.signals.length ? `ranked by ${r.signals.join(', ')}` : null;
      show({ kind: 'suspicious', title, subtitle: signals, items: r.samples.map((smp) => ({
        index: smp.index, note: `rank ${smp.rank}, score ${Number(smp.score).toFixed(2)}`,
        reasons: Array.isArray(smp.reasons) ? smp.reasons.filter((x) => typeof x === 'string' && x) : [],
      })) }, 'suspicious');
    } catch (err) {
      if (t !== token) return;
      show({ kind: 'suspicious', title, error: `Ranking failed: ${err.message || err}` }, 'suspicious');
    }
  }

  /** Re-create the gallery a URL names (`g`). */
  function restore(g) {
    if (g === 'suspicious') return suspicious();
    if (g.startsWith('similar:')) { const [, i, space] = g.split(':'); return similar(Number(i), space); }
    if (g.startsWith('q:')) return query(g.slice(2));
    return null;
  }

  return { clear, lasso, query, similar, suspicious, restore };
}
