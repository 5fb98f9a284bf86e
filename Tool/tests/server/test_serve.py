"""A real waitress server on a free port, over HTTP; and the serve verb's refusals."""

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import requests

from srvutil import METHOD

TOOL = Path(__file__).resolve().parents[2]
REPO = TOOL.parent


@pytest.fixture(scope="module")
def live(data_root):
    """`ttvis serve` in-process on port 0 (a free port), stopped at the end."""
    from ttvis.commands.serve import make_server, url_of

    server = make_server(data_root, "127.0.0.1", 0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield url_of(server)
    server.close()
    thread.join(timeout=5)


def test_http_routes(live, data_root, digits):
    s = requests.Session()
    runs = s.get(live + "api/runs", timeout=10).json()["runs"]
    assert {r["name"] for r in runs} == {"digits", "plain"}
    r = s.get(f"{live}api/runs/digits/methods/{METHOD}/epochs/2/positions", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/octet-stream"
    got = np.frombuffer(r.content, np.float32).reshape(-1, 2)
    np.testing.assert_array_equal(got, np.load(data_root / f"digits/visualize/{METHOD}/epochs/epoch_2/positions.npy"))
    again = s.get(f"{live}api/runs/digits/methods/{METHOD}/epochs/2/positions",
                  headers={"If-None-Match": r.headers["ETag"]}, timeout=10)
    assert again.status_code == 304
    r = s.get(live + "api/runs/digits/labels", timeout=10)  # requests asks for gzip and decodes it
    assert r.headers.get("Content-Encoding") == "gzip"
    np.testing.assert_array_equal(np.frombuffer(r.content, np.uint8), np.load(data_root / "digits/dataset/labels.npy"))
    assert s.get(live + "api/runs/digits/methods/pca/epochs/1/territory.png", timeout=10).content[:4] == b"\x89PNG"
    bad = s.get(live + "api/runs/digits/epochs/x/predictions", timeout=10)
    assert bad.status_code == 400 and bad.json()["error"]
    raw = s.get(live + "api/runs/..%2F..%2Fetc/labels", timeout=10)
    assert raw.status_code == 404
    assert s.get(live, timeout=10).status_code == 200


def test_http_concurrent_clients(live, digits):
    url = f"{live}api/runs/digits/methods/{METHOD}/epochs/3/positions"
    errors, done = [], []

    def client():
        s = requests.Session()
        for _ in range(10):
            r = s.get(url, timeout=10)
            (done if r.status_code == 200 and len(r.content) == digits.n * 8 else errors).append(r.status_code)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(done) == 80


def test_cors_off_by_default_and_configurable(data_root):
    from ttvis.server import create_app

    off = create_app({"DATA_ROOT": str(data_root)}).test_client()
    assert "Access-Control-Allow-Origin" not in off.get("/api/runs", headers={"Origin": "http://x.test"}).headers
    on = create_app({"DATA_ROOT": str(data_root), "CORS_ORIGINS": "http://x.test"}).test_client()
    r = on.get("/api/runs/digits/labels", headers={"Origin": "http://x.test"})
    assert r.headers["Access-Control-Allow-Origin"] == "http://x.test"
    assert "X-Shape" in r.headers["Access-Control-Expose-Headers"]
    r = on.get("/api/runs", headers={"Origin": "http://other.test"})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_config_defaults(data_root):
    from ttvis.server import create_app

    app = create_app({"DATA_ROOT": str(data_root)})
    assert app.config["MILVUS_URI"] == str(data_root / ".milvus" / "ttvis.db")
    assert app.config["CACHE_ITEMS"] > 0


def _serve(*args, timeout=60):
    return subprocess.run([sys.executable, str(REPO / "server.py"), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def test_refuses_missing_root(tmp_path):
    p = _serve("--root", str(tmp_path / "absent"))
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "data root does not exist" in lines[0] and "absent" in lines[0]
    assert "Traceback" not in p.stderr


def test_refuses_taken_port(data_root):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        p = _serve("--root", str(data_root), "--port", str(port))
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "already in use" in lines[0], p.stderr


def test_server_py_prints_url_and_serves(data_root):
    proc = subprocess.Popen([sys.executable, str(REPO / "server.py"), "--root", str(data_root), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line + proc.stderr.read() if proc.poll() is not None else line
        url = line[line.index("http://"):].split()[0]
        deadline = time.time() + 30
        while True:
            try:
                r = requests.get(url + "api/runs", timeout=5)
                break
            except requests.ConnectionError:
                assert time.time() < deadline
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["runs"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
