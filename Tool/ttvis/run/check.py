"""Validate a run folder: every problem becomes one line naming the file and what is wrong."""

from pathlib import Path

import numpy as np

from ttvis.errors import Problems, RunError
from ttvis.run import layout
from ttvis.run.reader import Run, read_json, read_npy


def check_run(path) -> list:
    """Return a list of one-line problems (empty when the run is valid)."""
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

    n, c = run.n, run.n_classes
    labels = attempt(_check_labels, run, n, c)
    split = attempt(_check_split, run, n)
    attempt(_check_images, run, n)
    attempt(_check_inputs, run, n)
    if labels is not None:
        attempt(_check_ground_truth, run, labels, split)
    if not run.epochs:
        problems.append(f"{path / layout.RUN_JSON}: run has no recorded epochs")
    # head code or spec is shared by all epochs: report its problems once, not once per epoch
    head_ok = attempt(_check_head_source, run) is not None
    declared = run.meta.get("representation_dim")
    dim = declared if isinstance(declared, int) and not isinstance(declared, bool) else None
    for epoch in run.epochs:
        d = attempt(_check_epoch, run, epoch, n, c, dim, head_ok, split)
        if d is not None and dim is None:
            dim = d
    return list(problems)


def _check_head_source(run):
    """Validate the head spec or the model class once. Returns True when there is one to check."""
    if run.meta.get("head") is not None:
        from ttvis.run.head import module_from_spec

        try:
            module_from_spec(run.meta["head"])
        except (ValueError, TypeError) as exc:
            raise RunError(run.file(layout.RUN_JSON), f'bad "head" spec: {exc}') from None
        return True
    spec = run.meta.get("model")
    if spec:
        from ttvis.run.model_code import load_model_class

        load_model_class(run.path / spec["file"], spec["class"])
        return True
    return None


def _array(run, rel, *, ndim, length, kinds, what):
    p = run.file(rel) if isinstance(rel, str) else rel
    a = read_npy(p)
    if a.dtype.kind not in kinds:
        expected = {"f": "floats", "u": "unsigned integers (uint8)"}.get(kinds, "integers")
        raise RunError(p, f"{what} have dtype {a.dtype}, expected {expected}")
    if a.ndim not in ((ndim,) if isinstance(ndim, int) else ndim):
        raise RunError(p, f"{what} have shape {a.shape}, expected {ndim} dimension(s)")
    if a.shape[0] != length:
        raise RunError(p, f"{what} have {a.shape[0]} rows, run.json says n_samples = {length}")
    return a


def _check_labels(run, n, c):
    a = _array(run, layout.LABELS, ndim=1, length=n, kinds="iu", what="labels")
    if a.min() < 0 or a.max() >= c:
        bad = int(np.flatnonzero((a < 0) | (a >= c))[0])
        raise RunError(run.file(layout.LABELS), f"label {int(a[bad])} of sample {bad} is outside 0..{c - 1}")
    return np.asarray(a)


def _check_split(run, n):
    a = _array(run, layout.SPLIT, ndim=1, length=n, kinds="iub", what="split values")
    if not np.isin(a, (0, 1)).all():
        raise RunError(run.file(layout.SPLIT), "split values must be 0 (train) or 1 (test)")
    if not (a == 0).any():
        raise RunError(run.file(layout.SPLIT), "no sample is in the training split")
    return np.asarray(a)


def _check_images(run, n):
    if not run.file(layout.IMAGES).exists():
        return
    a = _array(run, layout.IMAGES, ndim=(3, 4), length=n, kinds="u", what="images")
    if a.dtype != np.uint8 or (a.ndim == 4 and a.shape[3] != 3):
        raise RunError(run.file(layout.IMAGES), f"images must be uint8 (N,H,W) or (N,H,W,3), got {a.dtype} {a.shape}")


