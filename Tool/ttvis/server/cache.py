"""The runs under the data root, as the API sees them: opened once, arrays loaded once.

`RunCache` keeps a bounded LRU of what it has loaded or derived (opened runs with their dynamics, arrays,
encoded payloads). Entries are keyed by the files' stat signatures, so a
rebuilt visualization or a newly recorded epoch is picked up without a restart; `invalidate(run)` drops a
run's entries at once (after a build).

Blueprints reach the store through `get_cache()`; it knows no HTTP: ttvis.server.responses turns names
into runs and visualizations or 404 answers (`get_run`, `get_vis`) and caches encoded payloads.
"""

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from flask import current_app, g, has_request_context

from ttvis.errors import RunError
from ttvis.run import layout
from ttvis.run.rules import check_array
from ttvis.run.reader import Run, read_json, read_npy
from ttvis.server.safepath import Refused, inside, run_dir
from ttvis.visualize.outputs import METHOD_NAME, VisOutputs


class LRU:
    """A thread-safe least-recently-used map holding at most `max_items` entries."""

    def __init__(self, max_items):
        self.max_items = max(1, int(max_items))
        self._data = OrderedDict()
        self._lock = threading.Lock()
        self._making = {}  # key -> lock held while one thread makes it; others wait instead of repeating

    def get_or_make(self, key, make):
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:  # loading may be slow: only this key waits, and only one thread loads it
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
                    return self._data[key]
            try:
                value = make()
                with self._lock:
                    self._data[key] = value
                    while len(self._data) > self.max_items:
                        self._data.popitem(last=False)
            finally:
                with self._lock:
                    self._making.pop(key, None)
        return value

    def drop(self, predicate):
        with self._lock:
            for key in [k for k in self._data if predicate(k)]:
                del self._data[key]

    def __len__(self):
        return len(self._data)


