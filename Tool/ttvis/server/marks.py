"""Marks on suspicious samples: read them, set one, clear one (ttvis.suspicious.marks keeps the file).

Writes take JSON bodies only (application/json), so a page on another origin cannot send one without
the browser asking first (and the server does not allow it).
"""

from flask import Blueprint, jsonify, request

from ttvis.server.cache import get_cache
from ttvis.server.responses import abort_json, get_run, sample_arg
from ttvis.server.safepath import inside

bp = Blueprint("marks", __name__, url_prefix="/api/runs/<run>/marks")


def _run(name):
    """The run, with its marks file (if any) checked to lie under the data root."""
    from ttvis.suspicious import marks

    r = get_run(name)
    inside(get_cache().root, marks.path_of(r))
    return r


def run_marks(name):
    """(run, {index: mark}) for run `name`; 404 when its marks file leads out of the data root."""
    from ttvis.suspicious import marks

    r = _run(name)
    return r, marks.load(r)


@bp.get("")
def all_marks(run):
    return jsonify({"marks": {str(i): m for i, m in sorted(run_marks(run)[1].items())}})


@bp.put("/<sample>")
def put_mark(run, sample):
    from ttvis.suspicious import marks

    r = _run(run)
    index = sample_arg(r, sample)
    if not request.is_json:
        abort_json(415, "the body must be JSON (Content-Type: application/json)")
    body = request.get_json(silent=True)
    try:
        mark = marks.set_mark(r, index, body)
    except ValueError as exc:
        abort_json(400, str(exc))
    return jsonify({"index": index, "mark": mark})


@bp.delete("/<sample>")
def delete_mark(run, sample):
    from ttvis.suspicious import marks

    r = _run(run)
    index = sample_arg(r, sample)
    marks.set_mark(r, index, None)
    return jsonify({"index": index, "mark": None})
