"""Recorder: write a run from your own PyTorch training loop, like TensorBoard's SummaryWriter.

    rec = Recorder("training_dynamic/my_run", inputs=x, labels=y, split=split, classes=names,
                   feature=lambda m, x: m.body(x), head=lambda m: m.fc)
    for epoch in range(1, epochs + 1):
        train_one_epoch(model)
        rec.record(model, epoch)

Storage: `dtype="float16"` halves the representations on disk (logits stay float32; readers cast
to float32 as they load); `every=k` records only every k-th epoch (and `steps=[...]` exactly those),
record() returning False for the epochs it skips.

Every write is atomic: an epoch folder appears whole or not at all, and run.json lists an epoch only
after its folder is complete, so a crash never leaves an epoch that `ttvis check` accepts.
"""

import datetime as _dt
from pathlib import Path

import numpy as np
import torch

from ttvis import atomic
from ttvis.errors import RunError
from ttvis.run import layout
from ttvis.run.rules import check_array, validate_meta
from ttvis.run.forward import outputs
from ttvis.run.head import spec_from_module, state_dict_of
from ttvis.run.reader import read_json


class Recorder:
    def __init__(self, run_dir, *, labels, split, classes, inputs=None, images=None, feature=None, head=None,
                 name=None, ground_truth=None, model_file=None, model_class=None, keep_inputs=True,
                 keep_checkpoints=True, batch_size=512, extra=None, dtype="float32", every=1, steps=None):
        """Create (or reopen, to resume) a run folder.

        labels: (N,) ints, the labels training used. split: (N,) 0 = train, 1 = test, or a boolean
        "is test" mask. inputs: the model inputs (tensor/array (N, ...)), needed by record(model, epoch).
        images: uint8 (N,H,W) or (N,H,W,3) for the UI. feature(model, x) -> representations;
        head(model) -> the nn.Module mapping representations to logits (standard torch layers).
        model_file/model_class: alternatively, a model.py whose class has feature() and prediction().
        dtype: "float32" or "float16", how representations are stored. every / steps: record only every
        k-th epoch (epoch % every == 0), or only the epochs listed in steps.
        """
        if dtype not in ("float32", "float16"):
            raise ValueError(f'dtype must be "float32" or "float16", got {dtype!r}')
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        self.dtype, self.every = np.dtype(dtype), every
        self.steps = None if steps is None else {int(s) for s in steps}
        self.path = Path(run_dir)
        self.feature, self.head_of = feature, head
        self.batch_size = int(batch_size)
        self.keep_checkpoints = keep_checkpoints
        labels = np.asarray(labels).astype(np.int64)
        split = np.asarray(split)
        split = split.astype(np.uint8)
        n = len(labels)
        if labels.ndim != 1 or n == 0:
            raise ValueError("labels must be a non-empty 1-D array")
        if split.shape != (n,) or not np.isin(split, (0, 1)).all():
            raise ValueError("split must be (N,) with 0 = train and 1 = test")
        if labels.min() < 0 or labels.max() >= len(classes):
            raise ValueError(f"labels must lie in [0, {len(classes)})")
        self.inputs = None if inputs is None else torch.as_tensor(np.asarray(inputs) if not torch.is_tensor(inputs) else inputs)
        if self.inputs is not None and len(self.inputs) != n:
            raise ValueError("inputs and labels differ in length")

        meta_path = self.path / layout.RUN_JSON
        if meta_path.is_file():  # resume: keep epochs already recorded
            self.meta = read_json(meta_path)
            validate_meta(self.meta, meta_path)
            if self.meta.get("n_samples") != n:
                raise RunError(meta_path, f"existing run has {self.meta.get('n_samples')} samples, not {n}")
            return
        model_spec = None
        if model_file is not None:
            if model_class is None:
                raise ValueError("model_class is required with model_file")
            src = Path(model_file)
            atomic.write_bytes(self.path / "model.py", src.read_bytes())
            model_spec = {"file": "model.py", "class": model_class}
        if images is not None:
            images = np.asarray(images)
            if images.dtype != np.uint8 or images.shape[0] != n or images.ndim not in (3, 4):
                raise ValueError("images must be uint8 (N,H,W) or (N,H,W,3)")
        for rel, kind, array, columns in ((layout.LABELS, "labels", labels, len(classes)),
                                          (layout.SPLIT, "split", split, None),
                                          (layout.IMAGES, "images", images, None)):
            if array is not None:  # the rules `ttvis check` applies, before anything is written
                check_array(self.path / rel, array, kind, n, columns=columns)
        meta = {
            "format": layout.FORMAT, "version": layout.VERSION, "name": name or self.path.name,
            "task": "classification", "classes": [str(c) for c in classes], "epochs": [],
            "n_samples": n, "representation_dim": None, "head": None, "model": model_spec,
            "input_shape": None if self.inputs is None else list(self.inputs.shape[1:]),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "extra": extra or {},
        }
        validate_meta(meta, meta_path)
        with atomic.atomic_dir(self.path / layout.DATASET) as tmp:
            atomic.write_npy(tmp / "labels.npy", labels)
            atomic.write_npy(tmp / "split.npy", split)
            if images is not None:
                atomic.write_npy(tmp / "images.npy", images)
            if self.inputs is not None and keep_inputs:
                atomic.write_npy(tmp / "inputs.npy", self.inputs.detach().cpu().float().numpy())
            if ground_truth:
                atomic.write_json(tmp / "ground_truth.json", ground_truth)
        self.meta = meta
        atomic.write_json(meta_path, self.meta)

    @property
    def epochs(self):
        return list(self.meta["epochs"])

    def wants(self, epoch):
        """Whether record() keeps `epoch` (every / steps)."""
        epoch = int(epoch)
        return epoch in self.steps if self.steps is not None else epoch % self.every == 0

    @torch.no_grad()
    def record(self, model, epoch, *, representations=None, logits=None, head=None, extra_files=None):
        """Write one epoch and return True, or return False for an epoch that every / steps skip.
        Either pass `model` (the Recorder runs feature/head over all inputs) or pass `representations`
        and `logits` you computed, plus the `head` module.
        extra_files: {name: bytes} written into the epoch folder with the rest (e.g. index.json)."""
        epoch = int(epoch)
        if not self.wants(epoch):
            return False
        if self.meta["epochs"] and epoch <= self.meta["epochs"][-1]:
            raise ValueError(f"epoch {epoch} is not after the last recorded epoch {self.meta['epochs'][-1]}")
        head_module = head if head is not None else (self.head_of(model) if self.head_of and model is not None else None)
        if representations is None:
            if model is None or self.inputs is None:
                raise ValueError("record() needs a model and inputs, or representations and logits")
            representations, logits = outputs(model, self.inputs, batch_size=self.batch_size,
                                              feature=self.feature, head=head_module if self.feature else None)
        reps = _numpy(representations)
        reps = np.ascontiguousarray(reps.reshape(len(reps), int(np.prod(reps.shape[1:]))))
        logits = np.ascontiguousarray(_numpy(logits))
        n, c = self.meta["n_samples"], len(self.meta["classes"])
        if reps.shape[0] != n or logits.shape != (n, c):
            raise ValueError(f"expected representations (N={n}, D) and logits ({n}, {c}); "
                             f"got {reps.shape} and {logits.shape}")
        if not (np.isfinite(reps).all() and np.isfinite(logits).all()):
            raise ValueError(f"epoch {epoch}: representations or logits contain NaN or inf")
        if self.dtype != reps.dtype:
            with np.errstate(over="ignore"):  # reported just below, as a ValueError
                reps = reps.astype(self.dtype)
            if not np.isfinite(reps).all():
                raise ValueError(f"epoch {epoch}: representations overflow {self.dtype} (|x| > 65504)")
        if self.meta["representation_dim"] not in (None, reps.shape[1]):
            raise ValueError(f"representation dimension changed from {self.meta['representation_dim']} to {reps.shape[1]}")

        head_spec = None
        if head_module is not None and self.meta.get("model") is None:
            head_spec = spec_from_module(head_module)
        folder = self.path / layout.EPOCHS / layout.epoch_dirname(epoch)
        check_array(folder / layout.REPRESENTATIONS, reps, "representations", n)
        check_array(folder / layout.LOGITS, logits, "logits", n, columns=c)
        meta = {**self.meta, "epochs": self.meta["epochs"] + [epoch], "representation_dim": int(reps.shape[1]),
                "head": head_spec if head_spec is not None else self.meta.get("head")}
        validate_meta(meta, self.path / layout.RUN_JSON)
        with atomic.atomic_dir(self.path / layout.EPOCHS / layout.epoch_dirname(epoch)) as tmp:
            atomic.write_npy(tmp / layout.REPRESENTATIONS, reps)
            atomic.write_npy(tmp / layout.LOGITS, logits)
            if head_spec is not None:
                atomic.write_torch(tmp / layout.HEAD, state_dict_of(head_module))
            for name, data in (extra_files or {}).items():
                atomic.write_bytes(tmp / name, data)
            if model is not None and self.keep_checkpoints:
                atomic.write_torch(tmp / layout.CHECKPOINT, {k: v.detach().cpu() for k, v in model.state_dict().items()})
        self.meta = meta
        atomic.write_json(self.path / layout.RUN_JSON, self.meta)
        return True


def _numpy(array):
    """float32 numpy array from a numpy array or a (possibly CUDA, grad-tracking) tensor."""
    if torch.is_tensor(array):
        array = array.detach().cpu()
    return np.asarray(array, dtype=np.float32)
