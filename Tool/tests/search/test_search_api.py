"""The /search and /suspicious routes through Flask's test client, backed by real Milvus Lite."""

import subprocess
import sys

import numpy as np
import pytest

from ttvis.run import layout
from ttvis.run.reader import Run


@pytest.fixture(scope="module")
def client(noisy_run, tmp_path_factory):
    from ttvis.server import create_app

    db = tmp_path_factory.mktemp("api-milvus") / "api.db"
    app = create_app({"DATA_ROOT": str(noisy_run.parent), "MILVUS_URI": str(db)})
    return app.test_client()


def test_search_route_equals_exact_knn(client, noisy_run, knn):
    run = Run(noisy_run)
    name = noisy_run.name
    e = run.epochs[3]
    r = client.get(f"/api/runs/{name}/search?sample=11&epoch={e}&k=9")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    ids, dist = knn(run.representations(e), 11, 9)
    assert body["ids"] == ids and body["sample"] == 11 and body["epoch"] == e and body["k"] == 9
    np.testing.assert_allclose(body["distances"], dist, rtol=1e-5)
    # default epoch is the last; filters are applied
    r = client.get(f"/api/runs/{name}/search?sample=11&k=5&split=test&label=2")
    mask = (run.split == layout.TEST) & (run.labels == 2)
    assert r.get_json()["ids"] == knn(run.representations(run.epochs[-1]), 11, 5, mask)[0]
    r = client.get(f"/api/runs/{name}/search?sample=11&k=5&space=trajectory&prediction=4")
    body = r.get_json()
    assert r.status_code == 200 and body["space"] == "trajectory" and len(body["ids"]) == 5
    assert (run.predictions(run.epochs[-1])[body["ids"]] == 4).all()


@pytest.mark.parametrize("query,status", [
    ("", 400), ("sample=abc", 400), ("sample=999999", 404), ("sample=1&epoch=999", 404),
    ("sample=1&space=pixels", 400), ("sample=1&k=0", 400), ("sample=1&split=val", 400),
    ("sample=1&label=99", 400), ("sample=1&prediction=-1", 400)])
def test_search_route_rejects_bad_parameters(client, noisy_run, query, status):
    r = client.get(f"/api/runs/{noisy_run.name}/search?{query}")
    assert r.status_code == status and "error" in r.get_json()


def test_unknown_run_is_404(client):
    assert client.get("/api/runs/no-such-run/search?sample=1").status_code == 404
    assert client.get("/api/runs/no-such-run/suspicious").status_code == 404


def test_suspicious_route(client, noisy_run):
    run = Run(noisy_run)
    r = client.get(f"/api/runs/{noisy_run.name}/suspicious?k=30")
    assert r.status_code == 200
    body = r.get_json()
    assert len(body["samples"]) == 30 and "low_margin" in body["signals"]
    assert [s["rank"] for s in body["samples"]] == list(range(1, 31))
    scores = [s["score"] for s in body["samples"]]
    assert scores == sorted(scores, reverse=True)
    bad = set().union(*(set(v["indices"]) for v in run.ground_truth().values()))
    hits = sum(s["index"] in bad for s in body["samples"])
    assert hits >= 3 * 30 * len(bad) / len(run.train_idx)
    assert client.get(f"/api/runs/{noisy_run.name}/suspicious?k=0").status_code == 400
    every = client.get(f"/api/runs/{noisy_run.name}/suspicious?k=10000").get_json()["samples"]
    assert sorted(s["index"] for s in every) == run.train_idx.tolist()


def test_search_answers_503_when_another_process_holds_the_database(noisy_run, tmp_path):
    from ttvis.server import create_app

    db = tmp_path / "held.db"
    holder = subprocess.Popen([sys.executable, "-c", "import sys; from pymilvus import MilvusClient; "
                               "MilvusClient(sys.argv[1]); print('holding', flush=True); sys.stdin.read()", str(db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        app = create_app({"DATA_ROOT": str(noisy_run.parent), "MILVUS_URI": str(db)})
        r = app.test_client().get(f"/api/runs/{noisy_run.name}/search?sample=1")
        assert r.status_code == 503
        assert "in use by another process" in r.get_json()["error"]
    finally:
        holder.stdin.close()
        holder.wait(timeout=20)
