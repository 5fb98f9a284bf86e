"""Extract representations and logits from a run's model.py and checkpoints (SPEC.md, "model.py").

For runs that keep `model.py`, per-epoch `checkpoint.pt` and `dataset/inputs.npy` but not (all of)
`representations.npy` / `logits.npy`. Each epoch is written atomically as soon as it is done, so an
interrupted extraction resumes at the first epoch still missing.
"""

import re
from pathlib import Path

import numpy as np

from ttvis import atomic
from ttvis.errors import RunError
from ttvis.run import layout
from ttvis.run.reader import Run

_EPOCH_DIR = re.compile(r"^epoch_(\d+)$")


def device():
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def compute_outputs(model, inputs, *, batch_size=256, progress=False, desc="extracting"):
    """Run model.feature() then model.prediction() over `inputs` in batches on the model's device.

    Returns (representations float32 (N, D), logits float32 (N, C)) as numpy arrays.
    """
    import torch
    from tqdm import tqdm

    param = next(model.parameters(), None)
    dev = param.device if param is not None else torch.device("cpu")
    model.eval()
    reps, logits = [], []
    starts = range(0, len(inputs), batch_size)
    with torch.no_grad():
        for start in tqdm(starts, desc=desc, unit="batch", leave=False, disable=not progress):
            x = torch.from_numpy(np.array(inputs[start:start + batch_size], dtype=np.float32)).to(dev)
            f = model.feature(x)
            z = model.prediction(f)
            reps.append(f.reshape(len(f), -1).float().cpu())
            logits.append(z.float().cpu())
    return torch.cat(reps).numpy(), torch.cat(logits).numpy()


def _epochs_with_checkpoints(run):
    root = run.path / layout.EPOCHS
    found = set()
    if root.is_dir():
        for d in root.iterdir():
            m = _EPOCH_DIR.match(d.name)
            if m and (d / layout.CHECKPOINT).is_file():
                found.add(int(m.group(1)))
    return sorted(found | set(run.epochs))


def model_outputs(model, inputs, *, n_classes, code, class_name, epoch, batch_size=256, progress=False):
    """compute_outputs() for user model code: any failure or a wrong shape becomes a RunError naming
    the model file, so users see one line instead of a traceback."""
    try:
        reps, logits = compute_outputs(model, inputs, batch_size=batch_size, progress=progress,
                                       desc=f"epoch {epoch}")
    except RunError:  # the model code failed: already one line naming it
        raise
    except Exception as exc:
        raise RunError(code, f"{class_name}.feature()/prediction() fail: "
                             f"{type(exc).__name__}: {str(exc).splitlines()[0][:150]}") from None
    n = len(inputs)
    if reps.shape[0] != n or logits.shape != (n, n_classes):
        raise RunError(code, f"{class_name} gives representations {reps.shape} and logits {logits.shape} at "
                             f"epoch {epoch}; expected ({n}, D) and ({n}, {n_classes})")
    if not (np.isfinite(reps).all() and np.isfinite(logits).all()):
        raise RunError(code, f"{class_name} produces NaN or inf at epoch {epoch}")
    return reps, logits


def extract_run(run_path, force=False, progress=True, batch_size=256):
    """Compute missing representations.npy / logits.npy (all of them with force=True).

    Epoch folders holding a checkpoint.pt that run.json does not list yet are extracted and then added
    to run.json. Returns the epochs written.
    """
    import torch
    from tqdm import tqdm

    run = Run(run_path)
    spec = run.meta.get("model")
    if not spec:
        raise RunError(run.path / layout.RUN_JSON, '"model" is null: extraction needs a model.py (see SPEC.md)')
    inputs = run.inputs()
    if inputs is None:
        raise RunError(run.file(layout.INPUTS), "file is missing: extraction needs the model inputs")
    if len(inputs) != run.n:
        raise RunError(run.file(layout.INPUTS), f"has {len(inputs)} rows, run.json says n_samples = {run.n}")

    def missing(e):
        d = run.epoch_dir(e)
        return force or not ((d / layout.REPRESENTATIONS).is_file() and (d / layout.LOGITS).is_file())

    todo = [e for e in _epochs_with_checkpoints(run) if missing(e) or e not in run.epochs]
    dev = device()
    meta = dict(run.meta)
    for epoch in tqdm(todo, desc=f"extracting {run.name}", unit="epoch", disable=not progress or not todo):
        model = run.model(epoch).to(dev)
        reps, logits = model_outputs(model, inputs, n_classes=run.n_classes, code=run.path / spec["file"],
                                     class_name=spec["class"], epoch=epoch, batch_size=batch_size,
                                     progress=progress)
        dim = meta.get("representation_dim")
        if dim is not None and reps.shape[1] != dim:
            raise RunError(run.epoch_dir(epoch) / layout.CHECKPOINT,
                           f"gives representations of dimension {reps.shape[1]}, run.json says {dim}")
        d = run.epoch_dir(epoch)
        atomic.write_npy(d / layout.REPRESENTATIONS, reps)
        atomic.write_npy(d / layout.LOGITS, logits)
        if epoch not in meta["epochs"] or dim is None:
            meta["epochs"] = sorted(set(meta["epochs"]) | {epoch})
            meta["representation_dim"] = int(reps.shape[1])
            atomic.write_json(run.path / layout.RUN_JSON, meta)
        del model
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    return todo


def extract_command_target(path):
    """Path check used by the CLI: a run folder, not a classic one (that needs import-classic)."""
    from ttvis.run.classic import is_classic

    path = Path(path)
    if is_classic(path):
        raise RunError(path, "is a classic run; convert it with `ttvis import-classic` (which extracts too)")
    return path
