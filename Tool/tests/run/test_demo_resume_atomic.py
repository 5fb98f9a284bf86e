"""A demo killed right after an epoch is recorded resumes to exactly the uninterrupted result: the epoch and
the demo's optimiser and random state are written as one step."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from ttvis.run import Run

TOOL = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(TOOL), OMP_NUM_THREADS="2")

DEMO = """
import os, sys
from ttvis.demo.train import make_demo_run
from ttvis.run.recorder import Recorder

kill_after = int(sys.argv[3])
record = Recorder.record

def record_then_die(self, model, epoch, **kwargs):
    record(self, model, epoch, **kwargs)
    if epoch == kill_after:
        os._exit(9)  # as abrupt as kill -9: nothing after the recorded epoch runs

Recorder.record = record_then_die
make_demo_run(sys.argv[1], data=sys.argv[2], epochs=4, seed=3, progress=False)
"""


def _demo(out, data, kill_after=0):
    # every run in a fresh process with the same threads, so that floating-point sums agree bit for bit
    return subprocess.run([sys.executable, "-c", DEMO, str(out), str(data), str(kill_after)], env=ENV,
                          capture_output=True, text=True, timeout=300)


def test_kill_after_a_recorded_epoch_resumes_identically(tmp_path):
    from sklearn.datasets import load_digits

    d = load_digits()
    data = tmp_path / "d.npz"
    np.savez(data, images=(d.images[:400] * 15).astype(np.uint8), labels=d.target[:400])
    assert _demo(tmp_path / "whole", data).returncode == 0
    killed = _demo(tmp_path / "killed", data, kill_after=2)
    assert killed.returncode == 9, killed.stderr
    assert Run(tmp_path / "killed").epochs == [1, 2]
    resumed = _demo(tmp_path / "killed", data)
    assert resumed.returncode == 0, resumed.stderr
    whole, again = Run(tmp_path / "whole"), Run(tmp_path / "killed")
    assert again.epochs == whole.epochs == [1, 2, 3, 4]
    for e in whole.epochs:
        np.testing.assert_array_equal(again.logits(e), whole.logits(e))
        np.testing.assert_array_equal(again.representations(e), whole.representations(e))
