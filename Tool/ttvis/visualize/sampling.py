"""What a build samples when a run is large: landmark samples and keyframe epochs to train on, and the
fixed sample the quality metrics are computed on. Everything is seeded, so a build is reproducible.

The parametric projectors train on a graph whose size is fixed by a node budget, not by n x epochs
(TimeVis's complex reduction): a few keyframe epochs, where the representations change most, and in
each a landmark subset stratified by (label, prediction). Every sample of every epoch is still
encoded afterwards; non-keyframe epochs get an epoch embedding interpolated between their keyframes.
Every epoch's landmarks are a prefix of one seeded order (landmark_order), so they are nested.
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
    """array[idx] as float32, in the order of idx, read in sorted order (fast on memory-mapped files)."""
    idx = np.asarray(idx, dtype=np.int64)
    order = np.argsort(idx, kind="stable")
    out = np.empty((len(idx),) + array.shape[1:], np.float32)
    out[order] = array[idx[order]]
    return out


def landmark_order(labels, predictions, seed=0):
    """Positions (into labels) in the order landmarks are taken: every prefix is a subset stratified
    by (label, prediction), so a build takes one prefix per epoch and the smaller sets lie inside the
    larger ones (temporal edges join the same samples across epochs, which per-epoch draws would cut).

    A prefix of size s holds about max(share, s / (4 * strata)) of each stratum, so rare strata (wrong
    predictions, where boundaries are) are not lost. Seeded: the same order in every build."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    n = len(labels)
    strata = labels.astype(np.int64) * (int(predictions.max(initial=0)) + 1) + predictions
    _, inverse, counts = np.unique(strata, return_inverse=True, return_counts=True)
    u = np.random.default_rng(seed).random(n)
    by_stratum = np.lexsort((u, inverse))
    rank = np.empty(n)
    rank[by_stratum] = np.arange(n) - np.concatenate([[0], np.cumsum(counts)[:-1]])[inverse[by_stratum]]
    # sample i enters a prefix of fraction f when (rank + u) < f * count (its share) or < f * n / (4 strata)
    key = np.minimum((rank + u) / counts[inverse], (rank + u) * 4 * len(counts) / n)
    return np.argsort(key, kind="stable")


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
