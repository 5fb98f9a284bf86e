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
"""

import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from ttvis.run.reader import softmax
from ttvis.search.trajectory import path_epochs

SIGNALS = {
    "low_confidence": "1 - mean probability of the given label over epochs",
    "variability": "standard deviation of the probability of the given label over epochs",
    "low_margin": "minus the area under the margin: mean of (given-label logit - largest other logit)",
    "forgetting": "number of epochs at which a correct prediction turned wrong",
    "late_learning": "fraction of epochs before the sample is predicted as its label for good (1 = never)",
    "trajectory_outlier": "distance of the probability path from its labelled class's median path, "
                          "relative to that class's median distance",
    "neighbour_disagreement": "fraction of the sample's 10 nearest training samples in input space (the run's "
                              "inputs, else images, else first-epoch representations) labelled otherwise",
    "group_disagreement": "mean neighbour_disagreement of the sample and its 10 nearest same-labelled training "
                          "samples in the last epoch's representation space",
    "representation_outlier": "squared projection of the last epoch's representation on its labelled class's "
                              "top principal direction, relative to the class median (spectral signature)",
}
COMBINED = ("low_confidence", "low_margin", "late_learning", "trajectory_outlier")
NEIGHBOURS = 10  # k of the input-space and group neighbourhoods (votes in the combined score)
PCA_DIM = 50  # inputs wider than this are searched in their top principal components (fast, denoised)


def compute_signals(run, indices=None, progress=None):
    """{name: float64 (len(indices),)} for the samples `indices` (default: the training samples)."""
    if indices is None:
        indices = run.train_idx if len(run.train_idx) else np.arange(run.n)
    indices = np.asarray(indices, dtype=np.int64)
    labels = run.labels[indices]
    n, epochs = len(indices), run.epochs
    rows = np.arange(n)
    traj_epochs = set(path_epochs(epochs))
    p_label = np.empty((len(epochs), n))
    margin = np.empty((len(epochs), n))
    correct = np.empty((len(epochs), n), dtype=bool)
    paths = []
    for k, e in enumerate(epochs):
        logits = np.asarray(run.logits(e)[indices], dtype=np.float64)
        prob = softmax(logits)
        p_label[k] = prob[rows, labels]
        given = logits[rows, labels]
        logits[rows, labels] = -np.inf
        margin[k] = given - logits.max(axis=1)
        correct[k] = margin[k] > 0
        if e in traj_epochs:
            paths.append(np.sqrt(prob))
        if progress:
            progress(k + 1, len(epochs))
    # correct from epoch k to the end; the first such k is when the sample was learned for good
    learned = np.flip(np.logical_and.accumulate(np.flip(correct, 0), axis=0), 0)
    first = np.where(learned.any(axis=0), learned.argmax(axis=0), len(epochs))
    out = {
        "low_confidence": 1.0 - p_label.mean(axis=0),
        "variability": p_label.std(axis=0),
        "low_margin": -margin.mean(axis=0),
        "forgetting": (correct[:-1] & ~correct[1:]).sum(axis=0).astype(np.float64),
        "late_learning": first / len(epochs),
        "trajectory_outlier": _class_outliers(np.concatenate(paths, axis=1), labels),
        "neighbour_disagreement": _neighbour_disagreement(_input_space(run, indices), labels),
    }
    reps = np.asarray(run.representations(epochs[-1])[indices], dtype=np.float32)
    out["group_disagreement"] = _group_mean(reps, labels, out["neighbour_disagreement"])
    out["representation_outlier"] = _spectral(reps, labels)
    return {name: out[name] for name in SIGNALS}


def _input_space(run, indices):
    """The samples as flat float32 vectors in the space the model starts from."""
    for source in (run.inputs, run.images):
        x = source()
        if x is not None:
            break
    else:
        x = run.representations(run.epochs[0])
    x = np.asarray(x[indices], dtype=np.float32).reshape(len(indices), -1)
    if x.shape[1] > PCA_DIM and len(x) > PCA_DIM:
        x = PCA(PCA_DIM, svd_solver="randomized", random_state=0).fit_transform(x)
    return x


def _neighbour_disagreement(x, labels, k=NEIGHBOURS):
    """Share of each sample's k nearest others (Euclidean) whose label differs from its own."""
    k = min(k, len(x) - 1)
    if k < 1:
        return np.zeros(len(x))
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
    others = idx[:, 1:]  # the first neighbour is the sample itself (or an exact duplicate of it)
    return (labels[others] != labels[:, None]).mean(axis=1)


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


def _class_outliers(paths, labels):
    """Distance to the class's median path over that class's median distance (robust to the outliers)."""
    out = np.zeros(len(labels))
    for c in np.unique(labels):
        m = labels == c
        d = np.linalg.norm(paths[m] - np.median(paths[m], axis=0), axis=1)
        out[m] = d / max(float(np.median(d)), 1e-12)
    return out
