"""Every projector fits, transforms, inverse-transforms, and saves/loads back to identical outputs."""

import numpy as np
import pytest

from ttvis.visualize.baselines import PCAPerEpoch, TSNEPerEpoch, UMAPPerEpoch, AlignedUMAPProjector
from ttvis.visualize.dvi import DVI
from ttvis.visualize.projector import Projector
from ttvis.visualize.timevis import TimeVis

FAST = {"hidden": [32, 32], "max_passes": 3, "samples_per_node": 2, "batch_size": 512, "min_steps_per_pass": 100}


@pytest.mark.parametrize("cls, params", [(TimeVis, FAST), (DVI, FAST), (PCAPerEpoch, {})])
def test_invertible_projector_round_trip(cls, params, small_epochs, tmp_path):
    X, heads, _ = small_epochs
    boundary = {e: x[:20] * 0.5 + x[20:40] * 0.5 for e, x in X.items()}
    proj = cls(seed=3, **params).fit(X, heads=heads, boundary=boundary)
    e = list(X)[-1]
    Z = proj.transform(X[e], epoch=e)
    assert Z.shape == (len(X[e]), 2) and Z.dtype == np.float32 and np.isfinite(Z).all()
    back = proj.inverse_transform(Z, epoch=e)
    assert back.shape == X[e].shape and np.isfinite(back).all()
    # each sample comes back nearer to itself than to the other samples: a decoder that ignored its input
    # (the mean, say) would come back as near to every sample alike
    own = np.sum((back - X[e]) ** 2, axis=1)
    others = ((back[:, None, :] - X[e][None, :, :]) ** 2).sum(2).mean(1)
    assert np.mean(own) < 0.5 * np.mean(others)
    assert np.mean(own < others) > 0.8

    proj.save(tmp_path / "p")
    again = Projector.load(tmp_path / "p")
    assert type(again) is cls and again.get_params() == proj.get_params()
    if cls is TimeVis:  # the layout's own units, where an extension's layout begins
        assert again.layout_scale_ == proj.layout_scale_ > 0
    for ep in X:
        np.testing.assert_array_equal(again.transform(X[ep], epoch=ep), proj.transform(X[ep], epoch=ep))
        np.testing.assert_array_equal(again.inverse_transform(Z, epoch=ep), proj.inverse_transform(Z, epoch=ep))
    with pytest.raises(ValueError, match="epoch"):
        proj.transform(X[e], epoch=10_000)


def test_timevis_training_is_deterministic(small_epochs):
    X, heads, _ = small_epochs
    a = TimeVis(seed=1, **FAST).fit(X, heads=heads)
    b = TimeVis(seed=1, **FAST).fit(X, heads=heads)
    e = list(X)[0]
    np.testing.assert_array_equal(a.transform(X[e], epoch=e), b.transform(X[e], epoch=e))


