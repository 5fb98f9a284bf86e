"""Combine the signals into one ranking: the mean of each signal's rank percentile.

Ranks make signals with different units comparable without weights to tune; ties share their mean rank.
"""

import numpy as np
from scipy.stats import rankdata

from ttvis.suspicious.signals import COMBINED, compute_signals


def combined_score(signals, use=COMBINED):
    n = len(next(iter(signals.values())))
    return np.mean([rankdata(signals[name]) / n for name in use], axis=0)


def rank_suspicious(run, indices=None, top=None):
    """{"signals": [names], "samples": [{"index","rank","score","signals":{...}}]} best first.

    `top` limits the list (None: all ranked samples)."""
    if indices is None:
        indices = run.train_idx if len(run.train_idx) else np.arange(run.n)
    indices = np.asarray(indices, dtype=np.int64)
    signals = compute_signals(run, indices)
    score = combined_score(signals)
    order = np.argsort(-score, kind="stable")
    if top is not None:
        order = order[:top]
    names = list(signals)
    return {"signals": names,
            "samples": [{"index": int(indices[j]), "rank": r + 1, "score": round(float(score[j]), 6),
                         "signals": {k: round(float(signals[k][j]), 6) for k in names}}
                        for r, j in enumerate(order)]}
