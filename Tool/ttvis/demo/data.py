"""Demo data: load images, split, and inject label noise or a backdoor with ground truth kept."""

from pathlib import Path

import numpy as np

from ttvis.errors import RunError


def load_images(data=None):
    """Return (images uint8 (N,H,W), labels int64, name). Default: scikit-learn's 8x8 digits."""
    if data is None:
        from sklearn.datasets import load_digits

        d = load_digits()
        images = np.round(d.images * (255.0 / 16.0)).astype(np.uint8)
        return images, d.target.astype(np.int64), "digits"
    path = Path(data)
    if not path.is_file():
        raise RunError(path, "data file does not exist")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ("images", "labels") if k not in getattr(z, "files", ())]
            if missing:
                raise RunError(path, f"npz lacks array {missing[0]!r}; it needs 'images' and 'labels'")
            images, labels = z["images"], z["labels"]
    except RunError:
        raise
    except Exception as exc:
        raise RunError(path, f"unreadable npz ({type(exc).__name__}: {exc})") from None
    if images.ndim != 3 or len(images) != len(labels) or labels.ndim != 1:
        raise RunError(path, f"expected images (N,H,W) and labels (N,), got {images.shape} and {labels.shape}")
    if images.dtype.kind not in "uifb":
        raise RunError(path, f"'images' must hold numbers, got dtype {images.dtype}")
    if images.dtype.kind == "f" and not np.isfinite(images).all():
        raise RunError(path, "'images' holds NaN or infinite values")
    if images.dtype != np.uint8:
        lo, hi = float(images.min()), float(images.max())
        images = np.round((images - lo) * (255.0 / max(hi - lo, 1e-12))).astype(np.uint8)
    return images, labels.astype(np.int64), path.stem


def stratified_split(labels, test_fraction, rng):
    """0 = train, 1 = test, with the same class mix on both sides."""
    split = np.zeros(len(labels), dtype=np.uint8)
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        split[idx[: int(round(len(idx) * test_fraction))]] = 1
    return split


def flip_labels(labels, split, fraction, n_classes, rng):
    """Give a random `fraction` of the training samples a different, random label."""
    train = np.flatnonzero(split == 0)
    idx = np.sort(rng.choice(train, size=int(round(len(train) * fraction)), replace=False))
    noisy = labels.copy()
    shift = rng.integers(1, n_classes, size=len(idx))
    noisy[idx] = (labels[idx] + shift) % n_classes
    return noisy, {"indices": idx.tolist(), "original_labels": labels[idx].tolist(),
                   "noisy_labels": noisy[idx].tolist()}


def stamp_backdoor(images, labels, split, fraction, target, rng, exclude=()):
    """Stamp a bright square in the bottom-right corner of a random `fraction` of training samples
    whose label is not `target`, and relabel them `target` (a BadNets-style backdoor)."""
    candidates = np.setdiff1d(np.flatnonzero((split == 0) & (labels != target)), np.asarray(exclude, dtype=np.int64))
    n = int(round(np.sum(split == 0) * fraction))
    idx = np.sort(rng.choice(candidates, size=n, replace=False))
    side = max(2, images.shape[1] // 8)
    images = images.copy()
    images[idx, -side - 1:-1, -side - 1:-1] = 255
    poisoned = labels.copy()
    poisoned[idx] = target
    return images, poisoned, {"indices": idx.tolist(), "original_labels": labels[idx].tolist(),
                              "target": int(target), "patch": [int(side), "bottom-right, 1 pixel in"]}
