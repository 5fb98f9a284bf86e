"""Fixtures of the visualization tests: small arrays cut from the digits run, and built stores."""

import shutil

import numpy as np
import pytest


@pytest.fixture(scope="session")
def small_epochs(digits_run):
    """Three epochs of 300 training samples: ({epoch: X}, {epoch: head}, run)."""
    from ttvis.run.reader import Run

    run = Run(digits_run)
    idx = run.train_idx[:300]
    epochs = run.epochs[-3:]
    X = {e: np.asarray(run.representations(e), np.float32)[idx] for e in epochs}
    heads = {e: run.head(e) for e in epochs}
    return X, heads, run


@pytest.fixture(scope="session")
def timevis_store(digits_run, tmp_path_factory):
    """TimeVis built with default settings on a private copy of the digits run (the quality floors)."""
    from ttvis.visualize.build import build_visualization

    dst = tmp_path_factory.mktemp("vis") / "digits"
    shutil.copytree(digits_run, dst)
    return build_visualization(dst, "timevis", seed=0)
