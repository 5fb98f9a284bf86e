"""build_visualization and the train/evaluate commands: outputs, errors, resume after kill -9, quality floors."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import pytest

from ttvis.errors import RunError
from ttvis.visualize.build import METHODS, build_visualization, parse_epochs

TOOL = Path(__file__).resolve().parents[2]


def cli(*args, **kw):
    env = {**os.environ, "PYTHONPATH": str(TOOL)}
    return subprocess.Popen([sys.executable, "-m", "ttvis", *map(str, args)], cwd=TOOL, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_methods_are_the_registry_cheapest_first(tmp_path):
    from ttvis.visualize.projector import PROJECTORS

    assert METHODS == tuple(sorted(PROJECTORS, key=lambda m: PROJECTORS[m].cost))
    assert METHODS[0] == "pca" and METHODS[-1] == "timevis" and len(METHODS) == 6
    with pytest.raises(ValueError, match="one of pca, umap, tsne, aligned-umap, dvi, timevis; got 'nope'"):
        build_visualization(tmp_path, "nope")


def test_train_help_names_every_method_and_the_page_ranks_them_all():
    """train's --help lists the methods without importing the engine, so a test keeps it the registry's;
    the page opens the best built method by the engine's own ranks."""
    from ttvis.commands import train
    from ttvis.visualize.projector import PROJECTORS

    listed = " ".join(train.__doc__.split("methods (", 1)[1].split(":", 1)[1].split())
    assert sorted(part.split()[0].rstrip(".") for part in listed.split(", ")) == sorted(PROJECTORS)
    page = (TOOL / "ttvis" / "web" / "session.js").read_text().split("PREFERRED_METHODS = [", 1)[1].split("]")[0]
    assert [m.strip(" '") for m in page.split(",")] == sorted(PROJECTORS, key=lambda m: PROJECTORS[m].preference)


def test_parse_epochs():
    assert parse_epochs("1,3-4", [1, 2, 3, 4, 5]) == [1, 3, 4]
    assert parse_epochs(None, [2, 4]) == [2, 4]
    with pytest.raises(ValueError, match="epochs"):
        parse_epochs("7", [1, 2])
    with pytest.raises(ValueError, match="epochs"):
        parse_epochs("a-b", [1, 2])


def test_bad_build_arguments(run_copy):
    with pytest.raises(ValueError, match="method"):
        build_visualization(run_copy, "isomap")
    with pytest.raises(ValueError, match="grid"):
        build_visualization(run_copy, "pca", grid=3)
    with pytest.raises(ValueError, match="max_passes"):
        build_visualization(run_copy, "timevis", max_passes=0)


def test_missing_head_is_one_line_error(run_copy):
    meta = json.loads((run_copy / "run.json").read_text())
    meta["head"], meta["model"] = None, None
    (run_copy / "run.json").write_text(json.dumps(meta))
    with pytest.raises(RunError, match="head"):
        build_visualization(run_copy, "timevis")
    p = cli("train", run_copy, "--method", "dvi")
    out, err = p.communicate(timeout=120)
    assert p.returncode == 1 and len(err.strip().splitlines()) == 1 and "head" in err
    assert not (run_copy / "visualize" / "dvi" / "params.json").exists()


def test_other_settings_need_force(run_copy):
    build_visualization(run_copy, "pca", epochs="5-6", grid=16, evaluate=False)
    with pytest.raises(RunError, match="--force"):
        build_visualization(run_copy, "pca", epochs="4-6", grid=16, evaluate=False)
    store = build_visualization(run_copy, "pca", epochs="4-6", grid=16, evaluate=False, force=True)
    assert store.epochs() == [4, 5, 6]


