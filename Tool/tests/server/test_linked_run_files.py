"""Files of a run that are symbolic links leading out of the data root are never read by the server:
each kind of run file, linked out to an identical copy, makes the routes that read it answer 404, and
a build from the browser fail, while no route answers 5xx."""

import shutil

import pytest

from serving import build, get_urls, link_out
from srvutil import write_pca_visualization

LAST = 6  # digits_run's last epoch
# file linked out of the root -> routes that read it
KINDS = {
    "run.json": ["/api/runs/r", "/api/runs/r/labels", "/api/runs/r/suspicious"],
    f"epochs/epoch_{LAST}/representations.npy": ["/api/runs/r/suspicious"],
    f"epochs/epoch_{LAST}/logits.npy": ["/api/runs/r/suspicious", f"/api/runs/r/epochs/{LAST}/predictions",
                                        "/api/runs/r/samples/0"],
    "dataset/labels.npy": ["/api/runs/r/labels", "/api/runs/r/suspicious"],
    "dataset/split.npy": ["/api/runs/r/split", "/api/runs/r/suspicious"],
    "dataset/inputs.npy": ["/api/runs/r/suspicious"],
    "dataset/images.npy": ["/api/runs/r/samples/0/image.png"],
    f"visualize/pca/epochs/epoch_{LAST}/positions.npy": [f"/api/runs/r/methods/pca/epochs/{LAST}/positions",
                                                         "/api/runs/r/methods/pca/samples/0/trajectory"],
}


@pytest.fixture(scope="module")
def visualized(digits_run, tmp_path_factory):
    run = tmp_path_factory.mktemp("vis") / "r"
    shutil.copytree(digits_run, run)
    write_pca_visualization(run)
    return run


def _root_with_link(visualized, tmp_path, rel):
    """Data root <tmp>/root holding run "r" whose file `rel` links to an identical copy outside the root."""
    run = tmp_path / "root" / "r"
    shutil.copytree(visualized, run)
    link_out(run, rel, tmp_path / "outside")
    return tmp_path / "root"


def _client(root, **config):
    from ttvis.server import create_app

    return create_app({"DATA_ROOT": str(root), "TESTING": True, **config}).test_client()


@pytest.mark.parametrize("rel", sorted(KINDS))
def test_linked_out_file_is_refused(visualized, tmp_path, rel):
    client = _client(_root_with_link(visualized, tmp_path, rel))
    app = client.application
    statuses = {url: client.get(url).status_code for url in get_urls(app, "r", epoch=LAST)}
    assert all(status < 500 for status in statuses.values()), statuses
    for url in KINDS[rel]:
        assert statuses[url.split("?")[0]] == 404, (url, statuses)
    listed = [r["name"] for r in client.get("/api/runs").get_json()["runs"]]
    assert listed == ([] if rel in ("run.json", "dataset/split.npy") else ["r"])  # the list counts splits


def test_linked_in_file_is_served(visualized, tmp_path):
    """A link that stays inside the data root is fine."""
    root = _root_with_link(visualized, tmp_path, "dataset/labels.npy")
    shutil.move(tmp_path / "outside", root / "shared")
    (root / "r/dataset/labels.npy").unlink()
    (root / "r/dataset/labels.npy").symlink_to(root / "shared/dataset/labels.npy")
    client = _client(root)
    assert client.get("/api/runs/r/labels").status_code == 200
    assert client.get("/api/runs/r/suspicious").status_code == 200


@pytest.mark.parametrize("rel", [f"epochs/epoch_{LAST}/representations.npy", "epochs/epoch_2/head.pt", "visualize"])
def test_build_refuses_linked_out_file(visualized, tmp_path, rel):
    root = _root_with_link(visualized, tmp_path, rel)
    shutil.rmtree(root / "r/visualize/pca")  # through the link, when it is the one linked out
    state = build(_client(root), "r", "pca")
    assert state["state"] == "failed" and "outside the data root" in state["message"], state
    assert not (root / "r/visualize/pca").exists()


def test_search_refuses_linked_out_representations(visualized, tmp_path):
    root = _root_with_link(visualized, tmp_path, "epochs/epoch_1/representations.npy")
    client = _client(root, MILVUS_URI=str(tmp_path / "milvus.db"))
    r = client.get("/api/runs/r/search?sample=0&epoch=1&k=3")
    assert r.status_code == 404 and "outside the data root" in r.get_json()["error"]
    assert client.get("/api/runs/r/search?sample=0&epoch=2&k=3").status_code == 200
