"""The browser front-end: index.html at / and the files of ttvis/web/ at /static/<path>."""

import mimetypes
from pathlib import Path

from flask import Blueprint, Response, abort, send_file

WEB_DIR = Path(__file__).resolve().parents[1] / "web"

# Browsers refuse ES modules served with a non-JavaScript MIME type; some systems map .js oddly.
MIME = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html",
        ".json": "application/json", ".svg": "image/svg+xml", ".wasm": "application/wasm", ".png": "image/png"}

PLACEHOLDER = """<!doctype html><html><head><meta charset="utf-8"><title>Time-Travelling Visualizer</title></head>
<body><h1>Time-Travelling Visualizer</h1><p>The front-end is not installed; the API is at
<a href="/api/runs">/api/runs</a> and documented at <a href="/api/openapi.json">/api/openapi.json</a>.</p></body></html>
"""

bp = Blueprint("web", __name__)


def _send(path):
    mimetype = MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return send_file(path, mimetype=mimetype, conditional=True, etag=True, max_age=0)


@bp.get("/")
def index():
    page = WEB_DIR / "index.html"
    if page.is_file():
        return _send(page)
    return Response(PLACEHOLDER, mimetype="text/html")


@bp.get("/static/<path:path>")
def static(path):
    root = WEB_DIR.resolve()
    try:
        real = (root / path).resolve()
    except (OSError, ValueError):
        abort(404)
    if root not in real.parents or not real.is_file():
        abort(404)
    return _send(real)
