"""What a hostile web page can make the user's browser send: cross-site state changes and DNS rebinding.

Every state-changing request (any route, any method but GET/HEAD/OPTIONS) with a foreign Origin or a
non-JSON body is refused before its route runs; a Host name the server does not serve is refused on every
route. Checked through Flask's test client and against `server.py` on a real port.
"""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[3]
BUILD = "/api/runs/r/methods/pca/build"
EVIL = "http://evil.example"


@pytest.fixture
def root(run_copy, tmp_path):
    """A private data root: a refused build that ran anyway would write into it."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.move(str(run_copy), root / "r")
    return root


def _app(root, **config):
    from ttvis.server import create_app

    return create_app({"DATA_ROOT": str(root), **config})


def _nothing_built(root):
    return not (root / "r" / "visualize").exists()


def test_foreign_origin_cannot_start_a_build(root):
    c = _app(root).test_client()
    r = c.post(BUILD, data='{"force": true}', content_type="text/plain", headers={"Origin": EVIL})
    assert r.status_code == 403 and EVIL in r.get_json()["error"] and "--cors" in r.get_json()["error"]
    r = c.post(BUILD, json={"force": True}, headers={"Origin": EVIL})
    assert r.status_code == 403
    r = c.post(BUILD, headers={"Origin": "null"})  # sandboxed frames and file:// pages
    assert r.status_code == 403
    assert c.get(BUILD).get_json()["state"] == "idle" and _nothing_built(root)


def test_non_json_bodies_are_refused_without_origin(root):
    c = _app(root).test_client()
    for body, kind in (('{"force": true}', "text/plain"), ("force=1", "application/x-www-form-urlencoded"),
                       ("x", None)):
        r = c.post(BUILD, data=body, content_type=kind)
        assert r.status_code == 415 and "JSON" in r.get_json()["error"], (kind, r.data)
    assert c.get(BUILD).get_json()["state"] == "idle" and _nothing_built(root)


def test_same_origin_and_cors_origins_pass_the_guard(root):
    # an unknown method answers 404 from the route: the request got past the guard, and builds nothing
    url = "/api/runs/r/methods/no-such-method/build"
    c = _app(root).test_client()
    assert c.post(url, json={}, headers={"Origin": "http://localhost"}).status_code == 404
    assert c.post(url, json={}).status_code == 404  # no Origin: not a browser's cross-site request
    cors = _app(root, CORS_ORIGINS="http://ok.example").test_client()
    assert cors.post(url, json={}, headers={"Origin": "http://ok.example"}).status_code == 404
    assert cors.post(url, json={}, headers={"Origin": EVIL}).status_code == 403


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_routes_added_later_are_guarded_too(root, method):
    app = _app(root)
    calls = []

    @app.route("/api/runs/<run>/marks", methods=["POST", "PUT", "PATCH", "DELETE"])
    def marks(run):
        calls.append(run)
        return {"ok": True}

    c = app.test_client()
    assert c.open("/api/runs/r/marks", method=method, json={}, headers={"Origin": EVIL}).status_code == 403
    assert c.open("/api/runs/r/marks", method=method, data="a=1",
                  content_type="application/x-www-form-urlencoded").status_code == 415
    assert calls == []
    assert c.open("/api/runs/r/marks", method=method, json={}, headers={"Origin": "http://localhost"}).status_code == 200
    assert calls == ["r"]


def test_unknown_host_names_are_refused(root):
    c = _app(root).test_client()
    for host in ("evil.example.com", "evil.example.com:5000", "localhost.evil.example", "127.0.0.1.nip.io"):
        for url in ("/api/runs", "/", "/api/runs/r/labels"):
            r = c.get(url, headers={"Host": host})
            assert r.status_code == 403 and "--allow-host" in r.get_json()["error"], (host, url)
    for host in ("localhost", "localhost:5000", "127.0.0.1:5000", "[::1]:5000", "LOCALHOST:80"):
        assert c.get("/api/runs", headers={"Host": host}).status_code == 200, host


def test_allowed_hosts_and_the_bound_address_are_served(root):
    c = _app(root, ALLOWED_HOSTS="viz.lan, Other.Example", BIND_HOST="10.1.2.3").test_client()
    for host in ("viz.lan", "viz.lan:8080", "other.example", "10.1.2.3:5000", "localhost:5000"):
        assert c.get("/api/runs", headers={"Host": host}).status_code == 200, host
    assert c.get("/api/runs", headers={"Host": "evil.example"}).status_code == 403
    wildcard = _app(root, BIND_HOST="0.0.0.0").test_client()
    assert wildcard.get("/api/runs", headers={"Host": "0.0.0.0:5000"}).status_code == 403
    anyhost = _app(root, ALLOWED_HOSTS="*").test_client()
    assert anyhost.get("/api/runs", headers={"Host": "evil.example"}).status_code == 200


def test_real_server_refuses_rebinding_and_cross_site_posts(root):
    proc = subprocess.Popen([sys.executable, str(REPO / "server.py"), "--root", str(root), "--port", "0",
                             "--allow-host", "viz.lan"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=REPO)
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line + (proc.stderr.read() if proc.poll() is not None else "")
        url = line[line.index("http://"):].split()[0]
        s = requests.Session()
        deadline = time.monotonic() + 30
        while True:
            try:
                assert s.get(url + "api/runs", timeout=5).status_code == 200
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        r = s.get(url + "api/runs", headers={"Host": "evil.example.com"}, timeout=10)
        assert r.status_code == 403 and "--allow-host" in r.json()["error"]
        assert s.get(url + "api/runs", headers={"Host": "viz.lan:80"}, timeout=10).status_code == 200
        r = s.post(url + BUILD[1:], data='{"force": true}', headers={"Origin": EVIL, "Content-Type": "text/plain"},
                   timeout=10)
        assert r.status_code == 403
        r = s.post(url + BUILD[1:], data="{}", headers={"Content-Type": "text/plain"}, timeout=10)
        assert r.status_code == 415
        assert s.get(url + BUILD[1:], timeout=10).json()["state"] == "idle" and _nothing_built(root)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_help_names_allow_host():
    out = subprocess.run([sys.executable, str(REPO / "server.py"), "--help"], capture_output=True, text=True,
                         timeout=60, cwd=REPO).stdout
    assert "--allow-host" in out
    assert "--allow-host" in (REPO / "start_server.sh").read_text()
