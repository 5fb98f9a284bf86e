"""Helpers shared by the server tests: a PCA visualization writer and a binary-response decoder."""

import numpy as np

METHOD = "pca"
GRID = 32


def write_pca_visualization(run_path, method=METHOD):
    """PCA positions of every epoch (numpy), a nearest-class territory per epoch, metrics and extent."""
    from ttvis.run.reader import Run
    from ttvis.palette import class_colors
    from ttvis.visualize.outputs import VisOutputs

    run = Run(run_path)
    vis = VisOutputs(run_path, method)
    vis.write_params({"method": method, "seed": 0, "has_territory": True})
    per_epoch = {}
    for e in run.epochs:
        x = np.asarray(run.representations(e), dtype=np.float64)
        x = x - x.mean(axis=0)
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        per_epoch[e] = (x @ vt[:2].T).astype(np.float32)
    allpos = np.concatenate(list(per_epoch.values()))
    lo, hi = allpos.min(axis=0), allpos.max(axis=0)
    vis.write_extent(lo[0], hi[0], lo[1], hi[1])
    colors = class_colors(run.n_classes)
    summary = []
    for e, pos in per_epoch.items():
        vis.write_positions(e, pos)
        xs = np.linspace(lo[0], hi[0], GRID)
        ys = np.linspace(hi[1], lo[1], GRID)  # row 0 = y_max
        gx, gy = np.meshgrid(xs, ys)
        grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
        preds = run.predictions(e)
        nearest = np.argmin(((grid[:, None, :] - pos[None, ::7, :]) ** 2).sum(-1), axis=1)
        cls = preds[::7][nearest].reshape(GRID, GRID)
        vis.write_territory(e, colors[cls], cls, np.full((GRID, GRID), 0.5))
        vis.write_epoch_metrics(e, {"epoch": e, "trustworthiness": 0.9})
        summary.append(0.9)
    vis.write_metrics({"epochs": {str(e): {"trustworthiness": 0.9} for e in per_epoch},
                       "summary": {"trustworthiness": float(np.mean(summary))}})
    return vis


def as_array(resp):
    """Decode a binary API response with its X-Dtype / X-Shape headers."""
    shape = tuple(int(s) for s in resp.headers["X-Shape"].split(","))
    return np.frombuffer(resp.data, dtype=np.dtype(resp.headers["X-Dtype"]).newbyteorder("<")).reshape(shape)
