"""The OpenAPI 3 document of the API, served at /api/openapi.json (clients and fuzz tests read it)."""

from flask import Blueprint, jsonify

bp = Blueprint("docs", __name__, url_prefix="/api")


def _path_param(name, schema, description):
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def _query(name, schema, description, required=False):
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


RUN = _path_param("run", {"type": "string"}, "run folder name directly under the data root")
METHOD = _path_param("method", {"type": "string"}, "visualization method, e.g. pca, umap, timevis")
EPOCH = _path_param("epoch", {"type": "integer"}, "an epoch of the run")
SAMPLE = _path_param("sample", {"type": "integer", "minimum": 0}, "sample index in [0, N)")

ERROR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
ERRORS = {"400": {**ERROR, "description": "malformed parameter"}, "404": {**ERROR, "description": "unknown run, method, epoch or sample"}}


def _json(description, schema=None):
    return {"description": description, "content": {"application/json": {"schema": schema or {"type": "object"}}}}


def _binary(description):
    return {"description": description + " Raw little-endian bytes; headers X-Dtype and X-Shape describe them.",
            "headers": {"X-Dtype": {"schema": {"type": "string"}}, "X-Shape": {"schema": {"type": "string"}},
                        "ETag": {"schema": {"type": "string"}}},
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}


