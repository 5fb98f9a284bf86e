"""Load a user's model.py (the original tool's convention: a class with feature(x) and prediction(f))."""

import importlib.util
import sys
import uuid
from pathlib import Path

import torch
from torch import nn

from ttvis.errors import RunError


def load_model_class(path, class_name):
    path = Path(path)
    if not path.is_file():
        raise RunError(path, "model file is missing")
    name = f"_ttvis_user_model_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # user code: report, do not crash
        raise RunError(path, f"cannot import model code: {type(exc).__name__}: {exc}") from None
    cls = getattr(module, class_name, None)
    if cls is None or not isinstance(cls, type):
        raise RunError(path, f"defines no class named {class_name!r}")
    for method in ("feature", "prediction"):
        if not callable(getattr(cls, method, None)):
            raise RunError(path, f"class {class_name} has no {method}() method")
    return cls


def load_model(model_path, class_name, checkpoint_path):
    """Instantiate the class and load a state dict checkpoint; eval mode, CPU."""
    cls = load_model_class(model_path, class_name)
    try:
        model = cls()
    except Exception as exc:
        raise RunError(model_path, f"cannot construct {class_name}(): {type(exc).__name__}: {exc}") from None
    state = load_state_dict(checkpoint_path)
    try:
        model.load_state_dict(state)
    except Exception as exc:
        raise RunError(checkpoint_path, f"does not fit {class_name}: {str(exc).splitlines()[0]}") from None
    return model.eval()


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
        first = (str(exc).splitlines() or [""])[0][:120]
        raise RunError(path, f"{unreadable} ({type(exc).__name__}{': ' + first if first else ''})") from None


def load_state_dict(path):
    state = load_torch_file(path, missing="checkpoint is missing", unreadable="unreadable checkpoint")
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise RunError(path, f"checkpoint holds a {type(state).__name__}, expected a state dict")
    return state


class PredictionHead(nn.Module):
    """Expose model.prediction(f) as a head module: representations -> logits."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, features):
        return self.model.prediction(features)