def _check_inputs(run, n):
    if not run.file(layout.INPUTS).exists():
        return
    a = _array(run, layout.INPUTS, ndim=(2, 3, 4, 5), length=n, kinds="f", what="inputs")
    if not np.isfinite(a).all():
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
        idx = np.asarray(entry.get("indices", []) if isinstance(entry, dict) else [])
        if not isinstance(entry, dict) or idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise RunError(p, f'"{kind}" must hold integer "indices"')
        if idx.size and (idx.min() < 0 or idx.max() >= len(labels)):
            raise RunError(p, f'"{kind}" has indices outside 0..{len(labels) - 1}')
        if len(np.unique(idx)) != len(idx):
            raise RunError(p, f'"{kind}" repeats indices')
        if kind == "label_noise":
            noisy = np.asarray(entry.get("noisy_labels", []))
            orig = np.asarray(entry.get("original_labels", []))
            if noisy.shape != idx.shape or orig.shape != idx.shape:
                raise RunError(p, '"label_noise" needs noisy_labels and original_labels, one per index')
            if idx.size and not np.array_equal(labels[idx], noisy):
                raise RunError(p, '"label_noise" noisy_labels differ from dataset/labels.npy')
            if idx.size and (orig == noisy).any():
                raise RunError(p, '"label_noise" lists samples whose label was not changed')
        else:
            target = entry.get("target")
            if idx.size and not (labels[idx] == target).all():
                raise RunError(p, f'"backdoor" samples are not all labelled with target {target!r}')


def _check_epoch(run, epoch, n, c, dim, head_ok, split):
    d = run.epoch_dir(epoch)
    if not d.is_dir():
        raise RunError(d, f"epoch {epoch} is listed in run.json but its folder is missing")
    reps = _array(run, d / layout.REPRESENTATIONS, ndim=2, length=n, kinds="f", what="representations")
    if dim is not None and reps.shape[1] != dim:
        raise RunError(d / layout.REPRESENTATIONS, f"representations have dimension {reps.shape[1]}, "
                                                   f"expected {dim} like the run's other epochs")
    if not np.isfinite(reps).all():
        raise RunError(d / layout.REPRESENTATIONS, "representations contain NaN or inf")
    logits = _array(run, d / layout.LOGITS, ndim=2, length=n, kinds="f", what="logits")
    if logits.shape[1] != c:
        raise RunError(d / layout.LOGITS, f"logits have {logits.shape[1]} columns for {c} classes")
    if not np.isfinite(logits).all():
        raise RunError(d / layout.LOGITS, "logits contain NaN or inf")
    if (d / layout.CHECKPOINT).exists() and run.meta.get("model") is None:
        from ttvis.run.model_code import load_state_dict

        load_state_dict(d / layout.CHECKPOINT)
    if (d / layout.INDEX).exists():
        _check_index(d / layout.INDEX, split)
    if run.has_head and head_ok:
        _check_head(run, epoch, np.array(reps[:4], dtype=np.float32), c)
    return int(reps.shape[1])


def _check_index(p, split):
    """index.json (optional, from classic runs): the training samples an epoch used."""
    idx = read_json(p)
    if not isinstance(idx, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in idx):
        raise RunError(p, "must hold a list of integer sample indices")
    if split is not None and idx:
        idx = np.asarray(idx, dtype=np.int64)
        if idx.min() < 0 or idx.max() >= len(split) or (split[idx] != layout.TRAIN).any():
            raise RunError(p, "lists indices that are not training samples")


def _check_head(run, epoch, reps, c):
    import torch

    head = run.head(epoch)
    where = run.epoch_dir(epoch) / (layout.HEAD if run.meta.get("head") is not None else layout.CHECKPOINT)
    try:
        with torch.no_grad():
            out = head(torch.from_numpy(reps))
    except Exception as exc:
        raise RunError(where, f"head does not accept the representations: {str(exc).splitlines()[0][:150]}") from None
    if tuple(out.shape) != (len(reps), c):
        raise RunError(where, f"head outputs shape {tuple(out.shape)[1:]}, expected ({c},)")
