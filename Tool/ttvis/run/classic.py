"""The original tool's classic run layout: check it, and import it into our format (SPEC.md, "Classic layout").

    <src>/config.json                                  {"DVI": {"CLASSES", "EPOCH_START", "EPOCH_END",
                                                        "EPOCH_PERIOD", "TRAINING": {"NET", "train_num",
                                                        "test_num", ...}, "VISUALIZATION": {...}}}
    <src>/Model/model.py                               class TRAINING.NET with feature(x) and prediction(f)
    <src>/Model/Epoch_<e>/subject_model.pth            state dict of epoch e
    <src>/Model/Epoch_<e>/index.json                   optional: training indices used that epoch
    <src>/Training_data/training_dataset_{data,label}.pth   torch tensors
    <src>/Testing_data/testing_dataset_{data,label}.pth     torch tensors

Importing keeps the samples in order, training set first, then the test set.
"""

import json
from functools import cached_property
from pathlib import Path

import numpy as np

from ttvis.errors import Problems, RunError, first_line
from ttvis.run import layout
from ttvis.run.reader import read_json
from ttvis.run.rules import is_int

CONFIG = "config.json"
MODEL_FILE = "Model/model.py"
TRAIN_DATA = "Training_data/training_dataset_data.pth"
TRAIN_LABELS = "Training_data/training_dataset_label.pth"
TEST_DATA = "Testing_data/testing_dataset_data.pth"
TEST_LABELS = "Testing_data/testing_dataset_label.pth"
CHECKPOINT = "subject_model.pth"
TRAINING_INDEX = layout.TRAINING_INDEX


def is_classic(path) -> bool:
    path = Path(path)
    return (path / CONFIG).is_file() and not (path / layout.RUN_JSON).exists()


