"""Fixtures for the run-format tests: a tiny classic-layout run and its import."""

import shutil

import pytest

from classic_builder import build_classic_run


@pytest.fixture(scope="session")
def classic_run(tmp_path_factory):
    """A valid classic-layout run (3 epochs, 60 train + 24 test samples). Treat as read-only."""
    return build_classic_run(tmp_path_factory.mktemp("classic") / "tiny_classic")


@pytest.fixture
def classic_copy(classic_run, tmp_path):
    dst = tmp_path / "classic"
    shutil.copytree(classic_run, dst)
    return dst


@pytest.fixture(scope="session")
def imported_run(classic_run, tmp_path_factory):
    """classic_run converted to our format. Treat as read-only."""
    from ttvis.run.classic import import_classic

    return import_classic(classic_run, tmp_path_factory.mktemp("imported") / "tiny", progress=False)


@pytest.fixture
def noisy_copy(noisy_run, tmp_path):
    dst = tmp_path / "noisy"
    shutil.copytree(noisy_run, dst)
    return dst
