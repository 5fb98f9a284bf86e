"""Build a visualization of a run: boundary samples -> fit -> positions -> extent -> territories ->
metrics, each stage written atomically and skipped when already done, so a killed build resumes
where it stopped (the trainers checkpoint every pass with their random state, so the resumed result
equals an uninterrupted one). `force=True` starts again from nothing."""

import json
import shutil
import time

import numpy as np
import torch

from ttvis import atomic
from ttvis.errors import RunError
from ttvis.run import layout
from ttvis.run.check import validate_run
from ttvis.run.reader import Run
from ttvis.visualize import baselines, dvi, timevis  # noqa: F401 (register the projectors)
from ttvis.visualize import boundary as boundary_mod
from ttvis.visualize import territory
from ttvis.visualize.evaluate import evaluate_store
from ttvis.visualize.projector import PROJECTORS, Projector, cpu_threads, resolve_device
from ttvis.visualize.store import VisStore

METHODS = ("timevis", "dvi", "pca", "umap", "aligned-umap", "tsne")
MAX_TERRITORY_CELLS = 1 << 32          # grid * grid * classes: the class scores a territory computes
TERRITORY_BATCH_CELLS = 1 << 24        # pixels * classes scored at once (64 MiB of float32)
PARAMETRIC = ("timevis", "dvi")          # fitted on training samples + boundary samples, then transform all
EMBEDDING = ("umap", "aligned-umap", "tsne")  # embed every sample directly, no transform or inverse


def parse_epochs(spec, available):
    """'1,5,10', '3-7' or '3:7' (inclusive), or a mix, -> sorted epochs that must all be in `available`."""
    if spec is None:
        return list(available)
    if isinstance(spec, (list, tuple)):
        wanted = [int(e) for e in spec]
    else:
        wanted = []
        for part in str(spec).replace(" ", "").split(","):
            if not part:
                continue
            try:
                if "-" in part[1:] or ":" in part:
                    lo, hi = part.replace(":", "-").split("-", 1) if ":" not in part else part.split(":", 1)
                    wanted.extend(range(int(lo), int(hi) + 1))
                else:
                    wanted.append(int(part))
            except ValueError:
                raise ValueError(f"epochs: cannot read {part!r} (use e.g. 1,5,10 or 1-10)") from None
    missing = sorted(set(wanted) - set(available))
    if missing:
        raise ValueError(f"epochs {missing} are not in the run (it has {available[0]}..{available[-1]})")
    if not wanted:
        raise ValueError("epochs selects no epoch")
    return sorted(set(wanted))


def _requirements(run, method, epochs, projector):
    where = run.path / "run.json"
    n_train = len(run.train_idx)
    need = max(getattr(projector, "n_neighbors", 15) + 2, 5)
    if (n_train if method in PARAMETRIC or method == "pca" else run.n) < need:
        raise RunError(where, f"{method} needs at least {need} {'training ' if method in PARAMETRIC else ''}samples")
    if method in PARAMETRIC and not run.has_head:
        raise RunError(where, f'{method} needs the classification head (run.json "head" or "model") '
                              "for boundary samples and territories")
    if method == "aligned-umap" and len(epochs) < 2:
        raise RunError(where, "aligned-umap needs at least 2 epochs")