def test_a_projector_saved_with_retired_parameters_loads(small_epochs, tmp_path):
    """Builds saved before settling took a reach (settle_steps, settle_hold), before the layout drew
    negatives from an edge's own epoch (no local_negatives, refine_alpha None), and before its scale was
    kept (an extension then starts it boxed), still load."""
    import json

    X, heads, _ = small_epochs
    proj = TimeVis(seed=1, **FAST).fit(X, heads=heads)
    proj.save(tmp_path / "p")
    doc = json.loads((tmp_path / "p" / "params.json").read_text())
    params = dict(doc["params"])
    del params["settle_reach"], params["local_negatives"]
    doc["params"] = {**params, "settle_steps": 200, "settle_hold": 0.03, "refine_alpha": None}
    del doc["meta"]["layout_scale"]
    (tmp_path / "p" / "params.json").write_text(json.dumps(doc))
    again = Projector.load(tmp_path / "p")
    assert again.settle_reach == TimeVis.defaults["settle_reach"] and not hasattr(again, "settle_hold")
    assert again.layout_scale_ is None
    e = list(X)[0]
    np.testing.assert_array_equal(again.transform(X[e], epoch=e), proj.transform(X[e], epoch=e))
    doc["params"]["settle_width"] = 1  # what no version knew is still refused
    (tmp_path / "p" / "params.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="settle_width"):
        Projector.load(tmp_path / "p")


@pytest.mark.parametrize("cls", [TSNEPerEpoch, UMAPPerEpoch, AlignedUMAPProjector])
def test_embedding_baselines(cls, small_epochs, tmp_path):
    X, _, _ = small_epochs
    X = {e: x[:120] for e, x in list(X.items())[:2]}
    proj = cls(seed=0).fit(X)
    for e, x in X.items():
        assert proj.embeddings_[e].shape == (len(x), 2) and np.isfinite(proj.embeddings_[e]).all()
    assert not proj.has_inverse
    with pytest.raises(NotImplementedError):
        proj.inverse_transform(np.zeros((1, 2), np.float32), epoch=list(X)[0])
    proj.save(tmp_path / "p")
    again = Projector.load(tmp_path / "p")
    for e in X:
        np.testing.assert_array_equal(again.embeddings_[e], proj.embeddings_[e])


BAD = [
    (TimeVis, "n_neighbors", 1), (TimeVis, "min_dist", -0.5), (TimeVis, "hidden", []),
    (TimeVis, "negative_rate", 0), (TimeVis, "lr", 0.0), (TimeVis, "weight_decay", -1.0),
    (TimeVis, "batch_size", 4), (TimeVis, "samples_per_node", 0), (TimeVis, "max_passes", 0), (TimeVis, "min_steps_per_pass", 0),
    (TimeVis, "patience", 0), (TimeVis, "tolerance", 2.0), (TimeVis, "reconstruction_weight", -1.0),
    (TimeVis, "prediction_weight", float("nan")), (TimeVis, "seed", -1), (TimeVis, "device", "tpu"),
    (TimeVis, "epoch_dim", -1), (TimeVis, "temporal_weight", -1.0), (TimeVis, "subset", "yes"),
    (TimeVis, "settle_reach", -0.1), (DVI, "settle_reach", 2.0), (TimeVis, "local_negatives", 6),
    (TimeVis, "refine_alpha", 1.5), (TimeVis, "offset_weight", -1.0), (TimeVis, "decoder_share", 0.0),
    (TimeVis, "decoder_share", 1.5),
    (DVI, "temporal_penalty", -1.0), (DVI, "n_neighbors", "15"),
    (UMAPPerEpoch, "n_neighbors", 0), (UMAPPerEpoch, "min_dist", -1.0), (TSNEPerEpoch, "perplexity", 0.5),
    (AlignedUMAPProjector, "alignment_regularisation", -1.0), (PCAPerEpoch, "seed", 1.5),
]


@pytest.mark.parametrize("cls, name, value", BAD, ids=[f"{c.name}-{n}" for c, n, _ in BAD])
def test_bad_parameter_is_named(cls, name, value, small_epochs):
    X, _, _ = small_epochs
    with pytest.raises(ValueError, match=name):
        cls(**{name: value}).fit(X)


def test_unknown_parameter_is_named():
    with pytest.raises(ValueError, match="n_neighbours"):
        TimeVis(n_neighbours=15)


def test_bad_data_is_rejected():
    with pytest.raises(ValueError, match=r"X\[2\] has 4 dimensions"):
        PCAPerEpoch().fit({1: np.zeros((5, 3)), 2: np.zeros((5, 4))})


def test_timevis_warm_up_compiles_the_layout_ahead_of_time():
    """What a followed run's first new epoch would otherwise wait for: the layout's numba step."""
    from ttvis.visualize import target_layout

    TimeVis.warm_up()
    assert target_layout._sgd.signatures  # compiled in this process
    assert Projector.warm_up() is None and PCAPerEpoch.warm_up() is None  # nothing to do for the others
