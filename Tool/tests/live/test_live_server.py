"""The server notices epochs a Recorder adds while it serves, tells waiting pages, and never serves an epoch
still being written or half a run.json."""

import json
import os
import subprocess
import sys
import threading

import numpy as np
import requests

from liveutil import record_next, recorder, wait_for
from ttvis.run.reader import Run


def test_new_epoch_reaches_a_waiting_page(served):
    url, path = served
    s = requests.Session()
    first = s.get(f"{url}api/runs/run/live", timeout=10)
    assert first.status_code == 200 and first.json()["epochs"] == [1, 2, 3, 4, 5, 6]
    etag = first.headers["ETag"]
    assert s.get(f"{url}api/runs/run/live?wait=0.2", headers={"If-None-Match": etag}, timeout=10).status_code == 304

    answer = {}
    waiting = threading.Thread(target=lambda: answer.update(r=requests.get(
        f"{url}api/runs/run/live?wait=30", headers={"If-None-Match": etag}, timeout=60)))
    waiting.start()
    epoch = record_next(recorder(path), path)
    waiting.join()
    r = answer["r"]
    assert r.status_code == 200 and r.headers["ETag"] != etag
    assert r.json()["epochs"] == [1, 2, 3, 4, 5, 6, epoch] and r.json()["live"] is True
    assert s.get(f"{url}api/runs/run", timeout=10).json()["epochs"][-1] == epoch  # no restart needed
    preds = s.get(f"{url}api/runs/run/epochs/{epoch}/predictions", timeout=10)
    assert preds.status_code == 200
    np.testing.assert_array_equal(np.frombuffer(preds.content, preds.headers["X-Dtype"]), Run(path).predictions(epoch))


def test_unchanged_run_is_not_read_again(served):
    url, path = served
    watcher = served.watcher
    requests.get(f"{url}api/runs/run/live", timeout=10)
    state = watcher.state("run")
    watcher.touch("run")
    assert watcher.state("run") is state  # nothing changed: no file was read
    record_next(recorder(path), path)
    watcher.touch("run")
    assert watcher.state("run") is not state and watcher.state("run").body["epochs"][-1] == 7


def test_epoch_being_written_is_never_listed(served, monkeypatch):
    from ttvis import atomic

    url, path = served
    rec = recorder(path)
    halfway, finish = threading.Event(), threading.Event()
    write_npy = atomic.write_npy

    def pausing_write_npy(target, array):  # hold the Recorder after the epoch's first file
        write_npy(target, array)
        if target.parent.name.startswith(".epoch_7."):
            halfway.set()
            finish.wait(60)

    monkeypatch.setattr(atomic, "write_npy", pausing_write_npy)
    writer = threading.Thread(target=record_next, args=(rec, path))
    writer.start()
    try:
        assert halfway.wait(60)
        s = requests.Session()
        r = s.get(f"{url}api/runs/run/live", timeout=10)
        state, etag = r.json(), r.headers["ETag"]
        assert state["epochs"] == [1, 2, 3, 4, 5, 6] and state["writing"] == [7] and state["live"] is True
        assert s.get(f"{url}api/runs/run", timeout=10).json()["epochs"] == [1, 2, 3, 4, 5, 6]
        assert [r["epochs"][-1] for r in s.get(f"{url}api/runs", timeout=10).json()["runs"]] == [6]
        assert s.get(f"{url}api/runs/run/epochs/7/predictions", timeout=10).status_code == 404
        assert s.get(f"{url}api/runs/run/samples/0", timeout=10).json()["epochs"][-1] == 6
    finally:
        finish.set()
        writer.join()
    after = wait_for(url, "run", etag, lambda state: state["epochs"][-1] == 7)
    assert after["writing"] == []


WRITER = """
import json, sys
from ttvis import atomic
path, short, full, n = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4])
for k in range(n):
    atomic.write_json(path, short if k % 2 else full)
"""


def test_run_json_rewritten_while_read_is_never_served_half(served):
    """Another process rewrites run.json (as a Recorder does) while pages read it: every answer is whole."""
    url, path = served
    full = json.loads((path / "run.json").read_text())
    short = {**full, "epochs": full["epochs"][:3]}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path / "run.json"), json.dumps(short),
                               json.dumps(full), "400"], env=os.environ)
    s, seen = requests.Session(), set()
    while writer.poll() is None or not seen:
        for route in ("api/runs/run", "api/runs/run/live", "api/runs/run/samples/3"):
            r = s.get(url + route, timeout=10)
            assert r.status_code == 200, (route, r.text)
            seen.add(tuple(r.json()["epochs"]))
    assert writer.wait() == 0
    assert seen <= {(1, 2, 3), (1, 2, 3, 4, 5, 6)}


def test_run_json_written_in_place_keeps_the_last_whole_state(served):
    """A writer that rewrites run.json in place (not atomically): the live state never shows half of it."""
    url, path = served
    s = requests.Session()
    before = s.get(f"{url}api/runs/run/live", timeout=10)
    text = (path / "run.json").read_text().replace('"epochs": [', '"epochs": [0, ', 1)
    with open(path / "run.json", "r+") as f:
        f.truncate(0)
        f.write(text[: len(text) // 2])
        f.flush()
        served.watcher.touch("run")  # what the watcher thread does on its next look
        r = s.get(f"{url}api/runs/run/live", timeout=10)
        assert r.status_code == 200 and r.json() == before.json()
        f.write(text[len(text) // 2:])
    served.watcher.touch("run")
    r = s.get(f"{url}api/runs/run/live", timeout=10)
    assert r.status_code == 200 and r.json()["epochs"][:2] == [0, 1]

