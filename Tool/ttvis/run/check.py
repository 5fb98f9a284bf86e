"""The run format's one validator (SPEC.md): `check`, `train`, `serve` and the Recorder all use it.

Every problem becomes one line naming the file and what is wrong. The limits bound what a run can make
the tool allocate.
"""

import re
from pathlib import Path

import numpy as np

from ttvis.errors import Problems, RunError
from ttvis.run import layout
from ttvis.run.reader import Run, read_json

MAX_CLASSES = 65535          # labels and predictions go out as uint16
MAX_EPOCH = 10**9
MAX_IMAGE_SIDE = 4096
MODEL_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.py$")  # a plain .py file in the run folder


def _is_int(v):
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
    if not isinstance(epochs, list) or not all(_is_int(e) for e in epochs):
        bad('"epochs" must be a list of integers')
    if any(not 0 <= e <= MAX_EPOCH for e in epochs):
        bad(f'"epochs" must lie in 0..{MAX_EPOCH}')
    if any(b <= a for a, b in zip(epochs, epochs[1:])):
        bad('"epochs" must be strictly increasing')
    if not _is_int(meta.get("n_samples")) or meta["n_samples"] < 1:
        bad('"n_samples" must be a positive integer')
    dim = meta.get("representation_dim")
    if dim is not None and not (_is_int(dim) and dim >= 1):
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
    if shape is not None and not (isinstance(shape, list) and all(_is_int(d) and d >= 1 for d in shape)):
        bad('"input_shape" must be a list of positive integers or null')


def validate_run(path, epochs=None):
    """Raise the run's first problem as a RunError (what `train` refuses to build). `path` may be a Run;
    `epochs` limits the per-epoch checks to those epochs (default: all)."""
    problems = check_run(path, epochs)
    if problems:
        raise RunError(None, problems[0])
    from ttvis.run.classic import is_classic

    if not isinstance(path, Run) and is_classic(path):
        raise RunError(path, "is a classic run; convert it with `ttvis import-classic` first")


def check_run(path, epochs=None) -> list:
    """Return a list of one-line problems (empty when the run is valid). `path` may be an opened Run;
    `epochs` limits the per-epoch checks to those epochs (default: all), so that extending a build by one
    epoch does not re-read the others."""
    if isinstance(path, Run):
        run, path = path, path.path
    else:
        path = Path(path)
        if not path.is_dir():
            return [f"{path}: run folder does not exist"]
        if not (path / layout.RUN_JSON).exists() and (path / "config.json").exists():
            from ttvis.run.classic import check_classic

            return check_classic(path)
        try:
            run = Run(path)
        except RunError as exc:
            return [str(exc)]
    problems = Problems()
    attempt = problems.attempt

    labels = attempt(lambda: np.asarray(run.labels))
    split = attempt(lambda: np.asarray(run.split))
    attempt(run.images)
    attempt(_check_inputs, run)
    if labels is not None:
        attempt(_check_ground_truth, run, labels, split)
    if not run.epochs:
        problems.append(f"{path / layout.RUN_JSON}: run has no recorded epochs")
    # head code or spec is shared by all epochs: report its problems once, not once per epoch
    head_ok = attempt(_check_head_source, run) is not None
    dim = run.meta.get("representation_dim")
    for epoch in run.epochs if epochs is None else epochs:
        d = attempt(_check_epoch, run, epoch, dim, head_ok, split)
        if d is not None and dim is None:
            dim = d
    return list(problems)


def _check_head_source(run):
    """Validate the head spec or the model class once. Returns True when there is one to check."""
    if run.meta.get("head") is not None:  # its spec was validated with run.json
        return True
    spec = run.meta.get("model")
    if spec:
        from ttvis.run.model_code import load_model_class

        load_model_class(run.file(spec["file"]), spec["class"])
        return True
    return None


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


def _check_inputs(run):
    a = run.inputs()
    if a is not None and not np.isfinite(a).all():
        raise RunError(run.file(layout.INPUTS), "inputs contain NaN or inf")


