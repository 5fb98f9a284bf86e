"""Benchmark of the visualization engine: every method on (a) the digits demo run, (b) a 10k MNIST
demo run and (c) a classic-layout MNIST run (an MLP, 8 epochs, 7800 train / 2200 test, written by this
bench in the original tool's layout and imported with `ttvis import-classic`; (b) and (c) are skipped
when ../shared/data/mnist10k.npz is absent), side by side with umap-learn fitted per epoch in the same
process. Prints a table per run and writes JSON to Tool/bench/results/.

On the classic run the table also shows the original tool's own TimeVis and DVI (medians of 5 and 2
runs of its PyTorch code on CPU, evaluated with this project's metric code, 2026-11): reference rows, as
that code is not part of this project and is not re-run here.

    python Tool/bench/bench_visualize.py            # full: all methods, digits 20 epochs + MNIST 10 epochs
    python Tool/bench/bench_visualize.py --quick    # digits 6 epochs, timevis/dvi/pca/umap only, no MNIST
    python Tool/bench/bench_visualize.py --methods timevis,timevis:before,timevis:no-layout-detached

A method "timevis:NAME" is TimeVis with the settings VARIANTS[NAME]: the ablations behind its defaults
("before" is the default until the target layout: the UMAP loss shapes the map and the decoder's terms
bend it too; "encoder-shown" is the default until training samples were shown at their layout positions:
the encoder places every sample; "unsettled-200" is the default until samples were settled into their
predicted class's territory, with 200 steps a pass; "uniform-negatives" is the default until the layout
drew most negatives from an edge's own epoch: umap-learn's uniform sampling, 200 epochs, each epoch then
refined alone, and edge offsets (the rows that build on it start from the shared spectral start and run
this project's optimisation, not umap-learn's, whose joint spectral start and sampler are no longer
reachable); "temporal-1.5" is the default until the layout's temporal edges weighed 1.0; "whole-batch" is
the default until the encoder stopped learning each edge's offset and the decoder learned from half of
each batch ("edge-offsets" and "whole-decoder" undo one of these); the "layout-100" ablations lay out in
100 epochs with uniform negatives; settling's first form, a hold rather than a reach, is no longer
reachable).

Timings: "build" = fit + positions + territories (what a user waits for before browsing); metrics are
timed apart. The umap-learn baseline is its fastest configuration (parallel, unseeded) on exactly the
samples TimeVis fits on (the training split of each epoch).
"""

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
TOOL = BENCH.parent
sys.path.insert(0, str(TOOL))
RESULTS = BENCH / "results"
MNIST = TOOL.parent.parent / "shared" / "data" / "mnist10k.npz"
ALL = ["timevis", "dvi", "pca", "umap", "aligned-umap", "tsne"]
BEFORE = {"layout_epochs": 0, "temporal_weight": 1.5, "min_steps_per_pass": 40, "settle_reach": 0}
# the default until epoch-local negatives: umap-learn's uniform negative sampling, 200 epochs, each epoch refined
UNIFORM = {"local_negatives": 0, "temporal_weight": 2.5, "layout_epochs": 200, "refine_alpha": 0.01,
           "offset_weight": 1.0, "decoder_share": 1.0}
UNSETTLED_200 = {**UNIFORM, "settle_reach": 0, "min_steps_per_pass": 200}  # the default before settling
ENCODER_SHOWN = {**UNSETTLED_200, "show_layout": False, "refine_alpha": 0.03}  # the default before showing
LAYOUT_100 = {**UNIFORM, "layout_epochs": 100}
VARIANTS = {  # TimeVis settings beside its defaults
    "before": BEFORE,
    "temporal-1.5": {"temporal_weight": 1.5},                  # the default before: layout's temporal edges at 1.5
    "whole-batch": {"offset_weight": 1.0, "decoder_share": 1.0},  # the default before that: edge offsets, whole decoder
    "edge-offsets": {"offset_weight": 1.0},                    # the encoder also learns each edge's offset
    "whole-decoder": {"decoder_share": 1.0},                   # the decoder learns from every edge of a batch
    "encoder-shown": ENCODER_SHOWN,
    "unsettled-200": UNSETTLED_200,
    "uniform-negatives": UNIFORM,                              # the default before epoch-local negatives
    "all-local": {"local_negatives": 5},                       # layout: no negatives from other epochs
    "temporal-2.5": {"temporal_weight": 2.5},                  # layout: temporal edges pulled harder
    "settled-200": {**UNIFORM, "min_steps_per_pass": 200},     # settled, 200 steps a pass
    "layout-100": LAYOUT_100,                                  # uniform negatives, a shorter layout
    "layout-100-unsettled": {**LAYOUT_100, "settle_reach": 0},  # samples shown where they were placed
    "reach-0.1": {"settle_reach": 0.1},                        # settling moves samples half as far at most
    "no-layout-detached": {**BEFORE, "detach_decoder": True},  # the prediction term's cost, without a layout
    "detached": {"detach_decoder": True},                      # layout; the decoder's terms leave the map alone
    "joint-only": {**UNIFORM, "refine_alpha": 0.0},            # uniform negatives, epochs not refined
    "refine-0.03": {**LAYOUT_100, "refine_alpha": 0.03},       # uniform negatives, epochs refined more strongly
    "not-shown": {**LAYOUT_100, "show_layout": False},         # the encoder places every sample
    "decode-both": {**LAYOUT_100, "decode_at": "both"},        # the decoder learns from the layout's positions too
}


