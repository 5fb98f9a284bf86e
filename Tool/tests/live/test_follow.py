"""Follow mode: the server extends a run's visualization as epochs arrive (PCA until TimeVis is built)."""

import numpy as np
import requests

from liveutil import record_next, recorder, wait_for
from ttvis.run.reader import Run


def test_pca_grows_by_new_epochs_as_a_full_build_would(run_copy, tmp_path):
    """Incremental PCA: each new epoch gets the projection (and orientation) a full build gives it."""
    import shutil

    from ttvis.visualize.build import build_visualization
    from ttvis.visualize.outputs import VisStore

    build_visualization(run_copy, "pca", epochs="1-4", evaluate=False)
    build_visualization(run_copy, "pca", evaluate=False)  # the run has 6 epochs: extends by 5 and 6
    params = VisStore(run_copy, "pca").read_params()
    assert VisStore(run_copy, "pca").epochs() == [1, 2, 3, 4, 5, 6] and params["extensions"][0]["epochs"] == [5, 6]
    full = tmp_path / "full"
    shutil.copytree(run_copy, full, ignore=shutil.ignore_patterns("visualize"))
    build_visualization(full, "pca", evaluate=False)
    for e in (5, 6):
        np.testing.assert_allclose(VisStore(run_copy, "pca").read_positions(e), VisStore(full, "pca").read_positions(e),
                                   atol=1e-4)


def test_followed_run_gets_positions_for_new_epochs(served):
    """Following a run without a TimeVis build keeps PCA up to date as epochs arrive."""
    url, path = served
    s = requests.Session()
    r = s.post(f"{url}api/runs/run/follow", json={"follow": True, "method": "timevis"}, timeout=30)
    assert r.status_code == 200 and r.json()["follow"]["method"] == "timevis"
    state = wait_for(url, "run", None, lambda st: st["methods"].get("pca") == [1, 2, 3, 4, 5, 6])
    assert state["follow"]["state"] in ("idle", "extending")
    epoch = record_next(recorder(path), path)
    state = wait_for(url, "run", None, lambda st: epoch in st["methods"].get("pca", []))
    positions = s.get(f"{url}api/runs/run/methods/pca/epochs/{epoch}/positions", timeout=30)
    assert positions.status_code == 200 and len(positions.content) == Run(path).n * 8
    assert s.post(f"{url}api/runs/run/follow", json={"follow": False}, timeout=30).json() == {"follow": None}


def test_follower_waits_for_a_build_started_from_the_page(run_copy):
    """The follower extends through the server's build registry: while a build of the run started from the
    page runs, it writes nothing; it extends once that build has finished, and its extension shows in the
    build status like any build."""
    import threading

    from ttvis.server import create_app
    from ttvis.visualize.outputs import VisStore

    app = create_app({"DATA_ROOT": str(run_copy.parent)})
    builds, follower = app.extensions["ttvis_builds"], app.extensions["ttvis_follow"]
    release = threading.Event()
    page_build = builds.start("run", run_copy, "umap", False, lambda *a, **k: release.wait(120))
    assert page_build is not None
    extending = threading.Thread(target=follower._extend, args=("run",), daemon=True)
    follower.follow("run", "timevis")   # schedules the same extension on the follower's own thread too
    extending.start()
    extending.join(1.0)
    assert extending.is_alive() and not VisStore(run_copy, "pca").exists()
    release.set()
    extending.join(300)
    assert not extending.is_alive()
    assert VisStore(run_copy, "pca").epochs() == Run(run_copy).epochs, (follower.status("run"), builds.status("run", "pca"))
    assert builds.status("run", "pca")["state"] == "done"
