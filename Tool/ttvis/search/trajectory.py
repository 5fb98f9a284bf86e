"""One vector per sample describing how it was learned: its class-probability path across epochs.

Square-rooted probabilities make Euclidean distance the Hellinger distance between two samples'
predictions, averaged over the chosen epochs, so "samples that learned like this one" is a plain
L2 nearest-neighbour query.
"""

import numpy as np

MAX_EPOCHS = 32   # evenly spaced epochs kept in the path; enough to tell early from late learning
MAX_DIM = 4096    # above this, each epoch is summarized by the given label's and the best other class's probability


def path_epochs(epochs, max_epochs=MAX_EPOCHS):
    """Up to max_epochs of `epochs`, evenly spaced, always keeping the first and the last."""
    epochs = list(epochs)
    if len(epochs) <= max_epochs:
        return epochs
    pick = np.unique(np.round(np.linspace(0, len(epochs) - 1, max_epochs)).astype(int))
    return [epochs[i] for i in pick]


def trajectory_vectors(run, epochs=None):
    """float32 (N, dim) trajectory vectors of all samples of `run`."""
    epochs = path_epochs(run.epochs if epochs is None else epochs)
    labels = run.labels
    rows = np.arange(run.n)
    full = run.n_classes * len(epochs) <= MAX_DIM
    parts = []
    for e in epochs:
        p = run.probabilities(e)
        if full:
            parts.append(np.sqrt(p))
        else:
            given = p[rows, labels]
            p[rows, labels] = -1.0
            parts.append(np.sqrt(np.stack([given, p.max(axis=1).clip(0, None)], axis=1)))
    vec = np.concatenate(parts, axis=1) / np.sqrt(len(epochs))
    return np.ascontiguousarray(vec, dtype=np.float32)