ORIGINAL = {  # the original tool on the classic MNIST run (see the docstring): reference rows
    "original timevis": {"build_seconds": 259.0, "nn15_train": 2.46, "nn15_test": 4.28, "ppr_train": 0.816,
                         "ppr_test": 0.810, "trust_train": 0.950, "temporal_train": 0.825, "top5_train": 0.935},
    "original dvi": {"build_seconds": 532.0, "nn15_train": 1.73, "nn15_test": 3.16, "ppr_train": 0.665,
                     "ppr_test": 0.669, "trust_train": 0.900, "temporal_train": 0.603, "top5_train": 0.844},
}
CLASSIC_EPOCHS, CLASSIC_TRAIN = 8, 7800
CLASSIC_MODEL = """from torch import nn


class MLP(nn.Module):
    \"\"\"28x28 digits -> 128-d representation -> 10 classes.\"\"\"

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU())
        self.fc = nn.Linear(128, 10)

    def feature(self, x):
        return self.body(x)

    def prediction(self, f):
        return self.fc(f)

    def forward(self, x):
        return self.prediction(self.feature(x))
"""


def make_classic_mnist(root, seed=0):
    """Write (once) the classic-layout MNIST run and import it; returns the imported run's path."""
    import torch

    from ttvis.run.classic import import_classic

    src, dst = root / "classic_mnist_src", root / "classic_mnist"
    if not (src / "config.json").is_file():
        d = np.load(MNIST)
        order = np.random.default_rng(seed).permutation(len(d["labels"]))  # the file is sorted by class
        x = torch.from_numpy(d["images"][order]).float().div(255).sub(0.1307).div(0.3081).unsqueeze(1)
        y = torch.from_numpy(d["labels"][order].astype(np.int64))
        tmp = root / "classic_mnist_src.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / "Model").mkdir(parents=True)
        (tmp / "Model" / "model.py").write_text(CLASSIC_MODEL)
        for folder, prefix, part in (("Training_data", "training", slice(0, CLASSIC_TRAIN)),
                                     ("Testing_data", "testing", slice(CLASSIC_TRAIN, len(y)))):
            (tmp / folder).mkdir()
            torch.save(x[part].clone(), tmp / folder / f"{prefix}_dataset_data.pth")
            torch.save(y[part].clone(), tmp / folder / f"{prefix}_dataset_label.pth")
        ns = {}
        exec(CLASSIC_MODEL, ns)
        torch.manual_seed(seed)
        model = ns["MLP"]()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        g = torch.Generator().manual_seed(seed)
        for epoch in range(1, CLASSIC_EPOCHS + 1):
            for idx in torch.randperm(CLASSIC_TRAIN, generator=g).split(128):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
                opt.step()
            (tmp / "Model" / f"Epoch_{epoch}").mkdir()
            torch.save(model.state_dict(), tmp / "Model" / f"Epoch_{epoch}" / "subject_model.pth")
        config = {"DVI": {"SETTING": "normal", "CLASSES": [str(c) for c in range(10)], "GPU": "0",
                          "DATASET": "mnist", "EPOCH_START": 1, "EPOCH_END": CLASSIC_EPOCHS, "EPOCH_PERIOD": 1,
                          "TRAINING": {"NET": "MLP", "num_class": 10, "train_num": CLASSIC_TRAIN,
                                       "test_num": len(y) - CLASSIC_TRAIN}}}
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        tmp.rename(src)
    return import_classic(src, dst, progress=True)


