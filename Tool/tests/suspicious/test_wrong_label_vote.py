"""The wrong-label vote: out-of-sample probabilities find flipped labels, and vote only with the neighbours."""

import warnings

import numpy as np

from ttvis.suspicious import SIGNALS, combined_score
from ttvis.suspicious.signals import _out_of_sample_probs


def test_out_of_sample_probabilities_disown_flipped_labels():
    """Three separable classes, 6 labels flipped: a classifier fitted without each sample gives a flipped
    sample's given label little probability and prefers its true class; clean samples keep theirs."""
    rng = np.random.default_rng(0)
    true = np.repeat([0, 1, 2], 60)
    x = rng.normal(0, 1, (180, 5)) + 6 * np.eye(5)[true]
    labels = true.copy()
    flipped = rng.choice(180, 6, replace=False)
    labels[flipped] = (true[flipped] + 1) % 3
    probs = _out_of_sample_probs(x, labels, 4)  # a fourth class nobody carries gets probability 0
    assert probs.shape == (180, 4) and np.allclose(probs.sum(axis=1), 1) and (probs[:, 3] == 0).all()
    own = probs[np.arange(180), labels]
    clean = np.setdiff1d(np.arange(180), flipped)
    assert own[flipped].max() < 0.2, own[flipped]
    assert (probs[flipped].argmax(axis=1) == true[flipped]).all()
    assert np.median(own[clean]) > 0.9 and own[clean].min() > own[flipped].max()


def test_out_of_sample_probabilities_without_evidence_keep_the_labels():
    labels = np.zeros(20, dtype=np.int64)
    probs = _out_of_sample_probs(np.random.default_rng(0).normal(size=(20, 3)), labels, 2)
    assert (probs[:, 0] == 1).all() and (probs[:, 1] == 0).all()


def test_a_class_smaller_than_the_folds_warns_nobody():
    """A class of one sample is missing from a training fold: its sample gets probability 0 for it, quietly."""
    labels = np.array([0] * 20 + [1] * 20 + [2])
    x = np.random.default_rng(0).normal(size=(41, 3)) + 3 * labels[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probs = _out_of_sample_probs(x, labels, 3)
    assert np.allclose(probs.sum(axis=1), 1) and probs[40, 2] == 0


def test_wrong_label_vote_needs_both_the_neighbours_and_the_held_out_classifier():
    """0: neighbours and classifier unanimous (a flipped label); 1: a poisoned group's member (neighbours
    and group outvote it, the classifier learned the trigger); 2: a hard clean sample that both half-doubt;
    3: the classifier alone doubts it; 4: a spectral-group member with nothing else against it; 5: clean.
    Sample 2's doubts (0.8 and 0.8) would outvote sample 1's group if they were simply multiplied."""
    sig = {name: np.zeros(6) for name in SIGNALS}
    sig["neighbour_disagreement"] = np.array([1.0, 0.6, 0.8, 0.1, 0.0, 0.0])
    sig["group_disagreement"] = np.array([0.1, 0.5, 0.1, 0.0, 0.0, 0.0])
    sig["out_of_sample_disagreement"] = np.array([1.0, 0.1, 0.8, 1.0, 0.0, 0.0])
    sig["spectral_group"] = np.array([0, 0, 0, 0, 1.0, 0])
    score = combined_score(sig)
    assert list(np.argsort(-score, kind="stable")) == [4, 0, 1, 2, 3, 5]
    assert ((score >= 0) & (score <= 1)).all()
