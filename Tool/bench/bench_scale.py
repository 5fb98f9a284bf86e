"""Scale benchmark: build TimeVis on synthetic runs of (samples, epochs) = (10k, 20), (60k, 20) and,
with --big, (60k, 200), all 512-dimensional, and print per stage the wall time, the build process's
peak resident memory and the run's disk use. Never part of the test suite.

    python Tool/bench/bench_scale.py                      # (10k, 20) and (60k, 20)
    python Tool/bench/bench_scale.py --big --clean        # also (60k, 200): ~12 GB, deleted afterwards
    python Tool/bench/bench_scale.py --sizes 10k20 --baseline   # plus the full build (every sample, every epoch)
    python Tool/bench/bench_scale.py --extend             # plus: time to extend each build by one epoch

Runs are cached under --root and resumable (a killed generation continues where it stopped). Their
representations look like a network's more than noise does: each class is a low-dimensional manifold
(a random nonlinear map of 6 latent factors) embedded in 512 dims, drawn from a shared start towards its
own centre as epochs advance, with noise that shrinks; 4% of the labels disagree with the manifold.
Stored as float16 (half the disk). Each build runs in its own process, so the memory is the build's.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

TOOL = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOL))

SIZES = {"10k20": (10_000, 20), "60k20": (60_000, 20), "60k200": (60_000, 200)}
DIM, CLASSES, LATENT = 512, 10, 6


def make_run(path, n, epochs, seed=0):
    """Write (or finish) a synthetic run of n samples x `epochs` epochs at `path` with the Recorder."""
    import torch

    from ttvis.run.recorder import Recorder

    rng = np.random.default_rng(seed)
    manifold = np.arange(n) % CLASSES
    rng.shuffle(manifold)
    labels = manifold.copy()
    flip = rng.random(n) < 0.04
    labels[flip] = (manifold[flip] + rng.integers(1, CLASSES, flip.sum())) % CLASSES
    split = (rng.random(n) < 1 / 6).astype(np.uint8)
    latent = rng.standard_normal((n, LATENT)).astype(np.float32)
    lift = rng.standard_normal((CLASSES, LATENT, DIM)).astype(np.float32) / np.sqrt(LATENT)
    bend = rng.standard_normal((CLASSES, LATENT, LATENT)).astype(np.float32)
    centers = rng.standard_normal((CLASSES, DIM)).astype(np.float32) * 3.0
    rec = Recorder(path, labels=labels, split=split, classes=[f"class {c}" for c in range(CLASSES)],
                   name=Path(path).name, dtype="float16", extra={"synthetic": {"n": n, "epochs": epochs}})
    shape = np.empty((n, DIM), np.float32)  # the class manifolds, fixed; epochs move and sharpen them
    for c in range(CLASSES):
        m = manifold == c
        shape[m] = np.tanh(latent[m] @ bend[c]) @ lift[c] + latent[m] @ lift[(c + 1) % CLASSES] * 0.3
    head = torch.nn.Linear(DIM, CLASSES)
    for e in range(1, epochs + 1):
        if e in rec.epochs:
            continue
        p = e / epochs
        noise = np.random.default_rng([seed, e]).standard_normal((n, DIM), dtype=np.float32)
        reps = np.maximum(shape * (0.5 + p) + centers[manifold] * p + noise * (1.2 - p), 0)  # ReLU features
        class_means = np.stack([reps[manifold == c].mean(0) for c in range(CLASSES)])
        temperature = DIM * 0.05  # logits of a few units, as a trained network's
        with torch.no_grad():  # a nearest-class-mean head, as a trained linear layer would roughly be
            head.weight.copy_(torch.from_numpy(class_means) / temperature)
            head.bias.copy_(torch.from_numpy(-0.5 * (class_means ** 2).sum(1)) / temperature)
            logits = head(torch.from_numpy(reps)).numpy()
        rec.record(None, e, representations=reps, logits=logits, head=head)
    return Path(path)


def du(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


BUILD = """
import json, sys, time
from ttvis.visualize.build import build_visualization, extend_visualization
run, params, extend = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "1"
if extend:
    t = time.perf_counter(); store = extend_visualization(run, "timevis")
    print(json.dumps({"extend_seconds": time.perf_counter() - t, "params": store.read_params()}))
else:
    store = build_visualization(run, "timevis", force=True, **params)
    print(json.dumps({"params": store.read_params(), "summary": store.read_metrics().get("summary", {})}))
