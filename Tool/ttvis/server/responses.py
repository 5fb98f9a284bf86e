"""Building responses and reading parameters, shared by every blueprint.

- `json_error(status, message)` / `abort_json(status, message)`: the API's {"error": ...} answers.
- `binary_response(payload, immutable=...)`: raw little-endian array with X-Dtype / X-Shape, ETag
  (304 on a match), Cache-Control, and gzip when the client accepts it and it pays.
- `gzip_json`: an after_request hook compressing large JSON answers.
- `int_arg`, `epoch_arg`, `sample_arg`: parse a parameter or answer 400 (malformed) / 404 (unknown).
"""

from flask import Response, abort, jsonify, request

from ttvis.server.store import Payload

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"  # may be cached, but ask first (ETag makes that a cheap 304)
EXPOSED_HEADERS = ["X-Dtype", "X-Shape", "ETag"]


def json_error(status, message):
    resp = jsonify({"error": str(message)})
    resp.status_code = status
    return resp


def abort_json(status, message):
    abort(json_error(status, message))


def _not_modified(etag):
    return request.if_none_match and request.if_none_match.contains(etag)


def bytes_response(body, mimetype, etag, cache_control=IMMUTABLE, headers=None):
    """A cacheable body with a strong ETag; answers 304 when the client already has it."""
    common = {"ETag": f'"{etag}"', "Cache-Control": cache_control, **(headers or {})}
    if _not_modified(etag):
        return Response(status=304, headers=common)
    return Response(body, mimetype=mimetype, headers=common)


def binary_response(payload, immutable=True):
    """Send an array (ndarray or Payload) as application/octet-stream with X-Dtype and X-Shape."""
    if not isinstance(payload, Payload):
        payload = Payload(payload)
    headers = {"X-Dtype": payload.dtype, "X-Shape": ",".join(str(s) for s in payload.shape),
               "Vary": "Accept-Encoding"}
    cache_control = IMMUTABLE if immutable else REVALIDATE
    body, etag = payload.body, payload.etag
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        packed = payload.gzipped()
        if packed is not None:
            body, etag = packed, payload.etag + "-gz"
            headers["Content-Encoding"] = "gzip"
    if _not_modified(etag):
        headers.pop("Content-Encoding", None)
    return bytes_response(body, "application/octet-stream", etag, cache_control, headers)


GZIP_JSON_MIN = 2048  # below this, compressing costs more than it saves


def gzip_json(response):
    """after_request hook: gzip large JSON answers (events, run lists) for clients that accept it."""
    if (response.mimetype == "application/json" and response.status_code == 200 and not response.direct_passthrough
            and "Content-Encoding" not in response.headers and "gzip" in request.headers.get("Accept-Encoding", "")):
        data = response.get_data()
        if len(data) >= GZIP_JSON_MIN:
            import gzip

            response.set_data(gzip.compress(data, compresslevel=5, mtime=0))
            response.headers["Content-Encoding"] = "gzip"
            response.vary.add("Accept-Encoding")
    return response


def int_arg(name, default=None, lo=None, hi=None):
    """Query parameter `name` as an int in [lo, hi]; 400 when malformed or out of range."""
    text = request.args.get(name)
    if text is None or text == "":
        if default is None:
            abort_json(400, f"parameter {name!r} is required")
        return default
    value = parse_int(text, name)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        abort_json(400, f"parameter {name!r} must be between {lo} and {hi}, got {value}")
    return value


def parse_int(text, name):
    text = str(text).strip()
    if not (text.isascii() and (text.isdigit() or (text[:1] == "-" and text[1:].isdigit()))) or len(text) > 18:
        abort_json(400, f"parameter {name!r} must be an integer, got {text[:40]!r}")
    return int(text)


def epoch_arg(run, text, name="epoch"):
    """An epoch of `run` from URL text: 400 if not an integer, 404 if the run has no such epoch."""
    epoch = parse_int(text, name)
    if epoch not in run.epochs:
        abort_json(404, f"run {run.path.name!r} has no epoch {epoch}")
    return epoch


def sample_arg(run, text, name="sample"):
    """A sample index of `run`: 400 if not an integer, 404 if outside [0, N)."""
    index = parse_int(text, name)
    if not 0 <= index < run.n:
        abort_json(404, f"sample {index} is outside [0, {run.n})")
    return index
