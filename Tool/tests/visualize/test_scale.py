"""Large-run behaviour at small sizes: build memory independent of the number of epochs, float16 and
every-k runs, keyframe epochs and interpolated ones, incremental builds that keep earlier epochs."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ttvis.run.check import check_run
from ttvis.run.reader import Run
from ttvis.run.recorder import Recorder
from ttvis.visualize.build import build_visualization

TOOL = Path(__file__).resolve().parents[2]
FLOOR_PPR, FLOOR_TRUST, DRIFT_BOUND = 0.9, 0.85, 0.02  # the full build's floors (test_build) and the stated drift


def _synthetic(path, n, dim, epochs, dtype="float16"):
    """Classes that separate over epochs, written with the Recorder: enough structure to build on."""
    import torch

    rng = np.random.default_rng(0)
    labels = np.arange(n) % 5
    centers = rng.standard_normal((5, dim)).astype(np.float32) * 2
    rec = Recorder(path, labels=labels, split=(np.arange(n) % 6 == 0).astype(np.uint8),
                   classes=[str(c) for c in range(5)], dtype=dtype)
    head = torch.nn.Linear(dim, 5)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(centers) / dim)
        head.bias.zero_()
    for e in range(1, epochs + 1):
        reps = centers[labels] * (e / epochs) + np.random.default_rng(e).standard_normal((n, dim), np.float32)
        with torch.no_grad():
            logits = head(torch.from_numpy(reps)).numpy()
        rec.record(None, e, representations=reps, logits=logits, head=head)
    return path


PEAK = """
import json, resource, sys
from ttvis.visualize.build import build_visualization
build_visualization(sys.argv[1], "timevis", grid=16, keyframes=4, landmarks=400, max_passes=2, min_steps_per_pass=5)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_build_memory_does_not_grow_with_epochs(tmp_path):
    """Peak resident memory of a whole build (metrics included) at 40 epochs vs 10, same samples.

    Each epoch is 8 MB of float32 once loaded, so a build holding every epoch would add about 240 MB
    at 40 epochs (over 1.3x a ~450 MB process); memory is not slowed by a loaded machine."""
    peaks = {}
    for epochs in (10, 40):
        run = _synthetic(tmp_path / f"r{epochs}", 4000, 512, epochs)
        env = {**os.environ, "PYTHONPATH": str(TOOL)}
        out = subprocess.run([sys.executable, "-c", PEAK, str(run)], env=env, capture_output=True, text=True,
                             timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
        peaks[epochs] = int(out.stdout.split()[-1])
        shutil.rmtree(run / "epochs")  # 80-320 MB of disk
    assert peaks[40] <= 1.3 * peaks[10], peaks


def test_float16_every_k_runs_read_check_and_build(tmp_path):
    import torch

    n, dim = 300, 32
    rec = Recorder(tmp_path / "run", labels=np.arange(n) % 3, split=(np.arange(n) % 5 == 0).astype(np.uint8),
                   classes=["a", "b", "c"], dtype="float16", every=2)
    head = torch.nn.Linear(dim, 3)
    rng = np.random.default_rng(0)
    kept = []
    for e in range(1, 7):
        reps = (rng.standard_normal((n, dim)) + np.arange(n)[:, None] % 3).astype(np.float32)
        with torch.no_grad():
            kept.append(rec.record(None, e, representations=reps, logits=head(torch.from_numpy(reps)).numpy(),
                                   head=head))
    assert kept == [False, True, False, True, False, True]
    run = Run(tmp_path / "run")
    assert run.epochs == [2, 4, 6]
    assert run.representations(4).dtype == np.float16 and run.logits(4).dtype == np.float32
    assert check_run(run.path) == []
    out = subprocess.run([sys.executable, "-m", "ttvis", "check", str(run.path)], cwd=TOOL, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(TOOL)}, timeout=120)
    assert out.returncode == 0 and "MB per epoch" in out.stdout, out.stdout + out.stderr
    store = build_visualization(run.path, "timevis", grid=16, max_passes=2, min_steps_per_pass=5, evaluate=False)
    assert store.epochs() == [2, 4, 6]
    assert np.isfinite(store.read_positions(6)).all()
    with pytest.raises(ValueError, match="float16"):
        rec.record(None, 8, representations=np.full((n, dim), 1e6, np.float32), logits=np.zeros((n, 3)), head=head)


