"""Metrics against brute-force references on small random data."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from ttvis.visualize import metrics as M


def brute_knn(X, k):
    d = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return np.argsort(d, axis=1, kind="stable")[:, :k]


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 8)).astype(np.float32)
    Y = (X[:, :2] + 0.3 * rng.normal(size=(120, 2))).astype(np.float32)
    return X, Y


def test_nn_preservation_matches_brute_force(data):
    X, Y = data
    got = M.nn_preservation(X, Y)
    for k in (10, 15, 20):
        hi, lo = brute_knn(X, k), brute_knn(Y, k)
        want = np.mean([len(set(hi[i]) & set(lo[i])) for i in range(len(X))])
        assert got[str(k)]["count"] == pytest.approx(want)
        assert got[str(k)]["fraction"] == pytest.approx(want / k)


@pytest.mark.parametrize("dims", [2, 8])  # a KD-tree in 2D, matrix products above
def test_knn_puts_each_point_first_among_its_duplicates(dims):
    from ttvis.visualize.graph import knn

    rng = np.random.default_rng(1)
    X = np.repeat(rng.normal(size=(40, dims)).astype(np.float32), 3, axis=0)  # every point three times
    idx, dist = knn(X, 5)
    assert (idx[:, 0] == np.arange(len(X))).all()
    assert np.allclose(dist[:, :3], 0, atol=1e-2)  # float32 rounding
    assert all(set(idx[i, :3]) == {i - i % 3, i - i % 3 + 1, i - i % 3 + 2} for i in range(len(X)))


def test_boundary_preservation_matches_brute_force(data):
    X, Y = data
    rng = np.random.default_rng(1)
    XB = rng.normal(size=(40, 8)).astype(np.float32)
    YB = (XB[:, :2] + 0.3 * rng.normal(size=(40, 2))).astype(np.float32)
    got = M.boundary_preservation(X, Y, XB, YB)
    k = 15
    dh = ((X[:, None] - XB[None]) ** 2).sum(-1)
    dl = ((Y[:, None] - YB[None]) ** 2).sum(-1)
    hi, lo = np.argsort(dh, 1)[:, :k], np.argsort(dl, 1)[:, :k]
    want = np.mean([len(set(hi[i]) & set(lo[i])) for i in range(len(X))])
    assert got["15"]["count"] == pytest.approx(want)


def test_ppr():
    assert M.ppr([0, 1, 2, 3], [0, 1, 0, 3]) == pytest.approx(0.75)


def test_trustworthiness_is_sklearns(data):
    from sklearn.manifold import trustworthiness

    X, Y = data
    assert M.trustworthiness(X, Y) == pytest.approx(trustworthiness(X, Y, n_neighbors=15))


def test_temporal_ranking_matches_scipy():
    rng = np.random.default_rng(2)
    T, n = 6, 30
    drift = np.cumsum(rng.normal(size=(T, n, 5)), axis=0).astype(np.float32)
    highs = list(drift)
    lows = [h[:, :2] + 0.5 * rng.normal(size=(n, 2)).astype(np.float32) for h in highs]
    sp, ov = M.temporal_ranking(highs, lows)
    for t in (0, 3):
        others = [s for s in range(T) if s != t]
        rhos, overlaps = [], []
        for i in range(n):
            dh = [np.linalg.norm(highs[s][i] - highs[t][i]) for s in others]
            dl = [np.linalg.norm(lows[s][i] - lows[t][i]) for s in others]
            rhos.append(spearmanr(dh, dl).statistic)
            overlaps.append(len(set(np.argsort(dh)[:5]) & set(np.argsort(dl)[:5])) / 5)
        assert sp[t] == pytest.approx(np.mean(rhos), abs=1e-6)
        assert ov[t] == pytest.approx(np.mean(overlaps))


def test_fuzzy_graph_equals_umap_learns_fuzzy_simplicial_set():
    """graph.fuzzy_graph is umap-learn's fuzzy_simplicial_set vectorised (it skips a numba compile per
    process): the same edges with the same weights on the same kNN input, ties and duplicates included."""
    from scipy import sparse
    from sklearn.datasets import load_digits
    from umap.umap_ import fuzzy_simplicial_set

    from ttvis.visualize.graph import fuzzy_graph, knn

    X = load_digits().data[:600].astype(np.float32)
    X[1] = X[0]  # a duplicate: a zero distance
    idx, dist = knn(X, 15, seed=0)
    rows, cols, w = fuzzy_graph(X, 15, knn_result=(idx, dist))
    ours = sparse.coo_matrix((w, (rows, cols)), shape=(len(X), len(X))).tocsr()
    ours = (ours + ours.T).toarray()
    theirs, _, _ = fuzzy_simplicial_set(X, 15, 0, "euclidean", knn_indices=idx, knn_dists=dist)
    np.testing.assert_allclose(ours, theirs.toarray(), atol=1e-6)
