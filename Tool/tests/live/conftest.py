"""Live fixtures: a real server in a background thread over a writable copy of the digits run."""

import pytest


@pytest.fixture
def served(run_copy):
    """`ttvis serve` on a free loopback port over run_copy's folder: unpacks to (base URL, run folder);
    .watcher is the app's live watcher."""
    from ttvis.notebook import BackgroundServer

    server = BackgroundServer(run_copy.parent, 0)
    yield Served(server.url, run_copy, server.server.app.extensions["ttvis_live"])
    server.stop()


class Served(tuple):
    def __new__(cls, url, path, watcher):
        self = super().__new__(cls, (url, path))
        self.watcher = watcher
        return self
