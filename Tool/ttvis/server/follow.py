"""Follow mode: extend a run's visualization in the background as its Recorder adds epochs.

A followed run's chosen method (TimeVis unless the page picks another) grows by each new epoch through the
engine's incremental build. While that method has no finished build yet, PCA (cheap, one projection per
epoch) is kept up to date instead, so a live page always has positions for the newest epoch.

`ttvis serve --follow` follows every run under the root; a page follows its run with
POST /api/runs/<run>/follow {"follow": true, "method": "timevis"}. The live endpoint reports what the
follower does ("follow" in its answer), and wakes waiting pages when new positions are written.
"""

import time

from flask import Blueprint, current_app, jsonify, request

from ttvis.server.live import Background
from ttvis.server.responses import abort_json, get_run
from ttvis.visualize.outputs import VisOutputs

bp = Blueprint("follow", __name__, url_prefix="/api/runs")

DEFAULT = "timevis"  # what a run is followed with unless asked otherwise
FALLBACK = "pca"  # its stand-in while the followed method has no finished build
DISCOVER_EVERY = 2.0  # seconds between looks for new runs under the root when following all


class Follower(Background):
    thread_name = "ttvis-follow"

    def __init__(self, watcher, store, builds, follow_all=None):
        super().__init__()
        self.watcher, self.store, self.builds = watcher, store, builds
        self.follow_all = follow_all  # a method name: follow every run with it (serve --follow)
        self._methods = {}  # run name -> method followed (None: explicitly not followed)
        self._status = {}  # run name -> {"method", "state", "message"}
        self._pending = []
        self._warm = set()  # methods made ready to extend in this process (_warm_up)
        watcher.add_listener(self._changed)
        watcher.add_extra("follow", self.status)
        if follow_all:
            self._ensure_thread()

    def method(self, name):
        if name in self._methods:
            return self._methods[name]
        return self.follow_all

    def follow(self, name, method):
        """Follow run `name` with `method`, or stop following it (method None)."""
        with self._cond:
            self._methods[name] = method
            if method is None:
                self._status.pop(name, None)
        self.watcher.keep(name, method is not None)
        if method is not None:
            self._schedule(name)
        self.watcher.touch(name, force=True)

    def status(self, name):
        """What the live endpoint reports for run `name`: None when it is not followed."""
        method = self.method(name)
        if method is None:
            return None
        return {"method": method, **self._status.get(name, {"state": "idle", "message": ""})}

    # -- work -------------------------------------------------------------------------------
    def _changed(self, name, old, new):
        if self.method(name) is None:
            return
        if old is None and not new["live"] and name not in self._methods:
            return  # serve --follow leaves a finished run as it is until it gains epochs
        if old is None or old["epochs"] != new["epochs"]:
            self._schedule(name)

    def _schedule(self, name):
        with self._cond:
            if name not in self._pending:
                self._pending.append(name)
            self._cond.notify_all()
        self._ensure_thread()

    def _loop(self):
        last_discovery = 0.0
        while True:
            with self._cond:
                if not self._pending:
                    self._cond.wait(DISCOVER_EVERY if self.follow_all else None)
                name = self._pending.pop(0) if self._pending else None
            if self.follow_all and time.monotonic() - last_discovery >= DISCOVER_EVERY:
                last_discovery = time.monotonic()
                for run in self.store.names():
                    if self.method(run) is not None:
                        self.watcher.keep(run, True)
            if name is not None:
                self._extend(name)

    def _warm_up(self, method):
        """While nothing is new: get `method` ready to extend (Projector.warm_up, once per method and
        process), so that the first epoch to arrive does not wait for it."""
        if method not in self._warm:
            from ttvis.visualize.registry import PROJECTORS

            PROJECTORS[method].warm_up()
            self._warm.add(method)

    def _extend(self, name):
        method = self.method(name)
        if method is None:
            return
        path = self.store.root / name
        from ttvis.run.reader import Run
        from ttvis.visualize.build import build_visualization

        def extend(run, method, force, progress):
            build_visualization(run, method, force=force, progress=progress, evaluate=False)

        # through the server's build registry: never beside a build started from the page, and shown,
        # with progress and cancel, like one
        while True:
            target = method if VisOutputs(path, method).exists() else FALLBACK
            try:
                if set(Run(path).epochs) <= set(VisOutputs(path, target).epochs()):
                    self._warm_up(target)
                    return  # up to date
            except Exception:
                return  # the run is unreadable right now; its next change brings it back
            self._status[name] = {"state": "extending", "message": f"{target}: adding new epochs"}
            self.watcher.touch(name, force=True)
            job = self.builds.start(name, path, target, False, extend)
            if job is not None:
                break
            self.builds.join(name)
        job.thread.join()
        state = {"done": "idle", "cancelled": "idle"}.get(job.state, job.state)
        message = f"{target} is up to date" if job.state == "done" else f"{target}: {job.message}"
        self._status[name] = {"state": state, "message": message}
        self.watcher.touch(name, force=True)


def init_app(app):
    app.extensions["ttvis_follow"] = Follower(app.extensions["ttvis_live"], app.extensions["ttvis_store"],
                                              app.extensions["ttvis_builds"], app.config.get("FOLLOW"))


@bp.post("/<run>/follow")
def follow(run):
    get_run(run)
    body = request.get_json(silent=True) if request.data else {}
    if not isinstance(body, dict):
        abort_json(400, 'request body must be a JSON object such as {"follow": true, "method": "timevis"}')
    on, method = body.get("follow", True), body.get("method", DEFAULT)
    method = DEFAULT if method == FALLBACK else method  # following the stand-in follows what it stands in for
    if not isinstance(on, bool):
        abort_json(400, "'follow' must be true or false")
    from ttvis.visualize.build import METHODS

    if method not in METHODS:
        abort_json(400, f"'method' must be one of {', '.join(METHODS)}")
    follower = current_app.extensions["ttvis_follow"]
    follower.follow(run, method if on else None)
    return jsonify({"follow": follower.status(run)})
