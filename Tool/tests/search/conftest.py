"""Fixtures for the search tests: a real Milvus Lite database and a `milvus-lite server` process."""

import socket
import subprocess
import sys
import time

import pytest


@pytest.fixture(scope="module")
def lite_db(tmp_path_factory):
    """A fresh Milvus Lite database path (opened in this process by whoever connects first)."""
    return tmp_path_factory.mktemp("milvus") / "search.db"


@pytest.fixture(scope="module")
def lite_client(lite_db):
    from ttvis.search import connect

    return connect(lite_db)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unused_port():
    """A loopback port nothing listens on (as of now)."""
    return free_port()


@pytest.fixture(scope="module")
def milvus_server(tmp_path_factory):
    """URI of a `milvus-lite server` started on a free loopback port; stopped afterwards."""
    try:
        import milvus_lite  # noqa: F401
    except ImportError:
        pytest.skip("milvus-lite is not installed (no wheel for this platform)")
    data = tmp_path_factory.mktemp("milvus-server") / "data"
    port = free_port()
    log = open(data.parent / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data),
                             "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"milvus-lite server exited: {(data.parent / 'server.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("milvus-lite server did not start listening within 60 s")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def exact_knn(vectors, sample, k, mask=None):
    """Ids and Euclidean distances of the k nearest samples to `sample` (itself excluded), by numpy."""
    import numpy as np

    x = np.asarray(vectors, dtype=np.float64)
    d = np.linalg.norm(x - x[sample], axis=1)
    d[sample] = np.inf
    if mask is not None:
        d[~mask] = np.inf
    order = np.argsort(d, kind="stable")[:k]
    order = order[np.isfinite(d[order])]
    return order.tolist(), d[order]


@pytest.fixture
def knn():
    return exact_knn
