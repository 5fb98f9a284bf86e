"""`ttvis demo` end to end (real processes where it matters), and --help of every verb."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ttvis import cli
from ttvis.run import Run
from ttvis.run.check import check_run

TOOL = Path(__file__).resolve().parents[2]
SHARED_MNIST = TOOL.parent.parent / "shared" / "data" / "mnist10k.npz"
ENV = dict(os.environ, PYTHONPATH=str(TOOL), OMP_NUM_THREADS="2")


def ttvis(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "ttvis", *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=timeout)


def _lines(text):
    """Lines as a user sees them (tqdm redraws with carriage returns)."""
    return [line for line in text.replace("\r", "\n").splitlines() if line.strip()]


def test_demo_then_check(tmp_path):
    out = tmp_path / "digits"
    made = ttvis("demo", "--out", out, "--epochs", 2)
    assert made.returncode == 0, made.stderr
    assert f"run ready: {out}" in made.stdout
    checked = ttvis("check", out)
    assert checked.returncode == 0 and checked.stdout.strip().startswith(f"{out}: ok (") and "MB per epoch" in checked.stdout
    run = Run(out)
    assert run.epochs == [1, 2] and run.n == 1797 and run.dim == 64
    assert (len(run.train_idx), len(run.test_idx)) == (1438, 359)


def test_demo_ground_truth_matches_labels(tmp_path):
    out = tmp_path / "noisy"
    assert cli.main(["demo", "--out", str(out), "--epochs", "2", "--label-noise", "0.05", "--backdoor", "0.03",
                     "--backdoor-target", "3"]) == 0
    assert check_run(out) == []
    run = Run(out)
    gt = json.loads((out / "dataset/ground_truth.json").read_text())
    noise, backdoor = gt["label_noise"], gt["backdoor"]
    idx = np.asarray(noise["indices"])
    assert len(idx) == round(len(run.train_idx) * 0.05)
    np.testing.assert_array_equal(run.labels[idx], noise["noisy_labels"])
    assert (np.asarray(noise["original_labels"]) != np.asarray(noise["noisy_labels"])).all()
    assert (run.split[idx] == 0).all()
    bd = np.asarray(backdoor["indices"])
    assert len(bd) == round(len(run.train_idx) * 0.03) and backdoor["target"] == 3
    assert (run.labels[bd] == 3).all() and (np.asarray(backdoor["original_labels"]) != 3).all()
    assert not set(bd) & set(idx)
    side = backdoor["patch"][0]
    images = np.asarray(run.images())
    assert (images[bd, -side - 1:-1, -side - 1:-1] == 255).all()
    clean = np.setdiff1d(np.arange(run.n), bd)
    assert not (images[clean, -side - 1:-1, -side - 1:-1] == 255).all(axis=(1, 2)).all()
    # the untouched samples keep scikit-learn's labels
    from sklearn.datasets import load_digits

    truth = load_digits().target
    changed = np.flatnonzero(run.labels != truth)
    assert set(changed) <= set(idx) | set(bd)


def _listed_epochs(run):
    try:
        return json.loads((run / "run.json").read_text())["epochs"]
    except (OSError, ValueError, KeyError):
        return []


def test_demo_killed_then_rerun_completes(tmp_path):
    out = tmp_path / "killed"
    epochs = 6
    proc = subprocess.Popen([sys.executable, "-m", "ttvis", "demo", "--out", str(out), "--epochs", str(epochs)],
                            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while not _listed_epochs(out) and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    recorded = Run(out).epochs
    assert 1 <= len(recorded) < epochs  # killed mid-way
    assert check_run(out) == []  # what a kill leaves is a valid, shorter run
    assert cli.main(["demo", "--out", str(out), "--epochs", str(epochs)]) == 0
    assert Run(out).epochs == list(range(1, epochs + 1))
    assert check_run(out) == []


def test_demo_refuses_changed_settings(digits_run, tmp_path, capsys):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(digits_run, out)
    before = sorted(p.name for p in (out / "epochs").iterdir())
    assert cli.main(["demo", "--out", str(out), "--epochs", "9", "--seed", "4"]) == 1
    err = _lines(capsys.readouterr().err)
    assert len(err) == 1 and str(out) in err[0] and "other settings (epochs, seed)" in err[0]
    assert sorted(p.name for p in (out / "epochs").iterdir()) == before  # nothing lost


@pytest.mark.parametrize("content, problem", [
    (b"not a zip file", "unreadable npz"),
    ("npz_without_labels", "npz lacks array 'labels'"),
    ("npz_wrong_shapes", "expected images (N,H,W) and labels (N,)"),
], ids=["garbage", "missing_labels", "wrong_shapes"])
def test_demo_bad_data_file(tmp_path, capsys, content, problem):
    bad = tmp_path / "bad.npz"
    if content == "npz_without_labels":
        np.savez(bad, images=np.zeros((5, 8, 8), np.uint8))
    elif content == "npz_wrong_shapes":
        np.savez(bad, images=np.zeros((5, 64), np.uint8), labels=np.zeros(5, np.int64))
    else:
        bad.write_bytes(content)
    assert cli.main(["demo", "--data", str(bad), "--out", str(tmp_path / "out")]) == 1
    err = _lines(capsys.readouterr().err)
    assert len(err) == 1 and f"{bad}: " in err[0] and problem in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_MNIST.is_file(), reason="shared MNIST sample (../shared/data/mnist10k.npz) absent")
def test_demo_on_mnist(tmp_path):
    out = tmp_path / "mnist"
    assert cli.main(["demo", "--data", str(SHARED_MNIST), "--out", str(out), "--epochs", "2"]) == 0
    run = Run(out)
    assert run.n == 10000 and run.epochs == [1, 2] and run.images().shape == (10000, 28, 28)
    assert (len(run.train_idx), len(run.test_idx)) == (8000, 2000)
    assert check_run(out) == []
    # a real classifier after two epochs: well above chance (10%) on the test split
    accuracy = (run.predictions(2)[run.test_idx] == run.labels[run.test_idx]).mean()
    assert accuracy > 0.5


@pytest.mark.parametrize("verb", [None, *cli.VERBS])
def test_help(verb):
    proc = ttvis(*([verb] if verb else []), "--help", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "usage: ttvis" in proc.stdout and "Traceback" not in proc.stderr
    if verb:
        assert f"ttvis {verb}" in proc.stdout
