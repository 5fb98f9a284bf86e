"""Self-contained classification heads: a JSON list of standard torch layers plus a state dict.

A run written by the Recorder can paint territories without the user's model code.
"""

import torch
from torch import nn

# layer type -> constructor keyword arguments kept in the spec
_LAYERS = {
    "Linear": ("in_features", "out_features", "bias"),
    "BatchNorm1d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine"),
    "ReLU": (), "GELU": (), "Tanh": (), "Sigmoid": (), "SiLU": (), "ELU": ("alpha",),
    "LeakyReLU": ("negative_slope",), "Dropout": ("p",), "Identity": (), "Flatten": (),
}


def _flatten(module):
    if isinstance(module, nn.Sequential):
        for child in module:
            yield from _flatten(child)
    else:
        yield module


# bounds on what a head spec can make the tool allocate
MAX_WIDTH = 1 << 20        # features in or out of one layer
MAX_PARAMETERS = 1 << 26   # weights of the whole head (256 MiB of float32)

# argument -> (check, what it must be)
_ARGS = {
    "in_features": ("width", "an integer in 1..{MAX_WIDTH}"),
    "out_features": ("width", "an integer in 1..{MAX_WIDTH}"),
    "num_features": ("width", "an integer in 1..{MAX_WIDTH}"),
    "normalized_shape": ("shape", "an integer or a list of integers in 1..{MAX_WIDTH}"),
    "bias": ("bool", "true or false"), "affine": ("bool", "true or false"),
    "track_running_stats": ("bool", "true or false"), "elementwise_affine": ("bool", "true or false"),
    "eps": ("positive", "a positive number"), "momentum": ("momentum", "a number in 0..1 or null"),
    "p": ("probability", "a number in 0..1"), "alpha": ("number", "a number"),
    "negative_slope": ("number", "a number"),
}
_REQUIRED = {"Linear": ("in_features", "out_features"), "BatchNorm1d": ("num_features",),
             "LayerNorm": ("normalized_shape",)}


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v):
    return (_is_int(v) or isinstance(v, float)) and v == v and abs(v) != float("inf")


def _valid(kind, v):
    if kind == "width":
        return _is_int(v) and 1 <= v <= MAX_WIDTH
    if kind == "shape":
        dims = v if isinstance(v, list) else [v]
        return bool(dims) and all(_valid("width", d) for d in dims) and _size(dims) <= MAX_WIDTH
    if kind == "bool":
        return isinstance(v, bool)
    if kind == "positive":
        return _is_number(v) and v > 0
    if kind == "momentum":
        return v is None or (_is_number(v) and 0 <= v <= 1)
    if kind == "probability":
        return _is_number(v) and 0 <= v <= 1
    return _is_number(v)


def _size(dims):
    out = 1
    for d in dims:
        out *= d
    return out


def check_spec(spec: list):
    """Raise ValueError unless `spec` is a buildable head of bounded size (nothing is allocated)."""
    if not isinstance(spec, list) or not spec:
        raise ValueError("head spec must be a non-empty list of layers")
    parameters = 0
    for i, entry in enumerate(spec):
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind not in _LAYERS:
            raise ValueError(f"unknown head layer {kind!r}")
        for key in _LAYERS[kind]:
            if key in entry and not _valid(_ARGS[key][0], entry[key]):
                must = _ARGS[key][1].format(MAX_WIDTH=MAX_WIDTH)
                raise ValueError(f"layer {i} ({kind}): {key!r} must be {must}, got {entry[key]!r}"[:200])
        for key in _REQUIRED.get(kind, ()):
            if key not in entry:
                raise ValueError(f"layer {i} ({kind}) needs {key!r}")
        if kind == "Linear":
            parameters += (entry["in_features"] + 1) * entry["out_features"]
        elif kind == "BatchNorm1d":
            parameters += 4 * entry["num_features"]
        elif kind == "LayerNorm":
            shape = entry["normalized_shape"]
            parameters += 2 * _size(shape if isinstance(shape, list) else [shape])
        if parameters > MAX_PARAMETERS:
            raise ValueError(f"head has more than {MAX_PARAMETERS} parameters")


def spec_from_module(module: nn.Module) -> list:
    """Describe `module` as a list of layers; raise ValueError if it uses a non-standard layer."""
    spec = []
    for layer in _flatten(module):
        kind = type(layer).__name__
        if kind not in _LAYERS or type(layer) is not getattr(nn, kind):
            raise ValueError(
                f"head layer {kind} is not a standard torch layer; give the run a model.py instead "
                f"(supported: {', '.join(sorted(_LAYERS))})")
        entry = {"type": kind}
        for key in _LAYERS[kind]:
            value = getattr(layer, key)
            if key == "bias":
                value = layer.bias is not None
            elif key == "elementwise_affine":
                value = bool(value)
            elif isinstance(value, tuple):
                value = list(value)
            entry[key] = value
        spec.append(entry)
    return spec


def module_from_spec(spec: list) -> nn.Sequential:
    """Build the head described by `spec` (weights not loaded); ValueError for a bad spec."""
    check_spec(spec)
    layers = []
    for entry in spec:
        kind = entry["type"]
        kwargs = {k: entry[k] for k in _LAYERS[kind] if k in entry}
        layers.append(getattr(nn, kind)(**kwargs))
    return nn.Sequential(*layers)


def state_dict_of(module: nn.Module) -> dict:
    """State dict keyed like the flattened Sequential that module_from_spec builds."""
    out = {}
    for i, layer in enumerate(_flatten(module)):
        for key, value in layer.state_dict().items():
            out[f"{i}.{key}"] = value.detach().cpu().clone()
    return out


def load_head(spec: list, state_path) -> nn.Sequential:
    head = module_from_spec(spec)
    from ttvis.run.model_code import load_torch_file

    state = load_torch_file(state_path, missing="head weights are missing", unreadable="unreadable head weights")
    head.load_state_dict(state)
    return head.eval()
