"""The run format's one validator (SPEC.md): `check`, `train` and `serve` use it on a whole run.

Every problem becomes one line naming the file and what is wrong. The per-file rules that readers and
writers apply as well live in ttvis.run.rules.
"""

from pathlib import Path

import numpy as np

from ttvis.errors import Problems, RunError, first_line
from ttvis.run import layout
from ttvis.run.reader import Run, read_json
from ttvis.run.rules import check_array, is_int


def open_run(path):
    """The Run at `path` (or `path` itself when it is one); RunError for an unreadable run.json, or for a
    classic run: its first problem as `check` reports it, else that it needs `ttvis import-classic` first."""
    if isinstance(path, Run):
        return path
    from ttvis.run.classic import check_classic, is_classic

    if is_classic(path):
        problems = check_classic(path)
        raise RunError(None, problems[0]) if problems else \
            RunError(path, "is a classic run; convert it with `ttvis import-classic` first")
    return Run(path)


def validate_run(path, epochs=None):
    """Raise the run's first problem as a RunError (what `train` refuses to build). `path` may be a Run;
    `epochs` limits the per-epoch checks to those epochs (default: all)."""
    problems = check_run(open_run(path), epochs)
    if problems:
        raise RunError(None, problems[0])


def check_run(path, epochs=None) -> list:
    """Return a list of one-line problems (empty when the run is valid). `path` may be an opened Run;
    `epochs` limits the per-epoch checks to those epochs (default: all), so that extending a build by one
    epoch does not re-read the others."""
    problems = Problems()
    attempt = problems.attempt
    if isinstance(path, Run):
        run, path = path, path.path
    else:
        path = Path(path)
        if not path.is_dir():
            return [f"{path}: run folder does not exist"]
        if not (path / layout.RUN_JSON).exists() and (path / "config.json").exists():
            from ttvis.run.classic import check_classic

            return check_classic(path)
        run = attempt(Run, path)
        if run is None:
            return list(problems)

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
        if not isinstance(idx, list) or not all(is_int(i) for i in idx):
            raise RunError(p, f'"{kind}" must hold integer "indices"')
        if not all(0 <= i < len(labels) for i in idx):
            raise RunError(p, f'"{kind}" has indices outside 0..{len(labels) - 1}')
        if len(set(idx)) != len(idx):
            raise RunError(p, f'"{kind}" repeats indices')
        idx = np.asarray(idx, dtype=np.int64)
        if kind == "label_noise":
            noisy, orig = entry.get("noisy_labels", []), entry.get("original_labels", [])
            if not all(isinstance(v, list) and len(v) == len(idx) and all(is_int(i) for i in v)
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
    if (d / layout.TRAINING_INDEX).exists():
        _check_training_index(run.epoch_file(epoch, layout.TRAINING_INDEX), split)
    if run.has_head and head_ok:
        _check_head(run, epoch, np.array(reps[:4], dtype=np.float32), run.n_classes)
    return int(reps.shape[1])


def _check_training_index(p, split):
    """index.json (optional, from classic runs): the training samples an epoch used."""
    idx = read_json(p)
    if not isinstance(idx, list) or not all(is_int(i) for i in idx):
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
        raise RunError(where, f"head does not accept the representations: {first_line(exc, 150)}") from None
    if not torch.is_tensor(out):
        raise RunError(where, f"head returns a {type(out).__name__}, expected a tensor of logits")
    if tuple(out.shape) != (len(reps), c):
        raise RunError(where, f"head outputs shape {tuple(out.shape)[1:]}, expected ({c},)")
