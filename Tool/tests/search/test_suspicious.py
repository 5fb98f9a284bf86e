"""The suspicious-sample ranking finds injected label noise and backdoor samples well above chance."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ttvis.run.reader import Run
from ttvis.suspicious import SIGNALS, compute_signals, rank_suspicious

TOOL = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def injected(run):
    gt = run.ground_truth()
    return {k: set(v["indices"]) for k, v in gt.items()}


def test_injected_samples_rank_far_above_chance(noisy_run):
    run = Run(noisy_run)
    bad = set().union(*injected(run).values())
    ranking = rank_suspicious(run)
    ranked = [s["index"] for s in ranking["samples"]]
    assert sorted(ranked) == run.train_idx.tolist()  # every training sample once
    k = len(bad)
    base = k / len(run.train_idx)
    precision = len(bad & set(ranked[:k])) / k
    assert precision >= 3 * base, (precision, base)
    for kind, idx in injected(run).items():  # each kind on its own too
        found = len(idx & set(ranked[:k])) / len(idx)
        assert found >= 2 * base, (kind, found, base)


def test_signals_are_oriented_and_consistent(noisy_run):
    run = Run(noisy_run)
    sig = compute_signals(run)
    assert set(sig) == set(SIGNALS)
    n = len(run.train_idx)
    for name, values in sig.items():
        assert values.shape == (n,) and np.isfinite(values).all(), name
    assert (sig["late_learning"] >= 0).all() and (sig["late_learning"] <= 1).all()
    assert (sig["low_confidence"] >= 0).all() and (sig["low_confidence"] <= 1).all()
    # flipped labels are, on average, less confidently predicted than the rest
    noisy = np.isin(run.train_idx, list(injected(run)["label_noise"]))
    assert sig["low_confidence"][noisy].mean() > sig["low_confidence"][~noisy].mean()
    assert sig["low_margin"][noisy].mean() > sig["low_margin"][~noisy].mean()


def test_cli_lists_top_k_and_writes_json(noisy_run, tmp_path):
    out = tmp_path / "s.json"
    env = {**os.environ, "PYTHONPATH": TOOL}
    res = subprocess.run([sys.executable, "-m", "ttvis", "suspicious", str(noisy_run), "--top", "7", "--json", str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    assert [s["rank"] for s in data["samples"]] == list(range(1, 8))
    assert data["signals"] == list(SIGNALS)
    assert "recorded in the run's ground truth" in res.stdout
    bad = subprocess.run([sys.executable, "-m", "ttvis", "suspicious", str(noisy_run), "--top", "0"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "--top" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("path", ["missing-run"])
def test_cli_on_a_missing_run_is_one_line(tmp_path, path):
    env = {**os.environ, "PYTHONPATH": TOOL}
    res = subprocess.run([sys.executable, "-m", "ttvis", "suspicious", str(tmp_path / path)],
                         capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1
