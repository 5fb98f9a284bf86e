"""Build a visualization of a run: boundary samples -> fit -> positions -> extent -> territories ->
metrics, each stage written atomically and skipped when already done, so a killed build resumes
where it stopped (the trainers checkpoint every pass with their random state, so the resumed result
equals an uninterrupted one). `force=True` starts again from nothing."""

import contextlib
import json
import shutil
import time

import numpy as np
import torch

from ttvis import atomic
from ttvis.errors import RunError
from ttvis.run import layout
from ttvis.run.check import open_run, validate_run
from ttvis.visualize import boundary as boundary_mod
from ttvis.visualize import sampling, territory
from ttvis.visualize.evaluate import evaluate_store
from ttvis.visualize.outputs import VisOutputs, load_projector, stored_boundary
from ttvis.visualize.projector import PROJECTORS, Projector, cpu_threads, resolve_device
from ttvis.visualize.registry import methods

METHODS = tuple(methods())  # the registry's methods, cheapest first
MAX_TERRITORY_CELLS = 1 << 32          # grid * grid * classes: the class scores a territory computes
TERRITORY_BATCH_CELLS = 1 << 24        # pixels * classes scored at once (64 MiB of float32)
CPU_TERRITORY_PIXELS = 4096  # on CPU, pixels decoded at once: the decoder's activations stay in cache (a 256 x 256
                             # territory of digits in 75 ms against 170 ms 65536 at a time)
ANCHOR_EPOCHS, ANCHOR_SAMPLES = 4, 1000  # what holds earlier epochs in place while new ones are trained
STEP_NODES = 100_000  # a sampled fit trains as long per pass as a full one would, up to a graph of this size


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
    need = max(getattr(projector, "n_neighbors", 15) + 2, 5)
    training = projector.fits_on == "training"
    if (len(run.train_idx) if training else run.n) < need:
        raise RunError(where, f"{method} needs at least {need} {'training ' if training else ''}samples")
    if projector.uses_classifier and not run.has_head:
        raise RunError(where, f'{method} needs the classification head (run.json "head" or "model") '
                              "for boundary samples and territories")
    if len(epochs) < projector.min_epochs:
        raise RunError(where, f"{method} needs at least {projector.min_epochs} epochs")


