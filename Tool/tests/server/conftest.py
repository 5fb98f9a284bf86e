"""Server fixtures: a data root holding a copy of the digits demo run with a small PCA visualization."""

import shutil

import pytest

from srvutil import write_pca_visualization


@pytest.fixture(scope="session")
def data_root(digits_run, tmp_path_factory):
    """A data root with runs "digits" (PCA visualization built) and "plain" (none). Read-only."""
    root = tmp_path_factory.mktemp("root")
    shutil.copytree(digits_run, root / "digits")
    write_pca_visualization(root / "digits")
    shutil.copytree(digits_run, root / "plain")
    (root / "not-a-run").mkdir()
    (root / ".hidden").mkdir()
    return root


@pytest.fixture(scope="session")
def app(data_root):
    from ttvis.server import create_app

    return create_app({"DATA_ROOT": str(data_root), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def digits(data_root):
    from ttvis.run.reader import Run

    return Run(data_root / "digits")
