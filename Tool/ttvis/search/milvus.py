"""Open Milvus: Milvus Lite in-process for a "<path>.db" URI, a Milvus server for "http://host:port".

Milvus Lite holds an exclusive lock on its data folder, so exactly one process (normally `ttvis serve`)
owns it; any other process gets a one-line message saying what to do instead.
"""

import logging
import os
import sys
import tempfile
from pathlib import Path

from ttvis.errors import RunError, first_line

LITE_DB = Path(".milvus") / "ttvis.db"  # under the data root, where the server looks by default
SERVER_HINT = ("start a Milvus server (`docker compose up -d` in the repository) and pass "
               "--milvus http://127.0.0.1:19530")


class MilvusUnavailable(RunError):
    """Milvus cannot be opened or reached; the message says why and what to do."""


def default_uri(run_path=None):
    """TTVIS_MILVUS_URI, else the Milvus Lite database of the run's data root (the folder holding the run),
    the same one `ttvis serve` uses for that root."""
    env = os.environ.get("TTVIS_MILVUS_URI")
    if env:
        return env
    if run_path is None:
        from ttvis.paths import default_data_root

        return str(default_data_root() / LITE_DB)
    return str(Path(run_path).resolve().parent / LITE_DB)


def is_lite(uri):
    return not str(uri).lower().startswith(("http://", "https://", "tcp://", "grpc://", "unix:"))


def lite_locked(path):
    """True when another process holds the Milvus Lite lock on `path` (a data folder)."""
    lock = Path(path) / "LOCK"
    if not lock.is_file() or sys.platform == "win32":
        return False
    import fcntl

    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def _quiet_libraries():
    """pymilvus logs a traceback for every failed call and Milvus Lite logs its own recovery steps; the
    caller reports each problem in one line instead."""
    for name in ("pymilvus", "milvus_lite"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _writable(folder):
    """Create `folder` if needed and make sure files can be written in it; MilvusUnavailable if not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise MilvusUnavailable(None, f"cannot write the search index under {folder} ({exc.strerror or exc}); "
                                      "make that folder writable, or pass --milvus with another location") from None


def connect(uri, timeout=10.0):
    """A pymilvus MilvusClient for `uri`; MilvusUnavailable (one line) when that is impossible."""
    uri = str(uri)
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise MilvusUnavailable(None, "similarity search needs pymilvus (pip install pymilvus)") from None
    _quiet_libraries()
    if not is_lite(uri):
        try:
            return MilvusClient(uri=uri, timeout=timeout)
        except Exception as exc:
            raise MilvusUnavailable(uri, f"cannot reach the Milvus server ({first_line(exc)}); is it running? "
                                         "(`docker compose up -d` starts one)") from None
    path = Path(uri).expanduser().resolve()
    if not path.name.endswith(".db"):
        raise MilvusUnavailable(uri, 'a Milvus Lite database path must end in ".db" (or pass an http:// URI)')
    try:
        import milvus_lite  # noqa: F401
    except ImportError:
        raise MilvusUnavailable(uri, f"Milvus Lite is not available on this platform (no milvus-lite wheel, e.g. "
                                     f"on Windows); {SERVER_HINT}") from None
    locked = (f"this Milvus Lite database is in use by another process (is `ttvis serve` running?); "
              f"search through that server, stop it first, or {SERVER_HINT}")
    _writable(path.parent)
    if lite_locked(path) and not _opened_here(path):
        raise MilvusUnavailable(path, locked)
    try:
        client = MilvusClient(uri=str(path), timeout=timeout)
        client.ttvis_lite_path = path  # where RunIndex finds a collection's files when Milvus cannot drop them
        return client
    except Exception as exc:
        if lite_locked(path):
            raise MilvusUnavailable(path, locked) from None
        raise MilvusUnavailable(path, f"cannot open the Milvus Lite database ({first_line(exc)})") from None


def _opened_here(path):
    """Whether this very process already serves `path` (pymilvus then reuses that Milvus Lite instance)."""
    try:
        from milvus_lite.server_manager import server_manager_instance

        return str(path) in getattr(server_manager_instance, "_servers", {})
    except ImportError:
        return False

