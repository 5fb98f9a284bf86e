"""Run.dynamics: every sample's prediction, confidence, label probability and margin at every epoch,
equal to what the logits say, computed once per opened run."""

import numpy as np

from ttvis.run.reader import Run


def test_dynamics_match_the_logits(digits_run):
    run = Run(digits_run)
    d = run.dynamics
    assert run.dynamics is d
    rows = np.arange(run.n)
    k = len(run.epochs) // 2
    logits = np.asarray(run.logits(run.epochs[k]), dtype=np.float64)
    prob = np.exp(logits - logits.max(1, keepdims=True))
    prob /= prob.sum(1, keepdims=True)
    np.testing.assert_array_equal(d.predictions[k], logits.argmax(1))
    np.testing.assert_allclose(d.confidences[k], prob.max(1), rtol=1e-5)
    np.testing.assert_allclose(d.label_probabilities[k], prob[rows, run.labels], rtol=1e-4, atol=1e-7)
    other = logits.copy()
    other[rows, run.labels] = -np.inf
    np.testing.assert_allclose(d.margins[k], logits[rows, run.labels] - other.max(1), rtol=1e-5, atol=1e-5)
    assert d.predictions.shape == (len(run.epochs), run.n)
    column = d.label_probabilities[:, 5]  # one sample's history fills every epoch
    assert len(column) == len(run.epochs) and d.index[run.epochs[-1]] == len(run.epochs) - 1
    np.testing.assert_array_equal(np.asarray(d.predictions)[-1], run.predictions(run.epochs[-1]))
