"""Similarity search (Milvus) and suspicious-sample routes.

The server process owns the Milvus client (app.config["MILVUS_URI"]; Milvus Lite allows one owner per
database). It connects on the first search, and indexes an epoch (or the trajectories) the first time
they are searched, so a fresh run needs no `ttvis index` beforehand.
"""

import threading

from flask import Blueprint, current_app, jsonify, request

from ttvis.errors import first_line
from ttvis.run import layout
from ttvis.server.cache import LRU, get_cache
from ttvis.server.responses import abort_json, epoch_arg, get_run, int_arg, sample_arg

bp = Blueprint("search", __name__, url_prefix="/api/runs/<run>")

MAX_K = 1000
MAX_SUSPICIOUS = 10000
ANALYSES_KEPT = 4  # suspicious-sample analyses kept (seconds to make each; the payload LRU would evict them)


class SearchService:
    """One Milvus client for the app and one RunIndex per run state, created on demand."""

    def __init__(self, uri):
        self.uri = uri
        self._client = None
        self._indexes = {}
        self._lock = threading.Lock()

    def index_for(self, name, run):
        from ttvis.search import RunIndex, connect

        key = (name, str(run.path), tuple(run.epochs))
        with self._lock:
            if self._client is None:
                self._client = connect(self.uri)
            index = self._indexes.get(key)
            if index is None or index.run is not run:
                for old in [k for k in self._indexes if k[0] == name]:
                    del self._indexes[old]  # the run has changed since (new epochs, rewritten files)
                index = self._indexes[key] = RunIndex(self._client, run)
            return index


def init_app(app):
    app.extensions["ttvis_search"] = SearchService(app.config["MILVUS_URI"])
    app.extensions["ttvis_suspicious"] = LRU(ANALYSES_KEPT)


def _service():
    return current_app.extensions["ttvis_search"]


def _choice(name, allowed):
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if value not in allowed:
        abort_json(400, f"parameter {name!r} must be one of {', '.join(allowed)}, got {value[:40]!r}")
    return value


@bp.get("/search")
def search(run):
    from ttvis.search import SPACES, MilvusUnavailable

    r = get_run(run)
    if request.args.get("sample") in (None, ""):
        abort_json(400, "parameter 'sample' is required")
    sample = sample_arg(r, request.args["sample"])
    epoch = epoch_arg(r, request.args["epoch"]) if request.args.get("epoch") else r.epochs[-1]
    k = int_arg("k", default=10, lo=1, hi=MAX_K)  # fewer come back when fewer samples match
    space = _choice("space", SPACES) or "representation"
    split = _choice("split", ("train", "test"))
    label = int_arg("label", default=-1, lo=0, hi=r.n_classes - 1) if request.args.get("label") else None
    prediction = (int_arg("prediction", default=-1, lo=0, hi=r.n_classes - 1)
                  if request.args.get("prediction") else None)
    try:
        index = _service().index_for(run, r)
        result = index.search(sample, epoch=epoch, k=k, space=space, split=split, label=label,
                              prediction=prediction)
    except MilvusUnavailable as exc:
        return _unavailable(str(exc))
    except ValueError as exc:
        abort_json(400, str(exc))
    except Exception as exc:
        if type(exc).__module__.startswith("pymilvus"):
            current_app.logger.warning("Milvus error on %s: %s", request.path, exc)
            return _unavailable(f"Milvus error: {first_line(exc)}")
        raise
    return jsonify(result)


def _unavailable(message):
    resp = jsonify({"error": f"similarity search is unavailable: {message}"})
    resp.status_code = 503
    return resp


@bp.get("/suspicious")
def suspicious(run):
    from ttvis.server.marks import run_marks
    from ttvis.suspicious import analyse, ranking

    r, marks = run_marks(run)
    k = int_arg("k", default=50, lo=1, hi=MAX_SUSPICIOUS)  # at most the number of training samples come back
    store = get_cache()
    sig = store.signature(run, layout.RUN_JSON)
    analyses = current_app.extensions["ttvis_suspicious"]  # not the store's LRU: cheap payloads would push it out
    analysis = analyses.get_or_make((run, sig), lambda: analyse(r))
    return jsonify(ranking(analysis, marks, top=k))  # marks re-order it on every request