def build_visualization(run_path, method, *, seed=0, epochs=None, force=False, progress=None, grid=territory.GRID,
                        boundary_fraction=0.1, evaluate=True, **params) -> VisStore:
    """Build (or finish) visualization `method` of the run at `run_path` (or of an opened Run); returns
    its VisStore. A run that `ttvis check` rejects is refused with its first problem.

    progress(fraction, message) is called as work advances. Extra keyword arguments go to the projector.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if isinstance(grid, bool) or not isinstance(grid, int) or not 8 <= grid <= 4096:
        raise ValueError(f"grid must be an integer in [8, 4096], got {grid!r}")
    if not 0 <= boundary_fraction <= 1:
        raise ValueError(f"boundary_fraction must be in [0, 1], got {boundary_fraction!r}")
    validate_run(run_path)
    run = run_path if isinstance(run_path, Run) else Run(run_path)
    if grid * grid * run.n_classes > MAX_TERRITORY_CELLS:
        raise ValueError(f"grid {grid} is too fine for {run.n_classes} classes: at most "
                         f"{int((MAX_TERRITORY_CELLS // run.n_classes) ** 0.5)}")
    epochs = parse_epochs(epochs, run.epochs)
    projector = PROJECTORS[method](seed=seed, **params)
    projector._validate_params()
    _requirements(run, method, epochs, projector)
    report = progress or (lambda fraction, message: None)

    run.file(f"{layout.VISUALIZE}/{method}")  # a run opened by the server writes only under its data root
    store = VisStore(run.path, method)
    settings = {"method": method, "seed": seed, "epochs": epochs, "grid": grid,
                "boundary_fraction": boundary_fraction if method in PARAMETRIC else None,
                "params": json.loads(json.dumps(projector.get_params()))}
    if force and store.dir.exists():
        shutil.rmtree(store.dir)
    build_json = store.model_dir / "build.json"
    if build_json.is_file():
        old = json.loads(build_json.read_text())
        if old != settings:
            changed = sorted(k for k in settings if old.get(k) != settings[k])
            raise RunError(store.dir, f"was built with other settings ({', '.join(changed)}); "
                                      "pass --force to rebuild it")
    else:
        atomic.write_json(build_json, settings)
    if resolve_device(getattr(projector, "device", "cpu")) == "cpu":
        torch.set_num_threads(cpu_threads())

    started = time.perf_counter()
    boundary, space = _boundary(run, method, epochs, store, boundary_fraction, seed, report)
    projector = _fit(run, method, epochs, projector, boundary, store, report)
    if resolve_device(getattr(projector, "device", "cpu")) == "cpu":
        torch.set_num_threads(cpu_threads())  # numba may have changed it during the fit
    positions = _positions(run, method, epochs, projector, store, report)
    extent = territory.shared_extent(positions.values())
    store.write_extent(**extent)
    painted = projector.has_inverse and run.has_head
    if painted:
        _territories(run, epochs, projector, store, extent, grid, report)
    build_seconds = time.perf_counter() - started
    if evaluate:
        report(0.92, "computing quality metrics")
        evaluate_store(run, store, projector=projector, boundary=boundary)
    params = {**settings, "has_territory": painted, "has_inverse": projector.has_inverse,
              "boundary_space": space, "build_seconds": round(build_seconds, 3)}
    store.write_params(params)
    report(1.0, "done")
    return store


# -- stages -----------------------------------------------------------------------------------
def _train_reps(run, e):
    return np.asarray(run.representations(e), dtype=np.float32)[run.train_idx]


def _boundary(run, method, epochs, store, fraction, seed, report):
    if method not in PARAMETRIC or fraction == 0:
        return None, None
    n = max(1, int(round(fraction * len(run.train_idx))))
    out, space = {}, None
    for i, e in enumerate(epochs):
        path = store.model_dir / "boundary" / f"epoch_{e}.npy"
        if path.is_file():
            out[e] = np.load(path)
            continue
        report(0.05 * i / len(epochs), f"boundary samples, epoch {e}")
        out[e], space = boundary_mod.boundary_samples(run, e, run.train_idx, n, seed=seed * 100003 + e)
        atomic.write_npy(path, out[e])
    if space is None:
        space = "input" if run.meta.get("model") and run.inputs() is not None else "representation"
    return out, space


def _fit(run, method, epochs, projector, boundary, store, report):
    saved = store.model_dir / "projector"
    if (saved / "params.json").is_file():
        return Projector.load(saved)
    if method in EMBEDDING:
        X = {e: np.asarray(run.representations(e), dtype=np.float32) for e in epochs}
    else:
        X = {e: _train_reps(run, e) for e in epochs}
    heads = {e: run.head(e) for e in epochs} if method in PARAMETRIC else None
    work = store.model_dir / "train"
    projector.fit(X, heads=heads, boundary=boundary, checkpoint_dir=work,
                  progress=lambda f, m: report(0.05 + 0.75 * f, m))
    projector.save(saved)
    shutil.rmtree(work, ignore_errors=True)
    return projector


def _positions(run, method, epochs, projector, store, report):
    out = {}
    for e in epochs:
        if e in store.epochs():
            out[e] = np.asarray(store.read_positions(e))
            continue
        if method in EMBEDDING:
            Y = projector.embeddings_[e]
        else:
            Y = projector.transform(np.asarray(run.representations(e), dtype=np.float32), epoch=e)
        store.write_positions(e, Y)
        out[e] = Y
    report(0.82, "positions written")
    return out


def _territories(run, epochs, projector, store, extent, grid, report):
    for i, e in enumerate(epochs):
        if (store.epoch_dir(e) / "territory.png").is_file():
            continue
        report(0.82 + 0.1 * i / len(epochs), f"territory, epoch {e}")
        rgb, classes, margin = territory.paint(lambda Z, e=e: projector.decode_tensor(Z, e), run.head(e), extent,
                                               run.n_classes, width=grid,
                                               batch=max(1, min(65536, TERRITORY_BATCH_CELLS // run.n_classes)))
        store.write_territory(e, rgb, classes, margin)


def load_projector(run_path, method):
    """The fitted projector of a built visualization."""
    store = VisStore(run_path, method)
    saved = store.model_dir / "projector"
    if not (saved / "params.json").is_file():
        raise RunError(store.dir, f"{method} has not been built; run `ttvis train RUN --method {method}`")
    return Projector.load(saved)