@pytest.fixture(scope="module")
def partial_build(digits_run, tmp_path_factory):
    """TimeVis built on the digits run's first 4 epochs with 2 keyframes, then the run 'gains' its last 2
    epochs. Returns (run path, metrics and positions as first built)."""
    path = tmp_path_factory.mktemp("grow") / "digits"
    shutil.copytree(digits_run, path)
    meta = json.loads((path / "run.json").read_text())
    everything = meta["epochs"]
    meta["epochs"] = everything[:4]
    (path / "run.json").write_text(json.dumps(meta))
    store = build_visualization(path, "timevis", keyframes=2)
    before = {"params": store.read_params(), "metrics": store.read_metrics(),
              "positions": {e: np.array(store.read_positions(e)) for e in store.epochs()},
              "territories": {e: (store.epoch_dir(e) / "territory.png").read_bytes() for e in store.epochs()}}
    meta["epochs"] = everything
    (path / "run.json").write_text(json.dumps(meta))
    return path, before


def test_non_keyframe_epochs_decode_within_the_ppr_floor(partial_build):
    """Epochs between keyframes (interpolated embeddings) keep the floor as shown, and the model's own
    positions, before settling, keep the classifier's predictions as well as at keyframes."""
    import torch

    from ttvis.run.reader import Run
    from ttvis.visualize.outputs import load_projector

    path, before = partial_build
    keys = before["params"]["sampled"]["keyframes"]
    epochs = before["params"]["epochs"]
    assert len(keys) == 2 and len(epochs) == 4
    ppr = {e: before["metrics"]["epochs"][str(e)]["train"]["ppr"] for e in epochs}
    assert min(ppr.values()) >= FLOOR_PPR, ppr
    run, projector = Run(path), load_projector(path, "timevis")
    own = {}
    for e in epochs:
        Z = projector.transform(np.asarray(run.representations(e), np.float32)[run.train_idx], epoch=e)
        with torch.no_grad():
            decoded = run.head(e)(projector.decode_tensor(torch.from_numpy(Z), e)).argmax(1).numpy()
        own[e] = float((decoded == run.predictions(e)[run.train_idx]).mean())
    assert min(own[e] for e in epochs if e not in keys) >= min(own[e] for e in keys), (keys, own)


def test_incremental_build_keeps_earlier_epochs(partial_build):
    path, before = partial_build
    store = build_visualization(path, "timevis", keyframes=2)  # what `ttvis train` does when epochs were added
    params = store.read_params()
    new = params["extensions"][-1]["epochs"]
    assert store.epochs() == sorted(list(before["positions"]) + new) and len(new) == 2
    assert not params["extensions"][-1]["repainted"], params["extensions"]  # new epochs stayed inside the extent
    for e, Y in before["positions"].items():
        np.testing.assert_array_equal(store.read_positions(e), Y)
        assert (store.epoch_dir(e) / "territory.png").read_bytes() == before["territories"][e]
    assert 0 <= params["extensions"][-1]["drift"] <= DRIFT_BOUND
    metrics = store.read_metrics()
    for e in new:
        assert metrics["epochs"][str(e)]["train"]["ppr"] >= FLOOR_PPR
        assert metrics["epochs"][str(e)]["train"]["trustworthiness"] >= FLOOR_TRUST
    assert metrics["summary"]["last_epoch"] == new[-1]



