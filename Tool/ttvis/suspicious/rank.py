"""Combine the signals into one ranking: neighbours vote, the training dynamics add one vote; marks re-order it.

Three accounts of a suspicious sample, each worth up to 2k votes, and the strongest counts:
- a poisoned group: the k nearest training samples in input space (without inputs: in the
  representations, averaged over epochs) each vote when labelled otherwise (neighbour_disagreement), and
  so, on average, do those of the sample's group in the learned representation (group_disagreement);
- a wrong label: the neighbours and a classifier that never saw the sample (out_of_sample_disagreement)
  both say another class, 2k * neighbours^3 * out-of-sample^2: the powers keep it silent unless both
  are close to unanimous, so that the hard-but-clean samples it also flags do not crowd out a backdoor,
  which it cannot see (powers chosen on Tool/bench/bench_suspicious.py);
- an emerged cluster: a class's small, well-separated spectral side (spectral_group), worth one vote more
  than the others, so its members come first: it is how a backdoor that is learned at once shows.
The dynamics (the mean rank percentile of the COMBINED signals, in [0, 1]) count as one more, fractional,
voter: they order samples with equal votes and never outweigh a neighbour that votes. Ranks make the
dynamic signals comparable without weights.

Marks close the loop: samples a person confirmed (wrong label, poisoned) come first, those marked fine
last, and every other sample moves up by the share of its k nearest same-labelled samples in trajectory
space (how it was learned) that were confirmed, and down by the share marked fine: a flipped label
learns like other flips from the same class, a poisoned sample like its fellows.
"""

import numpy as np
from scipy.stats import rankdata
from sklearn.neighbors import NearestNeighbors

from ttvis.suspicious.signals import COMBINED, NEIGHBOURS, analyse_signals

CONFIRMED = ("wrong_label", "poisoned")
RESEMBLANCE = 0.5  # weight of the marked trajectory neighbours; 1.0 lowered one bench run's precision, 0.5 none


def dynamics_score(signals, use=COMBINED):
    """Mean rank percentile of the dynamic signals in `use` (ties share their mean rank)."""
    n = len(next(iter(signals.values())))
    return np.mean([rankdata(signals[name]) / n for name in use], axis=0)


def _terms(signals, use=COMBINED, k=NEIGHBOURS):
    """The score's parts: neighbour, group, wrong-label, spectral votes and dynamics (each already weighted)."""
    nd, oos = signals["neighbour_disagreement"], signals["out_of_sample_disagreement"]
    return {"neighbours": k * nd, "group": k * signals["group_disagreement"], "wrong_label": 2 * k * nd ** 3 * oos ** 2,
            "spectral": (2 * k + 1) * signals["spectral_group"], "dynamics": dynamics_score(signals, use)}


def combined_score(signals, use=COMBINED, k=NEIGHBOURS):
    """(max(neighbour + group votes, wrong-label votes, spectral votes) + dynamics score) / (2k + 2), in [0, 1]."""
    t = _terms(signals, use, k)
    return (np.maximum.reduce([t["neighbours"] + t["group"], t["wrong_label"], t["spectral"]])
            + t["dynamics"]) / (2 * k + 2)


def analyse(run, indices=None):
    """Everything the ranking needs that does not depend on marks (the expensive part; cache it)."""
    if indices is None:
        indices = run.train_idx if len(run.train_idx) else np.arange(run.n)
    indices = np.asarray(indices, dtype=np.int64)
    signals, details = analyse_signals(run, indices)
    return {"run": run, "indices": indices, "labels": run.labels[indices], "signals": signals,
            "details": details, "terms": _terms(signals), "score": combined_score(signals)}


def ranking(analysis, marks=None, top=None):
    """{"signals": [names], "samples": [{"index","rank","score","reasons","signals":{...}[,"mark"]}]} best first.

    `marks` ({index: {"mark": ..., "label": ...}}) re-order it; `top` limits the list (None: all)."""
    indices, score = analysis["indices"], analysis["score"].copy()
    marks = {i: m for i, m in (marks or {}).items()}
    pos = {int(i): j for j, i in enumerate(indices)}
    marked = {pos[i]: m for i, m in marks.items() if i in pos}
    resemblance = np.zeros(len(indices))
    group = np.ones(len(indices))  # 2: confirmed, 1: unmarked, 0: fine
    if marked:
        resemblance = _resemblance(analysis, marked)
        for j, m in marked.items():
            group[j] = 2 if m["mark"] in CONFIRMED else 0
        score = np.where(group == 1, score + RESEMBLANCE * resemblance, score)
    order = np.lexsort((-score, -group))
    if top is not None:
        order = order[:top]
    names = list(analysis["signals"])
    out = []
    for r, j in enumerate(order):
        item = {"index": int(indices[j]), "rank": r + 1, "score": round(float(score[j]), 6),
                "reasons": _reasons(analysis, j, marked.get(j), resemblance[j]),
                "signals": {k: round(float(analysis["signals"][k][j]), 6) for k in names}}
        if j in marked:
            item["mark"] = marked[j]
        out.append(item)
    return {"signals": names, "samples": out}


