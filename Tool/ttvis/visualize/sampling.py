"""What a build samples when a run is large: landmark samples and keyframe epochs to train on, and the
fixed sample the quality metrics are computed on. Everything is seeded, so a build is reproducible.

The parametric projectors train on a graph whose size is fixed by a node budget, not by n x epochs
(TimeVis's complex reduction): a few keyframe epochs, where the representations change most, and in
each a landmark subset stratified by (label, prediction). Every sample of every epoch is still
encoded afterwards; non-keyframe epochs get an epoch embedding interpolated between their keyframes.
"""

from collections.abc import Mapping

import numpy as np

METRIC_SAMPLE = 5000   # samples per split the quality metrics look at
STATS_SAMPLE = 4096    # training samples each epoch's standardisation (mean, scale) is estimated from


def seeded_subset(idx, size, seed=0):
    """A sorted seeded random subset of `idx` of at most `size` (all of idx when it is smaller)."""
    idx = np.asarray(idx, dtype=np.int64)
    if len(idx) <= size:
        return idx
    return np.sort(np.random.default_rng(seed).choice(idx, size, replace=False))


def rows(array, idx):
    """array[idx] as float32, read in sorted order (fast on memory-mapped files)."""
    return np.asarray(array[np.asarray(idx, dtype=np.int64)], dtype=np.float32)


def landmarks(labels, predictions, size, seed=0):
    """Positions (into labels) of a subset of `size`, stratified by (label, prediction).

    Each stratum gets its share, but at least min(stratum, size / (4 * strata)) so that rare strata
    (misclassified samples, where boundaries are) are not lost. Within a stratum the samples with the
    smallest fixed random priority are taken, so epochs whose predictions barely change pick nearly the
    same landmarks (temporal edges need the same samples in consecutive keyframes)."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    n = len(labels)
    if n <= size:
        return np.arange(n)
    priority = np.random.default_rng(seed).random(n)
    strata = labels.astype(np.int64) * (int(predictions.max()) + 1) + predictions
    keys, inverse, counts = np.unique(strata, return_inverse=True, return_counts=True)
    share = np.minimum(counts, size // (4 * len(keys)))  # the floor every stratum keeps
    rest = counts - share
    if rest.sum():
        share += np.floor(rest * ((size - share.sum()) / rest.sum())).astype(np.int64)
    order = np.lexsort((priority, inverse))  # by stratum, then priority
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pick = np.concatenate([order[s:s + k] for s, k in zip(start, share)])
    return np.sort(pick)


def keyframes(change, k):
    """Indices of k keyframes among T epochs, where `change[t]` (t >= 1) is how much the representations
    moved from epoch t-1 to t: equal steps of cumulative change, always the first and the last epoch."""
    T = len(change) + 1
    if k >= T:
        return list(range(T))
    cum = np.concatenate([[0.0], np.cumsum(np.maximum(change, 0))])
    if cum[-1] <= 0:
        targets = np.linspace(0, T - 1, k)
        return sorted({int(round(t)) for t in targets})
    picked = {0, T - 1}
    for q in np.linspace(0, cum[-1], k)[1:-1]:
        picked.add(int(np.searchsorted(cum, q)))
    rest = [t for t in range(T) if t not in picked]
    while len(picked) < k and rest:  # equal cumulative steps fell on the same epoch: fill the widest gaps
        ordered = sorted(picked)
        gaps = np.diff(ordered)
        g = int(np.argmax(gaps))
        mid = (ordered[g] + ordered[g + 1]) // 2
        if mid in picked:
            break
        picked.add(mid)
    return sorted(picked)


def epoch_change(run, epochs, sample):
    """Per epoch: (mean, scale) of its standardisation and the change from the previous epoch, the
    mean distance of `sample`'s standardised representations. Streams epochs: one in memory at a time."""
    stats, change, prev = [], [], None
    for e in epochs:
        x = rows(run.representations(e), sample)
        mean = x.mean(0)
        scale = float(np.sqrt(((x - mean) ** 2).mean())) or 1.0
        z = (x - mean) / scale
        if prev is not None:
            change.append(float(np.linalg.norm(z - prev, axis=1).mean()))
        stats.append((mean.astype(np.float32), scale))
        prev = z
    return stats, np.asarray(change)


class Lazy(Mapping):
    """{epoch: array} whose values are loaded when asked for and not kept: what lets a fit or an
    evaluation stream epochs from memory-mapped files instead of holding them all."""

    def __init__(self, keys, load):
        self._keys, self._load = list(keys), load

    def __getitem__(self, key):
        if key not in self._keys:
            raise KeyError(key)
        return self._load(key)

    def __iter__(self):
        return iter(self._keys)

    def __len__(self):
        return len(self._keys)
