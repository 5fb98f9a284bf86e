"""Runs: the list of runs, one run's metadata, and its per-sample arrays (labels, split)."""

import numpy as np
from flask import Blueprint, jsonify

from ttvis.palette import class_hex
from ttvis.run import layout
from ttvis.server.cache import get_cache
from ttvis.server.responses import binary_response, cached_payload, get_run
from ttvis.server.safepath import Refused
from ttvis.visualize.outputs import VisOutputs

bp = Blueprint("runs", __name__, url_prefix="/api/runs")


def label_dtype(n_classes):
    return np.uint8 if n_classes <= 256 else np.uint16


def split_sizes(name):
    split = get_cache().split(name)
    n_test = int(np.count_nonzero(split == layout.TEST))
    return len(split) - n_test, n_test


def method_info(name, method):
    """Epochs, extent, territory flag and metric summary of one built method, as its build wrote them."""
    store = get_cache()
    epochs = store.method_epochs(name, method)
    extent = store.vis_json(name, method, "extent.json", default={})
    params = store.vis_json(name, method, "params.json")
    metrics = store.vis_json(name, method, "metrics.json", default={})
    summary = metrics.get("summary", {}) if isinstance(metrics, dict) else {}
    return {"epochs": epochs, "extent": extent or None,
            "has_territory": isinstance(params, dict) and params.get("has_territory") is True,
            "summary": summary if isinstance(summary, dict) else {}}


def built_methods(run):
    return VisOutputs.methods(run.path)


@bp.get("")
def list_runs():
    store, out = get_cache(), []
    for name in store.names():
        try:
            run = store.run(name)
            n_train, n_test = split_sizes(name)
        except Exception:  # a broken or vanished run is left out of the list; `ttvis check` explains it
            continue
        out.append({"name": name, "n_samples": run.n, "n_train": n_train, "n_test": n_test,
                    "classes": run.classes, "epochs": run.epochs, "methods": built_methods(run)})
    return jsonify({"runs": out})


@bp.get("/<run>")
def run_meta(run):
    r = get_run(run)
    store = get_cache()
    n_train, n_test = split_sizes(run)
    images = store.images(run)
    methods = {}
    for m in built_methods(r):
        try:
            methods[m] = method_info(run, m)
        except Refused:
            continue
    colors = class_hex(r.n_classes)
    return jsonify({
        "name": run, "n_samples": r.n, "n_train": n_train, "n_test": n_test,
        "dim": r.meta.get("representation_dim") or r.dim, "epochs": r.epochs,
        "classes": [{"index": i, "name": c, "color": colors[i]} for i, c in enumerate(r.classes)],
        "image": {"shape": list(images.shape[1:])} if images is not None else None,
        "ground_truth": store.ground_truth_counts(run),
        "methods": methods,
    })


@bp.get("/<run>/labels")
def labels(run):
    r = get_run(run)
    store = get_cache()
    payload = cached_payload(("labels", run, r.n_classes, store.signature(run, layout.LABELS)),
                            lambda: store.labels(run).astype(label_dtype(r.n_classes)))
    return binary_response(payload)


@bp.get("/<run>/split")
def split(run):
    get_run(run)
    store = get_cache()
    payload = cached_payload(("split", run, store.signature(run, layout.SPLIT)), lambda: store.split(run))
    return binary_response(payload)