def _check_ground_truth(run, labels, split):
    p = run.file(layout.GROUND_TRUTH)
    if not p.exists():
        return
    gt = read_json(p)
    if not isinstance(gt, dict):
        raise RunError(p, "must hold a JSON object")
    for kind in ("label_noise", "backdoor"):
        if kind not in gt:
            continue
        entry = gt[kind]
        idx = entry.get("indices", []) if isinstance(entry, dict) else None
        if not isinstance(idx, list) or not all(_is_int(i) for i in idx):
            raise RunError(p, f'"{kind}" must hold integer "indices"')
        if not all(0 <= i < len(labels) for i in idx):
            raise RunError(p, f'"{kind}" has indices outside 0..{len(labels) - 1}')
        if len(set(idx)) != len(idx):
            raise RunError(p, f'"{kind}" repeats indices')
        idx = np.asarray(idx, dtype=np.int64)
        if kind == "label_noise":
            noisy, orig = entry.get("noisy_labels", []), entry.get("original_labels", [])
            if not all(isinstance(v, list) and len(v) == len(idx) and all(_is_int(i) for i in v)
                       for v in (noisy, orig)):
                raise RunError(p, '"label_noise" needs integer noisy_labels and original_labels, one per index')
            noisy, orig = np.asarray(noisy, dtype=object), np.asarray(orig, dtype=object)
            if idx.size and not np.array_equal(labels[idx], noisy):
                raise RunError(p, '"label_noise" noisy_labels differ from dataset/labels.npy')
            if idx.size and (orig == noisy).any():
                raise RunError(p, '"label_noise" lists samples whose label was not changed')
        else:
            target = entry.get("target")
            if idx.size and not (labels[idx] == target).all():
                raise RunError(p, f'"backdoor" samples are not all labelled with target {target!r}')


def _check_epoch(run, epoch, dim, head_ok, split):
    d = run.epoch_dir(epoch)
    if not d.is_dir():
        raise RunError(d, f"epoch {epoch} is listed in run.json but its folder is missing")
    reps = run.representations(epoch)
    if dim is not None:  # undeclared: like the first epoch's
        check_array(run.epoch_file(epoch, layout.REPRESENTATIONS), reps, "representations", run.n, columns=dim)
    if not np.isfinite(reps).all():
        raise RunError(d / layout.REPRESENTATIONS, "representations contain NaN or inf")
    if not np.isfinite(run.logits(epoch)).all():
        raise RunError(d / layout.LOGITS, "logits contain NaN or inf")
    if (d / layout.CHECKPOINT).exists() and run.meta.get("model") is None:
        from ttvis.run.model_code import load_state_dict

        load_state_dict(run.epoch_file(epoch, layout.CHECKPOINT))
    if (d / layout.INDEX).exists():
        _check_index(run.epoch_file(epoch, layout.INDEX), split)
    if run.has_head and head_ok:
        _check_head(run, epoch, np.array(reps[:4], dtype=np.float32), run.n_classes)
    return int(reps.shape[1])


def _check_index(p, split):
    """index.json (optional, from classic runs): the training samples an epoch used."""
    idx = read_json(p)
    if not isinstance(idx, list) or not all(_is_int(i) for i in idx):
        raise RunError(p, "must hold a list of integer sample indices")
    if split is not None and idx:
        if not all(0 <= i < len(split) for i in idx):
            raise RunError(p, f"lists indices outside 0..{len(split) - 1}")
        if (split[np.asarray(idx, dtype=np.int64)] != layout.TRAIN).any():
            raise RunError(p, "lists indices that are not training samples")


def _check_head(run, epoch, reps, c):
    import torch

    head = run.head(epoch)
    where = run.epoch_dir(epoch) / (layout.HEAD if run.meta.get("head") is not None else layout.CHECKPOINT)
    try:
        with torch.no_grad():
            out = head(torch.from_numpy(reps))
    except RunError:  # model code failed: already one line naming it
        raise
    except Exception as exc:
        raise RunError(where, f"head does not accept the representations: {str(exc).splitlines()[0][:150]}") from None
    if not torch.is_tensor(out):
        raise RunError(where, f"head returns a {type(out).__name__}, expected a tensor of logits")
    if tuple(out.shape) != (len(reps), c):
        raise RunError(where, f"head outputs shape {tuple(out.shape)[1:]}, expected ({c},)")
