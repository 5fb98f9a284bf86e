"""Training-dynamics signals per sample, oriented so that larger means more suspicious.

Mislabelled samples keep a low probability for their given label and a negative margin (Data Maps,
Swayamdipta et al. 2020; area under the margin, Pleiss et al. 2020); backdoored ones are first predicted
as their true class and only later pulled to the target, so they are learned late and their probability
path strays from that of their labelled class. Forgetting events and variability mark hard or ambiguous
samples rather than wrong labels: they are reported but do not enter the combined score. So is the
representation outlier (spectral signature, Tran et al. 2018), which catches a backdoor that is learned
at once (no dynamics to see) but misleads on small runs; sort by it alone to hunt such poisoning.

Dynamics are blind to a backdoor the model learns in its first epoch, so one signal looks at the data
instead: how many of a sample's nearest training samples in input space carry another label (k-NN label
disagreement, as in Bahri et al. 2020, but before the model has shaped the space). A relabelled sample
sits among its true class whether its label was flipped or stamped with a small trigger. A trigger also
pulls its samples towards each other, so some of their input neighbours are fellow poisoned samples that
carry the same label; the model, though, represents them as one group inside their labelled class (what
activation clustering, Chen et al. 2018, looks for). Averaging the disagreement over that group, the
sample's nearest same-labelled samples in the last epoch's representation space, lets the evident
members vouch for the rest, while a clean sample's group stays clean.

Without inputs (text, tabular or natural images whose pixels say little), the votes come from the
representations: the k nearest training samples at each epoch vote, and the votes are averaged over
training. Early epochs place a relabelled sample among its true class; later ones still do for most
flipped labels, and the mean is steadier than any one epoch. A backdoor the model learns at once leaves
its samples no neighbours to betray them; they do, however, form their own cluster inside the target
class (activation clustering, Chen et al. 2018). Splitting each class in two along its top principal
direction (spectral signatures, Tran et al. 2018) finds that cluster when its side is small, set far
apart from the rest, and further apart than in the first epoch (spectral_group): styles a class always
had split too, but from the start.

Neighbours in the representations also outvote clean samples in crowded regions, and a flipped label is
not alone in being hard. What sets it apart is that a classifier which never saw it still says another
class: out-of-sample probabilities, the input confident learning (Northcutt et al. 2021) asks for, from a
logistic regression on the last epoch's representations fitted with each sample held out
(out_of_sample_disagreement). A trigger, though, is as easy to learn from the other poisoned samples, so
this signal is blind to backdoors, and the ranking lets it vote only where the neighbours agree with it.
"""

import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from ttvis.run.dynamics import path_epochs, trajectory_vectors

SIGNALS = {
    "low_confidence": "1 - mean probability of the given label over epochs",
    "variability": "standard deviation of the probability of the given label over epochs",
    "low_margin": "minus the area under the margin: mean of (given-label logit - largest other logit)",
    "forgetting": "number of epochs at which a correct prediction turned wrong",
    "late_learning": "fraction of epochs before the sample is predicted as its label for good (1 = never)",
    "trajectory_outlier": "distance of the probability path from its labelled class's median path, "
                          "relative to that class's median distance",
    "neighbour_disagreement": "fraction of the sample's 10 nearest training samples in input space (the run's "
                              "inputs, else images) labelled otherwise; without either, representation_disagreement",
    "representation_disagreement": "fraction of the sample's 10 nearest training samples (cosine) in the "
                                   "representations labelled otherwise, averaged over up to 8 evenly spaced epochs",
    "out_of_sample_disagreement": "1 - probability of the given label from a logistic regression on the last "
                                  "epoch's representations that never saw the sample (5-fold cross-validation)",
    "group_disagreement": "mean neighbour_disagreement of the sample and its 10 nearest same-labelled training "
                          "samples in the last epoch's representation space",
    "representation_outlier": "squared projection of the last epoch's representation on its labelled class's "
                              "top principal direction, relative to the class median (spectral signature)",
    "spectral_group": "1 for the members of a cluster that emerged in training inside their labelled class: the "
                      "smaller side (10-35%) of the class's best split along its top principal direction, 4.5 "
                      "pooled standard deviations apart in the last epoch and 1.5 more than in the first; else 0",
}
COMBINED = ("low_confidence", "low_margin", "late_learning", "trajectory_outlier")
NEIGHBOURS = 10  # k of the input-space and group neighbourhoods (votes in the combined score)
SPLIT_SHARE = (0.1, 0.35)  # a poisoned cluster's share of its class (activation clustering's bound above)
SPLIT_SEPARATION = 4.5  # in pooled standard deviations; clean classes' best splits measured 2.5-4.5
SPLIT_GROWTH = 1.5  # since the first epoch; a learned trigger's cluster grew by 2 or more (measured)
PCA_DIM = 50  # inputs (and representations) wider than this are searched in their top principal components
VOTE_EPOCHS = 8  # evenly spaced epochs whose representations vote (first and last included)
OOS_FOLDS = 5  # cross-validation folds of the out-of-sample probabilities (cleanlab's default)