def test_train_and_evaluate_commands(run_copy):
    p = cli("train", run_copy, "--method", "pca", "--epochs", "5,6", "--grid", "32")
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert "NN@15" in out and "visualization ready" in out
    build_visualization(run_copy, "umap", epochs="5,6")  # in-process: shares umap-learn's compiled code
    p = cli("evaluate", run_copy)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert "pca" in out and "umap" in out and "PPR" in out
    doc = json.loads((run_copy / "visualize" / "evaluation.json").read_text())
    assert doc["methods"]["pca"]["ppr_train"] is not None and doc["methods"]["umap"]["ppr_train"] is None
    assert not (run_copy / "visualize" / "umap" / "epochs" / "epoch_5" / "territory.png").exists()


def _train_args(run):
    return ("train", run, "--method", "timevis", "--epochs", "4-6", "--grid", "32", "--no-metrics",
            "--param", "max_passes=6", "--param", "tolerance=0", "--param", "samples_per_node=3",
            "--param", "min_steps_per_pass=4")


def _umap_nn15(run_path, epoch):
    """NN@15 of umap-learn (seeded) on the training samples of one epoch: the bar for layout quality."""
    import umap

    from ttvis.run.reader import Run
    from ttvis.visualize.metrics import nn_preservation

    run = Run(run_path)
    X = np.asarray(run.representations(epoch), np.float32)[run.train_idx]
    Y = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=0).fit_transform(X)
    return nn_preservation(X, Y)["15"]["count"]


def test_resume_after_kill_equals_uninterrupted(digits_run, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(digits_run, a)
    shutil.copytree(digits_run, b)
    p = cli(*_train_args(a))
    assert p.wait(timeout=300) == 0, p.stderr.read()

    p = cli(*_train_args(b))
    checkpoint = b / "visualize" / "timevis" / "model" / "train" / "trainer.pt"
    deadline = time.time() + 240
    while not checkpoint.exists() and p.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert not (b / "visualize" / "timevis" / "params.json").exists(), "the build ended before it was killed"
    p = cli(*_train_args(b))
    assert p.wait(timeout=300) == 0, p.stderr.read()
    for e in (4, 5, 6):
        pa = np.load(a / "visualize" / "timevis" / "epochs" / f"epoch_{e}" / "positions.npy")
        pb = np.load(b / "visualize" / "timevis" / "epochs" / f"epoch_{e}" / "positions.npy")
        np.testing.assert_array_equal(pa, pb)
        ta = (a / "visualize" / "timevis" / "epochs" / f"epoch_{e}" / "territory.png").read_bytes()
        assert ta == (b / "visualize" / "timevis" / "epochs" / f"epoch_{e}" / "territory.png").read_bytes()
    scale = [json.loads((r / "visualize" / "timevis" / "model" / "projector" / "params.json").read_text())["meta"]
             ["layout_scale"] for r in (a, b)]
    assert scale[0] == scale[1] > 0  # the layout's units, read back with the layout it resumed from


def test_timevis_quality_floors(timevis_store, digits_run):
    summary = timevis_store.read_metrics()["summary"]
    assert summary["ppr_train"] >= 0.9
    assert summary["trust_train"] >= 0.85
    assert summary["nn15_train"] >= 0.8 * _umap_nn15(digits_run, timevis_store.epochs()[-1])
    params = timevis_store.read_params()
    assert params["has_territory"] and params["boundary_space"] == "representation"
    last = timevis_store.epochs()[-1]
    assert (timevis_store.epoch_dir(last) / "territory.png").is_file()


def _placed_positions(projector, run, e):
    """Where a build places the samples of epoch e before settling: the layout's positions for the
    training samples it placed, the encoder's for the others."""
    Y = projector.transform(np.asarray(run.representations(e), np.float32), epoch=e)
    ids, where = projector.placed(e)
    Y[ids] = where
    return Y


def test_trained_samples_are_shown_where_the_layout_placed_them(timevis_store):
    """With a target layout, the training samples it placed are shown there and the encoder places the
    others (test samples), then both settle; the saved projector keeps the placed positions, and the
    encoder follows them."""
    from ttvis.run.reader import Run
    from ttvis.visualize.outputs import load_projector

    run, projector = Run(timevis_store.run_path), load_projector(timevis_store.run_path, "timevis")
    for e in timevis_store.epochs():
        ids, where = projector.placed(e)
        np.testing.assert_array_equal(np.sort(ids), run.train_idx)
        placed = _placed_positions(projector, run, e)
        settled = projector.settle(placed, e, run.head(e), run.predictions(e))
        np.testing.assert_allclose(timevis_store.read_positions(e), settled, atol=1e-5)
        encoded = projector.transform(np.asarray(run.representations(e), np.float32)[ids], epoch=e)
        spread = np.linalg.norm(where - where.mean(0), axis=1).mean()
        assert np.median(np.linalg.norm(encoded - where, axis=1)) < 0.1 * spread


def test_settled_samples_decode_as_the_classifier_predicts(timevis_store):
    """Settling moves only samples the decoder mispredicts where they were placed, most of them into
    their class's territory, by a small part of the map."""
    from ttvis.run.reader import Run
    from ttvis.visualize.outputs import load_projector

    run, projector = Run(timevis_store.run_path), load_projector(timevis_store.run_path, "timevis")
    e = timevis_store.epochs()[-1]
    head, predicted = run.head(e), run.predictions(e)

    def decoded(Y):
        with torch.no_grad():
            return head(projector.decode_tensor(torch.from_numpy(np.asarray(Y, np.float32)), e)).argmax(1).numpy()

    placed, shown = _placed_positions(projector, run, e), np.asarray(timevis_store.read_positions(e))
    wrong = decoded(placed) != predicted
    moved = np.abs(shown - placed).max(1) > 1e-6
    assert moved.sum() > 0 and not (moved & ~wrong).any()
    now_right = decoded(shown) == predicted
    assert now_right[~wrong].all()
    assert now_right[moved].mean() > 0.5, (moved.sum(), now_right[moved].sum())
    diagonal = np.linalg.norm(placed.max(0) - placed.min(0))
    assert np.median(np.linalg.norm(shown[moved] - placed[moved], axis=1)) < 0.05 * diagonal


@pytest.mark.parametrize("why", ["show_layout is off", "the decoder disagrees with the layout",
                                 "the layout holds part of the training split"])
def test_the_encoder_places_every_sample_when_the_layout_is_not_shown(why, digits_run, tmp_path, monkeypatch):
    from ttvis.run.reader import Run
    from ttvis.visualize import timevis
    from ttvis.visualize.outputs import load_projector

    params = {"show_layout is off": {"show_layout": False},
              "the layout holds part of the training split": {"keyframes": 2, "landmarks": 400}}.get(why, {})
    if why == "the decoder disagrees with the layout":
        monkeypatch.setattr(timevis, "SHOWN_PPR_LOSS", -1.0)  # the layout would have to decode better than all
    dst = tmp_path / "digits"
    shutil.copytree(digits_run, dst)
    store = build_visualization(dst, "timevis", epochs=[5, 6], evaluate=False, grid=16, max_passes=2, settle_reach=0,
                                **params)
    run, projector = Run(dst), load_projector(dst, "timevis")
    assert projector.layout_ and projector.placed(6) is None  # laid out, not shown
    check = projector.graph_size_["layout_check"]
    assert (check is None) == (why != "the decoder disagrees with the layout")
    X = np.asarray(run.representations(6), np.float32)
    np.testing.assert_allclose(store.read_positions(6), projector.transform(X, epoch=6), atol=1e-5)


def test_a_saved_projector_loads_in_a_fresh_process(timevis_store):
    """Loading a built method needs no earlier import of the build code (the registry fills itself):
    `ttvis evaluate` and the server load projectors in processes that never built one."""
    code = ("import sys; from ttvis.visualize.outputs import load_projector; "
            "p = load_projector(sys.argv[1], 'timevis'); print(type(p).__name__, len(p.epochs_))")
    out = subprocess.run([sys.executable, "-c", code, str(timevis_store.run_path)], capture_output=True,
                         text=True, cwd=TOOL, env={**os.environ, "PYTHONPATH": str(TOOL)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["TimeVis", str(len(timevis_store.epochs()))]
