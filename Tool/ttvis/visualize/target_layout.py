"""Target layout for TimeVis: 2D positions of the training graph's nodes (every trained epoch's samples
and boundary samples) optimised directly, with no network in the way; the encoder then learns to
reproduce them.

The layout is one UMAP embedding of the whole TimeVis graph: spatial edges inside each epoch, temporal
edges joining a sample to itself in the next epoch. The temporal edges keep time continuous (laying
epochs out one by one, each started from the previous one, keeps neighbourhoods but lets samples
wander: digits, 6 epochs, temporal ranking 0.58 against 0.85 joint; AlignedUMAP is slower and no
better, 0.47).

In umap-learn's optimisation every node repels every other, so each epoch's samples repel every other
epoch's too, which blurs each epoch's neighbourhoods, and refining each epoch alone afterwards costs
time continuity. Here most of an edge's negative samples come from its own epoch (local_negatives of
negative_rate): the rest keep a sample's copies in different epochs apart, in proportion to how far it
moved, without which they collapse onto one point and time is lost (all local: MNIST 10k temporal
ranking 0.73). umap-learn has no such option, hence the small SGD below; it follows umap-learn's edge
sampling, gradients and learning-rate schedule, and runs serially so that a seed fixes the result.

Every epoch starts from one spectral layout, that of the last epoch's own graph, each node at its
sample's place there: the spectral layout of the whole graph costs 5 s on MNIST 10k x 10 epochs and
55 s on 10k x 20 synthetic epochs, and is no better a start (temporal ranking 0.816 against 0.820, NN@15
6.66 against 6.65 on MNIST; 0.917 against 0.929, 9.18 against 9.01 on the synthetic run). The graph is
the node budget's (keyframes x landmarks), so the cost does not grow with a run's epochs."""

import numba
import numpy as np
import scipy.sparse as sp

REFINE_EPOCHS = 50  # optimisation epochs of each epoch's refinement


def graph_layout(nodes, E, samples, rows, cols, weights, *, a, b, n_epochs, local_negatives=2, refine=(),
                 refine_alpha=0.0, negative_rate=5, seed=0, start=None, scale=None, held=None):
    """Positions (M, 2) float32 of M nodes (features (M, D), epoch indices E (M,) in ascending order,
    samples (M,): the sample each node is, -1 for boundary nodes) joined by weighted edges (both
    directions): the joint layout, then the epochs `refine` each refined alone with learning rate
    refine_alpha (0: not refined). Without `start`, every node begins at the shared spectral start
    (module docstring), and the result is in the optimisation's own units.

    An incremental build passes start (M, 2), where the fitted model puts the nodes, and gets the result
    in the start's frame: scale is how many of the optimisation's units one unit of that frame was in
    the fit (its layout's spread), so that the start is already near balance (None: umap-learn's 10 x 10
    box, far from it: 60k x 20 synthetic, the new epoch then moved 0.30 on average against 0.03, and
    widened the map). held (M,) bool: nodes that do not move (the epoch already shown)."""
    E = np.asarray(E, np.int64)
    if np.any(np.diff(E) < 0):
        raise ValueError("graph_layout: nodes must be ordered by epoch")
    if start is None:
        Y = _boxed(_shared_start(nodes, E, samples, rows, cols, weights, seed), seed)
    else:
        start = np.asarray(start, np.float32)
        shift, factor = start.mean(0), scale or 10.0 / (float(np.ptp(start, 0).max()) or 1.0)
        Y = ((start - shift) * factor).astype(np.float32)
    moves = np.ones(len(E), np.bool_) if held is None else ~np.asarray(held, np.bool_)
    _optimise(Y, E, rows, cols, weights, a, b, n_epochs, 1.0, local_negatives, negative_rate, seed, moves)
    for i in refine if refine_alpha else ():
        ids, m = _epoch_edges(E, rows, cols, i)
        local = Y[ids]
        _optimise(local, E[ids], rows[m] - ids[0], cols[m] - ids[0], weights[m], a, b, REFINE_EPOCHS, refine_alpha,
                  negative_rate, negative_rate, seed + 1 + int(i), moves[ids])
        Y[ids] = local
    return Y if start is None else (Y / factor + shift).astype(np.float32)


def warm_up():
    """Compile the layout's optimisation (numba, seconds in every new process) on a tiny graph, so that
    a layout needed later, such as a followed run's next epoch, does not wait for it."""
    n = 32
    ring = np.arange(n)
    _optimise(np.random.default_rng(0).random((n, 2)).astype(np.float32), np.zeros(n, np.int64),
              np.r_[ring, (ring + 1) % n], np.r_[(ring + 1) % n, ring], np.ones(2 * n, np.float32),
              1.58, 0.9, 2, 1.0, 2, 5, 0, np.ones(n, np.bool_))


def _shared_start(nodes, E, samples, rows, cols, weights, seed):
    """Every node at its sample's place in the spectral layout of the last epoch's graph; a node whose
    sample is not there (boundary nodes) at the weighted mean of its placed neighbours (the centre when
    it has none)."""
    from umap.spectral import spectral_layout

    ids, m = _epoch_edges(E, rows, cols, E[-1])
    graph = sp.coo_matrix((weights[m], (rows[m] - ids[0], cols[m] - ids[0])), shape=(len(ids), len(ids))).tocsr()
    base = spectral_layout(nodes[ids], graph, 2, np.random.RandomState(seed)).astype(np.float32)
    samples = np.asarray(samples, np.int64)
    where = np.full(max(int(samples.max()), 0) + 1, -1, np.int64)
    own = samples[ids] >= 0
    where[samples[ids][own]] = ids[own] - ids[0]
    row = np.where(samples >= 0, where[np.maximum(samples, 0)], -1)
    Y = np.zeros((len(E), 2), np.float32)
    placed = row >= 0
    Y[placed] = base[row[placed]]
    W = sp.coo_matrix((weights, (rows, cols)), shape=(len(E), len(E))).tocsr()[:, placed]
    total = np.asarray(W.sum(1)).ravel()
    mean = (W @ Y[placed]) / np.maximum(total, 1e-12)[:, None]
    lone = ~placed
    Y[lone] = np.where(total[lone, None] > 0, mean[lone], base.mean(0))
    return Y


