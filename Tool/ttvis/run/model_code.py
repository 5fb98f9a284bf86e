"""Load a user's model.py (the original tool's convention: a class with feature(x) and prediction(f)).

A run's model.py is code from a shared folder: it may raise, call sys.exit() or never return. Every
call into it goes through `user_code()`, which turns all of these into one RunError naming the file,
with a time limit per call (TTVIS_MODEL_TIMEOUT seconds, default 120; `ttvis --model-timeout`).
"""

import ctypes
import importlib.util
import os
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

from ttvis.errors import RunError, first_line

TIMEOUT_ENV = "TTVIS_MODEL_TIMEOUT"
DEFAULT_TIMEOUT = 120.0


def timeout_seconds():
    """The time limit of one call into model code, from TTVIS_MODEL_TIMEOUT (seconds)."""
    value = os.environ.get(TIMEOUT_ENV, "").strip()
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0:
        raise ValueError(f"{TIMEOUT_ENV}={value!r} must be a positive number of seconds")
    return seconds


class _Overtime(BaseException):
    """Raised inside model code that runs past its time limit (a BaseException, like KeyboardInterrupt)."""


class _Watchdog:
    """One daemon thread that stops model code running past its deadline, in whichever thread it runs:
    it raises _Overtime in that thread (again every second, should the code swallow it)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._deadlines = {}  # thread id -> deadline
        self._thread = None
        self.local = threading.local()  # .active: this thread runs guarded code (nested calls add no deadline)

    def enter(self, seconds):
        with self._lock:
            self._deadlines[threading.get_ident()] = time.monotonic() + seconds
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="ttvis-model-timeout", daemon=True)
                self._thread.start()

    def leave(self):
        """Idempotent, so that it can be retried should an _Overtime interrupt it."""
        tid = threading.get_ident()
        with self._lock:
            self._deadlines.pop(tid, None)
            _raise_in(tid, None)  # cancel an _Overtime not delivered yet

    def _watch(self):
        while True:
            with self._lock:
                now = time.monotonic()
                for tid, deadline in self._deadlines.items():
                    if deadline <= now:
                        self._deadlines[tid] = now + 1.0
                        _raise_in(tid, _Overtime)
                wait = min(list(self._deadlines.values()) + [now + 1.0]) - now
            time.sleep(min(max(wait, 0.01), 1.0))


def _raise_in(tid, exc):
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(exc) if exc else None)


_watchdog = _Watchdog()


@contextmanager
def _time_limit(seconds):
    if getattr(_watchdog.local, "active", False):  # already inside guarded code: its deadline holds
        yield
        return
    try:
        _watchdog.local.active = True
        _watchdog.enter(seconds)
        yield
    finally:
        while True:
            try:
                _watchdog.leave()
                _watchdog.local.active = False
                break
            except _Overtime:
                continue


@contextmanager
def user_code(path, what):
    """Run the block (a call into model code) under the time limit; whatever escapes it, an exception,
    sys.exit(), KeyboardInterrupt or the time limit, becomes RunError(path, "<what>: <why>")."""
    limit = timeout_seconds()
    try:
        with _time_limit(limit):
            yield
    except RunError:
        raise
    except _Overtime:
        raise RunError(path, f"{what}: still running after {limit:g} s (raise the limit with "
                             f"--model-timeout or {TIMEOUT_ENV})") from None
    except SystemExit as exc:
        raise RunError(path, f"{what}: the code called sys.exit({exc.code!r})") from None
    except KeyboardInterrupt:
        raise RunError(path, f"{what}: the code raised KeyboardInterrupt") from None
    except Exception as exc:
        first = first_line(exc, 150)
        raise RunError(path, f"{what}: {type(exc).__name__}: {first}") from None


def load_model_class(path, class_name):
    path = Path(path)
    if not path.is_file():
        raise RunError(path, "model file is missing")
    name = f"_ttvis_user_model_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or path.suffix != ".py":
        raise RunError(path, "model code must be a Python file ending in .py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    with user_code(path, "cannot import model code"):
        spec.loader.exec_module(module)
    cls = getattr(module, class_name, None)
    if cls is None or not isinstance(cls, type):
        raise RunError(path, f"defines no class named {class_name!r}")
    for method in ("feature", "prediction"):
        if not callable(getattr(cls, method, None)):
            raise RunError(path, f"class {class_name} has no {method}() method")
    return cls


def load_model(model_path, class_name, checkpoint_path):
    """Instantiate the class and load a state dict checkpoint; eval mode, CPU. Returns a UserModel."""
    cls = load_model_class(model_path, class_name)
    with user_code(model_path, f"cannot construct {class_name}()"):
        model = cls()
    if not isinstance(model, nn.Module):
        raise RunError(model_path, f"{class_name}() is a {type(model).__name__}, not a torch.nn.Module")
    state = load_state_dict(checkpoint_path)
    misfit = None
    with user_code(model_path, f"{class_name}.load_state_dict()"):
        try:
            model.load_state_dict(state)
        except Exception as exc:  # the checkpoint does not fit: its fault, not the code's
            misfit = first_line(exc, 150)
    if misfit is not None:
        raise RunError(checkpoint_path, f"does not fit {class_name}: {misfit}")
    with user_code(model_path, f"{class_name}.eval()"):
        model.eval()
    return UserModel(model, model_path, class_name)


def load_torch_file(path, *, missing, unreadable):
    """torch.load with tensors only (no pickled code); any failure becomes one RunError line."""
    path = Path(path)
    if not path.is_file():
        raise RunError(path, missing)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        if "Weights only load failed" in str(exc):
            raise RunError(path, f"{unreadable}: it holds pickled Python objects, not only tensors; refused, "
                                 "as loading them could run code") from None
        first = first_line(exc, 120)
        raise RunError(path, f"{unreadable} ({type(exc).__name__}{': ' + first if first else ''})") from None


def load_state_dict(path):
    state = load_torch_file(path, missing="checkpoint is missing", unreadable="unreadable checkpoint")
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise RunError(path, f"checkpoint holds a {type(state).__name__}, expected a state dict")
    return state


class UserModel(nn.Module):
    """A model from model.py whose feature() and prediction() run under user_code()."""

    def __init__(self, module, path, class_name):
        super().__init__()
        self.module = module
        self.code_path, self.class_name = Path(path), class_name

    def feature(self, x):
        with user_code(self.code_path, f"{self.class_name}.feature() fails"):
            return self.module.feature(x)

    def prediction(self, f):
        with user_code(self.code_path, f"{self.class_name}.prediction() fails"):
            return self.module.prediction(f)


class PredictionHead(nn.Module):
    """Expose model.prediction(f) as a head module: representations -> logits."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, features):
        return self.model.prediction(features)
