"""Read a run folder (SPEC.md). Arrays are memory-mapped; problems raise RunError naming the file."""

import json
from functools import cached_property
from pathlib import Path

import numpy as np

from ttvis.errors import RunError, first_line
from ttvis.run import layout
from ttvis.run.dynamics import Dynamics, softmax
from ttvis.run.rules import check_array, validate_meta


def read_json(path):
    path = Path(path)
    if not path.is_file():
        raise RunError(path, "file is missing")
    try:
        return json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunError(path, f"bad JSON: {exc}") from None
    except RecursionError:
        raise RunError(path, "bad JSON: nested too deeply") from None


def read_npy(path, mmap=True):
    path = Path(path)
    if not path.is_file():
        raise RunError(path, "file is missing")
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except Exception as exc:
        raise RunError(path, f"unreadable array ({type(exc).__name__}: {str(exc)[:120]})") from None


class Run:
    """One run of training dynamics. Cheap to open; arrays load on first use.

    confine(path) is called on every file before it is read and raises for one that must not be
    (the server refuses files that lead outside its data root)."""

    def __init__(self, path, confine=None):
        self.path = Path(path)
        self._confine = confine
        if not self.path.is_dir():
            raise RunError(self.path, "run folder does not exist")
        self.meta = read_json(self.file(layout.RUN_JSON))
        validate_meta(self.meta, self.path / layout.RUN_JSON)
        self.n = int(self.meta["n_samples"])  # samples: every array's rows
        self.n_classes = len(self.meta["classes"])

    # -- description -------------------------------------------------------------------------
    @property
    def name(self):
        return self.meta.get("name") or self.path.name

    @property
    def classes(self):
        """Class names; a label is an index into them."""
        return list(self.meta["classes"])

    @property
    def epochs(self):
        """The recorded epochs, ascending."""
        return list(self.meta["epochs"])

    def file(self, relpath):
        """The run's file `relpath`, passed through `confine`."""
        path = self.path / relpath
        if self._confine is not None:
            self._confine(path)
        return path

    def epoch_dir(self, epoch):
        return self.path / layout.EPOCHS / layout.epoch_dirname(epoch)

    def epoch_file(self, epoch, name):
        return self.file(Path(layout.EPOCHS) / layout.epoch_dirname(epoch) / name)

    def _require_epoch(self, epoch):
        if epoch not in self.meta["epochs"]:
            raise RunError(self.path / layout.RUN_JSON, f"epoch {epoch} is not among the run's epochs")

    # -- dataset ----------------------------------------------------------------------------
    def _array(self, path, kind, columns=None, optional=False):
        """The array at `path` (from file()), checked against the format's rules (rules.check_array)."""
        if optional and not path.is_file():
            return None
        return check_array(path, read_npy(path), kind, self.n, columns=columns)

    @cached_property
    def labels(self):
        return np.asarray(self._array(self.file(layout.LABELS), "labels", self.n_classes), dtype=np.int64)

    @cached_property
    def split(self):
        return np.asarray(self._array(self.file(layout.SPLIT), "split"), dtype=np.uint8)

    @cached_property
    def train_idx(self):
        return np.flatnonzero(self.split == layout.TRAIN)

    @cached_property
    def test_idx(self):
        return np.flatnonzero(self.split == layout.TEST)

    def images(self):
        """uint8 (N,H,W) or (N,H,W,3), memory-mapped; None if the run has none."""
        return self._array(self.file(layout.IMAGES), "images", optional=True)

    def inputs(self):
        """The model's inputs (float32 (N, ...)); None if the run does not keep them."""
        return self._array(self.file(layout.INPUTS), "inputs", optional=True)

    def ground_truth(self):
        p = self.file(layout.GROUND_TRUTH)
        return read_json(p) if p.is_file() else {}

    # -- per epoch --------------------------------------------------------------------------
    def representations(self, epoch):
        self._require_epoch(epoch)
        return self._array(self.epoch_file(epoch, layout.REPRESENTATIONS), "representations",
                           self.meta.get("representation_dim"))

    def logits(self, epoch):
        self._require_epoch(epoch)
        return self._array(self.epoch_file(epoch, layout.LOGITS), "logits", self.n_classes)

    def probabilities(self, epoch):
        return softmax(self.logits(epoch))

    def predictions(self, epoch):
        """Every sample's predicted class at `epoch` (int64), from the run's dynamics."""
        self._require_epoch(epoch)
        return self.dynamics.predictions[self.dynamics.index[epoch]].astype(np.int64)

    @cached_property
    def dynamics(self):
        """Every sample's predictions, confidences, label probabilities and margins over all epochs
        (ttvis.run.dynamics), derived from the logits once for this opened run."""
        return Dynamics(self)

    @property
    def dim(self):
        return int(self.representations(self.epochs[0]).shape[1])

    @property
    def has_head(self):
        return self.meta.get("head") is not None or self.meta.get("model") is not None

    def head(self, epoch):
        """torch module mapping representations (float32 tensor) to logits, eval mode, CPU."""
        self._require_epoch(epoch)
        if self.meta.get("head") is not None:
            from ttvis.run.head import load_head

            path = self.epoch_file(epoch, layout.HEAD)
            if not path.is_file():
                raise RunError(path, "head weights are missing")
            try:
                return load_head(self.meta["head"], path)
            except RunError:
                raise
            except Exception as exc:
                raise RunError(path, f"unreadable head ({type(exc).__name__}: {first_line(exc, 120)})") from None
        model = self.model(epoch)
        if model is None:
            raise RunError(self.path / layout.RUN_JSON, 'run has neither "head" nor "model": territories need one')
        from ttvis.run.model_code import PredictionHead

        return PredictionHead(model).eval()

    def model(self, epoch):
        """The full subject model from the run's model.py and this epoch's checkpoint, or None."""
        spec = self.meta.get("model")
        if not spec:
            return None
        from ttvis.run.model_code import load_model

        return load_model(self.file(spec["file"]), spec["class"], self.epoch_file(epoch, layout.CHECKPOINT))