class RunCache:
    def __init__(self, root, cache_items=256):
        self.root = Path(os.path.realpath(root))  # resolved once; every path is checked against it
        self.cache = LRU(cache_items)

    # -- runs --------------------------------------------------------------------------------
    def names(self):
        """Folders directly under the root that hold a run.json, sorted; hidden ones skipped."""
        if not self.root.is_dir():
            return []
        out = []
        for p in sorted(self.root.iterdir()):
            try:
                run_dir(self.root, p.name)
            except (Refused, OSError):
                continue
            out.append(p.name)
        return out

    def run(self, name):
        """The opened Run for `name`; Refused when it does not exist or escapes the root.

        Resolved once per request (a handler asks several times), checked afresh on every request."""
        return _per_request(("run", name), lambda: self._open_run(name))

    def _open_run(self, name):
        path = run_dir(self.root, name)
        meta = path / layout.RUN_JSON
        sig = _signature(self.root, meta)
        return self.cache.get_or_make(("run", name, sig), lambda: Run(path, confine=self.confine))

    def confine(self, path):
        """Refused unless `path`, symlinks followed, lies under the data root (every run file is checked)."""
        return inside(self.root, path)

    def file(self, name, relpath):
        """A file of run `name`, resolved and checked to lie under the root; Refused if missing."""
        path = run_dir(self.root, name) / relpath
        real = inside(self.root, path)
        if not real.is_file():
            raise Refused(f"{Path(name) / relpath} does not exist")
        return real

    def signature(self, name, relpath):
        """The stat signature of a run file (changes when the file is rewritten)."""
        return _signature(self.root, self.file(name, relpath))

    def array(self, name, relpath, kind=None, columns=None):
        """A run file's .npy array, loaded into memory once (until its file changes); checked like
        the format says arrays of `kind` must be (ttvis.run.rules.check_array) when a kind is given."""
        path = self.file(name, relpath)
        sig = _signature(self.root, path)
        n = self.run(name).n

        def load():
            arr = np.asarray(read_npy(path, mmap=False))
            return arr if kind is None else check_array(path, arr, kind, n, columns=columns)

        return self.cache.get_or_make(("array", name, str(relpath), sig, kind, n, columns), load)

    def blob(self, name, path):
        """A small file's bytes and ETag (e.g. a territory PNG), read once until the file changes."""
        sig = _signature(self.root, path)

        def load():
            body = Path(path).read_bytes()
            return body, hashlib.blake2b(body, digest_size=12).hexdigest()

        return self.cache.get_or_make(("blob", name, str(path), sig), load)

    def labels(self, name):
        return self.array(name, layout.LABELS, "labels", self.run(name).n_classes).astype(np.int64, copy=False)

    def split(self, name):
        return self.array(name, layout.SPLIT, "split").astype(np.uint8, copy=False)

    def images(self, name):
        """Memory-mapped images of the run, or None when it keeps none."""
        try:
            path = self.file(name, layout.IMAGES)
        except Refused:
            return None
        n = self.run(name).n
        return self.cache.get_or_make(("images", name, _signature(self.root, path), n),
                                      lambda: check_array(path, read_npy(path), "images", n))

    def ground_truth_counts(self, name):
        try:
            gt = read_json(self.file(name, layout.GROUND_TRUTH))
        except Refused:
            return {}
        counts = {}
        for key, value in (gt.items() if isinstance(gt, dict) else []):
            if isinstance(value, dict) and isinstance(value.get("indices"), list):
                counts[key] = len(value["indices"])
            elif isinstance(value, list):
                counts[key] = len(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                counts[key] = value
        return counts

    # -- visualizations ----------------------------------------------------------------------
    def vis(self, name, method):
        """The VisOutputs of a built method of run `name`; Refused when there is none."""
        return _per_request(("vis", name, method), lambda: self._open_vis(name, method))

    def _open_vis(self, name, method):
        if not isinstance(method, str) or not METHOD_NAME.match(method):
            raise Refused(f"unknown method {method!r}")
        run = self.run(name)
        vis = VisOutputs(run.path, method)
        if not (vis.dir / "params.json").is_file():
            raise Refused(f"run {name!r} has no visualization {method!r}")
        inside(self.root, vis.dir)
        return vis

    def vis_file(self, name, method, relpath):
        vis = self.vis(name, method)
        path = vis.dir / relpath
        real = inside(self.root, path)
        if not real.is_file():
            raise Refused(f"{method}/{relpath} does not exist")
        return real

    def vis_json(self, name, method, relpath, default=None):
        try:
            path = self.vis_file(name, method, relpath)
        except Refused:
            if default is not None:
                return default
            raise
        return self.cache.get_or_make(("json", name, str(path), _signature(self.root, path)), lambda: read_json(path))

    def positions(self, name, method, epoch):
        rel = Path("epochs") / layout.epoch_dirname(epoch) / "positions.npy"
        path = self.vis_file(name, method, rel)
        sig = _signature(self.root, path)

        def load():
            arr = np.asarray(read_npy(path, mmap=False), dtype=np.float32)
            if arr.ndim != 2 or arr.shape[1] != 2:
                raise RunError(path, f"positions must be (N, 2), found {arr.shape}")
            return arr

        return self.cache.get_or_make(("positions", name, method, epoch, sig), load), sig

    def method_epochs(self, name, method):
        vis = self.vis(name, method)
        return [e for e in vis.epochs() if e in set(self.run(name).epochs)]

    def invalidate(self, name):
        """Forget everything cached for run `name` (a build just rewrote its files)."""
        self.cache.drop(lambda key: len(key) > 1 and (key[1] == name or (key[0] == "payload" and key[2:3] == (name,))))


def _per_request(key, make):
    """Memoize `make()` for the current request only (outside a request, just call it)."""
    if not has_request_context():
        return make()
    memo = g.setdefault("ttvis_memo", {})
    if key not in memo:
        memo[key] = make()
    return memo[key]


def _signature(root, path):
    """What changes when a file is rewritten: (mtime_ns, size, inode)."""
    try:
        st = os.stat(path)
    except OSError:
        raise Refused(f"{path} does not exist") from None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


# -- reaching the store from a request ---------------------------------------------------------
def init_app(app):
    app.extensions["ttvis_store"] = RunCache(app.config["DATA_ROOT"], app.config.get("CACHE_ITEMS", 256))


def get_cache() -> RunCache:
    return current_app.extensions["ttvis_store"]

