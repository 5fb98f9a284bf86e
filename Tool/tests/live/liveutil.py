"""Helpers of the live tests: record one more epoch with a real Recorder, and long-poll a run's live state."""

import numpy as np
import requests

from ttvis.run.reader import Run


def recorder(run_path):
    from ttvis.run.recorder import Recorder

    run = Run(run_path)
    return Recorder(run_path, labels=run.labels, split=run.split, classes=run.classes)


def record_next(rec, run_path):
    """Record one more epoch with the recorder (the last epoch's arrays, shifted, and its head)."""
    run = Run(run_path)
    last = run.epochs[-1]
    rec.record(None, last + 1, representations=np.asarray(run.representations(last)) * 1.5,
               logits=np.asarray(run.logits(last))[:, ::-1], head=run.head(last))
    return last + 1


def wait_for(url, run, etag, done, polls=30):
    """Long-poll the run's live state from `etag` until done(state); the last state."""
    for _ in range(polls):
        r = requests.get(f"{url}api/runs/{run}/live?wait=30", headers={"If-None-Match": etag}, timeout=60)
        assert r.status_code in (200, 304)
        if r.status_code == 200:
            state, etag = r.json(), r.headers["ETag"]
            if done(state):
                return state
    raise AssertionError(f"live state of {run} never got there")
