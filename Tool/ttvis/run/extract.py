"""Extract representations and logits from a run's model.py and checkpoints (SPEC.md, "model.py").

For runs that keep `model.py`, per-epoch `checkpoint.pt` and `dataset/inputs.npy` but not (all of)
`representations.npy` / `logits.npy`. Each epoch is written atomically as soon as it is done, so an
interrupted extraction resumes at the first epoch still missing.
"""

import numpy as np

from ttvis import atomic
from ttvis.errors import RunError
from ttvis.run import layout
from ttvis.run.forward import device, model_outputs
from ttvis.run.reader import Run

def _epochs_with_checkpoints(run):
    root = run.path / layout.EPOCHS
    found = set()
    if root.is_dir():
        for d in root.iterdir():
            epoch = layout.epoch_of(d.name)
            if epoch is not None and (d / layout.CHECKPOINT).is_file():
                found.add(epoch)
    return sorted(found | set(run.epochs))


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

