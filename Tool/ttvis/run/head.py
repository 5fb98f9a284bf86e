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
    """Build the head described by `spec` (weights not loaded)."""
    if not isinstance(spec, list) or not spec:
        raise ValueError("head spec must be a non-empty list of layers")
    layers = []
    for entry in spec:
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind not in _LAYERS:
            raise ValueError(f"unknown head layer {kind!r}")
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
