"""Serve the runs under a data root to the browser: the front-end at / and the REST API at /api
(documented at /api/openapi.json), with waitress, a production WSGI server that also runs on Windows.

  ttvis serve                          # training_dynamic/ on http://127.0.0.1:5000/
  ttvis serve --root runs --port 8080  # another folder and port
  ttvis serve --host 0.0.0.0 --allow-host myhost.lan   # reachable from other machines as myhost.lan
                                                       # (no authentication!)
  ttvis serve --follow                 # extend visualizations as training records new epochs

New epochs a Recorder writes appear without a restart; open pages learn of them by long polling.
"""

import threading
from pathlib import Path

HELP = "serve the runs under a data root to the browser (REST API + front-end)"


def add_arguments(p):
    p.add_argument("--root", type=Path, default=None,
                   help="folder holding one sub-folder per run (default: TTVIS_DATA_ROOT or training_dynamic/)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=5000, help="port to listen on (default 5000; 0 = any free port)")
    p.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    p.add_argument("--cors", default=None, metavar="ORIGINS",
                   help="allow cross-origin requests from these comma-separated origins ('*' for any)")
    p.add_argument("--follow", nargs="?", const="timevis", default=None, metavar="METHOD",
                   help="extend each run's visualization (default timevis; PCA until that is built) in the "
                        "background as a Recorder adds epochs")
    p.add_argument("--allow-host", default=None, metavar="NAMES",
                   help="also answer requests addressed to these comma-separated host names ('*' for any); "
                        "loopback names and the --host address are always answered, others are refused "
                        "(DNS rebinding)")
    p.add_argument("--milvus", default=None, metavar="URI",
                   help="Milvus for similarity search: a Milvus Lite file or a server such as http://127.0.0.1:19530 "
                        "(default: TTVIS_MILVUS_URI, else <root>/.milvus/ttvis.db)")


def make_server(root, host="127.0.0.1", port=5000, threads=8, cors=None, milvus=None, allow_host=None, follow=None):
    """A ready waitress server for `root`; RunError with one clear line if the root or port is unusable."""
    import errno

    from ttvis.errors import RunError
    from ttvis.paths import default_data_root

    root = Path(root) if root is not None else default_data_root()
    if not root.is_dir():
        raise RunError(root, "data root does not exist (make a run with `ttvis demo`, or pass --root)")
    if not 0 <= port <= 65535:
        raise ValueError(f"--port must be between 0 and 65535, got {port}")
    if threads < 1:
        raise ValueError(f"--threads must be at least 1, got {threads}")
    if follow is not None:
        from ttvis.visualize.build import METHODS

        if follow not in METHODS:
            raise ValueError(f"--follow must name a method ({', '.join(METHODS)}), got {follow!r}")
    from waitress import create_server

    from ttvis.server import create_app

    config = {"DATA_ROOT": str(root.resolve()), "CORS_ORIGINS": cors, "BIND_HOST": host, "ALLOWED_HOSTS": allow_host,
              "FOLLOW": follow, "LIVE_MAX_WAITERS": max(1, threads // 2)}  # half the threads answer the rest
    if milvus:
        config["MILVUS_URI"] = milvus
    app = create_app(config)
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="ttvis")
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise RunError(None, f"port {port} on {host} is already in use (choose another with --port)") from None
        raise RunError(None, f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    server.data_root = root.resolve()
    server.app = app
    return server


def url_of(server):
    host = server.effective_host
    host = f"[{host}]" if ":" in str(host) else host
    return f"http://{host}:{server.effective_port}/"


class BackgroundServer:
    """A waitress server running in a daemon thread until stop()."""

    def __init__(self, root, port=0, follow=None):
        self.server = make_server(root, "127.0.0.1", port, threads=8, follow=follow)
        self.root = self.server.data_root
        self.url = url_of(self.server)
        self.thread = threading.Thread(target=self.server.run, name=f"ttvis-server {self.url}", daemon=True)
        self.thread.start()

    def stop(self):
        # Close every channel from inside the server's own loop (the trigger runs thunks there); the loop
        # ends once nothing is left to watch.
        def close_all():
            for channel in list(self.server._map.values()):
                channel.close()

        try:
            self.server.trigger.pull_trigger(close_all)
        except OSError:  # the trigger is closed: the loop has ended already, nothing is left to close
            pass
        self.thread.join(timeout=10)
        self.server.task_dispatcher.shutdown()

    def follow(self, name, method="timevis"):
        """Extend run `name`'s visualization as epochs arrive (see ttvis.server.follow)."""
        self.server.app.extensions["ttvis_follow"].follow(name, method)

    @property
    def running(self):
        return self.thread.is_alive()


def run(args):
    server = make_server(args.root, args.host, args.port, args.threads, args.cors, args.milvus, args.allow_host,
                         args.follow)
    print(f"ttvis: serving {server.data_root} at {url_of(server)}  (Ctrl+C stops)",
          flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        print("ttvis: stopped")
    finally:
        server.close()
    return 0
