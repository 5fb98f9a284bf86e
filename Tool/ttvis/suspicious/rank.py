"""Combine the signals into one ranking: neighbours vote, the training dynamics add one vote.

The k nearest training samples in input space each vote "suspicious" when labelled otherwise
(neighbour_disagreement), and so, on average, do those of the sample's group in the learned
representation (group_disagreement): 2k votes in all. The dynamics (the mean rank percentile of the
COMBINED signals, in [0, 1]) count as one more, fractional, voter: they order samples with equal votes
and never outweigh a neighbour that votes. The neighbourhoods see what dynamics miss (a backdoor learned
at once sits among its true class in input space); the dynamics split the many ties of a vote count by
how the model struggled with each label. Ranks make the dynamic signals comparable without weights.
"""

import numpy as np
from scipy.stats import rankdata

from ttvis.suspicious.signals import COMBINED, NEIGHBOURS, compute_signals


def dynamics_score(signals, use=COMBINED):
    """Mean rank percentile of the dynamic signals in `use` (ties share their mean rank)."""
    n = len(next(iter(signals.values())))
    return np.mean([rankdata(signals[name]) / n for name in use], axis=0)


def combined_score(signals, use=COMBINED, k=NEIGHBOURS):
    """(k * neighbour disagreement + k * group disagreement + dynamics score) / (2k + 1), in [0, 1]."""
    votes = k * (signals["neighbour_disagreement"] + signals["group_disagreement"])
    return (votes + dynamics_score(signals, use)) / (2 * k + 1)


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
