"""Per-epoch predictions and confidences, and events between epochs, against the logits on disk."""

import numpy as np

from ttvis.run.dynamics import softmax
from srvutil import as_array


def probs(data_root, e):
    return softmax(np.load(data_root / f"digits/epochs/epoch_{e}/logits.npy"))


def test_predictions_and_confidence(client, data_root, digits):
    for e in (digits.epochs[0], digits.epochs[-1]):
        p = probs(data_root, e)
        r = client.get(f"/api/runs/digits/epochs/{e}/predictions")
        assert r.status_code == 200 and r.content_type == "application/octet-stream"
        assert r.headers["X-Dtype"] == "uint8" and r.headers["X-Shape"] == str(digits.n)
        np.testing.assert_array_equal(as_array(r), p.argmax(1))
        r = client.get(f"/api/runs/digits/epochs/{e}/confidence")
        assert r.headers["X-Dtype"] == "float32" and r.headers["X-Shape"] == str(digits.n)
        np.testing.assert_allclose(as_array(r), p.max(1), rtol=1e-6)
        assert "max-age=31536000" in r.headers["Cache-Control"]


def test_events_between_epochs(client, data_root, digits, ):
    a, b = digits.epochs[0], digits.epochs[-1]
    r = client.get(f"/api/runs/digits/events?from={a}&to={b}")
    assert r.status_code == 200
    ev = r.get_json()
    pa, pb = probs(data_root, a), probs(data_root, b)
    flips = np.flatnonzero(pa.argmax(1) != pb.argmax(1))
    assert ev["from"] == a and ev["to"] == b
    assert ev["flips"]["indices"] == flips.tolist()
    assert ev["flips"]["from"] == pa.argmax(1)[flips].tolist() and ev["flips"]["to"] == pb.argmax(1)[flips].tolist()
    labels = np.load(data_root / "digits/dataset/labels.npy")
    rows = np.arange(len(labels))
    delta = pb[rows, labels] - pa[rows, labels]
    idx = ev["confidence_change"]["indices"]
    assert len(idx) == 100 and len(set(idx)) == 100
    np.testing.assert_allclose(ev["confidence_change"]["delta"], delta[idx], atol=1e-5)
    assert np.abs(delta[idx]).min() >= np.sort(np.abs(delta))[-100] - 1e-6  # the top 100 by |delta|
    assert list(np.abs(ev["confidence_change"]["delta"])) == sorted(np.abs(ev["confidence_change"]["delta"]), reverse=True)


def test_events_defaults_to_last_two_epochs(client, digits):
    ev = client.get("/api/runs/digits/events").get_json()
    assert (ev["from"], ev["to"]) == (digits.epochs[-2], digits.epochs[-1])


def test_large_json_is_gzipped(client, digits):
    import gzip
    import json

    plain = client.get("/api/runs/digits/events?from=1&to=6")
    packed = client.get("/api/runs/digits/events?from=1&to=6", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip" and len(packed.data) < len(plain.data)
    assert json.loads(gzip.decompress(packed.data)) == plain.get_json()
    small = client.get("/api/runs/digits/samples/0", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers
