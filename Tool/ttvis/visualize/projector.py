"""One shape for every projector (scikit-learn / umap-learn style).

    proj = TimeVis(n_neighbors=15).fit({epoch: X_epoch, ...}, heads={epoch: head}, boundary={epoch: B})
    Z = proj.transform(X, epoch=e); X_hat = proj.inverse_transform(Z, epoch=e)
    proj.save(folder); TimeVis.load(folder)        # state_dict + JSON, never pickle

`__init__` only stores keyword arguments; `validate_params()` (called first by `fit`) raises ValueError
naming the bad one. Fitted state ends in `_`. Subclasses implement `_fit`, `_transform`,
`_inverse_transform` and the `_state`/`_load_state` pair.

Parameters are the class's `defaults` rather than explicit `__init__` keywords (scikit-learn's
`_get_param_names`): one dict gives the names, the defaults, `get_params()`, `save()`'s JSON and the
"unknown parameter" message, and `ttvis train --param NAME=VALUE` passes user keywords straight through.

The class attributes below tell a build what a projector needs and gives, so that no caller branches on
method names; PROJECTORS (filled by @register as visualize/registry.py imports the method modules) is
the one list of methods.
"""

import json
from pathlib import Path

import numpy as np
import torch

from ttvis import atomic

PROJECTORS = {}


def register(cls):
    PROJECTORS[cls.name] = cls
    return cls


def resolve_device(device):
    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class Projector:
    name = None
    has_transform = True     # can place new points of a fitted epoch
    has_inverse = True       # can decode 2D points back to representations (territories): decode_tensor
    fits_on = "training"     # "training": fitted on training samples, then places every sample (transform);
    #                          "all": embeds every sample it is fitted on (embedding(epoch))
    uses_classifier = False  # fitted with the classifier's heads and boundary samples: the run needs a head
    streams = True           # fit reads one epoch at a time, so a lazily loaded {epoch: array} suffices
    samples_keyframes = False  # fit takes `stats` and `keyframes` from the build's sampling plan
    extendable = False       # fit_more adds a run's new epochs to a finished build
    min_epochs = 1
    cost = 0                 # rank among the methods, cheapest to build first
    preference = 99          # rank when the page picks which built method to show, most faithful first
                             # (web/session.js PREFERRED_METHODS, kept equal by a test)
    slow_from = None         # samples from which a build takes minutes on a CPU (0: always, None: never)
    defaults = {}
    retired = ()             # parameters of earlier versions: a saved projector may hold them, load() drops them

    def __init__(self, **params):
        for key in params:
            if key not in self.defaults:
                raise ValueError(f"unknown parameter {key!r} for {self.name} "
                                 f"(known: {', '.join(sorted(self.defaults))})")
        for key, value in self.defaults.items():
            setattr(self, key, params.get(key, value))

    def get_params(self):
        """Parameters in their JSON form (tuples as lists), as save() writes them."""
        return _jsonable({k: getattr(self, k) for k in self.defaults})

    @classmethod
    def describe(cls):
        """What the API tells the browser about the method."""
        return {"name": cls.name, "cost": cls.cost, "slow_from": cls.slow_from, "has_inverse": cls.has_inverse,
                "fits_on": cls.fits_on, "extendable": cls.extendable, "parameters": _jsonable(cls.defaults)}

    @classmethod
    def warm_up(cls):
        """Do once per process, ahead of time, what would otherwise slow the first fit or extension
        (a live run's first new epoch); nothing for most methods."""

    # -- validation helpers ---------------------------------------------------------------
    def validate_params(self):
        """Raise ValueError naming the first bad parameter (fit calls it first; a build calls it before
        any work)."""
        self._validate_params()

    def _validate_params(self):
        """Override: raise ValueError naming the parameter."""

    def _check_int(self, name, low, high=None):
        v = getattr(self, name)
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low or (high is not None and v > high):
            rng = f">= {low}" if high is None else f"in [{low}, {high}]"
            raise ValueError(f"{name} must be an integer {rng}, got {v!r}")

    def _check_float(self, name, low, high=None, low_open=False):
        v = getattr(self, name)
        ok = isinstance(v, (int, float, np.floating)) and not isinstance(v, bool) and np.isfinite(v)
        ok = ok and (v > low if low_open else v >= low) and (high is None or v <= high)
        if not ok:
            rng = f"{'>' if low_open else '>='} {low}" + ("" if high is None else f" and <= {high}")
            raise ValueError(f"{name} must be a number {rng}, got {v!r}")

    def _check_choice(self, name, choices):
        v = getattr(self, name)
        if v not in choices:
            raise ValueError(f"{name} must be one of {', '.join(map(str, choices))}; got {v!r}")

    @staticmethod
    def _check_data(X):
        from ttvis.visualize.sampling import Lazy

        if isinstance(X, Lazy) and len(X):  # streamed epochs: checked as the fit reads them
            return X
        if not isinstance(X, dict) or not X:
            raise ValueError("X must be a non-empty dict {epoch: array (n, D)}")
        out, dim = {}, None
        for e in sorted(X):
            a = np.asarray(X[e], dtype=np.float32)
            if a.ndim != 2 or len(a) < 2:
                raise ValueError(f"X[{e}] must be a 2D array with at least 2 rows, got shape {a.shape}")
            if dim is not None and a.shape[1] != dim:
                raise ValueError(f"X[{e}] has {a.shape[1]} dimensions, other epochs {dim}")
            if not np.isfinite(a).all():
                raise ValueError(f"X[{e}] holds NaN or infinite values")
            dim = a.shape[1]
            out[int(e)] = a
        return out

    # -- public API -----------------------------------------------------------------------
    def fit(self, X, *, heads=None, boundary=None, checkpoint_dir=None, progress=None, **sampled):
        """X: {epoch: (n_e, D)}; heads: {epoch: torch module reps -> logits}; boundary: {epoch: (b_e, D)}.
        sampled: what a projector that trains on samples needs besides (TimeVis: stats, keyframes)."""
        self.validate_params()
        X = self._check_data(X)
        self.epochs_ = sorted(X)
        self.dim_ = int(X[self.epochs_[0]].shape[1])
        self._fit(X, heads=heads, boundary=boundary, **sampled,
                  checkpoint_dir=Path(checkpoint_dir) if checkpoint_dir is not None else None,
                  progress=progress)
        return self

    def _epoch_index(self, epoch):
        if not hasattr(self, "epochs_"):
            raise ValueError(f"{self.name} is not fitted yet; call fit first")
        if epoch not in self.epochs_:
            raise ValueError(f"epoch {epoch!r} was not fitted (fitted: {self.epochs_})")
        return self.epochs_.index(epoch)

    def transform(self, X, *, epoch):
        i = self._epoch_index(epoch)
        if not self.has_transform:
            raise NotImplementedError(f"{self.name} cannot place new points; use embeddings_")
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.dim_:
            raise ValueError(f"X must have shape (n, {self.dim_}), got {X.shape}")
        return self._transform(X, i).astype(np.float32)

    def inverse_transform(self, Z, *, epoch):
        i = self._epoch_index(epoch)
        if not self.has_inverse:
            raise NotImplementedError(f"{self.name} has no inverse mapping")
        Z = np.asarray(Z, dtype=np.float32)
        if Z.ndim != 2 or Z.shape[1] != 2:
            raise ValueError(f"Z must have shape (n, 2), got {Z.shape}")
        return self._inverse_transform(Z, i).astype(np.float32)

    def embedding(self, epoch):
        """The fitted 2D positions of epoch `epoch` (fits_on == "all": every sample it was fitted on)."""
        raise NotImplementedError(f"{self.name} places samples with transform(), not a stored embedding")

    def placed(self, epoch):
        """(sample ids, positions (n, 2)) of the samples of `epoch` that the fit laid out itself and that
        are shown where it laid them (TimeVis's target layout), or None: transform places every sample."""
        return None

    def settle(self, Y, epoch, head, predicted):
        """Positions Y (n, 2) of the samples of `epoch`, adjusted to the classifier `head` (torch module:
        representations -> logits) that predicts them as `predicted` (n,) (settling.py); as they are here."""
        return Y

    def decode_tensor(self, Z, epoch):
        """inverse_transform for a torch tensor (territories paint on the device), without the checks."""
        raise NotImplementedError(f"{self.name} has no inverse mapping")

    # -- persistence --------------------------------------------------------------------------
    def save(self, path):
        """Write params.json + state.pt (tensors only) into folder `path`, atomically."""
        state, meta = self._state()
        doc = {"projector": self.name, "params": _jsonable(self.get_params()),
               "epochs": self.epochs_, "dim": self.dim_, "meta": _jsonable(meta)}
        with atomic.atomic_dir(path) as tmp:
            (tmp / "params.json").write_text(json.dumps(doc, indent=2) + "\n")
            atomic.write_torch(tmp / "state.pt", {k: v.detach().cpu() for k, v in state.items()})
        return self

    @classmethod
    def load(cls, path):
        path = Path(path)
        doc = json.loads((path / "params.json").read_text())
        klass = PROJECTORS[doc["projector"]] if cls is Projector else cls
        if klass.name != doc["projector"]:
            raise ValueError(f"{path} holds a {doc['projector']} projector, not {klass.name}")
        self = klass(**{k: v for k, v in doc["params"].items() if k not in klass.retired})
        self.epochs_, self.dim_ = [int(e) for e in doc["epochs"]], int(doc["dim"])
        from ttvis.run.model_code import load_torch_file

        state = load_torch_file(path / "state.pt", missing="projector state is missing",
                                unreadable="unreadable projector state")
        self._load_state(state, doc["meta"])
        return self

    def _state(self):
        raise NotImplementedError

    def _load_state(self, state, meta):
        raise NotImplementedError


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def cpu_threads():
    """Threads for torch on CPU: the projectors' matrices are small (batch x 128), where extra threads
    gain little and lose a lot when the cores are shared, so use half the cores (at least one)."""
    import os

    return max(1, min(8, (os.cpu_count() or 2) // 2))
