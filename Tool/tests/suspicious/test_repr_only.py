"""Without inputs or images, the ranking still finds injected faults far above chance, and says why."""

import numpy as np

from ttvis.run.reader import Run
from ttvis.suspicious import compute_signals, rank_suspicious
from ttvis.suspicious.signals import _spectral_groups


def test_representation_only_ranking_beats_chance_widely(repr_only_run):
    run = Run(repr_only_run)
    assert run.inputs() is None and run.images() is None
    gt = run.ground_truth()
    bad = set().union(*(set(v["indices"]) for v in gt.values()))
    ranked = [s["index"] for s in rank_suspicious(run)["samples"]]
    k = len(bad)
    chance = k / len(run.train_idx)
    precision = len(bad & set(ranked[:k])) / k
    assert precision >= 8 * chance, (precision, chance)  # chance is 0.08 here: at least 0.64
    noise = set(gt["label_noise"]["indices"])
    assert len(noise & set(ranked[:k])) / len(noise) >= 0.8


def test_representation_votes_stand_in_for_input_votes(repr_only_run):
    sig = compute_signals(Run(repr_only_run))
    assert np.array_equal(sig["neighbour_disagreement"], sig["representation_disagreement"])
    assert ((sig["spectral_group"] >= 0) & (sig["spectral_group"] <= 1)).all()


def test_each_ranked_sample_says_why(repr_only_run):
    run = Run(repr_only_run)
    samples = rank_suspicious(run, top=10)["samples"]
    for s in samples:
        assert 1 <= len(s["reasons"]) <= 2 and all(isinstance(r, str) and r for r in s["reasons"])
    top = samples[0]
    votes = round(top["signals"]["neighbour_disagreement"] * 10)
    assert any(r.startswith(f"{votes} of 10 neighbours in the representations") for r in top["reasons"]), top
    said = [r for s in samples for r in s["reasons"] if r.startswith("a classifier that never saw it says ")]
    assert len(said) >= 5, samples  # the top is mostly flipped labels, which the held-out classifier disowns


def test_spectral_groups_flag_a_cluster_that_emerged_in_training_only():
    """A tight cluster of 15 set far apart by the last epoch is flagged; the same cluster already apart in the
    first epoch (a style the class always had) is not, nor is anything in a plain class."""
    rng = np.random.default_rng(0)
    first = rng.normal(0, 1, (200, 8))
    labels = np.repeat([0, 1], 100)
    last = first.copy()
    last[85:100] = rng.normal(0, 0.3, (15, 8)) + 12 * np.eye(8)[0]
    score, size = _spectral_groups(first, last, labels)
    assert (score[85:100] == 1).all() and (size[85:100] == 15).all()
    assert (score[:85] == 0).all() and (score[100:] == 0).all()
    score, _ = _spectral_groups(last, last, labels)
    assert (score == 0).all()
