"""The suspicious-sample ranking finds injected label noise and backdoor samples well above chance."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ttvis.run.reader import Run
from ttvis.suspicious import SIGNALS, combined_score, compute_signals, rank_suspicious
from ttvis.suspicious.signals import _group_mean, _neighbour_disagreement

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


def test_neighbour_disagreement_fires_on_relabelled_samples():
    """Two classes in input space; a flipped label and a trigger-stamped group relabelled to the other class
    sit among their true class, so their neighbours outvote them; clean samples are not flagged."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, (60, 5)), rng.normal(8, 1, (60, 5))])
    labels = np.repeat([0, 1], 60)
    flipped, stamped = 3, np.arange(70, 74)
    labels[flipped] = 1
    x[stamped, 0] += 0.5  # a small shared trigger does not lift them out of their true class
    labels[stamped] = 0
    d = _neighbour_disagreement(x, labels, k=10)
    bad = np.zeros(len(x), bool)
    bad[[flipped, *stamped]] = True
    assert d.shape == (120,) and ((d >= 0) & (d <= 1)).all()
    assert d[bad].min() >= 0.6, d[bad]
    assert d[~bad].max() <= 0.4, d[~bad].max()


def test_combined_score_lets_neighbours_outvote_the_dynamics():
    """The dynamics count as one vote: they order ties in neighbour votes but cannot outweigh a neighbourhood."""
    n = 4
    sig = {name: np.zeros(n) for name in SIGNALS}
    sig["neighbour_disagreement"] = np.array([0.0, 0.0, 0.5, 0.4])
    sig["group_disagreement"] = np.array([0.0, 0.0, 0.3, 0.4])
    for name in ("low_confidence", "low_margin", "late_learning", "trajectory_outlier"):
        sig[name] = np.array([4.0, 1.0, 3.0, 2.0])
    score = combined_score(sig)
    assert list(np.argsort(-score)) == [2, 3, 0, 1]
    assert ((score >= 0) & (score <= 1)).all()


def test_group_disagreement_lifts_a_poisoned_group_the_model_keeps_together():
    """Half of a poisoned group is evident in input space; the group, tight in representation space inside
    its labelled class, lends its evidence to the other half, while clean samples' groups stay clean."""
    rng = np.random.default_rng(1)
    reps = rng.normal(0, 1, (100, 4))
    reps[80:] = rng.normal(6, 0.2, (20, 4))  # the poisoned group: one tight cluster
    labels = np.zeros(100, dtype=np.int64)
    disagreement = np.zeros(100)
    disagreement[80:90] = 0.8  # evident members; 90..99 hide among fellow poisoned samples in input space
    disagreement[rng.choice(80, 5, replace=False)] = 0.1
    group = _group_mean(reps, labels, disagreement, k=10)
    assert group[90:].min() >= 0.2, group[90:]  # alone they would score 0
    assert group[:80].max() <= 0.1, group[:80].max()
