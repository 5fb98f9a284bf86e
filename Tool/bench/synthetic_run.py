"""A synthetic run of any size, written with the real Recorder and VisOutputs, for benchmarks.

Representations are Gaussian clusters (one per class) that separate as epochs advance, so predictions,
flips and nearest neighbours behave like a training run's; logits come from a real linear head. With
`method`, a 2D projection (PCA of the class means) and a territory are written for every epoch.

    python Tool/bench/synthetic_run.py /tmp/syn60k --n 60000 --dim 512 --epochs 3
    from synthetic_run import make_synthetic_run; make_synthetic_run(path, n=60000, dim=512)

Rerunning resumes: epochs already recorded are kept, a complete run is returned as is.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TERRITORY = 256  # territory grid side, pixels


def _head(dim, classes, centers):
    """A linear head that scores each class by closeness to its cluster centre."""
    import torch

    head = torch.nn.Linear(dim, classes)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(centers))
        head.bias.copy_(torch.from_numpy(-0.5 * (centers ** 2).sum(axis=1)))
    return head


def _epoch_data(n, dim, classes, labels, centers, epoch, epochs, seed):
    """Representations drifting from noise towards their class centre as training advances."""
    rng = np.random.default_rng([seed, epoch])
    progress = epoch / epochs
    reps = rng.standard_normal((n, dim), dtype=np.float32)
    reps *= np.float32(1.6 - progress)
    reps += np.float32(0.25 + 0.75 * progress) * centers[labels]
    return reps


def make_synthetic_run(path, n=60000, dim=512, epochs=3, classes=10, method="pca", seed=0, progress=True):
    """Write (or finish) a synthetic run of n samples x dim dims x epochs at `path`; returns the path."""
    import torch
    from tqdm import tqdm

    from ttvis.run.reader import Run
    from ttvis.run.recorder import Recorder

    if n < classes or dim < 2 or epochs < 1 or classes < 2:
        raise ValueError("need n >= classes >= 2, dim >= 2 and epochs >= 1")
    path = Path(path)
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    rng.shuffle(labels)
    split = (rng.random(n) < 1 / 6).astype(np.uint8)  # about a sixth held out, as in MNIST
    centers = rng.standard_normal((classes, dim)).astype(np.float32) * np.float32(4.0 / np.sqrt(2 * dim))  # ~4 apart
    # 8x8 images: a per-class stripe pattern plus noise, so the UI has something to show
    pattern = (rng.random((classes, 8, 8)) * 200).astype(np.uint8)
    images = np.clip(pattern[labels].astype(np.int16) + rng.integers(-30, 30, (n, 8, 8)), 0, 255).astype(np.uint8)

    rec = Recorder(path, labels=labels, split=split, classes=[f"class {k}" for k in range(classes)],
                   images=images, name=path.name, extra={"synthetic": {"n": n, "dim": dim, "seed": seed}})
    head = _head(dim, classes, centers)
    todo = [e for e in range(1, epochs + 1) if e not in rec.epochs]
    for e in tqdm(todo, desc="synthetic epochs", disable=not progress or not todo):
        reps = _epoch_data(n, dim, classes, labels, centers, e, epochs, seed)
        with torch.no_grad():
            logits = head(torch.from_numpy(reps)).numpy()
        rec.record(None, e, representations=reps, logits=logits, head=head)
    if method:
        _write_projection(Run(path), method, centers, progress)
    return path


def _write_projection(run, method, centers, progress):
    """Positions = representations projected on the top-2 principal axes of the class means."""
    from tqdm import tqdm

    from ttvis.palette import class_colors
    from ttvis.visualize.outputs import VisOutputs

    vis = VisOutputs(run.path, method)
    todo = [e for e in run.epochs if e not in vis.epochs() or not (vis.epoch_dir(e) / "territory.png").is_file()]
    if not todo and vis.exists():
        return vis
    mean = centers.mean(axis=0)
    _, _, vt = np.linalg.svd(centers - mean, full_matrices=False)
    axes = vt[:2].T.astype(np.float32)
    positions = {e: (np.asarray(run.representations(e)) - mean) @ axes for e in run.epochs}
    allpos = np.concatenate(list(positions.values()))
    lo, hi = np.percentile(allpos, 0.5, axis=0), np.percentile(allpos, 99.5, axis=0)
    vis.write_params({"method": method, "synthetic": True, "projection": "pca of class means", "has_territory": True})
    vis.write_extent(lo[0], hi[0], lo[1], hi[1])
    proj_centers = (centers - mean) @ axes
    colors = class_colors(len(centers))
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], TERRITORY), np.linspace(hi[1], lo[1], TERRITORY))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    d = ((grid[:, None, :] - proj_centers[None]) ** 2).sum(-1)
    order = np.sort(d, axis=1)
    cls = d.argmin(axis=1).reshape(TERRITORY, TERRITORY)
    margin = np.clip((order[:, 1] - order[:, 0]) / (order[:, 1] + 1e-9), 0, 1).reshape(TERRITORY, TERRITORY)
    for e in tqdm(todo, desc=f"{method} positions", disable=not progress):
        vis.write_positions(e, positions[e])
        vis.write_territory(e, colors[cls], cls, margin)
        vis.write_epoch_metrics(e, {"epoch": e})
    vis.write_metrics({"epochs": {str(e): {} for e in run.epochs}, "summary": {}})
    return vis


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path, help="run folder to write")
    p.add_argument("--n", type=int, default=60000)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--method", default="pca", help="visualization to write ('' for none)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    out = make_synthetic_run(a.out, n=a.n, dim=a.dim, epochs=a.epochs, classes=a.classes, method=a.method or None,
                             seed=a.seed)
    print(f"synthetic run ready: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
