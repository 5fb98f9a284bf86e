"""A run's visualizations: per-epoch positions, territory images, metrics, and sample trajectories."""

from pathlib import Path

import numpy as np
from flask import Blueprint, jsonify

from ttvis.run import layout
from ttvis.server.cache import get_cache
from ttvis.server.responses import (REVALIDATE, abort_json, binary_response, bytes_response, cached_payload, epoch_arg,
                                    get_run, get_vis, sample_arg)
from ttvis.server.safepath import Refused

bp = Blueprint("methods", __name__, url_prefix="/api/runs/<run>/methods/<method>")


def _method_epoch(run, method, epoch):
    """(Run, epoch) for a method route: 404 for an unknown run, method, or an epoch of the run.
    Whether the method has built that epoch is known when its file is looked up."""
    r = get_run(run)
    get_vis(run, method)
    return r, epoch_arg(r, epoch)


@bp.get("/epochs/<epoch>/positions")
def positions(run, method, epoch):
    """float32 (N, 2). Rebuilding a method rewrites these, so clients revalidate (cheap 304s)."""
    r, e = _method_epoch(run, method, epoch)
    store = get_cache()
    try:
        arr, sig = store.positions(run, method, e)
    except Refused:
        abort_json(404, f"visualization {method!r} of run {run!r} has no epoch {e} yet")
    if arr.shape[0] != r.n:
        abort_json(404, f"positions of {method!r} epoch {e} have {arr.shape[0]} rows, the run has {r.n} samples")
    payload = cached_payload(("positions", run, method, e, sig), lambda: arr)
    return binary_response(payload, immutable=False)


@bp.get("/epochs/<epoch>/territory.png")
def territory(run, method, epoch):
    _, e = _method_epoch(run, method, epoch)
    store = get_cache()
    try:
        path = store.vis_file(run, method, Path("epochs") / layout.epoch_dirname(e) / "territory.png")
    except Refused:
        abort_json(404, f"visualization {method!r} of run {run!r} has no territory for epoch {e}")
    body, etag = store.blob(run, path)
    return bytes_response(body, "image/png", etag, REVALIDATE)


@bp.get("/epochs/<epoch>/metrics")
def epoch_metrics(run, method, epoch):
    _, e = _method_epoch(run, method, epoch)
    if e not in get_cache().method_epochs(run, method):
        abort_json(404, f"visualization {method!r} of run {run!r} has no epoch {e} yet")
    rel = Path("epochs") / layout.epoch_dirname(e) / "metrics.json"
    return jsonify(get_cache().vis_json(run, method, rel, default={}))


@bp.get("/metrics")
def metrics(run, method):
    get_run(run)
    get_vis(run, method)
    return jsonify(get_cache().vis_json(run, method, "metrics.json", default={}))


@bp.get("/samples/<sample>/trajectory")
def trajectory(run, method, sample):
    r = get_run(run)
    get_vis(run, method)
    i = sample_arg(r, sample)
    store = get_cache()
    epochs = store.method_epochs(run, method)
    loaded = [store.positions(run, method, e) for e in epochs]
    key = ("trajectory", run, method, tuple(epochs), tuple(sig for _, sig in loaded))

    def stack():
        if any(arr.shape[0] != r.n for arr, _ in loaded):
            return np.zeros((len(loaded), r.n, 2), dtype=np.float32)
        return np.stack([arr for arr, _ in loaded]) if loaded else np.zeros((0, r.n, 2), np.float32)

    traj = store.cache.get_or_make(key, stack)
    return jsonify({"epochs": epochs, "positions": traj[:, i, :].astype(float).tolist()})
