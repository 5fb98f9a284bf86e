"""The format's rules for run.json and for each array (SPEC.md), that cost no scan of a run's values.

Whoever reads or writes a run applies them (Run, the Recorder, the server, `check`), so a run that check
would reject can neither be written nor index out of bounds when read.
"""

import re

import numpy as np

from ttvis.errors import RunError
from ttvis.run import layout

MAX_CLASSES = 65535          # labels and predictions go out as uint16
MAX_EPOCH = 10**9
MAX_IMAGE_SIDE = 4096
MODEL_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.py$")  # a plain .py file in the run folder


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def validate_meta(meta, where):
    """Raise RunError(where, ...) unless `meta` (run.json's content) follows SPEC.md."""
    from ttvis.run.head import check_spec

    def bad(problem):
        raise RunError(where, problem)

    if not isinstance(meta, dict):
        bad("must hold a JSON object")
    if meta.get("format") != layout.FORMAT:
        bad(f'"format" must be "{layout.FORMAT}"')
    if "version" in meta and meta["version"] != layout.VERSION:
        bad(f'"version" must be {layout.VERSION}, got {meta["version"]!r}'[:200])
    if meta.get("name") is not None and not isinstance(meta["name"], str):
        bad('"name" must be a string')
    classes = meta.get("classes")
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) for c in classes):
        bad('"classes" must be a non-empty list of names')
    if len(classes) > MAX_CLASSES:
        bad(f'"classes" lists {len(classes)} classes, at most {MAX_CLASSES} are supported')
    epochs = meta.get("epochs")
    if not isinstance(epochs, list) or not all(is_int(e) for e in epochs):
        bad('"epochs" must be a list of integers')
    if any(not 0 <= e <= MAX_EPOCH for e in epochs):
        bad(f'"epochs" must lie in 0..{MAX_EPOCH}')
    if any(b <= a for a, b in zip(epochs, epochs[1:])):
        bad('"epochs" must be strictly increasing')
    if not is_int(meta.get("n_samples")) or meta["n_samples"] < 1:
        bad('"n_samples" must be a positive integer')
    dim = meta.get("representation_dim")
    if dim is not None and not (is_int(dim) and dim >= 1):
        bad('"representation_dim" must be a positive integer or null')
    head, model = meta.get("head"), meta.get("model")
    if head is not None:
        try:
            check_spec(head)
        except ValueError as exc:
            bad(f'bad "head" spec: {exc}')
    if model is not None and not (isinstance(model, dict) and isinstance(model.get("file"), str)
                                  and isinstance(model.get("class"), str) and model["class"].isidentifier()):
        bad('"model" must be {"file": "model.py", "class": "<class name>"} or null')
    if model is not None and not MODEL_FILE.match(model["file"]):
        bad('"model" "file" must name a .py file directly in the run folder, like "model.py"')
    shape = meta.get("input_shape")
    if shape is not None and not (isinstance(shape, list) and all(is_int(d) and d >= 1 for d in shape)):
        bad('"input_shape" must be a list of positive integers or null')


# kind -> (dimensions, dtype kinds, what the rows are called)
_ARRAYS = {
    "labels": (1, "iu", "labels"),
    "split": (1, "iub", "split values"),
    "images": ((3, 4), "u", "images"),
    "inputs": ((2, 3, 4, 5), "f", "inputs"),
    "representations": (2, "f", "representations"),
    "logits": (2, "f", "logits"),
}


def check_array(path, a, kind, n, *, columns=None):
    """The rules an array of `kind` must follow that cost no scan of its values, plus the cheap scans of
    labels (`columns` = classes) and split. Returns `a`; RunError(path, ...) otherwise. Readers call it
    on every array they load, so a run that check would reject cannot index out of bounds."""
    ndim, kinds, what = _ARRAYS[kind]
    if a.dtype.kind not in kinds:
        expected = {"f": "floats", "u": "unsigned integers (uint8)"}.get(kinds, "integers")
        raise RunError(path, f"{what} have dtype {a.dtype}, expected {expected}")
    if a.ndim not in ((ndim,) if isinstance(ndim, int) else ndim):
        raise RunError(path, f"{what} have shape {a.shape}, expected {ndim} dimension(s)")
    if a.shape[0] != n:
        raise RunError(path, f"{what} have {a.shape[0]} rows, run.json says n_samples = {n}")
    if 0 in a.shape[1:]:
        raise RunError(path, f"{what} have shape {a.shape}: every dimension must be at least 1")
    if kind == "labels" and (a.min() < 0 or a.max() >= columns):
        bad = int(np.flatnonzero((a < 0) | (a >= columns))[0])
        raise RunError(path, f"label {int(a[bad])} of sample {bad} is outside 0..{columns - 1}")
    if kind == "split" and not np.isin(a, (0, 1)).all():
        raise RunError(path, "split values must be 0 (train) or 1 (test)")
    if kind == "split" and not (a == 0).any():
        raise RunError(path, "no sample is in the training split")
    if kind == "images" and (a.dtype != np.uint8 or (a.ndim == 4 and a.shape[3] != 3)):
        raise RunError(path, f"images must be uint8 (N,H,W) or (N,H,W,3), got {a.dtype} {a.shape}")
    if kind == "images" and max(a.shape[1:3]) > MAX_IMAGE_SIDE:
        raise RunError(path, f"images are {a.shape[1]}x{a.shape[2]}, at most {MAX_IMAGE_SIDE} pixels a side "
                             "are supported")
    if kind == "logits" and a.shape[1] != columns:
        raise RunError(path, f"logits have {a.shape[1]} columns for {columns} classes")
    if kind == "representations" and columns is not None and a.shape[1] != columns:
        raise RunError(path, f"representations have dimension {a.shape[1]}, expected {columns} like the "
                             "run's other epochs")
    return a
