"""`ttvis.show(run)`: the visualizer inline in a notebook (Jupyter, VS Code), as `%tensorboard` does.

    import ttvis
    view = ttvis.show("training_dynamic/my_run")   # starts, or reuses, a server on a free loopback port
    view.url                                        # the page, for a browser tab
    view.stop()

One background server per data root and kernel: later calls reuse it, so a run recorded in the same kernel
shows its new epochs as the Recorder writes them.
"""

import threading
from pathlib import Path

from ttvis.commands.serve import BackgroundServer

_servers = {}  # resolved data root -> BackgroundServer
_lock = threading.Lock()


class Viewer:
    """What show() returns: the page's `url`, and `stop()` to shut the background server down."""

    def __init__(self, background, url):
        self._background = background
        self.url = url

    def stop(self):
        with _lock:
            if _servers.get(self._background.root) is self._background:
                del _servers[self._background.root]
        if self._background.running:
            self._background.stop()

    def __repr__(self):
        return f"<ttvis view {self.url}>"


def show(run=None, *, root=None, height=720, port=0, follow=True, display=True):
    """Show `run` (a run folder, or a run name under `root`) inline, served from a background thread.

    root: the data root to serve (default: the run folder's parent, else TTVIS_DATA_ROOT or
    training_dynamic/). port: 0 picks a free one. follow: the page glides to each new epoch, and the
    server extends the run's visualization as epochs arrive (see `ttvis serve --follow`).
    display=False only returns the handle."""
    from urllib.parse import quote

    from ttvis.paths import default_data_root

    name = None
    if run is not None:
        run = Path(run)
        if root is None and (len(run.parts) > 1 or run.is_dir()):
            root, name = run.resolve().parent, run.resolve().name
        else:
            name = run.name
    root = Path(root) if root is not None else default_data_root()
    key = root.resolve()
    with _lock:
        background = _servers.get(key)
        if background is None or not background.running:
            background = _servers[key] = BackgroundServer(root, port)
    url = background.url
    if name:
        url += f"?run={quote(name)}"
        if follow:
            background.follow(name)
            url += "&follow=1"
    viewer = Viewer(background, url)
    if display:
        _display(url, height)
    return viewer


def _display(url, height):
    """An IFrame in a notebook; the URL on a plain console."""
    try:
        from IPython import get_ipython
        from IPython.display import IFrame, display
    except ImportError:
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(f"ttvis: {url}")
        return
    display(IFrame(url, width="100%", height=height))
