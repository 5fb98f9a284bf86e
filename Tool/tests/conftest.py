"""Shared, seeded, session-scoped fixtures: small real runs made by the demo code."""

import os
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOL))
os.environ.setdefault("OMP_NUM_THREADS", "2")

SHARED_MNIST = TOOL.parent.parent / "shared" / "data" / "mnist10k.npz"


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory):
    """A clean digits demo run, 6 epochs (about a second). Treat as read-only."""
    from ttvis.demo.train import make_demo_run

    return make_demo_run(tmp_path_factory.mktemp("runs") / "digits", epochs=6, seed=0, progress=False)


@pytest.fixture(scope="session")
def noisy_run(tmp_path_factory):
    """Digits demo run with 5% flipped labels and a 3% backdoor, 10 epochs. Treat as read-only."""
    from ttvis.demo.train import make_demo_run

    return make_demo_run(tmp_path_factory.mktemp("runs") / "noisy", epochs=10, seed=1, label_noise=0.05,
                         backdoor=0.03, progress=False)


@pytest.fixture
def run_copy(digits_run, tmp_path):
    """A private, writable copy of digits_run for tests that change it."""
    import shutil

    dst = tmp_path / "run"
    shutil.copytree(digits_run, dst)
    return dst