def compute_signals(run, indices=None, progress=None):
    """{name: float64 (len(indices),)} for the samples `indices` (default: the training samples)."""
    return analyse_signals(run, indices, progress)[0]


def analyse_signals(run, indices=None, progress=None):
    """(signals, details): the signals, and per sample what the reasons quote.

    details: "neighbour_label" (the label most of its voting neighbours carry, given label excluded),
    "vote_space" ("input" or "representation"), "learned_epoch" (first epoch from which it was
    predicted as its label for good, or None), "group_size" (its spectral_group side's size, else 0),
    "oos_label" and "oos_probability" (the class the held-out classifier prefers, and its probability)."""
    if indices is None:
        indices = run.train_idx if len(run.train_idx) else np.arange(run.n)
    indices = np.asarray(indices, dtype=np.int64)
    labels = run.labels[indices]
    n, epochs = len(indices), run.epochs
    rows = np.arange(n)
    vote_epochs = path_epochs(epochs, VOTE_EPOCHS)
    dynamics = run.dynamics
    p_label = np.asarray(dynamics.label_probabilities, dtype=np.float64)[:, indices]
    margin = np.asarray(dynamics.margins, dtype=np.float64)[:, indices]
    correct = margin > 0
    rep_votes = np.zeros((n, run.n_classes))
    for k, e in enumerate(vote_epochs):
        reps = _reduce(normalize(np.asarray(run.representations(e)[indices], dtype=np.float32)))
        rep_votes += _neighbour_votes(reps, labels, run.n_classes)
        if progress:
            progress(k + 1, len(vote_epochs))
    rep_votes /= len(vote_epochs)
    # correct from epoch k to the end; the first such k is when the sample was learned for good
    learned = np.flip(np.logical_and.accumulate(np.flip(correct, 0), axis=0), 0)
    first = np.where(learned.any(axis=0), learned.argmax(axis=0), len(epochs))
    rep_disagreement = 1.0 - rep_votes[rows, labels]
    x = _input_space(run, indices)
    votes = rep_votes if x is None else _neighbour_votes(x, labels, run.n_classes)
    out = {
        "low_confidence": 1.0 - p_label.mean(axis=0),
        "variability": p_label.std(axis=0),
        "low_margin": -margin.mean(axis=0),
        "forgetting": (correct[:-1] & ~correct[1:]).sum(axis=0).astype(np.float64),
        "late_learning": first / len(epochs),
        "trajectory_outlier": _class_outliers(trajectory_vectors(run)[indices], labels),
        "neighbour_disagreement": 1.0 - votes[rows, labels],
        "representation_disagreement": rep_disagreement,
    }
    reps = np.asarray(run.representations(epochs[-1])[indices], dtype=np.float32)
    oos = _out_of_sample_probs(reps, labels, run.n_classes)
    out["out_of_sample_disagreement"] = 1.0 - oos[rows, labels]
    out["group_disagreement"] = _group_mean(reps, labels, out["neighbour_disagreement"])
    out["representation_outlier"] = _spectral(reps, labels)
    reps0 = np.asarray(run.representations(epochs[0])[indices], dtype=np.float32)
    out["spectral_group"], group_size = _spectral_groups(reps0, reps, labels)
    votes[rows, labels] = -1.0
    details = {"neighbour_label": votes.argmax(axis=1), "vote_space": "representation" if x is None else "input",
               "learned_epoch": [epochs[f] if f < len(epochs) else None for f in first],
               "group_size": group_size, "oos_label": oos.argmax(axis=1), "oos_probability": oos.max(axis=1)}
    return {name: out[name] for name in SIGNALS}, details


def _out_of_sample_probs(reps, labels, n_classes, folds=OOS_FOLDS):
    """(n, n_classes) class probabilities of each sample from a logistic regression fitted without it.

    A run with a single class, or too few samples to hold any out, gets its given labels back (no evidence).
    One BLAS thread: the problem is small, and on a busy machine more threads made it 60 times slower."""
    present, counts = np.unique(labels, return_counts=True)
    probs = np.zeros((len(labels), n_classes))
    if len(present) < 2 or counts.max() < folds:
        probs[np.arange(len(labels)), labels] = 1.0
        return probs
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)  # the probabilities are good long before
        # a class with fewer samples than folds: missing from some folds, where it gets probability 0
        warnings.filterwarnings("ignore", "The least populated class")
        warnings.filterwarnings("ignore", "Number of classes in training fold")
        probs[:, present] = cross_val_predict(model, reps, labels, cv=cv, method="predict_proba")
    return probs


