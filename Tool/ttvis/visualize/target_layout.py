"""Target layout for TimeVis: 2D positions of the training graph's nodes (every trained epoch's samples
and boundary samples) optimised directly by umap-learn, with no network in the way; the encoder then
learns to reproduce them.

The layout is first one UMAP embedding of the whole TimeVis graph: spatial edges inside each epoch,
temporal edges joining a sample to itself in the next epoch. The temporal edges keep time continuous
(laying epochs out one by one, each started from the previous one, keeps neighbourhoods but lets
samples wander: digits, 6 epochs, temporal ranking 0.58 against 0.85 joint; AlignedUMAP is slower and
no better, 0.47). But in one joint map every epoch's samples repel every other epoch's, which blurs
each epoch's neighbourhoods (digits, 20 epochs: NN@15 6.4 against umap-learn's 8.4), so each epoch is
then refined alone, from where the joint map put it, with a small learning rate (refine_alpha 0.01:
NN@15 8.1 and temporal ranking 0.83 as shown; 0.03: 8.3 and 0.815). The graph is the node budget's
(keyframes x landmarks), so the cost does not grow with a run's epochs."""

import numpy as np
import scipy.sparse as sp

REFINE_EPOCHS = 50  # umap-learn epochs of each epoch's refinement


def graph_layout(nodes, E, rows, cols, weights, *, a, b, n_epochs, refine=(), refine_alpha=0.0, negative_rate=5,
                 seed=0, start=None):
    """Positions (M, 2) float32 of M nodes (features (M, D), epoch indices E (M,)) joined by weighted
    edges (both directions): the joint layout, then the epochs `refine` each refined alone with
    learning rate refine_alpha (keyframes: other epochs hold too few samples to stand alone).

    start (M, 2): where to begin (an incremental build begins where the fitted model puts the nodes);
    the result is then returned in the start's frame (umap-learn works in a 10 x 10 box). Without it,
    the spectral layout of the graph, as umap-learn does."""
    rng = np.random.RandomState(seed)
    init = "spectral" if start is None else np.asarray(start, np.float32)
    Y = _embed(nodes, _graph(rows, cols, weights, len(nodes)), init, a, b, 1.0, n_epochs, negative_rate, rng)
    if refine_alpha:
        for i in refine:
            ids = np.flatnonzero(E == i)
            local = np.full(len(E), -1, np.int64)
            local[ids] = np.arange(len(ids))
            m = (E[rows] == i) & (E[cols] == i)
            graph = _graph(local[rows[m]], local[cols[m]], weights[m], len(ids))
            Y[ids] = _embed(nodes[ids], graph, Y[ids], a, b, refine_alpha, REFINE_EPOCHS, negative_rate, rng)
    return Y


def warm_up():
    """Compile umap-learn's layout optimisation (numba, several seconds in every new process) on a tiny
    graph, so that a layout needed later, such as a followed run's next epoch, does not wait for it."""
    n = 32
    ring = np.arange(n)
    nodes = np.random.default_rng(0).standard_normal((n, 4)).astype(np.float32)
    graph = _graph(np.r_[ring, (ring + 1) % n], np.r_[(ring + 1) % n, ring], np.ones(2 * n, np.float32), n)
    _embed(nodes, graph, nodes[:, :2].copy(), 1.58, 0.9, 1.0, 2, 5, np.random.RandomState(0))


def _graph(rows, cols, weights, n):
    return sp.coo_matrix((weights, (rows, cols)), shape=(n, n)).tocsr()


def _embed(nodes, graph, init, a, b, alpha, n_epochs, negative_rate, rng):
    """umap-learn's layout optimisation, returned in the frame of `init` when it is an array."""
    from umap.umap_ import simplicial_set_embedding

    Y, _ = simplicial_set_embedding(nodes, graph, 2, alpha, a, b, 1.0, negative_rate, n_epochs, init, rng,
                                    "euclidean", {}, False, {}, False)
    return Y.astype(np.float32) if isinstance(init, str) else _into_frame(Y, init)


def _into_frame(Y, start):
    """Y scaled and shifted (one scale for both axes, least squares) onto the positions it started from."""
    yc, sc = Y - Y.mean(0), start - start.mean(0)
    scale = float((yc * sc).sum() / max((yc * yc).sum(), 1e-12))
    return (yc * scale + start.mean(0)).astype(np.float32)
