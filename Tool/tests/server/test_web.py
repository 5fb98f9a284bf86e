"""The front-end files: index at /, modules under /static with a JavaScript MIME type."""

from ttvis.server.web import WEB_DIR


def test_index(client):
    r = client.get("/")
    assert r.status_code == 200 and r.content_type.startswith("text/html")
    if (WEB_DIR / "index.html").is_file():
        assert r.data == (WEB_DIR / "index.html").read_bytes()
    else:
        assert b"/api/openapi.json" in r.data


def test_static_js_is_javascript(client):
    scripts = sorted(WEB_DIR.rglob("*.js"))
    if not scripts:
        import pytest

        pytest.skip("no front-end scripts yet")
    for path in scripts[:5]:
        rel = path.relative_to(WEB_DIR).as_posix()
        r = client.get(f"/static/{rel}")
        assert r.status_code == 200 and r.content_type.startswith("text/javascript"), rel
        assert r.data == path.read_bytes()


def test_static_missing_404(client):
    assert client.get("/static/no-such-file.js").status_code == 404


def test_placeholder_when_index_absent(client, monkeypatch, tmp_path):
    from ttvis.server import web

    monkeypatch.setattr(web, "WEB_DIR", tmp_path)
    r = client.get("/")
    assert r.status_code == 200 and b"/api/runs" in r.data
