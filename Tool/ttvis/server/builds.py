"""Building a visualization from the browser: the methods the engine builds (/api/methods), and one
background build per run, with progress to poll."""

import threading
import time

from flask import Blueprint, current_app, jsonify, request

from ttvis.errors import first_line
from ttvis.server.responses import abort_json, get_run
from ttvis.visualize.outputs import METHOD_NAME, VisOutputs

bp = Blueprint("builds", __name__, url_prefix="/api")
BUILD = "/runs/<run>/methods/<method>/build"


class BuildCancelled(Exception):
    pass


class Build:
    def __init__(self, method):
        self.method, self.state, self.progress, self.message = method, "running", 0.0, "starting"
        self.started = time.time()
        self.thread = None
        self.cancelled = False

    def as_json(self):
        return {"method": self.method, "state": self.state, "progress": round(self.progress, 4),
                "message": self.message}


class Builds:
    """Builds by run: at most one running per run; the last build of each (run, method) is kept."""

    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()
        self._running = {}  # run name -> Build
        self._last = {}  # (run name, method) -> Build

    def start(self, name, run, method, force, build_fn):
        job = Build(method)

        def progress(fraction, message=""):
            if job.cancelled:  # the engine stops at its next progress report; finished stages stay on disk
                raise BuildCancelled("cancelled")
            job.progress = min(max(float(fraction), 0.0), 1.0)
            job.message = str(message)

        def work():
            try:
                build_fn(run, method, force=force, progress=progress)
                job.state, job.progress, job.message = "done", 1.0, "done"
            except BuildCancelled:
                job.state, job.message = "cancelled", "cancelled"
            except Exception as exc:  # reported to the client; the build can be started again
                first = first_line(exc, 300)
                job.state, job.message = "failed", f"{type(exc).__name__}: {first}"
            finally:
                self.store.invalidate(name)
                with self._lock:
                    self._running.pop(name, None)

        job.thread = threading.Thread(target=work, name=f"build-{name}-{method}", daemon=True)
        with self._lock:  # registered and started at once: join() never meets a thread not yet started
            if name in self._running:
                return None
            self._running[name] = self._last[(name, method)] = job
            job.thread.start()
        return job

    def join(self, name):
        """Wait for the build running for run `name`, if any."""
        job = self._running.get(name)
        if job is not None:
            job.thread.join()

    def wait(self, timeout=None):
        """Wait for running builds to finish (at shutdown); True when none is left running."""
        deadline = None if timeout is None else time.time() + timeout
        for job in list(self._running.values()):
            job.thread.join(None if deadline is None else max(0.0, deadline - time.time()))
        return not self._running

    def cancel(self, name, method):
        job = self._running.get(name)
        if job is None or job.method != method:
            return False
        job.cancelled = True
        return True

    def status(self, name, method):
        job = self._last.get((name, method))
        return job.as_json() if job else None


def init_app(app):
    app.extensions["ttvis_builds"] = Builds(app.extensions["ttvis_store"])


def _engine():
    """The engine's build function and method list (imported when first asked: it loads torch)."""
    from ttvis.visualize.build import METHODS, build_visualization

    return build_visualization, list(METHODS)


@bp.get("/methods")
def methods():
    """The methods the engine builds, cheapest first, with what the page needs to know of each."""
    from ttvis.visualize.registry import PROJECTORS

    return jsonify({"methods": [PROJECTORS[m].describe() for m in _engine()[1]]})


def _method(method):
    """The engine's build function for a method it knows; 404 for any other name."""
    if not METHOD_NAME.match(method):
        abort_json(404, f"unknown method {method!r}")
    build_fn, methods = _engine()
    if method not in methods:
        abort_json(404, f"unknown method {method!r}; choose from {', '.join(methods)}")
    return build_fn


@bp.post(BUILD)
def start(run, method):
    r = get_run(run)
    build_fn = _method(method)
    body = request.get_json(silent=True) if request.data else {}
    if body is None or not isinstance(body, dict):
        abort_json(400, "request body must be a JSON object such as {\"force\": true}")
    force = body.get("force", False)
    if not isinstance(force, bool):
        abort_json(400, "'force' must be true or false")
    job = current_app.extensions["ttvis_builds"].start(run, r, method, force, build_fn)
    if job is None:
        abort_json(409, f"a build is already running for run {run!r}")
    return jsonify({"state": "running", "method": method}), 202


@bp.get(BUILD)
def status(run, method):
    r = get_run(run)
    _method(method)
    state = current_app.extensions["ttvis_builds"].status(run, method)
    if state is None:
        vis = VisOutputs(r.path, method)
        built = vis.exists() and set(r.epochs) <= set(vis.epochs())
        state = {"method": method, "state": "done" if built else "idle", "progress": 1.0 if built else 0.0,
                 "message": "built" if built else "not built"}
    return jsonify(state)


@bp.delete(BUILD)
def cancel(run, method):
    """Stop a running build at its next progress step (a resumed build continues from there)."""
    get_run(run)
    _method(method)
    if not current_app.extensions["ttvis_builds"].cancel(run, method):
        abort_json(409, f"no build of {method!r} is running for run {run!r}")
    return jsonify({"state": "cancelling", "method": method}), 202
