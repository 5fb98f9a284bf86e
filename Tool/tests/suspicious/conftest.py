"""A representation-only copy of the noisy run (no inputs, no images) and a data root to serve it from."""

import shutil

import pytest


@pytest.fixture(scope="session")
def repr_only_run(noisy_run, tmp_path_factory):
    """noisy_run without dataset/inputs.npy and dataset/images.npy. Read-only."""
    dst = tmp_path_factory.mktemp("repr") / "noisy-repr"
    shutil.copytree(noisy_run, dst, ignore=shutil.ignore_patterns("inputs.npy", "images.npy"))
    return dst


@pytest.fixture
def marks_root(noisy_run, tmp_path):
    """A private data root holding a copy of noisy_run as "noisy" (writable: marks land in it)."""
    shutil.copytree(noisy_run, tmp_path / "noisy")
    return tmp_path