class ClassicRun:
    """A classic run folder. Construction validates config.json; other parts load on demand and raise
    RunError naming the file and the problem."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_dir():
            raise RunError(self.path, "run folder does not exist")
        where = self.path / CONFIG
        config = read_json(where)
        dvi = config.get("DVI") if isinstance(config, dict) else None
        if not isinstance(dvi, dict):
            raise RunError(where, 'must hold a "DVI" object (the original tool\'s configuration)')
        classes = dvi.get("CLASSES")
        if not isinstance(classes, list) or not classes or not all(isinstance(c, (str, int)) for c in classes):
            raise RunError(where, '"DVI.CLASSES" must be a non-empty list of class names')
        start, end, period = dvi.get("EPOCH_START"), dvi.get("EPOCH_END"), dvi.get("EPOCH_PERIOD", 1)
        if not (is_int(start) and is_int(end) and is_int(period)) or period < 1 or end < start:
            raise RunError(where, '"DVI.EPOCH_START", "EPOCH_END", "EPOCH_PERIOD" must be integers with '
                                  f'START <= END and PERIOD >= 1 (got {start!r}, {end!r}, {period!r})')
        training = dvi.get("TRAINING")
        if not isinstance(training, dict) or not isinstance(training.get("NET"), str) or not training["NET"]:
            raise RunError(where, '"DVI.TRAINING.NET" must name the network class in Model/model.py')
        for key in ("train_num", "test_num"):
            if key in training and not (is_int(training[key]) and training[key] >= 0):
                raise RunError(where, f'"DVI.TRAINING.{key}" must be a non-negative integer')
        self.config = dvi
        self.classes = [str(c) for c in classes]
        self.epochs = list(range(start, end + 1, period))
        self.net = training["NET"]
        self.train_num = training.get("train_num")
        self.test_num = training.get("test_num")
        name = dvi.get("EPOCH_NAME", "Epoch")
        self.epoch_name = name if isinstance(name, str) and name else "Epoch"

    # -- files ------------------------------------------------------------------------------
    @property
    def model_file(self):
        return self.path / MODEL_FILE

    def epoch_dir(self, epoch):
        return self.path / "Model" / f"{self.epoch_name}_{epoch}"

    def checkpoint(self, epoch):
        return self.epoch_dir(epoch) / CHECKPOINT

    # -- model ------------------------------------------------------------------------------
    @cached_property
    def model_class(self):
        from ttvis.run.model_code import load_model_class

        return load_model_class(self.model_file, self.net)

    def model(self, epoch):
        """The network with this epoch's weights, eval mode, CPU."""
        from ttvis.run.model_code import load_model

        d = self.epoch_dir(epoch)
        if not d.is_dir():
            raise RunError(d, f"epoch {epoch} is in config.json's epoch range but its folder is missing")
        self.model_class  # report model.py problems before checkpoint ones
        return load_model(self.model_file, self.net, self.checkpoint(epoch))

    def training_index(self, epoch):
        """The epoch's index.json (indices into the training set) as int64, or None when absent."""
        p = self.epoch_dir(epoch) / TRAINING_INDEX
        if not p.is_file():
            return None
        idx = read_json(p)
        if not isinstance(idx, list) or not all(is_int(i) for i in idx):
            raise RunError(p, "must hold a list of integer training indices")
        idx = np.asarray(idx, dtype=np.int64)
        n_train = len(self.train[1])
        if idx.size and (idx.min() < 0 or idx.max() >= n_train):
            raise RunError(p, f"has indices outside the training set 0..{n_train - 1}")
        if len(np.unique(idx)) != len(idx):
            raise RunError(p, "repeats indices")
        return idx

    # -- data -------------------------------------------------------------------------------
    def _tensor(self, rel):
        import torch

        from ttvis.run.model_code import load_torch_file

        p = self.path / rel
        t = load_torch_file(p, missing="file is missing", unreadable="unreadable tensor file")
        if isinstance(t, np.ndarray):
            t = torch.from_numpy(t)
        if not torch.is_tensor(t):
            raise RunError(p, f"holds a {type(t).__name__}, expected a torch tensor")
        return t

    def _part(self, data_rel, labels_rel, expected, key):
        data, labels = self._tensor(data_rel), self._tensor(labels_rel)
        lp, dp = self.path / labels_rel, self.path / data_rel
        if labels.ndim != 1 or labels.dtype.is_floating_point or labels.dtype.is_complex:
            raise RunError(lp, f"labels must be a 1-D integer tensor, got {labels.dtype} {tuple(labels.shape)}")
        if data.ndim < 2 or len(data) != len(labels):
            raise RunError(dp, f"data has shape {tuple(data.shape)} for {len(labels)} labels")
        if expected is not None and len(labels) != expected:
            raise RunError(lp, f"holds {len(labels)} samples, config.json says TRAINING.{key} = {expected}")
        labels = labels.numpy().astype(np.int64)
        c = len(self.classes)
        if labels.size and (labels.min() < 0 or labels.max() >= c):
            bad = int(np.flatnonzero((labels < 0) | (labels >= c))[0])
            raise RunError(lp, f"label {int(labels[bad])} of sample {bad} is outside 0..{c - 1}")
        if data.dtype.is_floating_point and not bool(data.isfinite().all()):
            raise RunError(dp, "data contain NaN or inf")
        return data, labels

    @cached_property
    def train(self):
        data, labels = self._part(TRAIN_DATA, TRAIN_LABELS, self.train_num, "train_num")
        if len(labels) == 0:
            raise RunError(self.path / TRAIN_LABELS, "the training set is empty")
        return data, labels

    @cached_property
    def test(self):
        data, labels = self._part(TEST_DATA, TEST_LABELS, self.test_num, "test_num")
        if data.shape[1:] != self.train[0].shape[1:]:
            raise RunError(self.path / TEST_DATA, f"samples have shape {tuple(data.shape[1:])}, training "
                                                  f"samples {tuple(self.train[0].shape[1:])}")
        return data, labels


def _try_forward(run, model, x, where):
    import torch

    from ttvis.run import forward

    try:
        with torch.no_grad():
            z = forward.classify(model, x)
    except RunError:  # the model code failed: already one line naming it
        raise
    except Exception as exc:
        raise RunError(where, f"{run.net}.feature()/prediction() fail on the data: "
                              f"{type(exc).__name__}: {first_line(exc, 150)}") from None
    if tuple(z.shape) != (len(x), len(run.classes)):
        raise RunError(where, f"{run.net}.prediction() returns shape {tuple(z.shape)}, "
                              f"expected ({len(x)}, {len(run.classes)}) for the classes in config.json")


def check_classic(path) -> list:
    """Validate a classic run; one line per problem, without cascades from one root cause."""
    try:
        run = ClassicRun(path)
    except RunError as exc:
        return [str(exc)]
    problems = Problems()
    attempt = problems.attempt

    model_ok = attempt(lambda: run.model_class) is not None
    data_ok = attempt(lambda: run.train) is not None and attempt(lambda: run.test) is not None
    probed = False
    for epoch in run.epochs:
        d = run.epoch_dir(epoch)
        if not d.is_dir():
            problems.append(f"{d}: epoch {epoch} is in config.json's epoch range but its folder is missing")
            continue
        if data_ok:
            attempt(run.training_index, epoch)
        if not model_ok:
            from ttvis.run.model_code import load_state_dict

            attempt(load_state_dict, run.checkpoint(epoch))
            continue
        model = attempt(run.model, epoch)
        if model is not None and data_ok and not probed:  # the code is shared: run it once on a few samples
            probed = True
            attempt(_try_forward, run, model, run.train[0][:4].float(), run.model_file)
    return list(problems)


