"""Live runs: notice epochs that a Recorder adds while the server runs, and tell open pages.

GET /api/runs/<run>/live answers the run's complete epochs, the epochs being written, whether the run is
live, and the epochs of each built visualization, with an ETag. A page sends that ETag back in
If-None-Match with ?wait=SECONDS: the request then waits until something changes (long polling) and
answers 304 if nothing did.

One watcher thread per app stats the watched runs twice a second: run.json, the epochs folder (a Recorder
renames each finished epoch into it) and each visualization's files. Only what changed is read again. A
run.json that does not parse (a writer rewriting it in place) keeps the last good state until it does, so
a page never gets half a run; epochs appear only once run.json lists them, after their folder is complete.
"""

import hashlib
import json
import os
import threading
import time

from flask import Blueprint, Response, current_app, request

from ttvis import atomic
from ttvis.errors import RunError
from ttvis.run import layout
from ttvis.run.reader import Run
from ttvis.server.responses import abort_json
from ttvis.server.safepath import Refused, run_dir
from ttvis.visualize.outputs import VisOutputs

bp = Blueprint("live", __name__, url_prefix="/api/runs")

INTERVAL = 0.5  # seconds between two looks at the watched runs
IDLE_AFTER = 90  # stop watching a run nobody asked about for this long (pages ask every WAIT_MAX at most)
WAIT_MAX = 30  # longest wait a request may ask for
RETRY_AFTER = 2  # seconds a client waits before asking again when the server answered without waiting
LIVE_SECONDS = 300  # a run written to within this many seconds counts as live


class State:
    """What the live endpoint answers for one run, with the stat signature it was read at."""

    def __init__(self, sig, body):
        self.sig = sig
        self.body = body
        self.etag = hashlib.blake2b(json.dumps(body, sort_keys=True).encode(), digest_size=12).hexdigest()


class Background:
    """A daemon thread running self._loop, started when first needed; self._cond guards the state."""
    thread_name = None

    def __init__(self):
        self._cond = threading.Condition()
        self._thread = None

    def _ensure_thread(self):
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
                self._thread.start()