def make_runs(args):
    from ttvis.demo.train import make_demo_run

    runs = {}
    if not args.no_digits:
        runs["digits"] = make_demo_run(RESULTS / "runs" / f"digits_{args.digits_epochs}", epochs=args.digits_epochs,
                                       seed=0, progress=True)
    if args.no_mnist or args.quick:
        print("MNIST run skipped (--quick or --no-mnist)")
    elif not MNIST.is_file():
        print(f"MNIST run skipped: {MNIST} is absent")
    else:
        runs["mnist10k"] = make_demo_run(RESULTS / "runs" / f"mnist10k_{args.mnist_epochs}", data=MNIST,
                                         epochs=args.mnist_epochs, seed=0, progress=True)
    if not args.no_classic and not args.quick and MNIST.is_file():
        runs["classic-mnist"] = make_classic_mnist(RESULTS / "runs")
    return runs


def warm_up():
    """Compile numba code (umap-learn, pynndescent) once, so neither side pays it in its timing."""
    import umap

    from ttvis.visualize.timevis import TimeVis

    X = np.random.default_rng(0).normal(size=(300, 16)).astype(np.float32)
    umap.UMAP(n_epochs=20).fit_transform(X)
    TimeVis(max_passes=1, samples_per_node=1).fit({1: X, 2: X})


def umap_baseline(run):
    """umap-learn fitted on each epoch's training samples: total seconds; NN@15 and trustworthiness at
    the last and middle epochs, on the same sample of the training split the projectors are measured on."""
    import umap

    from ttvis.visualize import metrics as M
    from ttvis.visualize import sampling as S

    where = np.searchsorted(run.train_idx, S.seeded_subset(run.train_idx, S.METRIC_SAMPLE, 0))
    total, out = 0.0, {}
    for e in run.epochs:
        X = np.asarray(run.representations(e), np.float32)[run.train_idx]
        t = time.perf_counter()
        Y = umap.UMAP(n_neighbors=15, min_dist=0.1, n_jobs=-1).fit_transform(X)
        total += time.perf_counter() - t
        if e in (run.epochs[-1], _middle(run.epochs)):
            key = "" if e == run.epochs[-1] else "mid_"
            out[f"{key}nn15_train"] = M.nn_preservation(X[where], Y[where])["15"]["count"]
            if not key:
                out["trust_train"] = M.trustworthiness(X[where], Y[where])
    return {"seconds": round(total, 2), "per_epoch_seconds": round(total / len(run.epochs), 2), **out}


