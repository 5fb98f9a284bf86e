"""Running a subject model over its inputs: the one batched forward pass of recording, extraction and import.

A model.py model gives representations with `model.feature(x)` and logits with `model.prediction(f)`
(SPEC.md); a Recorder may instead be given `feature(model, x)` and a head module.
"""

import numpy as np
import torch

from ttvis.errors import RunError, first_line


def device():
    """Where models run: CUDA when present, the CPU otherwise."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def classify(model, x):
    """Logits of a model.py model for the input batch `x`."""
    return model.prediction(model.feature(x))


def outputs(model, inputs, *, batch_size=256, feature=None, head=None, progress=False, desc="forward"):
    """(representations float32 (N, D), logits float32 (N, C)) of `model` over `inputs` (array or tensor),
    in batches on the model's device, without gradients; the model's train/eval mode is restored after.
    feature(model, x) and head(f) default to model.feature and model.prediction."""
    from tqdm import tqdm

    param = next(model.parameters(), None)
    dev = param.device if param is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    reps, logits = [], []
    try:
        with torch.no_grad():
            for start in tqdm(range(0, len(inputs), batch_size), desc=desc, unit="batch", leave=False,
                              disable=not progress):
                x = inputs[start:start + batch_size]
                x = (x if torch.is_tensor(x) else torch.from_numpy(np.array(x, dtype=np.float32))).to(dev)
                f = feature(model, x) if feature is not None else model.feature(x)
                z = head(f) if head is not None else model.prediction(f)
                reps.append(f.reshape(len(f), -1).float().cpu())
                logits.append(z.float().cpu())
    finally:
        model.train(was_training)
    return torch.cat(reps).numpy(), torch.cat(logits).numpy()


def model_outputs(model, inputs, *, n_classes, code, class_name, epoch, batch_size=256, progress=False):
    """outputs() for user model code: any failure or a wrong shape becomes a RunError naming the model
    file, so users see one line instead of a traceback."""
    try:
        reps, logits = outputs(model, inputs, batch_size=batch_size, progress=progress, desc=f"epoch {epoch}")
    except RunError:  # the model code failed: already one line naming it
        raise
    except Exception as exc:
        raise RunError(code, f"{class_name}.feature()/prediction() fail: "
                             f"{type(exc).__name__}: {first_line(exc, 150)}") from None
    n = len(inputs)
    if reps.shape[0] != n or logits.shape != (n, n_classes):
        raise RunError(code, f"{class_name} gives representations {reps.shape} and logits {logits.shape} at "
                             f"epoch {epoch}; expected ({n}, D) and ({n}, {n_classes})")
    if not (np.isfinite(reps).all() and np.isfinite(logits).all()):
        raise RunError(code, f"{class_name} produces NaN or inf at epoch {epoch}")
    return reps, logits
