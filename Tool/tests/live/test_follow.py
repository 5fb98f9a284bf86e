"""Follow mode: the server extends a run's visualization as epochs arrive (PCA until TimeVis is built)."""

import time

import numpy as np
import requests

from liveutil import record_next, recorder, wait_for
from ttvis.run.reader import Run


def test_pca_grows_by_new_epochs_as_a_full_build_would(run_copy, tmp_path):
    """Incremental PCA: each new epoch gets the projection (and orientation) a full build gives it."""
    import shutil

    from ttvis.visualize.build import build_visualization
    from ttvis.visualize.outputs import VisOutputs

    build_visualization(run_copy, "pca", epochs="1-4", evaluate=False)
    build_visualization(run_copy, "pca", evaluate=False)  # the run has 6 epochs: extends by 5 and 6
    params = VisOutputs(run_copy, "pca").read_params()
    assert VisOutputs(run_copy, "pca").epochs() == [1, 2, 3, 4, 5, 6] and params["extensions"][0]["epochs"] == [5, 6]
    full = tmp_path / "full"
    shutil.copytree(run_copy, full, ignore=shutil.ignore_patterns("visualize"))
    build_visualization(full, "pca", evaluate=False)
    for e in (5, 6):
        np.testing.assert_allclose(VisOutputs(run_copy, "pca").read_positions(e), VisOutputs(full, "pca").read_positions(e),
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
    from ttvis.visualize.outputs import VisOutputs

    app = create_app({"DATA_ROOT": str(run_copy.parent)})
    builds, follower = app.extensions["ttvis_builds"], app.extensions["ttvis_follow"]
    release = threading.Event()
    page_build = builds.start("run", run_copy, "umap", False, lambda *a, **k: release.wait(120))
    assert page_build is not None
    extending = threading.Thread(target=follower._extend, args=("run",), daemon=True)
    follower.follow("run", "timevis")   # schedules the same extension on the follower's own thread too
    extending.start()
    deadline = time.monotonic() + 120
    while follower.status("run")["state"] != "extending" and time.monotonic() < deadline:  # it reached the registry
        time.sleep(0.05)
    assert follower.status("run")["state"] == "extending"
    assert builds.status("run", "umap")["state"] == "running" and builds.status("run", "pca") is None
    assert extending.is_alive() and not VisOutputs(run_copy, "pca").exists()
    release.set()
    extending.join(300)
    assert not extending.is_alive()
    assert VisOutputs(run_copy, "pca").epochs() == Run(run_copy).epochs, (follower.status("run"), builds.status("run", "pca"))
    assert builds.status("run", "pca")["state"] == "done"


def test_serve_follow_extends_a_run_no_page_asked_for(run_copy):
    """`ttvis serve --follow`: the server finds the run itself, and an epoch the Recorder adds gets
    positions (PCA while TimeVis is not built) without any page asking to follow."""
    from ttvis.notebook import BackgroundServer

    server = BackgroundServer(run_copy.parent, 0, follow="timevis")
    try:
        epoch = record_next(recorder(run_copy), run_copy)
        state = wait_for(server.url, "run", None, lambda st: epoch in st["methods"].get("pca", []))
        assert state["follow"]["method"] == "timevis"
        assert state["methods"]["pca"] == Run(run_copy).epochs
        positions = requests.get(f"{server.url}api/runs/run/methods/pca/epochs/{epoch}/positions", timeout=30)
        assert positions.status_code == 200 and len(positions.content) == Run(run_copy).n * 8
    finally:
        server.stop()


def test_demo_live_serves_the_run_while_it_trains(tmp_path):
    """`ttvis demo --live`: one command trains the demo while serving it; the page's URL answers and every
    epoch arrives with positions (the run is followed), then it keeps serving until interrupted."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    tool = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(tool)}
    # Ctrl+C stops it, also where the suite itself was started in the background (a shell starts such jobs
    # with SIGINT ignored, and a child inherits that: Python then installs no handler)
    proc = subprocess.Popen([sys.executable, "-m", "ttvis", "demo", "--live", "--port", "0", "--epochs", "3",
                             "--out", str(tmp_path / "digits")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = proc.stdout.readline()
        assert line.startswith("ttvis: watch it learn at http://127.0.0.1:"), (line, proc.stderr.read()
                                                                               if proc.poll() is not None else "")
        page = line.split(" at ", 1)[1].strip()
        url = page.split("?", 1)[0]
        assert page.endswith("?run=digits&follow=1")
        assert requests.get(page, timeout=30).status_code == 200
        deadline = time.monotonic() + 300  # the run appears once the demo recorded its first epoch
        while "digits" not in [r["name"] for r in requests.get(f"{url}api/runs", timeout=30).json()["runs"]]:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else ""
            time.sleep(0.2)
        state = wait_for(url, "digits", None, lambda st: st["epochs"] == [1, 2, 3]
                         and st["methods"].get("pca") == [1, 2, 3], polls=60)
        assert state["follow"]["method"] == "timevis"
        assert proc.stdout.readline().startswith("run ready:")
        assert proc.stdout.readline().startswith("ttvis: still serving at")
        assert requests.get(f"{url}api/runs", timeout=30).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