def rank_suspicious(run, indices=None, top=None, marks=None):
    """The ranking of `run`'s training samples (see `ranking`)."""
    return ranking(analyse(run, indices), marks, top)


def _resemblance(analysis, marked, k=NEIGHBOURS):
    """Per sample: (confirmed - fine) share of its k nearest same-labelled samples in trajectory space."""
    if "trajectory_neighbours" not in analysis:
        from ttvis.run.dynamics import trajectory_vectors

        vectors = trajectory_vectors(analysis["run"])[analysis["indices"]]
        labels = analysis["labels"]
        nbrs = np.full((len(labels), k), -1, dtype=np.int64)  # -1: a class with fewer than k others
        for c in np.unique(labels):
            m = np.flatnonzero(labels == c)
            _, idx = NearestNeighbors(n_neighbors=min(k + 1, len(m))).fit(vectors[m]).kneighbors(vectors[m])
            nbrs[m, :idx.shape[1] - 1] = m[idx[:, 1:]]
        analysis["trajectory_neighbours"] = nbrs
    nbrs = analysis["trajectory_neighbours"]
    weight = np.zeros(len(analysis["indices"]) + 1)  # the last slot stands for "no neighbour" (-1)
    for j, m in marked.items():
        weight[j] = 1.0 if m["mark"] in CONFIRMED else -1.0
    return weight[nbrs].sum(axis=1) / nbrs.shape[1]


def _reasons(analysis, j, mark, resemblance):
    """One or two short sentences saying why sample j ranks where it does, strongest first."""
    run, sig, det, t = analysis["run"], analysis["signals"], analysis["details"], analysis["terms"]
    name = lambda c: run.classes[int(c)]  # noqa: E731
    if mark is not None:
        said = {"wrong_label": f"marked: label is wrong -> {name(mark.get('label', 0))}",
                "poisoned": "marked: poisoned", "fine": "marked: fine"}
        return [said[mark["mark"]]]
    out = []
    if resemblance > 0:
        out.append((3 * NEIGHBOURS, f"learns like {round(resemblance * NEIGHBOURS)} of its {NEIGHBOURS} "
                                    "nearest same-labelled samples, which were confirmed"))
    votes = round(sig["neighbour_disagreement"][j] * NEIGHBOURS)
    if votes >= 3:
        where = "" if det["vote_space"] == "input" else " in the representations (mean over epochs)"
        out.append((t["neighbours"][j], f"{votes} of {NEIGHBOURS} neighbours{where} say "
                                        f"{name(det['neighbour_label'][j])}"))
    oos = sig["out_of_sample_disagreement"][j]
    if oos >= 0.5 and det["oos_label"][j] != analysis["labels"][j]:
        out.append((t["wrong_label"][j], f"a classifier that never saw it says {name(det['oos_label'][j])} "
                                         f"({det['oos_probability'][j]:.2f}; its label {1 - oos:.2f})"))
    size = int(det["group_size"][j])
    if size and t["spectral"][j] > 0:
        out.append((t["spectral"][j], f"groups with {size - 1} others labelled {name(analysis['labels'][j])}, "
                                      "apart from the rest of the class"))
    if sig["group_disagreement"][j] >= 0.3:
        out.append((t["group"][j], f"its look-alikes labelled {name(analysis['labels'][j])} are outvoted too "
                                   f"({sig['group_disagreement'][j] * NEIGHBOURS:.0f} of {NEIGHBOURS} on average)"))
    learned = det["learned_epoch"][j]
    dyn = ("never predicted as its label for good" if learned is None
           else f"learned only at epoch {learned}" if sig["late_learning"][j] > 0
           else f"mean probability of its label {1 - sig['low_confidence'][j]:.2f}")
    out.append((t["dynamics"][j], dyn))
    out.sort(key=lambda x: -x[0])
    return [text for _, text in out[:2]]
