"""The REST server: `create_app(test_config=None)` returns the Flask app serving a data root of runs.

One blueprint per resource (runs, epochs, methods, samples, builds, search, docs, web); handlers are thin:
parse and validate parameters (400/404 via ttvis.server.responses), ask the RunCache (ttvis.server.cache,
a cache that knows no HTTP), serialize. Arrays leave as raw little-endian bytes (responses.binary_response),
everything else as JSON.

Other blueprints (e.g. search_api) import those helpers:
    from ttvis.server.cache import get_cache
    from ttvis.server.responses import get_run, get_vis   # Run / VisOutputs, or a 404 JSON error
    from ttvis.server.responses import json_error, abort_json, binary_response, int_arg, epoch_arg, sample_arg
and read app.config["DATA_ROOT"], app.config["MILVUS_URI"].
"""

import math

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from ttvis.server import config as config_mod


class FiniteJSONProvider(DefaultJSONProvider):
    """JSON answers are always valid JSON: NaN and infinities (which Python writes as bare NaN and
    Infinity, which JSON.parse rejects) go out as null."""

    def dumps(self, obj, **kwargs):
        kwargs["allow_nan"] = False
        try:
            return super().dumps(obj, **kwargs)
        except ValueError:
            return super().dumps(_finite(obj), **kwargs)


def _finite(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def create_app(test_config=None):
    app = Flask(__name__, static_folder=None)
    app.json = FiniteJSONProvider(app)
    app.url_map.merge_slashes = False  # "//" stays as sent: a decoded %2F must not be redirected into a route
    app.config.from_mapping(config_mod.defaults())
    if test_config:
        app.config.update(test_config)
    config_mod.finish(app.config)
    app.json.sort_keys = False
    app.json.compact = True

    from ttvis.server import builds, cache, follow, guard, live, search_api

    guard.init_app(app)
    cache.init_app(app)
    builds.init_app(app)
    live.init_app(app)
    follow.init_app(app)
    search_api.init_app(app)
    _init_cors(app)
    _register_errors(app)

    from ttvis.server import marks, methods, openapi, overlays, predictions, runs, samples, web

    for module in (runs, predictions, methods, samples, builds, live, follow, search_api, marks, overlays, openapi, web):
        app.register_blueprint(module.bp)
    from ttvis.server.responses import gzip_json

    app.after_request(gzip_json)
    return app


def _init_cors(app):
    origins = app.config["CORS_ORIGINS"]
    if origins:
        from flask_cors import CORS

        from ttvis.server.responses import EXPOSED_HEADERS

        CORS(app, resources={r"/api/*": {"origins": origins}}, expose_headers=EXPOSED_HEADERS)


def _register_errors(app):
    from ttvis.errors import RunError, first_line
    from ttvis.server.responses import json_error
    from ttvis.server.safepath import Refused

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.response is not None:  # abort_json already built the answer
            return exc.response
        if request.path.startswith("/api/"):
            return json_error(exc.code or 500, exc.description or exc.name)
        return exc

    @app.errorhandler(Refused)
    def refused(exc):
        return json_error(404, str(exc))

    @app.errorhandler(RunError)
    def broken_run(exc):  # the data on disk is broken, not the request
        return json_error(500, f"unreadable run data: {exc}")

    @app.errorhandler(Exception)
    def internal(exc):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        app.logger.exception("unhandled error on %s", request.path)
        first = first_line(exc)
        return json_error(500, f"internal error: {type(exc).__name__}: {first}")
