"""A run's training dynamics: what its logits say about every sample at every epoch.

`Run.dynamics` (one `Dynamics` per opened run) holds, as (epochs, N) arrays, each sample's prediction,
confidence (max probability), probability of its label and margin (its label's logit minus the largest
other). Rows are computed when first read (`dynamics.predictions[k]` reads epoch k's logits only), so the
first frame of a long run does not wait for every epoch; a column (`[:, i]`, one sample's history) fills
the rest once. `trajectory_vectors(run)` gives each sample's probability path, for similarity search.
"""

import threading

import numpy as np

MAX_EPOCHS = 32   # evenly spaced epochs kept in a path; enough to tell early from late learning
MAX_DIM = 4096    # above this, each epoch is summarized by the given label's and the best other class's probability


def softmax(logits):
    z = np.asarray(logits, dtype=np.float32)
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


class Dynamics:
    """Per-sample arrays over all epochs of `run`: predictions, confidences, label_probabilities, margins."""

    def __init__(self, run):
        self._run = run
        e, n = len(run.epochs), run.n
        self.epochs = run.epochs
        self.index = {epoch: k for k, epoch in enumerate(run.epochs)}
        self._done = np.zeros(e, dtype=bool)
        self._lock = threading.Lock()
        pred = np.empty((e, n), dtype=np.int16 if run.n_classes < 2 ** 15 else np.int32)
        self.predictions = _Rows(self, pred)
        self.confidences = _Rows(self, np.empty((e, n), dtype=np.float32))
        self.label_probabilities = _Rows(self, np.empty((e, n), dtype=np.float32))
        self.margins = _Rows(self, np.empty((e, n), dtype=np.float32))

    def fill(self, ks):
        with self._lock:
            for k in ks:
                if not self._done[k]:
                    self._fill(k)

    def _fill(self, k):
        run = self._run
        labels = run.labels
        rows = np.arange(len(labels))
        logits = np.array(run.logits(self.epochs[k]), dtype=np.float32)  # memory-mapped: only the rows are kept
        prob = softmax(logits)
        self.predictions.array[k] = prob.argmax(axis=1)
        self.confidences.array[k] = prob.max(axis=1)
        self.label_probabilities.array[k] = prob[rows, labels]
        given = logits[rows, labels]
        logits[rows, labels] = -np.inf
        self.margins.array[k] = given - logits.max(axis=1)
        self._done[k] = True


class _Rows:
    """One of Dynamics' (epochs, n) arrays: an integer index fills that row, anything else all rows."""

    def __init__(self, dynamics, array):
        self.dynamics, self.array = dynamics, array

    @property
    def shape(self):
        return self.array.shape

    def __getitem__(self, key):
        whole = not isinstance(key, (int, np.integer))
        self.dynamics.fill(range(len(self.dynamics.epochs)) if whole else [int(key)])
        return self.array[key]

    def __array__(self, dtype=None, copy=None):  # whole-array use (np.asarray, comparisons): every row
        self.dynamics.fill(range(len(self.dynamics.epochs)))
        return self.array if dtype is None else self.array.astype(dtype)


def path_epochs(epochs, max_epochs=MAX_EPOCHS):
    """Up to max_epochs of `epochs`, evenly spaced, always keeping the first and the last."""
    epochs = list(epochs)
    if len(epochs) <= max_epochs:
        return epochs
    pick = np.unique(np.round(np.linspace(0, len(epochs) - 1, max_epochs)).astype(int))
    return [epochs[i] for i in pick]


def trajectory_vectors(run, epochs=None):
    """float32 (N, dim): each sample's class-probability path across (up to MAX_EPOCHS of) the epochs.

    Square-rooted probabilities make Euclidean distance the Hellinger distance between two samples'
    predictions, averaged over the chosen epochs, so "samples that learned like this one" is a plain
    L2 nearest-neighbour query."""
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
