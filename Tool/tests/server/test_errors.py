"""Bad input gets a JSON error with 400 (malformed) or 404 (unknown), never a 500; nothing outside the
data root can be read, whatever the path tricks."""

import os

import pytest

from srvutil import METHOD

P = f"/api/runs/digits/methods/{METHOD}"


@pytest.mark.parametrize("url", [
    "/api/runs/digits/epochs/one/predictions",
    "/api/runs/digits/epochs/1.5/confidence",
    "/api/runs/digits/epochs/%20/predictions",
    f"{P}/epochs/x/positions",
    f"{P}/epochs/x/territory.png",
    f"{P}/epochs/x/metrics",
    f"{P}/samples/abc/trajectory",
    "/api/runs/digits/samples/abc",
    "/api/runs/digits/samples/1e3",
    "/api/runs/digits/samples/3/image.png?scale=0",
    "/api/runs/digits/samples/3/image.png?scale=big",
    "/api/runs/digits/samples/3/image.png?scale=999",
    "/api/runs/digits/events?from=x",
    "/api/runs/digits/events?to=99999999999999999999999",
])
def test_malformed_parameters_400(client, url):
    r = client.get(url)
    assert r.status_code == 400, r.data
    assert r.is_json and r.get_json()["error"]


@pytest.mark.parametrize("url", [
    "/api/runs/nope",
    "/api/runs/nope/labels",
    "/api/runs/not-a-run/split",
    "/api/runs/.hidden",
    "/api/runs/digits/epochs/99/predictions",
    "/api/runs/digits/epochs/-1/confidence",
    "/api/runs/digits/events?from=99&to=1",
    f"{P}/epochs/99/positions",
    "/api/runs/digits/methods/umap/epochs/1/positions",
    "/api/runs/digits/methods/Bad.Name/metrics",
    "/api/runs/plain/methods/pca/metrics",
    f"{P}/samples/1797/trajectory",
    f"{P}/samples/-1/trajectory",
    "/api/runs/digits/samples/1797",
    "/api/runs/digits/samples/99999999/image.png",
    "/api/runs/digits/methods/pca/build/extra",
    "/api/nothing",
])
def test_unknown_things_404(client, url):
    r = client.get(url)
    assert r.status_code == 404, r.data
    assert r.is_json and r.get_json()["error"]


def test_plain_run_without_method_still_serves_arrays(client):
    assert client.get("/api/runs/plain/labels").status_code == 200


def test_method_not_allowed_is_json(client):
    r = client.delete("/api/runs/digits")
    assert r.status_code == 405 and r.get_json()["error"]


# -- path escapes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "/api/runs/../labels",
    "/api/runs/%2e%2e/labels",
    "/api/runs/..%2f..%2fetc/labels",
    "/api/runs/..%2F/labels",
    "/api/runs/%2Fetc/labels",
    "/api/runs/%2F%2Fetc/labels",
    "/api/runs//etc/labels",
    "/api/runs/digits%2F..%2F..%2Fsecret/labels",
    "/api/runs/..%5C..%5Csecret/labels",
    "/api/runs/%00/labels",
    "/api/runs/digits/methods/..%2F..%2F..%2Fsecret/metrics",
    "/api/runs/digits/methods/../metrics",
    "/api/runs/digits/methods/%2e%2e/metrics",
    "/static/../server/__init__.py",
    "/static/..%2F..%2Frun%2Freader.py",
    "/static/%2Fetc%2Fpasswd",
])
def test_path_escapes_refused(client, url):
    r = client.get(url)
    assert r.status_code == 404, (url, r.status_code, r.headers.get("Location"))
    assert b"ttvis" not in r.data and b"root:" not in r.data


@pytest.fixture
def escape_root(tmp_path, digits_run):
    """A root with symlinks that point outside it: a whole run, and a single file inside a run."""
    import shutil

    from srvutil import write_pca_visualization

    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    shutil.copytree(digits_run, outside / "run")
    (root / "linked").symlink_to(outside / "run", target_is_directory=True)
    shutil.copytree(digits_run, root / "inner")
    write_pca_visualization(root / "inner")
    secret = outside / "secret.npy"
    import numpy as np

    np.save(secret, np.arange(1797, dtype=np.int64))
    labels = root / "inner/dataset/labels.npy"
    labels.unlink()
    labels.symlink_to(secret)
    pos = root / "inner/visualize/pca/epochs/epoch_1/positions.npy"
    np.save(outside / "pos.npy", np.zeros((1797, 2), np.float32))
    pos.unlink()
    pos.symlink_to(outside / "pos.npy")
    png = root / "inner/visualize/pca/epochs/epoch_2/territory.png"
    png.unlink()
    png.symlink_to("/etc/passwd" if os.path.exists("/etc/passwd") else secret)
    (root / "inner/visualize/evil").symlink_to(outside / "run", target_is_directory=True)
    return root


def test_symlinks_pointing_outside_are_refused(escape_root):
    from ttvis.server import create_app

    c = create_app({"DATA_ROOT": str(escape_root)}).test_client()
    names = [r["name"] for r in c.get("/api/runs").get_json()["runs"]]
    assert "linked" not in names
    assert c.get("/api/runs/linked").status_code == 404
    assert c.get("/api/runs/linked/split").status_code == 404
    assert c.get("/api/runs/inner/labels").status_code == 404
    assert c.get("/api/runs/inner/methods/pca/epochs/1/positions").status_code == 404
    assert c.get("/api/runs/inner/methods/pca/epochs/2/territory.png").status_code == 404
    assert c.get("/api/runs/inner/methods/evil/metrics").status_code == 404
    assert c.get("/api/runs/inner/methods/pca/epochs/3/positions").status_code == 200  # the rest still works


def test_symlink_inside_root_is_fine(tmp_path, digits_run):
    import shutil

    from ttvis.server import create_app

    root = tmp_path / "root"
    root.mkdir()
    shutil.copytree(digits_run, root / "real")
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    c = create_app({"DATA_ROOT": str(root)}).test_client()
    assert c.get("/api/runs/alias/labels").status_code == 200


def test_missing_root_lists_nothing(tmp_path):
    from ttvis.server import create_app

    c = create_app({"DATA_ROOT": str(tmp_path / "absent")}).test_client()
    assert c.get("/api/runs").get_json() == {"runs": []}
    assert c.get("/api/runs/digits").status_code == 404


def test_broken_run_is_left_out_of_list(tmp_path, digits_run):
    import shutil

    from ttvis.server import create_app

    root = tmp_path / "root"
    shutil.copytree(digits_run, root / "ok")
    (root / "broken").mkdir()
    (root / "broken/run.json").write_text("{not json")
    c = create_app({"DATA_ROOT": str(root)}).test_client()
    assert [r["name"] for r in c.get("/api/runs").get_json()["runs"]] == ["ok"]
    r = c.get("/api/runs/broken")
    assert r.is_json and "run.json" in r.get_json()["error"]