"""


PRODUCT = """
import json, resource, sys, time
from ttvis.run.reader import Run
from ttvis.run.dynamics import trajectory_vectors
from ttvis.suspicious.rank import rank_suspicious
run, out = Run(sys.argv[1]), {}
t = time.perf_counter(); rank_suspicious(run, top=100); out["suspicious_s"] = time.perf_counter() - t
t = time.perf_counter(); trajectory_vectors(run); out["trajectories_s"] = time.perf_counter() - t
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def product(run):
    """Time `ttvis suspicious` (the ranking) and the trajectory vectors of the search on a run."""
    env = {**os.environ, "PYTHONPATH": str(TOOL)}
    out = subprocess.run([sys.executable, "-c", PRODUCT, str(run)], env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"suspicious/trajectories on {run} failed:\n{out.stderr[-3000:]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"   suspicious ranking {r['suspicious_s']:.1f} s, trajectory vectors {r['trajectories_s']:.1f} s, "
          f"peak RSS {r['peak_rss_mb']:.0f} MB (one process, both)")


def build(run, params, extend=False):
    env = {**os.environ, "PYTHONPATH": str(TOOL)}
    out = subprocess.run([sys.executable, "-c", BUILD, str(run), json.dumps(params), "1" if extend else "0"],
                         env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"build of {run} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def grow_by_one(run):
    """Append one more epoch (the last one, slightly perturbed) to a run, as a live run does; returns
    a function that takes it away again (the cached run stays as generated)."""
    from ttvis.run.reader import Run
    from ttvis.run.recorder import Recorder

    r = Run(run)
    last = r.epochs[-1]
    reps = np.asarray(r.representations(last), np.float32)
    reps += np.random.default_rng(last).standard_normal(reps.shape, dtype=np.float32) * 0.05
    rec = Recorder(run, labels=r.labels, split=r.split, classes=r.classes, dtype="float16")
    rec.record(None, last + 1, representations=reps, logits=np.asarray(r.logits(last)), head=r.head(last))

    def undo():
        meta = json.loads((Path(run) / "run.json").read_text())
        meta["epochs"] = [e for e in meta["epochs"] if e != last + 1]
        (Path(run) / "run.json").write_text(json.dumps(meta))
        shutil.rmtree(r.epoch_dir(last + 1))
    return undo


def report(name, n, epochs, result, disk, made):
    p = result["params"]
    print(f"\n== {name}: {n} samples x {epochs} epochs x {DIM} dims; run on disk {disk / 1e9:.2f} GB "
          f"({disk / epochs / 1e6:.1f} MB per epoch); generated in {made:.0f} s")
    print(f"   sampled: {p.get('sampled')}")
    print(f"   {'stage':<18}{'wall s':>9}{'peak RSS MB':>13}")
    for stage, v in p["stages"].items():
        print(f"   {stage:<18}{v['seconds']:>9.1f}{v['peak_rss_mb']:>13.0f}")
    print(f"   {'build (no metrics)':<18}{p['build_seconds']:>9.1f}")
    s = result.get("summary") or {}
    keys = ("nn15_train", "nn15_test", "ppr_train", "ppr_test", "temporal_train", "trust_train", "sample_train")
    print("   quality: " + ", ".join(f"{k} {s.get(k)}" for k in keys))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path("/tmp/ttvis-bench-scale"))
    ap.add_argument("--sizes", default="10k20,60k20", help="comma list of " + ", ".join(SIZES))
    ap.add_argument("--big", action="store_true", help="add (60k, 200): about 12 GB of float16 run")
    ap.add_argument("--baseline", action="store_true", help="also the full build (every sample and epoch)")
    ap.add_argument("--extend", action="store_true", help="also extend each build by one new epoch")
    ap.add_argument("--product", action="store_true", help="also time the suspicious ranking and trajectories")
    ap.add_argument("--no-build", action="store_true", help="skip the TimeVis build (e.g. with --product)")
    ap.add_argument("--clean", action="store_true", help="delete the (60k, 200) run afterwards")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a TimeVis parameter")
    a = ap.parse_args(argv)
    sizes = [s for s in a.sizes.split(",") if s] + (["60k200"] if a.big and "60k200" not in a.sizes else [])
    params = {k: json.loads(v) for k, v in (p.split("=", 1) for p in a.param)}
    print(f"cpu cores: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f} (other work on the machine slows this)")
    for name in sizes:
        n, epochs = SIZES[name]
        run = a.root / f"scale_{name}"
        t = time.perf_counter()
        make_run(run, n, epochs)
        made = time.perf_counter() - t
        if a.product:
            product(run)
        if a.no_build:
            continue
        shutil.rmtree(run / "visualize", ignore_errors=True)
        disk = du(run)
        report(name, n, epochs, build(run, params), disk, made)
        if a.extend:
            undo = grow_by_one(run)
            ext = build(run, params, extend=True)
            undo()
            last = ext["params"]["extensions"][-1]
            print(f"   extend by one epoch: {ext['extend_seconds']:.1f} s (drift of earlier epochs "
                  f"{last.get('drift')} of the extent's diagonal, territories repainted: {last['repainted']})")
        if a.baseline:
            report(name + " full build", n, epochs, build(run, {**params, "keyframes": 0, "landmarks": 0}), disk, made)
        if a.clean and name == "60k200":
            shutil.rmtree(run)
            print(f"   removed {run}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
