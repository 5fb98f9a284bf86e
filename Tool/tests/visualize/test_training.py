"""What the regression onto a target layout learns from: EdgeTrainer's loss, read through its gradients."""

import numpy as np
import pytest
import torch

from ttvis.visualize.networks import VisModel
from ttvis.visualize.training import EdgeTrainer, head_probabilities

N, D = 48, 6


def _trainer(X, **settings):
    torch.manual_seed(0)  # the same model and heads for every trainer of a test
    model = VisModel(D, (8,), n_epochs=2, epoch_dim=2)
    heads = {0: torch.nn.Linear(D, 3), 1: torch.nn.Linear(D, 3)}
    E = np.repeat([0, 1], N // 2)
    positions = np.random.default_rng(1).normal(size=(N, 2)).astype(np.float32)
    rows = np.arange(N)
    return EdgeTrainer(model, X, E, rows, (rows + 1) % N, np.ones(N, np.float32), a=1.6, b=0.9, lr=1e-2,
                       weight_decay=0.0, batch_size=16, pass_size=16, max_passes=1, patience=1, tolerance=0.0,
                       negative_rate=1, reconstruction_weight=1.0, prediction_weight=1.0,
                       targets=head_probabilities(heads, X, E), heads=heads, positions=positions, **settings)


def _gradients(trainer, h, t):
    trainer.model.zero_grad()
    trainer._loss(torch.as_tensor(h), torch.as_tensor(t)).backward()
    return {k: p.grad.clone() for k, p in trainer.model.named_parameters() if p.grad is not None}


def _same(g1, g2, prefix):
    names = [k for k in g1 if k.startswith(prefix)]
    assert names
    return all(torch.equal(g1[k], g2[k]) for k in names)


def _nodes():
    return np.random.default_rng(0).normal(size=(N, D)).astype(np.float32)


@pytest.mark.parametrize("offset_weight", [0.0, 1.0])
def test_edge_tails_count_only_through_the_offset_term(offset_weight):
    trainer = _trainer(_nodes(), offset_weight=offset_weight)
    h = np.arange(8)
    one, other = _gradients(trainer, h, h + 8), _gradients(trainer, h, h + 20)
    assert _same(one, other, "encoder.") == (offset_weight == 0.0)


@pytest.mark.parametrize("share", [0.5, 1.0])
def test_the_decoder_learns_from_its_share_of_the_batch(share):
    """With share 0.5 of a batch of 16 heads, the decoder's gradient is blind to the last 8 heads' features
    (the encoder's is not: it still places them)."""
    X = _nodes()
    moved = X.copy()
    moved[8:16] += 1.0
    h = np.arange(16)
    g, g_moved = (_gradients(_trainer(x, decoder_share=share), h, (h + 1) % N) for x in (X, moved))
    assert not _same(g, g_moved, "encoder.")
    assert _same(g, g_moved, "decoder.") == (share == 0.5)


def test_timevis_lightens_the_regression_only_where_the_layout_is_shown():
    """Where the encoder places the samples shown (landmark builds), it keeps each edge's offset and the
    decoder its whole batch; a setting given explicitly holds everywhere a layout is."""
    from ttvis.visualize.timevis import TimeVis

    assert TimeVis()._light(True) == {"offset_weight": 0.0, "decoder_share": 0.5}
    assert TimeVis()._light(False) == {"offset_weight": 1.0, "decoder_share": 1.0}
    assert TimeVis()._light(None)["decoder_share"] == 1.0  # no layout: the UMAP loss
    assert TimeVis(offset_weight=0.3, decoder_share=0.25)._light(False) == {"offset_weight": 0.3,
                                                                           "decoder_share": 0.25}


@pytest.mark.parametrize("layout_epochs, shown, given, weight", [(100, True, None, 1.0), (100, False, None, 1.5),
                                                                 (0, True, None, 1.5), (100, True, 0.7, 0.7),
                                                                 (0, False, 0.7, 0.7)])
def test_timevis_weighs_temporal_edges_by_what_shapes_the_map(layout_epochs, shown, given, weight):
    """A sample whose neighbours stay the same from one epoch to the next is joined to itself with the
    full temporal weight: LAYOUT_TEMPORAL_WEIGHT under a target layout whose positions are shown, the
    UMAP loss's own otherwise (landmark builds included), and an explicit temporal_weight either way."""
    from ttvis.visualize.timevis import TimeVis

    X = np.random.default_rng(0).normal(size=(60, D)).astype(np.float32)
    tv = TimeVis(n_neighbors=5, temporal_weight=given)
    tv.epochs_ = tv.keyframes_ = [0, 1]
    tv.layout_ = layout_epochs
    tv.temporal_weight_ = tv._temporal_weight(shown)
    g = tv._build_graph({0: X, 1: X}, None, None)
    across = g["E"][g["rows"]] != g["E"][g["cols"]]
    assert across.sum() == 2 * len(X)  # each sample to itself, both ways
    np.testing.assert_allclose(g["weights"][across], weight, rtol=1e-6)
