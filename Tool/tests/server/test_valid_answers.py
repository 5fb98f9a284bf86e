"""Answers that must hold whatever the run: unknown method names are 404, and JSON is always valid JSON."""

import json

import numpy as np


def _strict(data):
    """json.loads that refuses NaN and Infinity, as the browser's JSON.parse does."""
    def refuse(name):
        raise ValueError(f"invalid JSON constant {name}")
    return json.loads(data, parse_constant=refuse)


def test_build_status_of_an_unknown_method_is_404(client):
    r = client.get("/api/runs/digits/methods/evil/build")
    assert r.status_code == 404 and "evil" in r.get_json()["error"]
    assert client.get("/api/runs/plain/methods/timevis/build").get_json()["state"] == "idle"


def test_suspicious_of_a_single_class_run_is_valid_json(tmp_path):
    """One class: no other class to have a margin over, so the margin signal is infinite."""
    from ttvis.run.recorder import Recorder
    from ttvis.server import create_app

    rng = np.random.default_rng(0)
    n = 40
    rec = Recorder(tmp_path / "r", labels=np.zeros(n, int), split=(np.arange(n) % 5 == 0).astype(np.uint8),
                   classes=["only"], name="r")
    for e in (1, 2, 3):
        rec.record(None, e, representations=rng.standard_normal((n, 4)).astype(np.float32),
                   logits=rng.standard_normal((n, 1)).astype(np.float32))
    c = create_app({"DATA_ROOT": str(tmp_path)}).test_client()
    r = c.get("/api/runs/r/suspicious?k=5")
    assert r.status_code == 200
    body = _strict(r.data)
    assert len(body["samples"]) == 5
    assert all(s["signals"]["low_margin"] is None for s in body["samples"])


def test_non_finite_numbers_go_out_as_null(app):
    with app.app_context():
        text = app.json.dumps({"a": float("nan"), "b": [1.5, float("-inf")], "c": {"d": float("inf")}})
    assert _strict(text) == {"a": None, "b": [1.5, None], "c": {"d": None}}
