"""Atomic writes: write to a temporary sibling, then rename, so readers never see half a file.

A temporary sibling is named `.NAME.PID.RANDOM.tmp`. A process killed mid-write (kill -9, power loss)
leaves its one behind; the next write of NAME removes those of processes that no longer run.
"""

import io
import json
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ttvis.errors import RunError


def _alive(pid):
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill(pid, 0) would interrupt the process there: keep its files
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def temporary_of(name):
    """(NAME, writer's PID) of a temporary sibling's name `.NAME.PID.RANDOM.tmp`, else None."""
    parts = str(name).rsplit(".", 3)
    if len(parts) != 4 or parts[3] != "tmp" or not parts[1].isdigit() or not parts[0].startswith(".") \
            or len(parts[0]) < 2:
        return None
    return parts[0][1:], int(parts[1])


def remove_stale(path):
    """Remove the temporary siblings of `path` left by writers that died mid-write."""
    path = Path(path)
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        temporary = temporary_of(entry.name)
        if temporary is None or temporary[0] != path.name or _alive(temporary[1]):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _prefix(path):
    return f".{path.name}.{os.getpid()}."


@contextmanager
def atomic_path(path):
    """Yield a temporary path next to `path`; rename it over `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path)
    fd, tmp = tempfile.mkstemp(prefix=_prefix(path), suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # e.g. the disk is full: say which file could not be written
            raise RunError(path, f"cannot write: {exc.strerror or exc}") from None
        raise


def write_bytes(path, data: bytes):
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_json(path, obj):
    write_bytes(path, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode())


def write_npy(path, array):
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    write_bytes(path, buf.getvalue())


def write_torch(path, obj):
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    write_bytes(path, buf.getvalue())


@contextmanager
def atomic_dir(path):
    """Build a directory under a temporary name and rename it into place when complete.

    An existing directory at `path` is replaced only after the new one is fully written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path)
    tmp = Path(tempfile.mkdtemp(prefix=_prefix(path), suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
