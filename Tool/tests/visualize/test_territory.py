"""Territories: PNG size, fixed class colours, lightness from the margin, shared extent."""

import json

import numpy as np
from PIL import Image

from ttvis.palette import class_colors
from ttvis.visualize import territory
from ttvis.visualize.build import build_visualization


def test_colour_mixes_class_colour_with_white():
    colors = class_colors(12)
    classes = np.array([[0, 11], [5, 5]])
    margin = np.array([[1.0, 1.0], [0.0, 0.5]])
    rgb = territory.colour(classes, margin, 12)
    strong = territory.STRONGEST
    np.testing.assert_allclose(rgb[0, 0], 255 - strong * (255 - colors[0].astype(float)), atol=0.51)
    np.testing.assert_allclose(rgb[0, 1], 255 - strong * (255 - colors[11].astype(float)), atol=0.51)
    assert (rgb[1, 0] >= rgb[1, 1]).all() and (rgb[1, 0] > rgb[1, 1]).any()  # margin 0 is lighter
    assert rgb[1, 0].min() >= 255 - territory.WEAKEST * 255 - 1


def test_grid_rows_run_from_top():
    pts = territory.grid_points({"x_min": 0, "x_max": 4, "y_min": 0, "y_max": 2}, width=4, height=2)
    np.testing.assert_allclose(pts[:4], [[0.5, 1.5], [1.5, 1.5], [2.5, 1.5], [3.5, 1.5]])
    np.testing.assert_allclose(pts[4:, 1], 0.5)


def test_built_territory_png(run_copy):
    store = build_visualization(run_copy, "pca", grid=48, epochs="5-6")
    extent = json.loads((store.dir / "extent.json").read_text())
    for e in (5, 6):
        pos = np.load(store.epoch_dir(e) / "positions.npy")
        assert pos[:, 0].min() > extent["x_min"] and pos[:, 1].max() < extent["y_max"]
        img = np.asarray(Image.open(store.territory_png(e)).convert("RGB"))
        assert img.shape == (48, 48, 3)
        classes, margin = store.read_territory_grid(e)
        assert classes.shape == (48, 48) and margin.shape == (48, 48)
        want = territory.colour(np.asarray(classes), np.asarray(margin, np.float32), 10)
        assert np.abs(img.astype(int) - want.astype(int)).max() <= 1
        assert len(np.unique(classes)) >= 2


def test_one_epoch_territory_is_quick_enough_to_cache(small_epochs):
    """256 x 256 grid through a fitted PCA: shape and a sane class count (timing is in the benchmark)."""
    from ttvis.visualize.baselines import PCAPerEpoch

    X, heads, run = small_epochs
    proj = PCAPerEpoch().fit(X)
    e = list(X)[-1]
    ext = territory.shared_extent([proj.transform(X[e], epoch=e)])
    rgb, classes, margin = territory.paint(lambda Z: proj.decode_tensor(Z, e), heads[e], ext, run.n_classes)
    assert rgb.shape == (256, 256, 3) and rgb.dtype == np.uint8
    assert ((margin >= 0) & (margin <= 1)).all()