def build_visualization(run_path, method, *, seed=0, epochs=None, force=False, progress=None, grid=territory.GRID,
                        boundary_fraction=0.1, evaluate=True, **params) -> VisOutputs:
    """Build (or finish) visualization `method` of the run at `run_path` (or of an opened Run); returns
    its VisOutputs. A run that `ttvis check` rejects is refused with its first problem.

    progress(fraction, message) is called as work advances. Extra keyword arguments go to the projector.
    """
    if method not in PROJECTORS:
        raise ValueError(f"method must be one of {', '.join(methods())}; got {method!r}")
    if isinstance(grid, bool) or not isinstance(grid, int) or not 8 <= grid <= 4096:
        raise ValueError(f"grid must be an integer in [8, 4096], got {grid!r}")
    if not 0 <= boundary_fraction <= 1:
        raise ValueError(f"boundary_fraction must be in [0, 1], got {boundary_fraction!r}")
    run = open_run(run_path)
    if grid * grid * run.n_classes > MAX_TERRITORY_CELLS:
        raise ValueError(f"grid {grid} is too fine for {run.n_classes} classes: at most "
                         f"{int((MAX_TERRITORY_CELLS // run.n_classes) ** 0.5)}")
    epochs = parse_epochs(epochs, run.epochs)
    projector = PROJECTORS[method](seed=seed, **params)
    projector.validate_params()
    _requirements(run, method, epochs, projector)
    report = progress or (lambda fraction, message: None)

    run.file(f"{layout.VISUALIZE}/{method}")  # a run opened by the server writes only under its data root
    store = VisOutputs(run.path, method)
    settings = {"method": method, "seed": seed, "epochs": epochs, "grid": grid,
                "boundary_fraction": boundary_fraction if projector.uses_classifier else None,
                "params": json.loads(json.dumps(projector.get_params()))}
    build_json = store.model_dir / "build.json"
    old = None if force or not build_json.is_file() else json.loads(build_json.read_text())
    if old is not None and _grown(old, settings) and projector.extendable and store.exists():
        return extend_visualization(run, method, progress=progress, evaluate=evaluate)  # checks the new epochs
    validate_run(run, epochs=[e for e in epochs if e not in ((old or {}).get("epochs") or [])])  # begun: checked then
    if force and store.dir.exists():
        shutil.rmtree(store.dir)
    if old is not None:
        if old != settings:
            changed = sorted(k for k in settings if old.get(k) != settings[k])
            raise RunError(store.dir, f"was built with other settings ({', '.join(changed)}); "
                                      "pass --force to rebuild it")
    else:
        atomic.write_json(build_json, settings)
    if resolve_device(getattr(projector, "device", "cpu")) == "cpu":
        torch.set_num_threads(cpu_threads())

    stage = Stages()
    with stage("sampling"):
        plan = _plan(run, method, epochs, projector, seed)
    trained = plan["keyframes"] if plan else epochs
    with stage("boundary samples"):
        boundary, space = _boundary(run, projector, trained, plan, store, boundary_fraction, seed, report)
    with stage("fit"):
        projector = _fit(run, epochs, projector, plan, boundary, store, report)
    if resolve_device(getattr(projector, "device", "cpu")) == "cpu":
        torch.set_num_threads(cpu_threads())  # numba may have changed it during the fit
    with stage("positions"):
        extent = territory.shared_extent(_positions(run, epochs, projector, store, report))
        store.write_extent(**extent)
    painted = projector.has_inverse and run.has_head
    if painted:
        with stage("territories"):
            _territories(run, epochs, projector, store, extent, grid, report)
    build_seconds = stage.total()
    if evaluate:
        report(0.92, "computing quality metrics")
        with stage("metrics"):
            evaluate_store(run, store, projector=projector, boundary=boundary)
    params = {**settings, "has_territory": painted, "has_inverse": projector.has_inverse,
              "boundary_space": space, "build_seconds": round(build_seconds, 3), "sampled": _sampled(run, plan),
              "stages": stage.done}
    store.write_params(params)
    report(1.0, "done")
    return store


# -- stages -----------------------------------------------------------------------------------
class Stages:
    """Wall time and the process's peak resident memory so far at the end of each stage, for
    params.json (a resumed build times only what it redid)."""

    def __init__(self):
        self.done = {}

    @contextlib.contextmanager
    def __call__(self, name):
        import resource

        started = time.perf_counter()
        yield
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        self.done[name] = {"seconds": round(time.perf_counter() - started, 3), "peak_rss_mb": round(peak, 1)}

    def total(self):
        return sum(v["seconds"] for v in self.done.values())


