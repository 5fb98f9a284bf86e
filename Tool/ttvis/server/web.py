"""The browser front-end: index.html at / and the files of ttvis/web/ at /static/<path>."""

import mimetypes
from pathlib import Path

from flask import Blueprint, Response, send_from_directory

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
    """A file under WEB_DIR (Flask refuses paths that leave it: 404), revalidated by ETag."""
    suffix = Path(path).suffix.lower()
    mimetype = MIME.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return send_from_directory(WEB_DIR, path, mimetype=mimetype, max_age=0)


@bp.get("/")
def index():
    if (WEB_DIR / "index.html").is_file():
        return _send("index.html")
    return Response(PLACEHOLDER, mimetype="text/html")


@bp.get("/static/<path:path>")
def static(path):
    return _send(path)
