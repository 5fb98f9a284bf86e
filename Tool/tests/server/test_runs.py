"""Runs list, run metadata, labels and split, checked against the run's files."""

import json

import numpy as np

from ttvis.palette import class_hex
from srvutil import METHOD, as_array


def test_list_runs_only_real_runs(client, data_root):
    r = client.get("/api/runs")
    assert r.status_code == 200 and r.content_type == "application/json"
    runs = {x["name"]: x for x in r.get_json()["runs"]}
    assert set(runs) == {"digits", "plain"}  # not-a-run and .hidden are left out
    d = runs["digits"]
    split = np.load(data_root / "digits/dataset/split.npy")
    assert d["n_samples"] == len(split) == d["n_train"] + d["n_test"]
    assert d["n_test"] == int((split == 1).sum())
    meta = json.loads((data_root / "digits/run.json").read_text())
    assert d["classes"] == meta["classes"] and d["epochs"] == meta["epochs"]
    assert d["methods"] == [METHOD] and runs["plain"]["methods"] == []


def test_run_meta(client, data_root, digits):
    r = client.get("/api/runs/digits")
    assert r.status_code == 200
    m = r.get_json()
    assert m["name"] == "digits" and m["n_samples"] == digits.n and m["dim"] == 64
    assert m["epochs"] == digits.epochs
    assert [c["color"] for c in m["classes"]] == class_hex(10)
    assert [c["name"] for c in m["classes"]] == digits.classes and m["classes"][3]["index"] == 3
    assert m["image"] == {"shape": [8, 8]}
    assert m["ground_truth"] == {}
    pca = m["methods"][METHOD]
    assert pca["epochs"] == digits.epochs and pca["has_territory"] is True
    extent = json.loads((data_root / "digits/visualize/pca/extent.json").read_text())
    assert pca["extent"] == extent
    assert abs(pca["summary"]["trustworthiness"] - 0.9) < 1e-9
    assert client.get("/api/runs/plain").get_json()["methods"] == {}


def test_ground_truth_counts(tmp_path, run_copy):
    """Counts of the demo's ground-truth records (written here with the demo's own functions)."""
    import shutil

    from ttvis import atomic
    from ttvis.demo import data as demo_data
    from ttvis.server import create_app

    shutil.move(str(run_copy), tmp_path / "noisy")
    labels = np.load(tmp_path / "noisy/dataset/labels.npy")
    split = np.load(tmp_path / "noisy/dataset/split.npy")
    images = np.load(tmp_path / "noisy/dataset/images.npy")
    rng = np.random.default_rng(0)
    _, noise = demo_data.flip_labels(labels, split, 0.05, 10, rng)
    _, _, backdoor = demo_data.stamp_backdoor(images, labels, split, 0.03, 0, rng, noise["indices"])
    atomic.write_json(tmp_path / "noisy/dataset/ground_truth.json", {"label_noise": noise, "backdoor": backdoor})
    m = create_app({"DATA_ROOT": str(tmp_path)}).test_client().get("/api/runs/noisy").get_json()
    assert m["ground_truth"] == {"label_noise": len(noise["indices"]), "backdoor": len(backdoor["indices"])}
    assert m["ground_truth"]["label_noise"] > 0 and m["ground_truth"]["backdoor"] > 0


def test_labels_and_split_binary(client, data_root):
    for route, file in (("labels", "labels.npy"), ("split", "split.npy")):
        r = client.get(f"/api/runs/digits/{route}")
        assert r.status_code == 200 and r.content_type == "application/octet-stream"
        assert r.headers["X-Dtype"] == "uint8" and r.headers["X-Shape"] == "1797"
        assert "immutable" in r.headers["Cache-Control"]
        np.testing.assert_array_equal(as_array(r), np.load(data_root / "digits/dataset" / file))


def test_labels_gzip_and_etag(client, data_root):
    import gzip

    r = client.get("/api/runs/digits/labels", headers={"Accept-Encoding": "gzip, deflate"})
    assert r.headers["Content-Encoding"] == "gzip" and len(r.data) < 1797
    raw = gzip.decompress(r.data)
    np.testing.assert_array_equal(np.frombuffer(raw, np.uint8), np.load(data_root / "digits/dataset/labels.npy"))
    again = client.get("/api/runs/digits/labels", headers={"Accept-Encoding": "gzip", "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    plain = client.get("/api/runs/digits/labels", headers={"If-None-Match": r.headers["ETag"]})
    assert plain.status_code == 200 and len(plain.data) == 1797  # the gzip ETag does not match identity bytes