def _plan(run, method, epochs, projector, seed, previous=None, k=None):
    """What a parametric method trains on: {"stats": {epoch: (mean, scale)}, "keyframes": [...],
    "landmarks": {epoch: positions into run.train_idx, prefixes of one order}}; None for the other methods.

    TimeVis trains on every epoch: keyframes with `landmarks` samples (and boundary samples), the other
    epochs with a light share of together half of that (so each still learns its own embedding,
    faithful encoder and decoder included). `previous`: the last epoch already built (incremental
    builds), there to measure the change into the first new epoch and to tie the new ones to it."""
    if not projector.uses_classifier:
        return None
    chain = ([previous] if previous is not None else []) + list(epochs)
    stats, change = sampling.epoch_change(run, chain, sampling.seeded_subset(run.train_idx, sampling.STATS_SAMPLE, seed))
    stats = dict(zip(chain, stats))
    k = k or getattr(projector, "keyframes", 0) or len(chain)
    keys = [chain[i] for i in sampling.keyframes(change, min(k, len(chain)))]
    size = min(projector.landmarks or len(run.train_idx), len(run.train_idx))
    if len(chain) * len(run.train_idx) <= k * size:  # the whole run fits the node budget: no sampling
        keys, size = list(chain), len(run.train_idx)
    order = sampling.landmark_order(run.labels[run.train_idx], run.predictions(chain[-1])[run.train_idx], seed)
    if not projector.samples_keyframes:  # DVI: the same landmarks in every epoch, whose kNN sets it compares
        marks = {e: order[:size] for e in keys}
    else:  # prefixes of one order: row i is the same sample in every epoch that has it (temporal edges)
        light = [e for e in chain if e not in keys]
        small = min(size, max(projector.n_neighbors + 2, size * len(keys) // (2 * max(1, len(light)))))
        marks = {e: order[:size if e in keys else small] for e in chain}
    return {"stats": {e: stats[e] for e in epochs}, "keyframes": [e for e in keys if e != previous],
            "landmarks": marks, "pass_nodes": min(len(chain) * len(run.train_idx), STEP_NODES)}


def _sampled(run, plan):
    """What the fit saw, for params.json and the README's scale section."""
    if plan is None:
        return None
    sizes = {e: len(v) for e, v in plan["landmarks"].items()}
    light = [sizes[e] for e in sizes if e not in plan["keyframes"]]
    return {"keyframes": plan["keyframes"], "landmarks_per_keyframe": max(sizes[e] for e in plan["keyframes"]),
            "landmarks_per_other_epoch": min(light) if light else None, "training_samples": int(len(run.train_idx))}


def _landmark_ids(run, e, plan):
    """Sample ids of epoch e's training samples that the projector trains on (its landmarks)."""
    return run.train_idx if plan is None else run.train_idx[plan["landmarks"][e]]


def _whole_splits(run, epochs, plan):
    """{epoch: sample ids of the rows it trains on} for the epochs that train on every training sample:
    only there does a projector show the samples where its own layout placed them. Landmarks shown at
    their layout positions among samples the encoder places scramble neighbourhoods (synthetic 60k x 20,
    5000 of 50,000 training samples shown: NN@15 5.00 against 5.13, PPR 0.967 against 0.972)."""
    ids = {e: _landmark_ids(run, e, plan) for e in epochs}
    return {e: i for e, i in ids.items() if len(i) == len(run.train_idx)}


def _train_rows(run, e, plan):
    """Training samples (landmarks) of epoch e, float32, from the memory-mapped file."""
    x = sampling.rows(run.representations(e), _landmark_ids(run, e, plan))
    if not np.isfinite(x).all():
        raise RunError(run.epoch_dir(e) / "representations.npy", "representations contain NaN or inf")
    return x


def _boundary(run, projector, epochs, plan, store, fraction, seed, report):
    """Boundary samples of the trained epochs, written once and read back lazily ({epoch: array})."""
    if not projector.uses_classifier or fraction == 0:
        return None, None
    space = None
    for i, e in enumerate(epochs):
        path = store.boundary_file(e)
        if path.is_file():
            continue
        idx = _landmark_ids(run, e, plan)
        n = max(1, int(round(fraction * len(idx))))
        report(0.05 * i / len(epochs), f"boundary samples, epoch {e}")
        B, space = boundary_mod.boundary_samples(run, e, idx, n, seed=seed * 100003 + e)
        atomic.write_npy(path, B)
    if space is None:
        space = "input" if run.meta.get("model") and run.inputs() is not None else "representation"
    return stored_boundary(store), space


def _fit(run, epochs, projector, plan, boundary, store, report):
    """Fit the projector on what its class says it fits on, and save it (a saved one is loaded)."""
    saved = store.model_dir / "projector"
    if (saved / "params.json").is_file():
        return Projector.load(saved)
    work = store.model_dir / "train"
    if projector.fits_on == "all":
        rows = lambda e: np.asarray(run.representations(e), dtype=np.float32)  # noqa: E731
    else:
        rows = lambda e: _train_rows(run, e, plan)  # noqa: E731
    inputs = sampling.Lazy if projector.streams else lambda keys, load: {e: load(e) for e in keys}
    fit = {"checkpoint_dir": work, "progress": lambda f, m: report(0.05 + 0.75 * f, m)}
    if projector.uses_classifier:
        fit.update(heads=inputs(epochs, run.head), boundary=boundary)
    if projector.samples_keyframes:
        fit.update(stats=plan["stats"], keyframes=plan["keyframes"], pass_nodes=plan["pass_nodes"],
                   ids=_whole_splits(run, epochs, plan))
    projector.fit(inputs(epochs, rows), **fit)
    projector.save(saved)
    shutil.rmtree(work, ignore_errors=True)
    return projector


def _positions(run, epochs, projector, store, report):
    """Write every sample's position, one epoch at a time; returns each epoch's bounding box."""
    boxes, done = [], set(store.epochs())
    for e in epochs:
        if e in done:
            Y = np.asarray(store.read_positions(e))
        elif projector.fits_on == "all":
            Y = projector.embedding(e)
            store.write_positions(e, Y)
        else:
            Y = encode_all(projector, run.representations(e), e)
            placed = projector.placed(e)
            if placed is not None:  # samples the fit laid out itself are shown where it laid them
                Y[placed[0]] = placed[1]
            if projector.has_inverse and run.has_head:
                Y = projector.settle(Y, e, run.head(e), run.predictions(e))
            store.write_positions(e, Y)
        boxes.append(np.stack([Y.min(0), Y.max(0)]))
    report(0.82, "positions written")
    return boxes


def encode_all(projector, reps, epoch, batch=65536):
    """Positions of every row of a (memory-mapped) representation array, read in batches."""
    return np.concatenate([projector.transform(np.asarray(reps[s:s + batch], dtype=np.float32), epoch=epoch)
                           for s in range(0, len(reps), batch)])


def _territories(run, epochs, projector, store, extent, grid, report, redo=False):
    on_cpu = resolve_device(getattr(projector, "device", "cpu")) == "cpu"
    batch = max(1, min(CPU_TERRITORY_PIXELS if on_cpu else 65536, TERRITORY_BATCH_CELLS // run.n_classes))
    for i, e in enumerate(epochs):
        if (store.epoch_dir(e) / "territory.png").is_file() and not redo:
            continue
        report(0.82 + 0.1 * i / len(epochs), f"territory, epoch {e}")
        rgb, classes, margin = territory.paint(lambda Z, e=e: projector.decode_tensor(Z, e), run.head(e), extent,
                                               run.n_classes, width=grid, batch=batch)
        store.write_territory(e, rgb, classes, margin)


# -- incremental builds -------------------------------------------------------------------------
def _grown(old, settings):
    """Whether `settings` only add epochs after those of a build made with `old`."""
    before, after = old.get("epochs") or [], settings["epochs"]
    same = {k: v for k, v in old.items() if k != "epochs"} == {k: v for k, v in settings.items() if k != "epochs"}
    return same and len(after) > len(before) and after[:len(before)] == before


def extend_visualization(run_path, method="timevis", *, progress=None, evaluate=True) -> VisOutputs:
    """Add the epochs a run has gained since its visualization was built, without rebuilding it.

    The new epochs are trained into the fitted model (keyframes and landmarks as in a full build, at
    the build's keyframe rate) while samples of up to ANCHOR_EPOCHS earlier keyframes are pulled to
    their stored positions. Earlier epochs' files are left as they were; how far the model now places
    their samples from there is measured and reported in params.json ("extensions": drift, as a
    fraction of the extent's diagonal). Cost per new epoch does not depend on how many came before.
    The extent only grows if new positions leave it (then every territory is repainted, reported).
    `run_path` may be an opened Run (the server's, confined to its data root)."""
    run = open_run(run_path)
    store = VisOutputs(run.path, method)
    report = progress or (lambda fraction, message: None)
    if method not in PROJECTORS or not PROJECTORS[method].extendable:
        raise RunError(store.dir, f"{method} cannot be extended; pass --force to rebuild it")
    build_json = store.model_dir / "build.json"
    if not (build_json.is_file() and store.exists()):
        raise RunError(store.dir, f"{method} has no finished build to extend; run `ttvis train RUN --method {method}`")
    settings, params = json.loads(build_json.read_text()), store.read_params()
    built = settings["epochs"]
    new = [e for e in run.epochs if e > built[-1]]
    if not new:
        return store
    validate_run(run, epochs=new)
    started = time.perf_counter()
    projector = load_projector(run.path, method)
    if resolve_device(getattr(projector, "device", "cpu")) == "cpu":
        torch.set_num_threads(cpu_threads())
    drift, sampled = None, params.get("sampled") or {}
    if not projector.samples_keyframes and not set(new) <= set(projector.epochs_):  # one fit per new epoch
        projector.fit_more(sampling.Lazy(new, lambda e: _train_rows(run, e, None)))
        projector.save(store.model_dir / "projector")
    elif not set(new) <= set(projector.epochs_):  # else a killed extension already saved its model
        rate = len(sampled.get("keyframes") or built) / len(built)  # keyframes per epoch so far
        drift, keys = _fit_more(run, store, projector, settings, new, 1 + max(1, round(rate * len(new))), report)
        params["sampled"] = {**sampled, "keyframes": sampled.get("keyframes", []) + keys}
    settings["epochs"] = built + new
    atomic.write_json(build_json, settings)
    extent = store.read_extent()
    boxes = np.concatenate(_positions(run, new, projector, store, report))
    repaint = bool((boxes[:, 0] < extent["x_min"]).any() or (boxes[:, 0] > extent["x_max"]).any()
                   or (boxes[:, 1] < extent["y_min"]).any() or (boxes[:, 1] > extent["y_max"]).any())
    if repaint:  # new positions left the shared extent: grow it, and every territory must follow
        corners = np.array([[extent["x_min"], extent["y_min"]], [extent["x_max"], extent["y_max"]]])
        extent = territory.shared_extent([boxes, corners])
        store.write_extent(**extent)
    if params.get("has_territory"):
        _territories(run, settings["epochs"] if repaint else new, projector, store, extent, settings["grid"], report,
                     redo=repaint)
    if evaluate:
        report(0.92, "computing quality metrics")
        evaluate_store(run, store, projector=projector, boundary=stored_boundary(store), epochs=new)
    extension = {"epochs": new, "seconds": round(time.perf_counter() - started, 3), "repainted": repaint}
    if drift is not None:
        extension["drift"] = drift
    params.update(epochs=settings["epochs"], extensions=params.get("extensions", []) + [extension])
    store.write_params(params)
    report(1.0, "done")
    return store


def _fit_more(run, store, projector, settings, new, k, report):
    """Train the new epochs into the projector (k keyframes, counting the last built epoch) and save
    it; returns the drift of earlier epochs and the new keyframes."""
    seed, built = settings["seed"], settings["epochs"]
    plan = _plan(run, projector.name, new, projector, seed, previous=built[-1], k=k)
    bridge = built[-1]  # the last built epoch (always a keyframe) ties the new ones to the old layout
    trained = [bridge] + new
    boundary, _ = _boundary(run, projector, plan["keyframes"], plan, store, settings["boundary_fraction"], seed,
                            report)
    old_keys = [e for e in projector.keyframes_ if e <= bridge]
    held = [old_keys[i] for i in np.unique(np.round(np.linspace(0, len(old_keys) - 1, ANCHOR_EPOCHS)).astype(int))]
    anchors, check = (_held(projector, run, held, sampling.seeded_subset(run.train_idx, ANCHOR_SAMPLES, seed + k))
                      for k in (7, 11))
    projector.add_epochs(plan["stats"])
    X = {e: _train_rows(run, e, plan) for e in trained}
    work = store.model_dir / "extend"
    projector.fit_more(X, heads={e: run.head(e) for e in trained}, keyframes=plan["keyframes"], boundary=boundary,
                       anchors=anchors, ids=_whole_splits(run, new, plan),
                       checkpoint_dir=work, progress=lambda f, m: report(0.05 + 0.75 * f, m))
    extent = store.read_extent()
    diagonal = float(np.hypot(extent["x_max"] - extent["x_min"], extent["y_max"] - extent["y_min"]))
    drift = float(np.linalg.norm(_model_positions(projector, *check[:2]) - check[2], axis=1).mean() / diagonal)
    projector.save(store.model_dir / "projector")
    shutil.rmtree(work, ignore_errors=True)
    return round(drift, 5), plan["keyframes"]


def _held(projector, run, epochs, idx):
    """(representations, epochs, where the model places them) of samples idx in each of `epochs`: what an
    extension holds still and measures its drift on. The model's positions, not the stored ones: a layout
    build shows its training samples where the layout put them, near but not at the model's."""
    X = np.concatenate([sampling.rows(run.representations(e), idx) for e in epochs])
    E = np.repeat(np.asarray(epochs), len(idx))
    return X, E, _model_positions(projector, X, E)


def _model_positions(projector, X, E):
    """projector.transform of rows X, each at its epoch E (rows grouped by epoch)."""
    return np.concatenate([projector.transform(X[E == e], epoch=e) for e in dict.fromkeys(E.tolist())])