def test_landmarks_are_nested_across_epochs(digits_run):
    """Forced sampling (2 of 6 epochs as keyframes, 500 of 1438 landmarks): every epoch trains on a
    prefix of one order, so row i is the same sample in every epoch that has it and the light epochs'
    samples lie inside the keyframes' (the temporal edges TimeVis draws between rows join one sample)."""
    from ttvis.visualize.build import _plan
    from ttvis.visualize.timevis import TimeVis

    run = Run(digits_run)
    plan = _plan(run, "timevis", run.epochs, TimeVis(keyframes=2, landmarks=500), seed=0)
    marks, keys = plan["landmarks"], plan["keyframes"]
    assert len(keys) == 2 and sorted(marks) == run.epochs
    longest = max(marks.values(), key=len)
    assert len(longest) == 500 and len(set(longest.tolist())) == 500
    for e, m in marks.items():
        np.testing.assert_array_equal(m, longest[:len(m)])
        assert (len(m) == 500) == (e in keys)
        assert set(run.labels[run.train_idx[m]]) == set(range(run.n_classes)), e  # stratified by label


def test_keyframes_are_joined_for_samples_the_epochs_between_lack():
    """Temporal edges: consecutive epochs share their common rows; consecutive keyframes also share
    the rows the light epochs between them do not have (else those samples would float freely)."""
    from ttvis.visualize.timevis import TimeVis

    rng = np.random.default_rng(0)
    X = {1: rng.standard_normal((60, 8)), 2: rng.standard_normal((20, 8)), 3: rng.standard_normal((60, 8))}
    tv = TimeVis(n_neighbors=5)
    tv.epochs_, tv.keyframes_ = [1, 2, 3], [1, 3]
    tv.layout_ = 0
    tv.temporal_weight_ = tv._temporal_weight(False)  # a landmark build's
    g = tv._build_graph({e: x.astype(np.float32) for e, x in X.items()}, None, None)
    src = g["node_src"]  # (epoch index, row, is boundary) per node
    a, b = src[g["rows"]], src[g["cols"]]
    temporal = a[:, 0] != b[:, 0]
    assert (a[temporal, 1] == b[temporal, 1]).all()  # always the same row: the same sample
    pairs = {(int(i), int(j), int(r)) for i, j, r in zip(a[temporal, 0], b[temporal, 0], a[temporal, 1])}
    assert {(0, 1, r) for r in range(20)} <= pairs and {(1, 2, r) for r in range(20)} <= pairs
    assert {(0, 2, r) for r in range(20, 60)} <= pairs and not any((0, 2, r) in pairs for r in range(20))


def test_an_extended_layout_build_shows_new_samples_where_its_layout_placed_them(digits_run, tmp_path):
    """An incremental build of a build with a target layout lays the new epochs out too and shows their
    training samples there, leaving the earlier epochs as they were."""
    from ttvis.visualize.outputs import load_projector

    path = tmp_path / "digits"
    shutil.copytree(digits_run, path)
    meta = json.loads((path / "run.json").read_text())
    everything = meta["epochs"]
    meta["epochs"] = everything[:3]
    (path / "run.json").write_text(json.dumps(meta))
    quick = {"grid": 16, "evaluate": False, "max_passes": 2, "layout_epochs": 20, "settle_reach": 0}  # as placed
    store = build_visualization(path, "timevis", **quick)
    before = {e: np.array(store.read_positions(e)) for e in store.epochs()}
    meta["epochs"] = everything
    (path / "run.json").write_text(json.dumps(meta))
    store = build_visualization(path, "timevis", **quick)
    assert "extensions" in store.read_params()
    projector, run = load_projector(path, "timevis"), Run(path)
    for e in everything:
        ids, where = projector.placed(e)
        np.testing.assert_array_equal(np.sort(ids), run.train_idx)
        Y = store.read_positions(e)
        if e in before:
            np.testing.assert_array_equal(Y, before[e])
        else:
            np.testing.assert_array_equal(Y[ids], where)