def _input_space(run, indices):
    """The samples as flat float32 vectors in the space the model starts from; None without inputs or images."""
    for source in (run.inputs, run.images):
        x = source()
        if x is not None:
            break
    else:
        return None
    return _reduce(np.asarray(x[indices], dtype=np.float32).reshape(len(indices), -1))


def _reduce(x):
    """x in its top PCA_DIM principal components when wider (fast neighbour search, denoised)."""
    if x.shape[1] > PCA_DIM and len(x) > PCA_DIM:
        x = PCA(PCA_DIM, svd_solver="randomized", random_state=0).fit_transform(x)
    return x


def _neighbour_votes(x, labels, n_classes, k=NEIGHBOURS):
    """(n, n_classes): share of each sample's k nearest others (Euclidean) carrying each label."""
    k = min(k, len(x) - 1)
    votes = np.zeros((len(x), n_classes))
    if k < 1:
        votes[np.arange(len(x)), labels] = 1.0
        return votes
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
    others = idx[:, 1:]  # the first neighbour is the sample itself (or an exact duplicate of it)
    np.add.at(votes, (np.repeat(np.arange(len(x)), k), labels[others].ravel()), 1.0 / k)
    return votes


def _neighbour_disagreement(x, labels, k=NEIGHBOURS):
    """Share of each sample's k nearest others (Euclidean) whose label differs from its own."""
    votes = _neighbour_votes(x, labels, int(labels.max()) + 1, k)
    return 1.0 - votes[np.arange(len(x)), labels]


def _group_mean(reps, labels, values, k=NEIGHBOURS):
    """Mean of `values` over each sample and its k nearest samples of the same label in `reps`."""
    out = np.zeros(len(labels))
    for c in np.unique(labels):
        m = np.flatnonzero(labels == c)
        _, idx = NearestNeighbors(n_neighbors=min(k + 1, len(m))).fit(reps[m]).kneighbors(reps[m])
        out[m] = values[m][idx].mean(axis=1)
    return out


def _spectral(reps, labels):
    out = np.zeros(len(labels))
    for c in np.unique(labels):
        m = labels == c
        x = np.asarray(reps[m], dtype=np.float64)
        x -= x.mean(axis=0)
        if len(x) < 2:
            continue
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        score = (x @ vt[0]) ** 2
        out[m] = score / max(float(np.median(score)), 1e-12)
    return out


def _spectral_groups(first, last, labels):
    """(score, size): 1 and the side's size for the members of a class's emerged cluster, else 0.

    Each class is split in two along its top principal direction where the within-side variance is
    least. The smaller side counts when it holds SPLIT_SHARE of the class, lies at least SPLIT_SEPARATION
    pooled standard deviations from the rest in the last epoch, and that separation grew by SPLIT_GROWTH
    since the first epoch: the model learned to set it apart (a trigger), where a style the class always
    had (a 7 with or without a bar) was apart from the start."""
    score, size = np.zeros(len(labels)), np.zeros(len(labels), dtype=np.int64)
    lo, hi = SPLIT_SHARE
    for c in np.unique(labels):
        m = np.flatnonzero(labels == c)
        if len(m) < 4:
            continue
        separation, side = _split(last[m])
        if (lo * len(m) <= len(side) <= hi * len(m) and separation >= SPLIT_SEPARATION
                and separation - _split(first[m])[0] >= SPLIT_GROWTH):
            score[m[side]] = 1.0
            size[m[side]] = len(side)
    return score, size


def _split(x):
    """(separation, smaller side's rows) of the best two-way split of x along its top principal direction."""
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    order = np.argsort(x @ vt[0], kind="stable")
    p = (x @ vt[0])[order]
    n, j = len(p), np.arange(1, len(p))
    s1, s2 = np.cumsum(p), np.cumsum(p * p)
    within = (s2[j - 1] - s1[j - 1] ** 2 / j) + (s2[-1] - s2[j - 1] - (s1[-1] - s1[j - 1]) ** 2 / (n - j))
    cut = int(np.argmin(within)) + 1
    separation = abs(p[cut:].mean() - p[:cut].mean()) / max(np.sqrt(within[cut - 1] / n), 1e-12)
    return separation, (order[:cut] if cut <= n - cut else order[cut:])


def _class_outliers(paths, labels):
    """Distance to the class's median path over that class's median distance (robust to the outliers)."""
    out = np.zeros(len(labels))
    for c in np.unique(labels):
        m = labels == c
        d = np.linalg.norm(paths[m] - np.median(paths[m], axis=0), axis=1)
        out[m] = d / max(float(np.median(d)), 1e-12)
    return out