def _middle(epochs):
    return epochs[(len(epochs) - 1) // 2]


def middle_nn15(store):
    """NN@15 (train, test) at the middle epoch, where training moves most."""
    doc = store.read_epoch_metrics(_middle(store.epochs()))
    return {f"mid_nn15_{split}": round(doc[split]["nn"]["15"]["count"], 4) for split in ("train", "test")
            if doc.get(split)}


def territory_seconds(run, store):
    """Median seconds of one 256 x 256 territory of the last epoch (decode -> head -> colours)."""
    from ttvis.visualize import territory
    from ttvis.visualize.outputs import load_projector

    proj = load_projector(run.path, store.method)
    e = store.epochs()[-1]
    head, extent = run.head(e), store.read_extent()
    times = []
    for _ in range(3):
        t = time.perf_counter()
        territory.paint(lambda Z: proj.decode_tensor(Z, e), head, extent, run.n_classes, width=256)
        times.append(time.perf_counter() - t)
    return round(float(np.median(times)), 4)


def bench_run(name, path, methods, seed):
    from ttvis.run.reader import Run
    from ttvis.visualize.build import build_visualization
    from ttvis.visualize.evaluate import evaluate_store
    from ttvis.visualize.outputs import stored_boundary

    run = Run(path)
    print(f"\n== {name}: {run.n} samples ({len(run.train_idx)} train), {len(run.epochs)} epochs, "
          f"dim {run.dim}")
    print("umap-learn per-epoch fits (baseline) ...", flush=True)
    base = umap_baseline(run)
    print(f"   {base['seconds']:.1f} s ({base['per_epoch_seconds']:.2f} s/epoch), NN@15 {base['nn15_train']:.2f}")
    out = {"run": name, "n": run.n, "n_train": int(len(run.train_idx)), "epochs": len(run.epochs),
           "umap_baseline": base, "methods": {}}
    for method in methods:
        print(f"{method} ...", flush=True)
        name, _, variant = method.partition(":")
        t = time.perf_counter()
        store = build_visualization(run.path, name, seed=seed, force=True, evaluate=False, **VARIANTS.get(variant, {}))
        build = time.perf_counter() - t
        t = time.perf_counter()
        summary = evaluate_store(run, store, boundary=stored_boundary(store))["summary"]
        res = {"build_seconds": round(build, 2), "metrics_seconds": round(time.perf_counter() - t, 2), **summary,
               **middle_nn15(store)}
        if store.read_params().get("has_territory"):
            res["territory_256_seconds"] = territory_seconds(run, store)
        res["build_vs_umap"] = round(build / base["seconds"], 3)
        res["nn15_vs_umap"] = round(summary["nn15_train"] / base["nn15_train"], 3) if base["nn15_train"] else None
        out["methods"][method] = res
        print(f"   build {build:.1f} s, NN@15 {summary['nn15_train']:.2f}, PPR {summary.get('ppr_train')}", flush=True)
    print_table(out)
    return out


COLS = [("build s", "build_seconds", "{:.1f}"), ("x umap", "build_vs_umap", "{:.2f}"),
        ("NN@15", "nn15_train", "{:.2f}"), ("x umap", "nn15_vs_umap", "{:.2f}"), ("test", "nn15_test", "{:.2f}"),
        ("mid NN@15", "mid_nn15_train", "{:.2f}"), ("mid test", "mid_nn15_test", "{:.2f}"),
        ("PPR train", "ppr_train", "{:.3f}"), ("PPR test", "ppr_test", "{:.3f}"),
        ("temporal", "temporal_train", "{:.3f}"), ("top-5", "top5_train", "{:.3f}"),
        ("trust", "trust_train", "{:.3f}"), ("territory s", "territory_256_seconds", "{:.3f}"),
        ("metrics s", "metrics_seconds", "{:.1f}")]


def print_table(res):
    base = res["umap_baseline"]
    rows = [["method"] + [c[0] for c in COLS]]
    base = {**base, "build_seconds": base["seconds"], "build_vs_umap": 1.0, "nn15_vs_umap": 1.0}
    rows.append(["umap-learn/epoch"] + [f.format(base[k]) if k in base else "-" for _, k, f in COLS])
    reference = ORIGINAL if res["run"] == "classic-mnist" else {}
    for m, r in {**res["methods"], **reference}.items():
        rows.append([m] + ["-" if r.get(k) is None else f.format(r[k]) for _, k, f in COLS])
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(f"\n{res['run']} (NN@15, PPR, trust: last epoch; temporal, top-5: mean over epochs; train split)")
    for i, r in enumerate(rows):
        print("  ".join(c.ljust(w[j]) if j == 0 else c.rjust(w[j]) for j, c in enumerate(r)))
        if i == 0:
            print("  ".join("-" * x for x in w))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small scale: digits 6 epochs, four methods, no MNIST")
    p.add_argument("--methods", default=None, help=f"comma-separated subset of {','.join(ALL)}, or timevis:"
                                                    f"{{{','.join(VARIANTS)}}}")
    p.add_argument("--digits-epochs", type=int, default=None)
    p.add_argument("--mnist-epochs", type=int, default=10)
    p.add_argument("--no-mnist", action="store_true")
    p.add_argument("--no-digits", action="store_true")
    p.add_argument("--no-classic", action="store_true", help="skip the classic-layout MNIST run")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.digits_epochs is None:
        args.digits_epochs = 6 if args.quick else 20
    methods = args.methods.split(",") if args.methods else (
        ["timevis", "dvi", "pca", "umap"] if args.quick else ALL)
    bad = [m for m in methods if m.partition(":")[0] not in ALL or m.partition(":")[2] not in ("", *VARIANTS)]
    if bad:
        p.error(f"unknown methods {bad}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    import torch

    print(f"torch {torch.__version__}, device {'cuda' if torch.cuda.is_available() else 'cpu'}")
    runs = make_runs(args)
    warm_up()
    results = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "quick": args.quick, "runs": []}
    for name, path in runs.items():
        results["runs"].append(bench_run(name, path, methods, args.seed))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for fname in (f"visualize_{stamp}.json", "visualize_latest.json"):
        (RESULTS / fname).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults: {RESULTS / 'visualize_latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
