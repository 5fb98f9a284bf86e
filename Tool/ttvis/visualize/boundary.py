"""Boundary samples (DVI): points on the classifier's decision boundary between two classes.

Mix a sample a with a sample b of the class the classifier finds second most likely for a, and bisect
the mixing weight until the mix sits where a's class gives way to b's. In input space when the run
keeps its inputs and a model with feature()/prediction(); otherwise in representation space through
the epoch's head (the cheap variant). Returns the mixes' representations.
"""

import numpy as np
import torch

from ttvis.run import forward


def _pairs(logits, n, rng):
    """n pairs (a, b) with different predicted classes, b from a's runner-up class where possible."""
    pred = logits.argmax(1)
    order = np.argsort(-logits, axis=1)
    members = {c: np.flatnonzero(pred == c) for c in np.unique(pred)}
    if len(members) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a = rng.integers(0, len(logits), n)
    b = np.empty(n, dtype=np.int64)
    classes = np.array(sorted(members))
    for t, i in enumerate(a):
        target = order[i, 1]
        if target not in members:
            others = classes[classes != pred[i]]
            target = others[rng.integers(0, len(others))]
        pool = members[target]
        b[t] = pool[rng.integers(0, len(pool))]
    return a.astype(np.int64), b


def _bisect(start, end, classify, steps):
    """Bisect lam in mix = lam*start + (1-lam)*end, keeping start's class at hi and another at lo."""
    with torch.no_grad():
        target = classify(start).argmax(1)
        lo = torch.zeros(len(start), 1)
        hi = torch.ones(len(start), 1)
        for _ in range(steps):
            mid = (lo + hi) / 2
            same = (classify(mid * start + (1 - mid) * end).argmax(1) == target)[:, None]
            hi = torch.where(same, mid, hi)
            lo = torch.where(same, lo, mid)
        return (lo + hi) / 2


def in_representation_space(reps, logits, head, n, *, seed=0, steps=10):
    """Boundary points between pairs of samples, mixed in representation space: (n, D) float32."""
    rng = np.random.default_rng(seed)
    a, b = _pairs(np.asarray(logits), n, rng)
    if len(a) == 0:
        return np.empty((0, reps.shape[1]), np.float32)
    xa = torch.from_numpy(np.asarray(reps[a], dtype=np.float32))
    xb = torch.from_numpy(np.asarray(reps[b], dtype=np.float32))
    lam = _bisect(xa, xb, head, steps)
    return (lam * xa + (1 - lam) * xb).numpy().astype(np.float32)


def in_input_space(inputs, logits, model, n, *, seed=0, steps=10, batch=512):
    """Boundary points mixed in the model's input space; returns model.feature(mix): (n, D) float32."""
    rng = np.random.default_rng(seed)
    a, b = _pairs(np.asarray(logits), n, rng)
    out = []
    with torch.no_grad():
        for s in range(0, len(a), batch):
            xa = torch.from_numpy(np.asarray(inputs[a[s:s + batch]], dtype=np.float32))
            xb = torch.from_numpy(np.asarray(inputs[b[s:s + batch]], dtype=np.float32))
            shape = (-1,) + (1,) * (xa.dim() - 1)
            flat_a, flat_b = xa.reshape(len(xa), -1), xb.reshape(len(xb), -1)
            lam = _bisect(flat_a, flat_b, lambda m: forward.classify(model, m.reshape(xa.shape)), steps)
            mix = lam.reshape(shape) * xa + (1 - lam.reshape(shape)) * xb
            out.append(model.feature(mix).reshape(len(mix), -1).float().numpy())
    if not out:
        return np.empty((0, 0), np.float32)
    return np.concatenate(out).astype(np.float32)


def boundary_samples(run, epoch, train_idx, n, *, seed=0, steps=10, space="auto"):
    """Boundary samples for one epoch of a Run, mixing training samples. space: auto|input|representation."""
    reps = run.representations(epoch)
    logits = np.asarray(run.logits(epoch))[train_idx]
    if space in ("auto", "input"):
        model = run.model(epoch) if run.meta.get("model") else None
        inputs = run.inputs()
        if model is not None and inputs is not None:
            return in_input_space(inputs[train_idx] if inputs is not None else None, logits, model, n,
                                  seed=seed, steps=steps), "input"
        if space == "input":
            from ttvis.errors import RunError

            raise RunError(run.path, "input-space boundary samples need dataset/inputs.npy and a model.py")
    return in_representation_space(np.asarray(reps)[train_idx], logits, run.head(epoch), n, seed=seed,
                                   steps=steps), "representation"
