"""What the page draws over the map, derived from a run and its built visualization: accuracy and
prediction flips per epoch (the strip over the time bar), the territory's class and margin grid (the
hover card over the background), and each sample's prediction after the encode/decode round trip
(the "visualization error" overlay: where the map lies)."""

import os
from pathlib import Path

import numpy as np
from flask import Blueprint, jsonify

from ttvis.errors import RunError
from ttvis.run import layout
from ttvis.server.cache import get_cache
from ttvis.server.responses import abort_json, binary_response, cached_payload, epoch_arg, get_run, get_vis
from ttvis.server.runs import label_dtype
from ttvis.server.safepath import Refused

bp = Blueprint("overlays", __name__, url_prefix="/api/runs/<run>")


@bp.get("/timeline")
def timeline(run):
    """Train and test accuracy per epoch, and how many predictions changed since the previous epoch."""
    dyn = get_run(run).dynamics
    store = get_cache()
    labels, split = store.labels(run), store.split(run)
    right = dyn.predictions == labels[None, :]
    test = split == layout.TEST

    def accuracy(mask):
        return [round(float(v), 6) for v in right[:, mask].mean(axis=1)] if mask.any() else None

    flips = (dyn.predictions[1:] != dyn.predictions[:-1]).sum(axis=1)
    return jsonify({"epochs": dyn.epochs, "train_accuracy": accuracy(~test), "test_accuracy": accuracy(test),
                    "flips": [0] + flips.astype(int).tolist()})


def _stat(path):
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size, st.st_ino


def _epoch(run, method, epoch):
    r = get_run(run)
    get_vis(run, method)
    e = epoch_arg(r, epoch)
    if e not in get_cache().method_epochs(run, method):
        abort_json(404, f"visualization {method!r} of run {run!r} has no epoch {e} yet")
    return r, e


@bp.get("/methods/<method>/epochs/<epoch>/territory_grid")
def territory_grid(run, method, epoch):
    """float32 (2, H, W): the territory's predicted class and its margin (0 = on a decision boundary)."""
    _, e = _epoch(run, method, epoch)
    store = get_cache()
    d = Path("epochs") / layout.epoch_dirname(e)
    try:
        cls_path = store.vis_file(run, method, d / "territory_class.npy")
        margin_path = store.vis_file(run, method, d / "territory_margin.npy")
    except Refused:
        abort_json(404, f"visualization {method!r} of run {run!r} has no territory for epoch {e}")
    sig = (_stat(cls_path), _stat(margin_path))

    def grid():
        from ttvis.run.reader import read_npy

        return np.stack([read_npy(cls_path, mmap=False).astype(np.float32),
                         read_npy(margin_path, mmap=False).astype(np.float32)])

    return binary_response(cached_payload(("territory_grid", run, method, e, sig), grid), immutable=False)


@bp.get("/methods/<method>/epochs/<epoch>/roundtrip")
def roundtrip(run, method, epoch):
    """Each sample's prediction after its map point is decoded back to representation space."""
    r, e = _epoch(run, method, epoch)
    store = get_cache()
    positions, sig = store.positions(run, method, e)
    params = _stat(store.vis_file(run, method, "params.json"))  # a rebuild rewrites it

    def decoded():
        import torch

        from ttvis.visualize.outputs import load_projector

        if not r.has_head:
            return None
        try:
            projector = store.cache.get_or_make(("projector", run, method, params), lambda: load_projector(r.path, method))
        except RunError:  # a layout written without a fitted projector (imported, or made by hand)
            return None
        if not projector.has_inverse:
            return None
        with torch.no_grad():
            dec = projector.decode_tensor(torch.as_tensor(positions), e)
            head = r.head(e).to(dec.device)
            return head(dec).argmax(1).cpu().numpy().astype(label_dtype(r.n_classes))

    pred = store.cache.get_or_make(("roundtrip", run, method, e, sig, params), decoded)
    if pred is None:
        abort_json(404, f"visualization {method!r} of run {run!r} cannot decode its map points (no inverse)")
    return binary_response(cached_payload(("roundtrip", run, method, e, sig, params), lambda: pred), immutable=False)
