"""Starting a visualization build from the API and following its progress."""

import shutil
import time

import numpy as np
import pytest



@pytest.fixture
def build_client(run_copy, tmp_path):
    from ttvis.server import create_app

    root = tmp_path / "root"
    root.mkdir()
    shutil.move(str(run_copy), root / "r")
    return create_app({"DATA_ROOT": str(root)}).test_client(), root


def test_status_of_unbuilt_and_built(client, build_client):
    c, _ = build_client
    s = c.get("/api/runs/r/methods/pca/build").get_json()
    assert s["state"] == "idle" and s["progress"] == 0
    s = client.get("/api/runs/digits/methods/pca/build").get_json()  # the fixture's complete PCA
    assert s["state"] == "done" and s["progress"] == 1


def test_build_bad_requests(build_client):
    c, _ = build_client
    assert c.post("/api/runs/nope/methods/pca/build").status_code == 404
    assert c.post("/api/runs/r/methods/pca/build", data="[1]", content_type="application/json").status_code == 400
    assert c.post("/api/runs/r/methods/Bad.Name/build").status_code == 404
    assert c.get("/api/runs/r/methods/Bad.Name/build").status_code == 404
    assert c.post("/api/runs/r/methods/no-such-method/build").status_code == 404
    r = c.post("/api/runs/r/methods/pca/build", data="{oops", content_type="application/json")
    assert r.status_code == 400 and r.get_json()["error"]
    r = c.post("/api/runs/r/methods/pca/build", json={"force": "yes"})
    assert r.status_code == 400 and "force" in r.get_json()["error"]


def test_build_pca_in_background(build_client):
    c, root = build_client
    r = c.post("/api/runs/r/methods/pca/build", json={"force": False})
    assert r.status_code == 202 and r.get_json()["state"] == "running"
    second = c.post("/api/runs/r/methods/pca/build")
    states = [c.get("/api/runs/r/methods/pca/build").get_json()]
    deadline = time.time() + 120
    while states[-1]["state"] == "running":
        assert time.time() < deadline, states[-1]
        time.sleep(0.2)
        states.append(c.get("/api/runs/r/methods/pca/build").get_json())
    assert states[-1]["state"] == "done", states[-1]
    assert states[-1]["progress"] == 1
    assert all(0 <= s["progress"] <= 1 for s in states)
    assert second.status_code == 409 and "already running" in second.get_json()["error"]
    meta = c.get("/api/runs/r").get_json()
    assert meta["methods"]["pca"]["epochs"] == meta["epochs"]
    pos = c.get("/api/runs/r/methods/pca/epochs/1/positions")
    assert pos.status_code == 200
    expected = np.load(root / "r/visualize/pca/epochs/epoch_1/positions.npy")
    np.testing.assert_array_equal(np.frombuffer(pos.data, np.float32).reshape(-1, 2), expected)


def test_methods_are_the_engines_registry_cheapest_first(client):
    from ttvis.visualize.projector import PROJECTORS

    listed = client.get("/api/methods").get_json()["methods"]
    names = [m["name"] for m in listed]
    assert sorted(names) == sorted(PROJECTORS) and len(names) == 6
    assert names[0] == "pca" and names[-1] == "timevis"
    assert [m["cost"] for m in listed] == sorted(m["cost"] for m in listed)
    by_name = {m["name"]: m for m in listed}
    assert by_name["pca"]["slow_from"] is None and by_name["timevis"]["slow_from"] == 0
    assert by_name["umap"]["fits_on"] == "all" and not by_name["umap"]["has_inverse"]
    assert by_name["timevis"]["extendable"] and by_name["timevis"]["parameters"]["seed"] == 0