def _png(description):
    return {"description": description, "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}


def _with_unavailable(path_item):
    """Search needs Milvus, which may be locked by another process or unreachable."""
    path_item["get"]["responses"]["503"] = {**ERROR, "description": "Milvus is unavailable or locked by another process"}
    return path_item


def _get(summary, ok, params=(), errors=True):
    op = {"summary": summary, "parameters": list(params), "responses": {"200": ok, **(ERRORS if errors else {})}}
    if ok.get("content", {}).get("application/octet-stream") or "image/png" in ok.get("content", {}):
        op["responses"]["304"] = {"description": "not modified (If-None-Match matched the ETag)"}
    return {"get": op}


EXTENT = {"type": "object", "properties": {k: {"type": "number"} for k in ("x_min", "x_max", "y_min", "y_max")}}
BUILD_STATE = {"type": "object", "properties": {
    "state": {"type": "string", "enum": ["idle", "running", "done", "failed", "cancelled"]},
    "progress": {"type": "number", "minimum": 0, "maximum": 1}, "message": {"type": "string"}}}

MARK = {"type": "object", "required": ["mark"], "additionalProperties": False, "properties": {
    "mark": {"type": "string", "enum": ["wrong_label", "poisoned", "fine"]},
    "label": {"type": "integer", "minimum": 0, "description": "the right class (wrong_label only)"}}}
MARKED = {"type": "object", "properties": {"index": {"type": "integer"}, "mark": {**MARK, "nullable": True}}}
SUSPICIOUS_SAMPLE = {"type": "object", "properties": {
    "index": {"type": "integer"}, "rank": {"type": "integer"}, "score": {"type": "number"},
    "reasons": {"type": "array", "items": {"type": "string"}, "description": "the top one or two, in words"},
    "signals": {"type": "object", "additionalProperties": {"type": "number"}}, "mark": MARK}}

PATHS = {
    "/api/methods": _get("The visualization methods the engine builds, cheapest first", _json("methods", {
        "type": "object", "properties": {"methods": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "cost": {"type": "integer"},
            "slow_from": {"type": "integer", "nullable": True,
                          "description": "samples from which a build takes minutes on a CPU (null: never)"},
            "has_inverse": {"type": "boolean"}, "fits_on": {"type": "string", "enum": ["training", "all"]},
            "extendable": {"type": "boolean"}, "parameters": {"type": "object"}}}}}}), errors=False),
    "/api/runs": _get("List the runs under the data root", _json("runs", {"type": "object", "properties": {
        "runs": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "n_samples": {"type": "integer"}, "n_train": {"type": "integer"},
            "n_test": {"type": "integer"}, "classes": {"type": "array", "items": {"type": "string"}},
            "epochs": {"type": "array", "items": {"type": "integer"}},
            "methods": {"type": "array", "items": {"type": "string"}}}}}}}), errors=False),
    "/api/runs/{run}": _get("One run's metadata: classes with colours, epochs, split sizes, methods", _json(
        "run metadata", {"type": "object", "properties": {
            "name": {"type": "string"}, "n_samples": {"type": "integer"}, "dim": {"type": "integer"},
            "epochs": {"type": "array", "items": {"type": "integer"}},
            "classes": {"type": "array", "items": {"type": "object", "properties": {
                "index": {"type": "integer"}, "name": {"type": "string"}, "color": {"type": "string"}}}},
            "image": {"nullable": True, "type": "object"}, "ground_truth": {"type": "object"},
            "methods": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                "epochs": {"type": "array", "items": {"type": "integer"}}, "extent": EXTENT,
                "has_territory": {"type": "boolean"}, "summary": {"type": "object"}}}}}}), [RUN]),
    "/api/runs/{run}/live": _get(
        "The run's complete epochs, those being written, and each visualization's epochs. With If-None-Match and "
        "wait, waits until that changes (long polling); 304 if it did not", _json("live state", {
            "type": "object", "properties": {
                "run": {"type": "string"}, "epochs": {"type": "array", "items": {"type": "integer"}},
                "writing": {"type": "array", "items": {"type": "integer"}}, "live": {"type": "boolean"},
                "methods": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "integer"}}}}}),
        [RUN, _query("wait", {"type": "number", "minimum": 0, "maximum": 30},
                     "seconds to wait for a change when If-None-Match holds the current ETag (default 0)")]),
    "/api/runs/{run}/labels": _get("Labels, uint8 (or uint16 beyond 256 classes), shape (N,)", _binary("labels."), [RUN]),
    "/api/runs/{run}/split": _get("Split, uint8 (N,): 0 train, 1 test", _binary("split."), [RUN]),
    "/api/runs/{run}/epochs/{epoch}/predictions": _get("Predicted class per sample at an epoch", _binary("predictions."), [RUN, EPOCH]),
    "/api/runs/{run}/epochs/{epoch}/confidence": _get("Max softmax probability per sample, float32 (N,)", _binary("confidences."), [RUN, EPOCH]),
    "/api/runs/{run}/events": _get("Prediction flips and the largest label-probability changes between two epochs", _json(
        "events", {"type": "object", "properties": {
            "from": {"type": "integer"}, "to": {"type": "integer"}, "flips": {"type": "object"},
            "confidence_change": {"type": "object"}}}),
        [RUN, _query("from", {"type": "integer"}, "earlier epoch (default: the one before `to`)"),
         _query("to", {"type": "integer"}, "later epoch (default: the last)")]),
    "/api/runs/{run}/methods/{method}/epochs/{epoch}/positions": _get(
        "2D positions, float32 (N, 2) row-major", _binary("positions."), [RUN, METHOD, EPOCH]),
    "/api/runs/{run}/methods/{method}/epochs/{epoch}/territory.png": _get(
        "Territory image covering the method's extent; row 0 is y_max", _png("territory"), [RUN, METHOD, EPOCH]),
    "/api/runs/{run}/methods/{method}/epochs/{epoch}/metrics": _get(
        "Quality metrics of one epoch", _json("metrics"), [RUN, METHOD, EPOCH]),
    "/api/runs/{run}/methods/{method}/metrics": _get("All epochs' metrics and a summary", _json("metrics"), [RUN, METHOD]),
    "/api/runs/{run}/methods/{method}/samples/{sample}/trajectory": _get(
        "A sample's 2D position at every built epoch", _json("trajectory", {"type": "object", "properties": {
            "epochs": {"type": "array", "items": {"type": "integer"}},
            "positions": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}}}),
        [RUN, METHOD, SAMPLE]),
    "/api/runs/{run}/samples/{sample}": _get("One sample across all epochs", _json("sample", {"type": "object", "properties": {
        "index": {"type": "integer"}, "label": {"type": "integer"}, "label_name": {"type": "string"},
        "split": {"type": "string", "enum": ["train", "test"]},
        "epochs": {"type": "array", "items": {"type": "integer"}},
        "predictions": {"type": "array", "items": {"type": "integer"}},
        "confidences": {"type": "array", "items": {"type": "number"}},
        "label_probabilities": {"type": "array", "items": {"type": "number"}},
        "flips": {"type": "array", "items": {"type": "integer"}}}}), [RUN, SAMPLE]),
    "/api/runs/{run}/samples/{sample}/image.png": _get(
        "The sample's image, upscaled with nearest neighbours", _png("image"),
        [RUN, SAMPLE, _query("scale", {"type": "integer", "minimum": 1, "maximum": 32}, "upscale factor (default 1)")]),
    "/api/runs/{run}/methods/{method}/build": {
        "get": {"summary": "State of the run's latest build of this method", "parameters": [RUN, METHOD],
                "responses": {"200": _json("build state", BUILD_STATE), **ERRORS}},
        "post": {"summary": "Start building this visualization in the background (one build per run at a time)",
                 "parameters": [RUN, METHOD],
                 "requestBody": {"required": False, "content": {"application/json": {"schema": {
                     "type": "object", "properties": {"force": {"type": "boolean"}}}}}},
                 "responses": {"202": _json("started", BUILD_STATE), **ERRORS,
                               "403": {**ERROR, "description": "refused: Origin not this server's nor a --cors one"},
                               "409": {**ERROR, "description": "a build is already running for this run"},
                               "415": {**ERROR, "description": "refused: the body is not JSON"}}},
        "delete": {"summary": "Cancel the running build of this method at its next progress step",
                   "parameters": [RUN, METHOD],
                   "responses": {"202": _json("cancelling", BUILD_STATE), **ERRORS,
                                 "403": {**ERROR, "description": "refused: Origin not this server's nor a --cors one"},
                                 "409": {**ERROR, "description": "no build of this method is running"}}}},
    "/api/runs/{run}/timeline": _get("Train and test accuracy per epoch, and prediction flips since the previous epoch", _json(
        "timeline", {"type": "object", "properties": {k: {"type": "array"} for k in ("epochs", "train_accuracy", "test_accuracy", "flips")}}),
        [RUN]),
    "/api/runs/{run}/methods/{method}/epochs/{epoch}/territory_grid": _get(
        "The territory's predicted class and margin per grid cell, float32 (2, H, W), row 0 at y_max",
        _binary("class and margin grids."), [RUN, METHOD, EPOCH]),
    "/api/runs/{run}/methods/{method}/epochs/{epoch}/roundtrip": _get(
        "Each sample's prediction after its map point is decoded back (404 for methods without an inverse)",
        _binary("round-trip predictions."), [RUN, METHOD, EPOCH]),
    "/api/runs/{run}/follow": {
        "post": {"summary": "Follow the run: extend its visualization (method, default timevis; PCA until that is "
                            "built) in the background as epochs arrive, or stop (follow: false)",
                 "parameters": [RUN],
                 "requestBody": {"required": False, "content": {"application/json": {"schema": {
                     "type": "object", "properties": {"follow": {"type": "boolean"},
                                                      "method": {"type": "string"}}}}}},
                 "responses": {"200": _json("what the follower does for the run (null: not followed)"), **ERRORS,
                               "403": {**ERROR, "description": "refused: Origin not this server's nor a --cors one"},
                               "415": {**ERROR, "description": "refused: the body is not JSON"}}}},
    "/api/runs/{run}/search": _with_unavailable(_get("Nearest neighbours of a sample (Milvus)", _json("neighbours", {"type": "object", "properties": {
        "sample": {"type": "integer"}, "epoch": {"type": "integer"}, "space": {"type": "string"}, "k": {"type": "integer"},
        "ids": {"type": "array", "items": {"type": "integer"}}, "distances": {"type": "array", "items": {"type": "number"}}}}),
        [RUN, _query("sample", {"type": "integer", "minimum": 0}, "query sample index", required=True),
         _query("epoch", {"type": "integer"}, "epoch whose representations are searched"),
         _query("k", {"type": "integer", "minimum": 1, "maximum": 1000}, "number of neighbours (default 10)"),
         _query("space", {"type": "string", "enum": ["representation", "trajectory"]}, "what is compared"),
         _query("split", {"type": "string", "enum": ["train", "test"]}, "only this split"),
         _query("label", {"type": "integer", "minimum": 0}, "only this label"),
         _query("prediction", {"type": "integer", "minimum": 0}, "only this prediction")])),
    "/api/runs/{run}/suspicious": _get("Training samples ranked by how suspicious they look, each with its reasons; "
                                       "marks re-order the ranking", _json("ranking", {
        "type": "object", "properties": {"signals": {"type": "array", "items": {"type": "string"}},
                                         "samples": {"type": "array", "items": SUSPICIOUS_SAMPLE}}}),
        [RUN, _query("k", {"type": "integer", "minimum": 1, "maximum": 10000}, "how many samples (default 50)")]),
    "/api/runs/{run}/marks": _get("The run's marks on samples (kept in marks.json in the run folder)", _json(
        "marks by sample index", {"type": "object", "properties": {
            "marks": {"type": "object", "additionalProperties": MARK}}})),
    "/api/runs/{run}/marks/{sample}": {
        "put": {"summary": "Mark a sample: its label is wrong (and which class it is), it is poisoned, or it is fine",
                "parameters": [RUN, SAMPLE],
                "requestBody": {"required": True, "content": {"application/json": {"schema": MARK}}},
                "responses": {"200": _json("the stored mark", MARKED), **ERRORS,
                              "415": {**ERROR, "description": "the body is not JSON"}}},
        "delete": {"summary": "Clear a sample's mark", "parameters": [RUN, SAMPLE],
                   "responses": {"200": _json("the mark is gone", MARKED), **ERRORS}}},
    "/api/openapi.json": _get("This document", _json("OpenAPI 3 document"), errors=False),
}


def document():
    from ttvis import __version__

    return {
        "openapi": "3.0.3",
        "info": {"title": "Time-Travelling Visualizer API", "version": __version__,
                 "description": "Runs of training dynamics, their visualizations and samples. Arrays are raw "
                                "little-endian binary described by X-Dtype and X-Shape; errors are {\"error\": ...}."},
        "paths": PATHS,
        "components": {"schemas": {"Error": {"type": "object", "required": ["error"],
                                             "properties": {"error": {"type": "string"}}}}},
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())
