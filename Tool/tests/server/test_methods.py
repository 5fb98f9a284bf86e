"""Positions, territory, metrics and trajectories of a visualization, against its files."""

import io
import json

import numpy as np
from PIL import Image

from srvutil import GRID, METHOD, as_array

BASE = f"/api/runs/digits/methods/{METHOD}"


def test_positions(client, data_root, digits):
    for e in digits.epochs:
        r = client.get(f"{BASE}/epochs/{e}/positions")
        assert r.status_code == 200 and r.content_type == "application/octet-stream"
        assert r.headers["X-Dtype"] == "float32" and r.headers["X-Shape"] == f"{digits.n},2"
        assert len(r.data) == digits.n * 8
        expected = np.load(data_root / f"digits/visualize/{METHOD}/epochs/epoch_{e}/positions.npy")
        np.testing.assert_array_equal(as_array(r), expected)


def test_positions_conditional_request(client):
    r = client.get(f"{BASE}/epochs/1/positions")
    assert r.headers["ETag"] and r.headers["Cache-Control"] == "no-cache"
    again = client.get(f"{BASE}/epochs/1/positions", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get(f"{BASE}/epochs/2/positions", headers={"If-None-Match": r.headers["ETag"]})
    assert other.status_code == 200


def test_positions_not_gzipped_when_it_does_not_pay(client):
    r = client.get(f"{BASE}/epochs/1/positions", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in r.headers


def test_territory_png(client, data_root):
    r = client.get(f"{BASE}/epochs/3/territory.png")
    assert r.status_code == 200 and r.content_type == "image/png"
    assert r.data == (data_root / f"digits/visualize/{METHOD}/epochs/epoch_3/territory.png").read_bytes()
    assert Image.open(io.BytesIO(r.data)).size == (GRID, GRID)
    assert client.get(f"{BASE}/epochs/3/territory.png", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_metrics(client, data_root):
    r = client.get(f"{BASE}/metrics")
    assert r.status_code == 200
    assert r.get_json() == json.loads((data_root / f"digits/visualize/{METHOD}/metrics.json").read_text())
    r = client.get(f"{BASE}/epochs/2/metrics")
    assert r.get_json() == {"epoch": 2, "trustworthiness": 0.9}


def test_trajectory(client, data_root, digits):
    r = client.get(f"{BASE}/samples/42/trajectory")
    assert r.status_code == 200
    t = r.get_json()
    assert t["epochs"] == digits.epochs
    expected = [np.load(data_root / f"digits/visualize/{METHOD}/epochs/epoch_{e}/positions.npy")[42] for e in digits.epochs]
    np.testing.assert_allclose(t["positions"], expected, rtol=1e-6)


def test_unbuilt_method_and_epoch(client, run_copy, tmp_path):
    """A method with only some epochs written answers 404 for the others."""
    import shutil

    from srvutil import write_pca_visualization
    from ttvis.server import create_app

    root = tmp_path / "root"
    root.mkdir()
    shutil.move(str(run_copy), root / "r")
    write_pca_visualization(root / "r")
    shutil.rmtree(root / "r/visualize/pca/epochs/epoch_6")
    c = create_app({"DATA_ROOT": str(root)}).test_client()
    assert c.get("/api/runs/r").get_json()["methods"]["pca"]["epochs"] == [1, 2, 3, 4, 5]
    assert c.get("/api/runs/r/methods/pca/epochs/5/positions").status_code == 200
    assert c.get("/api/runs/r/methods/pca/epochs/6/positions").status_code == 404
    assert c.get("/api/runs/r/methods/pca/epochs/6/territory.png").status_code == 404
    assert c.get("/api/runs/r/methods/umap/epochs/5/positions").status_code == 404
    assert c.get("/api/runs/r/methods/pca/samples/3/trajectory").get_json()["epochs"] == [1, 2, 3, 4, 5]


def test_rewritten_positions_are_picked_up(run_copy, tmp_path):
    """The cache follows the files: a rebuilt epoch is served without restarting."""
    import shutil

    from srvutil import write_pca_visualization
    from ttvis.server import create_app
    from ttvis.visualize.outputs import VisOutputs

    root = tmp_path / "root"
    root.mkdir()
    shutil.move(str(run_copy), root / "r")
    write_pca_visualization(root / "r")
    c = create_app({"DATA_ROOT": str(root)}).test_client()
    first = c.get("/api/runs/r/methods/pca/epochs/1/positions")
    new = np.ones((1797, 2), np.float32)
    VisOutputs(root / "r", "pca").write_positions(1, new)
    second = c.get("/api/runs/r/methods/pca/epochs/1/positions", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    np.testing.assert_array_equal(as_array(second), new)
