"""Serve the runs under a data root to the browser: the front-end at / and the REST API at /api
(documented at /api/openapi.json), with waitress, a production WSGI server that also runs on Windows.

  ttvis serve                          # training_dynamic/ on http://127.0.0.1:5000/
  ttvis serve --root runs --port 8080  # another folder and port
  ttvis serve --host 0.0.0.0           # reachable from other machines (no authentication!)
"""

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
    p.add_argument("--milvus", default=None, metavar="URI",
                   help="Milvus for similarity search: a Milvus Lite file or a server such as http://127.0.0.1:19530 "
                        "(default: TTVIS_MILVUS_URI, else <root>/.milvus/ttvis.db)")


def make_server(root, host="127.0.0.1", port=5000, threads=8, cors=None, milvus=None):
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
    from waitress import create_server

    from ttvis.server import create_app

    config = {"DATA_ROOT": str(root.resolve()), "CORS_ORIGINS": cors}
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


def run(args):
    server = make_server(args.root, args.host, args.port, args.threads, args.cors, args.milvus)
    print(f"ttvis: serving {server.data_root} at {url_of(server)}  (Ctrl+C stops)",
          flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        print("ttvis: stopped")
    finally:
        server.close()
    return 0
