"""Where a visualization's outputs live inside a run (SPEC.md, "Visualizations"):

    <run>/visualize/<method>/params.json              method name and parameters
    <run>/visualize/<method>/extent.json              2D extent shared by all epochs
    <run>/visualize/<method>/model/                   the method's own weights (projector state)
    <run>/visualize/<method>/epochs/epoch_<e>/positions.npy         float32 (N, 2), every sample
    <run>/visualize/<method>/epochs/epoch_<e>/territory.png         RGB, row 0 = top (y_max)
    <run>/visualize/<method>/epochs/epoch_<e>/territory_class.npy   uint8/uint16 (H, W) predicted class
    <run>/visualize/<method>/epochs/epoch_<e>/territory_margin.npy  float16 (H, W) top-1 minus top-2 probability
    <run>/visualize/<method>/epochs/epoch_<e>/metrics.json          quality metrics of that epoch
    <run>/visualize/<method>/metrics.json                           all epochs' metrics and a summary

Every file is written atomically, so a reader sees an epoch's file whole or not at all.
"""

import io
import re
from pathlib import Path

import numpy as np

from ttvis import atomic
from ttvis.errors import RunError
from ttvis.run import layout
from ttvis.run.reader import read_json, read_npy

METHOD_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class VisOutputs:
    def __init__(self, run_path, method):
        if not METHOD_NAME.match(method or ""):
            raise ValueError(f"method name {method!r} must be lowercase letters, digits, '-' or '_'")
        self.run_path = Path(run_path)
        self.method = method
        self.dir = self.run_path / layout.VISUALIZE / method

    @staticmethod
    def methods(run_path) -> list:
        """Methods with outputs in this run (those whose params.json exists)."""
        root = Path(run_path) / layout.VISUALIZE
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if METHOD_NAME.match(p.name) and (p / "params.json").is_file())

    def exists(self):
        return (self.dir / "params.json").is_file()

    def epoch_dir(self, epoch):
        return self.dir / "epochs" / layout.epoch_dirname(epoch)

    # -- run-wide ---------------------------------------------------------------------------
    def write_params(self, params: dict):
        atomic.write_json(self.dir / "params.json", params)

    def read_params(self) -> dict:
        return read_json(self.dir / "params.json")

    def write_extent(self, x_min, x_max, y_min, y_max):
        atomic.write_json(self.dir / "extent.json", {"x_min": float(x_min), "x_max": float(x_max),
                                                     "y_min": float(y_min), "y_max": float(y_max)})

    def read_extent(self) -> dict:
        return read_json(self.dir / "extent.json")

    def write_metrics(self, metrics: dict):
        atomic.write_json(self.dir / "metrics.json", metrics)

    def read_metrics(self) -> dict:
        p = self.dir / "metrics.json"
        return read_json(p) if p.is_file() else {}

    @property
    def model_dir(self):
        return self.dir / "model"

    def boundary_file(self, epoch):
        """Where a parametric build keeps the epoch's boundary samples."""
        return self.model_dir / "boundary" / f"{layout.epoch_dirname(epoch)}.npy"

    # -- per epoch --------------------------------------------------------------------------
    def epochs(self) -> list:
        """Epochs whose positions are written, ascending."""
        root = self.dir / "epochs"
        if not root.is_dir():
            return []
        return sorted(e for p in root.iterdir()
                      if (e := layout.epoch_of(p.name)) is not None and (p / "positions.npy").is_file())

    def write_positions(self, epoch, positions):
        positions = np.asarray(positions, dtype=np.float32)
        if positions.ndim != 2 or positions.shape[1] != 2 or not np.isfinite(positions).all():
            raise ValueError(f"positions must be finite (N, 2), got {positions.shape}")
        atomic.write_npy(self.epoch_dir(epoch) / "positions.npy", positions)

    def read_positions(self, epoch):
        return read_npy(self.epoch_dir(epoch) / "positions.npy")

    def write_territory(self, epoch, rgb, classes, margin):
        """rgb uint8 (H, W, 3|4); classes int (H, W); margin float (H, W) in [0, 1]; row 0 = top."""
        from PIL import Image

        rgb = np.asarray(rgb, dtype=np.uint8)
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="PNG", optimize=False, compress_level=6)
        d = self.epoch_dir(epoch)
        classes = np.asarray(classes)
        atomic.write_npy(d / "territory_class.npy", classes.astype(np.uint8 if classes.max(initial=0) < 256 else np.uint16))
        atomic.write_npy(d / "territory_margin.npy", np.asarray(margin, dtype=np.float16))
        atomic.write_bytes(d / "territory.png", buf.getvalue())  # last: its presence means the territory is complete

    def territory_png(self, epoch) -> Path:
        p = self.epoch_dir(epoch) / "territory.png"
        if not p.is_file():
            raise RunError(p, "territory has not been painted")
        return p

    def read_territory_grid(self, epoch):
        d = self.epoch_dir(epoch)
        return read_npy(d / "territory_class.npy"), read_npy(d / "territory_margin.npy")

    def write_epoch_metrics(self, epoch, metrics: dict):
        atomic.write_json(self.epoch_dir(epoch) / "metrics.json", metrics)

    def read_epoch_metrics(self, epoch) -> dict:
        p = self.epoch_dir(epoch) / "metrics.json"
        return read_json(p) if p.is_file() else {}


def stored_boundary(store):
    """Boundary samples a parametric build kept, {epoch: array} read when asked for, or None."""
    from ttvis.visualize.sampling import Lazy

    folder = store.model_dir / "boundary"
    if not folder.is_dir():
        return None
    epochs = sorted(e for p in folder.glob("*.npy") if (e := layout.epoch_of(p.stem)) is not None)
    return Lazy(epochs, lambda e: np.load(store.boundary_file(e))) if epochs else None


def load_projector(run_path, method):
    """The fitted projector of a built visualization."""
    from ttvis.visualize import registry

    store = VisOutputs(run_path, method)
    saved = store.model_dir / "projector"
    if not (saved / "params.json").is_file():
        raise RunError(store.dir, f"{method} has not been built; run `ttvis train RUN --method {method}`")
    return registry.load(saved)
