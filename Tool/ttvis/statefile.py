"""Resume state on disk (model and optimiser state, random generator state, loss history) as one JSON
text plus a flat dict of tensors.

Run folders are shared files, so reading one must never run code: these files are read with
torch.load(weights_only=True), which refuses pickled objects, and the format holds nothing a JSON text
and tensors cannot say. Dict keys keep their type (optimiser states are keyed by int) and tuples stay
tuples, so a state dict comes back exactly as it was saved.
"""

import io
import json

import torch

from ttvis import atomic
from ttvis.errors import RunError


def to_bytes(state):
    tensors = {}
    doc = _encode(state, tensors)
    buf = io.BytesIO()
    torch.save({"json": json.dumps(doc), "tensors": tensors}, buf)
    return buf.getvalue()


def write(path, state):
    """Write `state` (nested dicts, lists, tuples, numbers, strings, tensors) to `path`, atomically."""
    atomic.write_bytes(path, to_bytes(state))


def read(path, what="resume state"):
    """The state written by write(); one RunError line naming the file when it is anything else."""
    from ttvis.run.model_code import load_torch_file

    obj = load_torch_file(path, missing=f"{what} is missing", unreadable=f"unreadable {what}")
    if not (isinstance(obj, dict) and isinstance(obj.get("json"), str) and isinstance(obj.get("tensors"), dict)):
        raise RunError(path, f"is not a {what} file of this tool; delete it to start that step over")
    try:
        return _decode(json.loads(obj["json"]), obj["tensors"])
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise RunError(path, f"damaged {what} ({type(exc).__name__}); delete it to start that step over") from None


def _encode(obj, tensors):
    if isinstance(obj, torch.Tensor):
        key = str(len(tensors))
        tensors[key] = obj.detach().cpu()
        return {"tensor": key}
    if isinstance(obj, dict):
        return {"dict": [[_encode(k, tensors), _encode(v, tensors)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"tuple": [_encode(v, tensors) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, tensors) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} in a state file")


def _decode(doc, tensors):
    if isinstance(doc, list):
        return [_decode(v, tensors) for v in doc]
    if isinstance(doc, dict):
        (kind, value), = doc.items()
        if kind == "tensor":
            if not isinstance(tensors[value], torch.Tensor):
                raise TypeError("not a tensor")
            return tensors[value]
        if kind == "tuple":
            return tuple(_decode(v, tensors) for v in value)
        if kind == "dict":
            return {_decode(k, tensors): _decode(v, tensors) for k, v in value}
        raise KeyError(kind)
    return doc
