"""Neighbourhood graphs: exact or NN-descent kNN, UMAP's fuzzy simplicial set, temporal edges and
k-center subset selection. Everything a projector needs to know about high-D neighbourhoods."""

import numpy as np
import torch

# Below this many distance evaluations (N*N*D) exact kNN by blocked matrix products is both faster than
# NN-descent (no JIT warm-up) and deterministic; above it pynndescent does the work.
EXACT_KNN_LIMIT = 2e10


def knn(X, k, *, seed=0, exclude_self=False):
    """k nearest neighbours of every row of X (Euclidean): (indices int64 (N,k), distances float32 (N,k)).

    With exclude_self=False row i's first neighbour is i itself, as umap-learn expects.
    """
    X = np.ascontiguousarray(X, dtype=np.float32)
    n = X.shape[0]
    kk = min(k + (1 if exclude_self else 0), n)
    if X.shape[1] <= 3 or n * n * X.shape[1] <= EXACT_KNN_LIMIT:
        idx, dist = _exact_knn(X, X, kk, same=True)
    else:
        from pynndescent import NNDescent

        index = NNDescent(X, n_neighbors=max(kk, 2), metric="euclidean", random_state=seed, n_jobs=-1,
                          compressed=True, verbose=False)
        idx, dist = index.neighbor_graph
        idx, dist = idx[:, :kk].astype(np.int64), dist[:, :kk].astype(np.float32)
    if exclude_self:
        idx, dist = _drop_self(idx, dist, k)
    return idx, dist


def cross_knn(Q, X, k):
    """k nearest rows of X for each row of Q (exact)."""
    return _exact_knn(np.ascontiguousarray(Q, dtype=np.float32), np.ascontiguousarray(X, dtype=np.float32),
                      min(k, len(X)), same=False)


def _exact_knn(Q, X, k, same, block=2048):
    """Exact kNN: a KD-tree in two or three dimensions (the maps), blocked matrix products above."""
    if X.shape[1] <= 3:
        return _tree_knn(Q, X, k, same)
    q, x = torch.from_numpy(Q), torch.from_numpy(X)
    x2 = x.pow(2).sum(1)
    idx = np.empty((len(Q), k), dtype=np.int64)
    dist = np.empty((len(Q), k), dtype=np.float32)
    for s in range(0, len(Q), block):
        qb = q[s:s + block]
        d2 = torch.addmm(x2, qb, x.T, alpha=-2)  # |x|^2 - 2 q.x: |q|^2 is the same along a row
        if same:  # make a point its own nearest neighbour despite rounding
            rows = torch.arange(len(qb))
            d2[rows, rows + s] = -torch.inf
        v, i = torch.topk(d2, k, dim=1, largest=False, sorted=True)
        idx[s:s + len(qb)] = i.numpy()
        dist[s:s + len(qb)] = (v + qb.pow(2).sum(1, keepdim=True)).clamp_min(0).sqrt().numpy()
    return idx, dist


def _tree_knn(Q, X, k, same):
    from scipy.spatial import cKDTree

    dist, idx = cKDTree(X).query(Q, k=k, workers=-1)
    idx, dist = np.asarray(idx, np.int64).reshape(len(Q), k), np.asarray(dist, np.float32).reshape(len(Q), k)
    if same:  # a point first among its equals, as above
        rest, rest_dist = _drop_self(idx, dist, k - 1)
        idx = np.concatenate([np.arange(len(Q))[:, None], rest], 1)
        dist = np.concatenate([np.zeros((len(Q), 1), np.float32), rest_dist], 1)
    return idx, dist


