"""Building responses and reading parameters, shared by every blueprint.

- `json_error(status, message)` / `abort_json(status, message)`: the API's {"error": ...} answers.
- `binary_response(payload, immutable=...)`: raw little-endian array with X-Dtype / X-Shape, ETag
  (304 on a match), Cache-Control, and gzip when the client accepts it and it pays.
- `gzip_json`: an after_request hook compressing large JSON answers.
- `cached_payload(key, make)`: an array's Payload, encoded once and kept in the run store's cache.
- `int_arg`, `epoch_arg`, `sample_arg`: parse a parameter or answer 400 (malformed) / 404 (unknown).
- `get_run(name)`, `get_vis(name, method)`: the Run / VisOutputs a URL names, or a 404.
"""

import hashlib

import numpy as np
from flask import Response, abort, jsonify, request

from ttvis.server.safepath import Refused, check_run_name
from ttvis.server.cache import get_cache

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"  # may be cached, but ask first (ETag makes that a cheap 304)
EXPOSED_HEADERS = ["X-Dtype", "X-Shape", "ETag"]


class Payload:
    """An array encoded for the wire: raw little-endian bytes, its ETag, and gzip when that pays."""

    def __init__(self, array):
        array = np.ascontiguousarray(array)
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        self.dtype = array.dtype.name
        self.shape = array.shape
        self.body = array.tobytes()
        self.etag = hashlib.blake2b(self.body, digest_size=12).hexdigest()
        self._gzip = None

    def gzipped(self):
        """The gzip body, or None when it saves less than 10% (float positions rarely compress)."""
        if self._gzip is None:
            import gzip

            packed = gzip.compress(self.body, compresslevel=5, mtime=0)
            self._gzip = packed if len(packed) < 0.9 * len(self.body) else b""
        return self._gzip or None


def cached_payload(key, make):
    """The Payload of `make()`, cached in the run store under `key` (whose second item is the run's name,
    and which must change when the data does: include signatures)."""
    return get_cache().cache.get_or_make(("payload",) + tuple(key), lambda: Payload(make()))


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


def get_run(name):
    """The Run called `name` under the data root, or a 404 JSON error."""
    try:
        check_run_name(name)
        return get_cache().run(name)
    except Refused:
        abort_json(404, f"unknown run {name!r}")


def get_vis(name, method):
    """The built visualization `method` of run `name`, or a 404 JSON error."""
    get_run(name)
    try:
        return get_cache().vis(name, method)
    except Refused:
        abort_json(404, f"run {name!r} has no visualization {method!r}")
