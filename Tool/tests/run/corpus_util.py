"""A tiny synthetic run with any number of classes (for the run corpus tests)."""

import numpy as np
import torch


def make_tiny_run(path, n_classes, n=40, dim=4, epochs=(1, 2), seed=0):
    """A valid run of `n` samples, `n_classes` classes and a Linear head, written by the Recorder."""
    from ttvis.run.recorder import Recorder

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, n)
    labels[:2] = [0, n_classes - 1]
    split = (np.arange(n) % 4 == 0).astype(np.uint8)
    rec = Recorder(path, labels=labels, split=split, classes=[f"c{k}" for k in range(n_classes)],
                   images=rng.integers(0, 256, (n, 3, 3), dtype=np.uint8))
    torch.manual_seed(seed)
    head = torch.nn.Linear(dim, n_classes)
    for e in epochs:
        reps = torch.from_numpy(rng.normal(size=(n, dim)).astype(np.float32))
        with torch.no_grad():
            rec.record(None, e, representations=reps, logits=head(reps), head=head)
    return path
