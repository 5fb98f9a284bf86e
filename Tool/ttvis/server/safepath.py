"""Resolve names from URLs to paths under the data root, refusing anything that escapes it.

A run name is one plain folder name: no separators, no `..`, not hidden, not absolute. Every file the
server reads is resolved (symlinks followed) and must still lie under the root.
"""

import os
import re
from functools import lru_cache
from pathlib import Path

RUN_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+=@,-]{0,199}$")


class Refused(LookupError):
    """A name or path that is not allowed or does not exist; the API answers 404."""


def check_run_name(name):
    if not isinstance(name, str) or not RUN_NAME.match(name) or ".." in name:
        raise Refused(f"unknown run {name!r}")
    return name


@lru_cache(maxsize=32)
def _real_root(root):
    return os.path.realpath(root)


def inside(root, path):
    """The resolved `path` if it lies under the resolved `root` (symlinks followed), else Refused."""
    real_root = _real_root(str(root))
    real = os.path.realpath(path)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise Refused(f"{path} is outside the data root")
    return Path(real)


def run_dir(root, name):
    """The folder of run `name` directly under `root`, or Refused."""
    check_run_name(name)
    path = Path(root) / name
    inside(root, path)
    if not inside(root, path / "run.json").is_file():
        raise Refused(f"unknown run {name!r}")
    return path
