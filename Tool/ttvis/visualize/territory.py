"""Decision territories: decode a grid over the shared 2D extent, classify it with the epoch's head and
colour each pixel by its class, lighter where the top-1/top-2 margin is small (near a boundary)."""

import numpy as np
import torch

from ttvis.palette import class_colors

PAD = 0.1            # extent padding, as a fraction of the data's width/height
GRID = 256           # default grid side in pixels
WEAKEST = 0.15       # colour strength of a pixel with margin 0 (a boundary: almost white)
STRONGEST = 0.8      # colour strength of a pixel with margin 1 (keeps points readable on top)


def shared_extent(positions, pad=PAD):
    """One padded (x_min, x_max, y_min, y_max) covering every epoch's positions."""
    allp = np.concatenate([np.asarray(p, np.float32).reshape(-1, 2) for p in positions])
    lo, hi = allp.min(0), allp.max(0)
    span = np.maximum(hi - lo, 1e-6)
    lo, hi = lo - pad * span, hi + pad * span
    return {"x_min": float(lo[0]), "x_max": float(hi[0]), "y_min": float(lo[1]), "y_max": float(hi[1])}


def grid_points(extent, width=GRID, height=None):
    """Pixel centres, row-major with row 0 at y_max: float32 (height * width, 2)."""
    height = height or width
    xs = extent["x_min"] + (np.arange(width) + 0.5) / width * (extent["x_max"] - extent["x_min"])
    ys = extent["y_max"] - (np.arange(height) + 0.5) / height * (extent["y_max"] - extent["y_min"])
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32)


def colour(classes, margin, n_classes):
    """RGB uint8: class colour mixed with white, strength from WEAKEST (margin 0) to STRONGEST (1)."""
    base = class_colors(n_classes).astype(np.float32)[classes]
    strength = (WEAKEST + (STRONGEST - WEAKEST) * np.clip(margin, 0, 1))[..., None]
    return np.round(255.0 - strength * (255.0 - base)).astype(np.uint8)


def paint(decode, head, extent, n_classes, width=GRID, height=None, batch=8192):
    """decode(Z tensor (n,2)) -> representations tensor; head: reps -> logits.

    Returns rgb (H, W, 3) uint8, classes (H, W) int64, margin (H, W) float32.
    """
    height = height or width
    Z = torch.from_numpy(grid_points(extent, width, height))
    cls, mar = [], []
    with torch.no_grad():
        for s in range(0, len(Z), batch):
            reps = decode(Z[s:s + batch])
            dev_head = head.to(reps.device)
            p = torch.softmax(dev_head(reps).float(), 1)
            top = torch.topk(p, min(2, p.shape[1]), dim=1)
            cls.append(top.indices[:, 0].cpu())
            m = top.values[:, 0] - top.values[:, 1] if p.shape[1] > 1 else torch.ones(len(p))
            mar.append(m.cpu())
    classes = torch.cat(cls).numpy().reshape(height, width)
    margin = torch.cat(mar).numpy().reshape(height, width).astype(np.float32)
    return colour(classes, margin, n_classes), classes, margin
