"""The target layout (target_layout.py) on a real TimeVis graph of synthetic epochs: neighbourhoods kept
inside each epoch, a sample's copies apart as far as it moved, the shared spectral start, an incremental
layout that holds what is shown."""

import numpy as np
import pytest
import umap

from ttvis.visualize import target_layout as T
from ttvis.visualize.metrics import nn_preservation
from ttvis.visualize.timevis import TimeVis, _gather_nodes


@pytest.fixture(scope="module")
def moving():
    """Three epochs of 400 samples in 6 blobs; at the last epoch the first 60 samples jump to another
    blob. Returns the TimeVis graph, its nodes, the data and the ids of the samples that jumped."""
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=8.0, size=(6, 16))
    labels = np.arange(400) % 6
    noise = rng.normal(size=(400, 16))
    X = {}
    for e in (1, 2, 3):
        lab = labels.copy()
        if e == 3:
            lab[:60] = (lab[:60] + 3) % 6
        X[e] = (centres[lab] + noise + 0.1 * rng.normal(size=noise.shape)).astype(np.float32)
    tv = TimeVis(seed=0)
    tv.epochs_, tv.keyframes_, tv.dim_ = [1, 2, 3], [1, 2, 3], 16
    tv.layout_ = 100
    tv.temporal_weight_ = tv._temporal_weight(True)  # the layout's own
    g = tv._build_graph(X, None, None)
    return g, _gather_nodes(g["node_src"], tv.epochs_, X, None), X, np.arange(60), tv._ab()


def _layout(g, nodes, ab, n_epochs=100, **kw):
    samples = np.where(g["node_src"][:, 2] == 0, g["node_src"][:, 1], -1)
    return T.graph_layout(nodes, g["E"], samples, g["rows"], g["cols"], g["weights"], a=ab[0], b=ab[1],
                          n_epochs=n_epochs, **kw)


def _copies(g, Y, i):
    """Epoch index i's sample positions, by sample."""
    m = np.flatnonzero(g["E"] == i)
    return Y[m[np.argsort(g["node_src"][m, 1])]]


def test_each_epoch_keeps_its_neighbourhoods_and_samples_move_as_far_as_they_moved(moving):
    g, nodes, X, jumped, ab = moving
    Y = _layout(g, nodes, ab)
    assert Y.shape == (len(nodes), 2) and np.isfinite(Y).all()
    for i, e in enumerate((1, 2, 3)):  # as umap-learn keeps them, laying each epoch out alone (0.8x: generous)
        alone = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=0).fit_transform(X[e])
        kept, bar = (nn_preservation(X[e], Z)["15"]["count"] for Z in (_copies(g, Y, i), alone))
        assert kept >= 0.8 * bar
    step = np.linalg.norm(_copies(g, Y, 2) - _copies(g, Y, 1), axis=1)
    stayed = np.setdiff1d(np.arange(400), jumped)
    # a jump between blobs shows as a jump; staying put shows as (almost) staying put
    assert np.median(step[jumped]) > 5 * np.median(step[stayed])
    np.testing.assert_array_equal(Y, _layout(g, nodes, ab))  # a seed fixes the result


def test_negatives_from_other_epochs_keep_a_samples_copies_apart(moving):
    """Without them (every negative from the edge's own epoch) the copies of a sample that did not move
    collapse towards one point, and the map no longer tells how far it moved."""
    g, nodes, _, jumped, ab = moving
    stayed = np.setdiff1d(np.arange(400), jumped)
    gap = {}
    for local in (0, 5):
        Y = _layout(g, nodes, ab, local_negatives=local)
        spread = np.linalg.norm(Y - Y.mean(0), axis=1).mean()
        gap[local] = np.median(np.linalg.norm(_copies(g, Y, 1) - _copies(g, Y, 0), axis=1)[stayed]) / spread
    assert gap[5] < 0.5 * gap[0]


def test_every_epoch_starts_at_its_samples_places_in_the_last_epochs_spectral_layout(moving):
    g, nodes, _, _, _ = moving
    samples = np.where(g["node_src"][:, 2] == 0, g["node_src"][:, 1], -1)
    samples[5] = -1  # a boundary node of the first epoch: placed among its neighbours
    Y = T._shared_start(nodes, g["E"], samples, g["rows"], g["cols"], g["weights"], 0)
    for i in (0, 1):
        same = np.flatnonzero(g["E"] == i)
        same = same[samples[same] >= 0]
        np.testing.assert_array_equal(Y[same], _copies(g, Y, 2)[samples[same]])
    nb = g["cols"][(g["rows"] == 5) & (samples[g["cols"]] >= 0)]
    lo, hi = Y[nb].min(0), Y[nb].max(0)
    assert np.all(Y[5] >= lo) and np.all(Y[5] <= hi)


def test_an_incremental_layout_holds_the_shown_epoch_and_starts_at_balance(moving):
    """An extension re-lays the graph from where the map shows it (unit spread), the epoch already shown
    held still. Scaled back to the fit's own units the start is at balance: the rest moves little and the
    map keeps its size; boxed into umap-learn's 10 x 10 instead, repulsion widens it (60k x 20 synthetic:
    the whole map was repainted)."""
    g, nodes, _, _, ab = moving
    Y = _layout(g, nodes, ab)
    scale = float(Y.std())
    shown = (Y - Y.mean(0)) / scale
    held = g["E"] == 0
    move, size = {}, {}
    for name, s in (("balanced", scale), ("boxed", None)):
        R = _layout(g, nodes, ab, n_epochs=25, start=shown, scale=s, held=held)
        np.testing.assert_allclose(R[held], shown[held], atol=1e-5)
        move[name] = np.linalg.norm(R[~held] - shown[~held], axis=1).mean()
        size[name] = np.ptp(R, 0) / np.ptp(shown, 0)
    assert np.all(size["balanced"] < 1.05), size
    assert move["balanced"] < 0.5 * move["boxed"], move


def test_nodes_out_of_epoch_order_are_refused(moving):
    g, nodes, _, _, ab = moving
    with pytest.raises(ValueError, match="ordered by epoch"):
        T.graph_layout(nodes, g["E"][::-1], np.arange(len(nodes)), g["rows"], g["cols"], g["weights"], a=ab[0],
                       b=ab[1], n_epochs=2)