def _images_from(data):
    """uint8 (N,H,W) or (N,H,W,3) for the UI when the inputs look like images, else None.
    Each channel is min-max scaled over the whole dataset (undoing a mean/std normalisation)."""
    x = data
    if x.ndim == 4 and x.shape[1] in (1, 3) and x.shape[2] >= 4 and x.shape[3] >= 4:
        x = np.moveaxis(x, 1, -1)
    elif not (x.ndim == 4 and x.shape[3] in (1, 3) and x.shape[1] >= 4 and x.shape[2] >= 4):
        if not (x.ndim == 3 and x.shape[1] >= 4 and x.shape[2] >= 4):
            return None
        x = x[..., None]
    x = np.asarray(x, dtype=np.float32)
    lo = x.min(axis=(0, 1, 2), keepdims=True)
    hi = x.max(axis=(0, 1, 2), keepdims=True)
    out = np.round((x - lo) * (255.0 / np.maximum(hi - lo, 1e-12))).astype(np.uint8)
    return out[..., 0] if out.shape[-1] == 1 else out


def _check_destination(dst, src):
    """A destination may be new, a partial import of the same source (resume), or empty."""
    meta_path = dst / layout.RUN_JSON
    if meta_path.is_file():
        meta = read_json(meta_path)
        origin = (meta.get("extra") or {}).get("imported_from") if isinstance(meta, dict) else None
        if origin != str(src):
            raise RunError(dst, "already holds another run; choose another --out")
        return
    if dst.exists():
        leftovers = [p.name for p in dst.iterdir() if not p.name.startswith(".") and p.name not in (layout.DATASET, "model.py")]
        if leftovers:
            raise RunError(dst, "exists and is not a run imported from this source; choose another --out")


def import_classic(src, dst, progress=True, batch_size=256):
    """Convert a classic run into our format at `dst`; resumable (epochs already converted are kept).

    Every epoch's representations and logits come from model.feature()/prediction() on all samples.
    """
    import torch
    from tqdm import tqdm

    from ttvis.run.forward import device, model_outputs
    from ttvis.run.recorder import Recorder

    src, dst = Path(src).resolve(), Path(dst)
    if not (src / CONFIG).is_file():
        raise RunError(src / CONFIG, "file is missing: not a classic run")
    run = ClassicRun(src)
    run.model_class
    for epoch in run.epochs:  # fail before any work when an epoch is absent
        if not run.epoch_dir(epoch).is_dir():
            raise RunError(run.epoch_dir(epoch), f"epoch {epoch} is in config.json's epoch range but its folder is missing")
        if not run.checkpoint(epoch).is_file():
            raise RunError(run.checkpoint(epoch), "checkpoint is missing")
    _check_destination(dst, src)
    (train_x, train_y), (test_x, test_y) = run.train, run.test
    inputs = torch.cat([train_x, test_x]).float()
    labels = np.concatenate([train_y, test_y])
    split = np.concatenate([np.zeros(len(train_y), np.uint8), np.ones(len(test_y), np.uint8)])
    images = None if (dst / layout.RUN_JSON).is_file() else _images_from(inputs.numpy())
    rec = Recorder(dst, labels=labels, split=split, classes=run.classes, inputs=inputs, images=images,
                   model_file=run.model_file, model_class=run.net, name=dst.name, batch_size=batch_size,
                   extra={"imported_from": str(src), "classic_config": run.config})
    todo = [e for e in run.epochs if not rec.epochs or e > rec.epochs[-1]]
    dev = device()
    for epoch in tqdm(todo, desc=f"importing {src.name}", unit="epoch", disable=not progress or not todo):
        model = run.model(epoch).to(dev)
        index = run.training_index(epoch)
        reps, logits = model_outputs(model, inputs, n_classes=len(run.classes), code=run.model_file,
                                     class_name=run.net, epoch=epoch, batch_size=batch_size, progress=progress)
        files = {} if index is None else {TRAINING_INDEX: json.dumps(index.tolist()).encode()}
        rec.record(model.module, epoch, representations=reps, logits=logits, extra_files=files)
    return dst