class Watcher(Background):
    """Watches the runs pages ask about; wait() blocks until a run's state differs from a known ETag."""
    thread_name = "ttvis-live-watcher"

    def __init__(self, root, max_waiters=4):
        super().__init__()
        self.root = root
        self.max_waiters = max_waiters  # each waiting request holds a server thread; beyond this, answer at once
        self._states = {}  # run name -> State
        self._asked = {}  # run name -> monotonic time of the last request
        self._listeners = []  # fn(name, old_body, new_body), called from the watcher thread on a change
        self._extras = {}  # key -> fn(name): more of the answer (e.g. "follow": what the follower does)
        self._kept = set()  # runs watched even when no page asks (followed runs)
        self._waiters = 0

    def add_listener(self, fn):
        self._listeners.append(fn)

    def add_extra(self, key, fn):
        self._extras[key] = fn

    def keep(self, name, on=True):
        """Watch `name` even while no page asks (on=False: only while pages ask)."""
        with self._cond:
            if on:
                self._kept.add(name)
                self._asked.setdefault(name, time.monotonic())
            else:
                self._kept.discard(name)
        if on:
            self._ensure_thread()

    def state(self, name):
        """The run's current state; starts watching it."""
        with self._cond:
            self._asked[name] = time.monotonic()
            state = self._states.get(name)
        if state is None:
            self._refresh(name)  # a first look tells the listeners (the follower) too, as any change does
            with self._cond:
                state = self._states.get(name)
            if state is None:
                raise RunError(self.root / name / layout.RUN_JSON, "unreadable")
        self._ensure_thread()
        return state

    def wait(self, name, etag, timeout):
        """(state, busy): the run's state once its ETag differs from `etag`, or after `timeout` seconds;
        busy when too many requests wait already and this one was answered at once."""
        state = self.state(name)
        with self._cond:
            if state.etag != etag or timeout <= 0:
                return state, False
            if self._waiters >= self.max_waiters:
                return state, True
            self._waiters += 1
            try:
                self._cond.wait_for(lambda: self._states.get(name, state).etag != etag, timeout)
            finally:
                self._waiters -= 1
            self._asked[name] = time.monotonic()
            return self._states.get(name, state), False

    def touch(self, name, force=False):
        """Look at `name` again now; force: read it even if no file changed (the follower's status did)."""
        with self._cond:
            watched = name in self._asked
        if watched:
            self._refresh(name, force)

    # -- the thread -------------------------------------------------------------------------
    def _loop(self):
        while True:
            time.sleep(INTERVAL)
            now = time.monotonic()
            with self._cond:
                for name in [n for n, t in self._asked.items() if now - t > IDLE_AFTER and n not in self._kept]:
                    self._asked.pop(name)
                    self._states.pop(name, None)
                if not self._asked:
                    self._thread = None
                    return
                names = list(self._asked)
            for name in names:
                try:
                    self._refresh(name)
                except Exception:  # a vanished or broken run keeps its last state; the API explains it
                    continue

    def _refresh(self, name, force=False):
        with self._cond:
            old = self._states.get(name)
        sig = self._signature(name)
        if not force and old is not None and sig == old.sig and old.body["live"] == self._live(sig):
            return
        new = self._read(name, sig, old)
        if new is None or (old is not None and new.etag == old.etag):
            if new is not None:
                with self._cond:
                    self._states[name] = new  # same answer, newer signature: do not read again
            return
        with self._cond:
            self._states[name] = new
            self._cond.notify_all()
        for fn in self._listeners:
            fn(name, old.body if old else None, new.body)

    # -- reading a run ----------------------------------------------------------------------
    def _signature(self, name):
        """Stat signatures of what a Recorder or a build changes; no file is read."""
        run = self.root / name
        sig = [_stat(run / layout.RUN_JSON), _stat(run / layout.EPOCHS, dir_only=True)]
        vis = run / layout.VISUALIZE
        sig.append(_stat(vis, dir_only=True))
        try:
            methods = sorted(e.name for e in os.scandir(vis) if e.is_dir())
        except OSError:
            methods = []
        for m in methods:
            d = vis / m
            sig.append((m, _stat(d / "params.json"), _stat(d / "metrics.json"), _stat(d / "epochs", dir_only=True)))
        return tuple(sig)

    def _live(self, sig):
        run_json = sig[0]
        return run_json is not None and time.time() - run_json[0] / 1e9 < LIVE_SECONDS

    def _read(self, name, sig, old):
        """The run's state, or None when run.json does not parse right now (keep the last good one)."""
        sig = sig if sig is not None else self._signature(name)
        path = self.root / name
        try:
            run = Run(path)
        except RunError:
            return None
        try:
            writing = sorted(_being_written(os.listdir(path / layout.EPOCHS)))
        except OSError:
            writing = []
        methods = {}
        for method in VisOutputs.methods(path):
            listed = set(run.epochs)
            methods[method] = [e for e in VisOutputs(path, method).epochs() if e in listed]
        body = {"run": name, "epochs": run.epochs, "writing": writing,
                "live": bool(writing) or self._live(sig), "methods": methods}
        for key, fn in self._extras.items():
            body[key] = fn(name)
        return State(sig, body)


def _stat(path, dir_only=False):
    try:
        st = os.stat(path)
    except OSError:
        return None
    if dir_only and not os.path.isdir(path):
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def init_app(app):
    from pathlib import Path

    app.extensions["ttvis_live"] = Watcher(Path(os.path.realpath(app.config["DATA_ROOT"])),
                                           app.config["LIVE_MAX_WAITERS"])


def get_watcher() -> Watcher:
    return current_app.extensions["ttvis_live"]


@bp.get("/<run>/live")
def live(run):
    try:
        run_dir(get_watcher().root, run)  # the same path checks as every route; run.json is read by the watcher
    except Refused:
        abort_json(404, f"unknown run {run!r}")
    wait = request.args.get("wait", "0")
    try:
        wait = float(wait)
    except ValueError:
        abort_json(400, f"wait must be a number of seconds, got {wait!r}")
    if not 0 <= wait <= WAIT_MAX:
        abort_json(400, f"wait must be between 0 and {WAIT_MAX} seconds")
    known = request.if_none_match
    etag = next(iter(known), None) if known else None  # pages send the one ETag they hold
    try:
        state, busy = get_watcher().wait(run, etag, wait)
    except RunError as exc:
        abort_json(500, f"unreadable run data: {exc}")
    headers = {"ETag": f'"{state.etag}"', "Cache-Control": "no-cache"}
    if busy:  # every waiting request holds a server thread: this client asks again a little later
        headers["Retry-After"] = str(RETRY_AFTER)
    if state.etag == etag:
        return Response(status=304, headers=headers)
    return Response(json.dumps(state.body), mimetype="application/json", headers=headers)


def _being_written(names):
    """Epochs whose folders a Recorder is still writing: temporary siblings of epoch folders (ttvis.atomic)."""
    for name in names:
        temporary = atomic.temporary_of(name)
        epoch = layout.epoch_of(temporary[0]) if temporary else None
        if epoch is not None:
            yield epoch
