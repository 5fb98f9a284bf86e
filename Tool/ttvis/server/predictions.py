"""What the classifier predicts at each epoch (predictions, confidences) and what changed between two epochs
(events); the positions of a visualization are served by methods.py."""

import numpy as np
from flask import Blueprint, jsonify, request

from ttvis.run import layout
from ttvis.server.cache import get_cache
from ttvis.server.responses import binary_response, cached_payload, epoch_arg, get_run
from ttvis.server.runs import label_dtype

bp = Blueprint("predictions", __name__, url_prefix="/api/runs/<run>")

TOP_CHANGES = 100


def _rows(run, epoch):
    """The run, its dynamics, the row of `epoch` in them, and the signature their payloads are kept under."""
    r = get_run(run)
    return r, r.dynamics, r.dynamics.index[epoch_arg(r, epoch)], get_cache().signature(run, layout.RUN_JSON)


@bp.get("/epochs/<epoch>/predictions")
def predictions(run, epoch):
    r, d, k, sig = _rows(run, epoch)
    dtype = label_dtype(r.n_classes)
    return binary_response(cached_payload(("predictions", run, sig, k), lambda: d.predictions[k].astype(dtype)))


@bp.get("/epochs/<epoch>/confidence")
def confidence(run, epoch):
    _, d, k, sig = _rows(run, epoch)
    return binary_response(cached_payload(("confidence", run, sig, k), lambda: d.confidences[k]))


@bp.get("/events")
def events(run):
    """Prediction flips and the largest label-probability changes from one epoch to another."""
    r = get_run(run)
    to = epoch_arg(r, request.args.get("to"), "to") if request.args.get("to") else r.epochs[-1]
    if request.args.get("from"):
        frm = epoch_arg(r, request.args.get("from"), "from")
    else:
        k = r.epochs.index(to)
        frm = r.epochs[max(k - 1, 0)]
    d = r.dynamics
    a, b = d.index[frm], d.index[to]
    pa, pb = d.predictions[a], d.predictions[b]
    flipped = np.flatnonzero(pa != pb)
    delta = d.label_probabilities[b] - d.label_probabilities[a]
    k = min(TOP_CHANGES, len(delta))
    top = np.argpartition(-np.abs(delta), k - 1)[:k] if k else np.array([], dtype=np.int64)
    top = top[np.argsort(-np.abs(delta[top]), kind="stable")]
    return jsonify({
        "from": frm, "to": to,
        "flips": {"indices": flipped.tolist(), "from": pa[flipped].tolist(), "to": pb[flipped].tolist()},
        "confidence_change": {"indices": top.tolist(), "delta": [round(float(d), 6) for d in delta[top]]},
    })