def _epoch_edges(E, rows, cols, i):
    """Epoch index i's nodes (contiguous, as E is ordered) and a mask of the edges between them."""
    return np.flatnonzero(E == i), (E[rows] == i) & (E[cols] == i)


def _boxed(Y, seed):
    """Y scaled into umap-learn's 10 x 10 box (one scale for both axes), with a trace of noise so that no
    two nodes start on one point."""
    Y = np.asarray(Y, np.float32)
    span = float(np.ptp(Y, 0).max()) or 1.0
    Y = 10.0 * (Y - Y.min(0)) / span
    return (Y + np.random.default_rng(seed).normal(scale=1e-4, size=Y.shape)).astype(np.float32)


def _optimise(Y, E, rows, cols, weights, a, b, n_epochs, alpha, local_negatives, negative_rate, seed, moves):
    """UMAP's layout SGD on Y (M, 2) in place, local_negatives of each edge sample's negative_rate
    negatives drawn from the edge's own epoch; only the nodes where moves (M,) is set move. Edges below
    1/n_epochs of the heaviest are dropped, as umap-learn drops them."""
    weights = np.asarray(weights, np.float64)
    # edges are sampled in the graph's order (each epoch's own edges, then those to the epoch before), which
    # matters: MNIST 10k temporal ranking 0.815, against 0.79 ordered by head and 0.784 shuffled
    keep = weights >= weights.max() / n_epochs
    starts = np.searchsorted(E, np.arange(E.max() + 2))
    _sgd(Y, np.asarray(rows, np.int64)[keep], np.asarray(cols, np.int64)[keep], weights.max() / weights[keep],
         starts[E].astype(np.int64), starts[E + 1].astype(np.int64), float(a), float(b), int(n_epochs),
         float(alpha), float(local_negatives), float(negative_rate), int(seed), moves)


@numba.njit(fastmath=True)
def _clip(v):
    return 4.0 if v > 4.0 else (-4.0 if v < -4.0 else v)


@numba.njit(fastmath=True)
def _next(state):
    """xorshift64: the next state of a small random generator whose top 32 bits serve as a number."""
    state ^= state << np.uint64(13)
    state ^= state >> np.uint64(7)
    state ^= state << np.uint64(17)
    return state


@numba.njit(fastmath=True)
def _below(state, n):
    """An index in [0, n) from the state's top 32 bits (multiply and shift, no division)."""
    return np.int64(((state >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@numba.njit(fastmath=True)
def _sgd(Y, head, tail, epochs_per_sample, lo, hi, a, b, n_epochs, alpha0, local_negatives, negative_rate, seed,
         moves):
    """Each edge is sampled once every epochs_per_sample epochs, and each time pulls its ends together and
    pushes its head from negative_rate random nodes, the first local_negatives of them among the head's
    epoch's nodes [lo, hi); the learning rate falls linearly from alpha0 to 0. Positions are float32 and
    negatives come from xorshift, as in umap-learn: with float64 and numpy's generator the loop took 45%
    longer (MNIST 10k x 10 epochs: 12.4 s against 8.6 s), for the same layouts (NN@15 and temporal ranking
    within the seeds' spread)."""
    state = np.uint64(88172645463325252) + np.uint64(seed & 0xFFFFFFFF) * np.uint64(2654435761)
    next_sample = epochs_per_sample.copy()
    per_negative = epochs_per_sample / negative_rate
    next_negative = per_negative.copy()
    n_nodes = Y.shape[0]
    a, b = np.float32(a), np.float32(b)
    for n in range(n_epochs):
        alpha = np.float32(alpha0 * (1.0 - n / n_epochs))
        for i in range(head.shape[0]):
            if next_sample[i] > n:
                continue
            j, k = head[i], tail[i]
            dx, dy = Y[j, 0] - Y[k, 0], Y[j, 1] - Y[k, 1]
            d2 = dx * dx + dy * dy
            if d2 > 0.0:
                power = d2 ** b
                g = np.float32(-2.0) * a * b * power / (d2 * (a * power + np.float32(1.0)))
                gx, gy = _clip(g * dx) * alpha, _clip(g * dy) * alpha
                if moves[j]:
                    Y[j, 0] += gx
                    Y[j, 1] += gy
                if moves[k]:
                    Y[k, 0] -= gx
                    Y[k, 1] -= gy
            next_sample[i] += epochs_per_sample[i]
            n_negative = int((n - next_negative[i]) / per_negative[i])
            next_negative[i] += n_negative * per_negative[i]
            if not moves[j]:
                continue
            n_local = local_negatives * n_negative / negative_rate
            for p in range(n_negative):
                state = _next(state)
                k = lo[j] + _below(state, hi[j] - lo[j]) if p < n_local else _below(state, n_nodes)
                dx, dy = Y[j, 0] - Y[k, 0], Y[j, 1] - Y[k, 1]
                d2 = dx * dx + dy * dy
                if d2 > 0.0:
                    g = np.float32(2.0) * b / ((np.float32(0.001) + d2) * (a * d2 ** b + np.float32(1.0)))
                    Y[j, 0] += _clip(g * dx) * alpha
                    Y[j, 1] += _clip(g * dy) * alpha