def _drop_self(idx, dist, k):
    n = len(idx)
    keep = idx != np.arange(n)[:, None]
    # every row keeps its first k non-self neighbours
    order = np.argsort(~keep, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(idx, order, 1), np.take_along_axis(dist, order, 1)


def fuzzy_graph(X, n_neighbors=15, *, seed=0, knn_result=None, both_directions=False):
    """UMAP's fuzzy simplicial set of X as COO arrays (rows, cols, weights): each edge once, or in
    both directions (what edge sampling wants: every node then appears as a head).

    The same computation as umap-learn's fuzzy_simplicial_set (local connectivity 1, fuzzy union),
    vectorised in numpy: umap-learn's numba version compiles for many seconds in every new process."""
    from scipy import sparse

    idx, dist = knn_result if knn_result is not None else knn(X, n_neighbors, seed=seed)
    n = len(idx)
    sigma, rho = _smooth_knn_dist(np.asarray(dist, np.float32), float(n_neighbors))
    d = np.asarray(dist, np.float64)
    w = np.where((d - rho[:, None] <= 0) | (sigma[:, None] == 0), 1.0,
                 np.exp(-np.maximum(d - rho[:, None], 0) / np.where(sigma == 0, 1.0, sigma)[:, None]))
    w[(idx == np.arange(n)[:, None])] = 0.0
    valid = idx >= 0
    P = sparse.coo_matrix((w[valid].astype(np.float32), (np.repeat(np.arange(n), idx.shape[1])[valid.ravel()],
                                                         idx[valid])), shape=(n, n)).tocsr()
    P.eliminate_zeros()
    Pt = P.T.tocsr()
    graph = (P + Pt - P.multiply(Pt)).tocoo()  # fuzzy union
    graph.eliminate_zeros()
    upper = graph.row != graph.col if both_directions else graph.row < graph.col  # symmetric set
    return (graph.row[upper].astype(np.int64), graph.col[upper].astype(np.int64),
            graph.data[upper].astype(np.float32))


def shared_neighbours(idx_a, idx_b):
    """Per row, how many neighbour ids two kNN index arrays of the same samples share (ids < 0 pad a
    short row and never count)."""
    return ((idx_a[:, :, None] == idx_b[:, None, :]) & (idx_a[:, :, None] >= 0)).any(2).sum(1)


def _smooth_knn_dist(dist, k, n_iter=64, tolerance=1e-5, min_scale=1e-3):
    """Per row: sigma such that sum_j exp(-(d_j - rho) / sigma) over the non-self neighbours is
    log2(k), and rho, the distance to the nearest non-zero neighbour (umap-learn's smooth_knn_dist)."""
    n = len(dist)
    target = np.log2(k)
    positive = dist > 0
    has = positive.any(1)
    rho = np.where(has, np.where(positive, dist, np.inf).min(1), 0.0).astype(np.float64)
    d = dist[:, 1:].astype(np.float64) - rho[:, None]
    lo, hi, mid = np.zeros(n), np.full(n, np.inf), np.ones(n)
    active = np.ones(n, bool)
    for _ in range(n_iter):
        psum = np.where(d > 0, np.exp(-np.maximum(d, 0) / mid[:, None]), 1.0).sum(1)
        active &= np.abs(psum - target) >= tolerance
        if not active.any():
            break
        above = active & (psum > target)
        below = active & ~(psum > target)
        hi = np.where(above, mid, hi)
        lo = np.where(below, mid, lo)
        mid = np.where(above, (lo + hi) / 2, mid)
        mid = np.where(below, np.where(np.isinf(hi), mid * 2, (lo + hi) / 2), mid)
    mean_row = dist.astype(np.float64).mean(1)
    floor = min_scale * np.where(rho > 0, mean_row, dist.mean())
    return np.where(mid < floor, floor, mid), rho


def neighbourhood_overlap(idx_a, idx_b):
    """Per row, the fraction of idx_a's neighbours that idx_b's row holds too."""
    return shared_neighbours(idx_a, idx_b) / idx_a.shape[1]


def kcenter_greedy(X, *, seed=0, min_fraction=0.1, max_fraction=1.0, tolerance=0.01, check_every=None):
    """Greedy k-center selection: add the point farthest from the chosen set until the coverage radius
    shrinks by less than `tolerance` (relative) over a round of picks. Returns sorted indices.

    A subset keeps the TimeVis graph small when epochs hold many samples.
    """
    X = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    n = len(X)
    lo, hi = max(1, int(min_fraction * n)), max(1, int(max_fraction * n))
    check_every = check_every or max(1, n // 50)
    gen = torch.Generator().manual_seed(seed)
    chosen = [int(torch.randint(0, n, (1,), generator=gen))]
    mind = (X - X[chosen[0]]).pow(2).sum(1)
    radius_then = float(mind.max())
    while len(chosen) < hi:
        j = int(torch.argmax(mind))
        chosen.append(j)
        mind = torch.minimum(mind, (X - X[j]).pow(2).sum(1))
        if len(chosen) >= lo and len(chosen) % check_every == 0:
            radius = float(mind.max())
            if radius_then - radius < tolerance * radius_then:
                break
            radius_then = radius
    return np.sort(np.array(chosen, dtype=np.int64))
