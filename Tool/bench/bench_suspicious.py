"""Benchmark: the suspicious-sample ranking against cleanlab on demo runs with injected faults.

Each run is a demo run with --label-noise 0.05 and --backdoor 0.03 (digits; mnist10k too when
../shared/data/mnist10k.npz or --mnist exists). Precision@K (K = number of injected training samples)
is printed side by side for:
- ours: `ttvis suspicious`: neighbour label disagreement (k = 10) in input space and averaged over the
  sample's group in the last epoch's representation space, with the training dynamics over all epochs
  as one more vote; also each family alone (dynamics only: the mean rank of the combined dynamic
  signals; neighbours only: the two disagreements, ties broken by the dynamics);
- cleanlab, final epoch: `find_label_issues` given the final epoch's probabilities of the training
  samples (in-sample: the model was trained on those labels); its flagged samples first (by
  self-confidence), then the rest by label quality score, so it too ranks every sample;
- cleanlab, out-of-sample: the same, given 5-fold cross-validated probabilities of a logistic
  regression on the final epoch's representations (a cheap stand-in for the out-of-sample
  probabilities cleanlab intends).
Also: the share of each injected kind found in the top K, and each signal alone. Goal (issue 6):
ours >= cleanlab.

    python Tool/bench/bench_suspicious.py              # digits + mnist10k, 10 epochs
    python Tool/bench/bench_suspicious.py --no-mnist   # digits only (a quick check)
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
SHARED_MNIST = BENCH.parents[2] / "shared" / "data" / "mnist10k.npz"


def cleanlab_order(labels, probs):
    """All samples, cleanlab's flagged issues first (ranked by self-confidence), then by label quality."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    flagged = find_label_issues(labels, probs, return_indices_ranked_by="self_confidence")
    quality = get_label_quality_scores(labels, probs)
    rest = np.setdiff1d(np.arange(len(labels)), flagged)
    return np.concatenate([flagged, rest[np.argsort(quality[rest], kind="stable")]]), len(flagged)


def out_of_sample_probs(reps, labels, seed=0):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
    return cross_val_predict(model, reps, labels, cv=5, method="predict_proba")


def evaluate(run_path):
    from ttvis.run.reader import Run
    from ttvis.suspicious import SIGNALS, compute_signals, dynamics_score, rank_suspicious

    run = Run(run_path)
    train = run.train_idx
    gt = run.ground_truth()
    kinds = {k: np.isin(train, v["indices"]) for k, v in gt.items()}
    bad = np.any(list(kinds.values()), axis=0)
    k = int(bad.sum())
    position = {int(i): j for j, i in enumerate(train)}

    def score(order, seconds, **extra):
        top = np.asarray(order[:k])
        return {"precision_at_k": round(float(bad[top].mean()), 4),
                **{f"found_{kind}": round(float(m[top].sum() / m.sum()), 4) for kind, m in kinds.items()},
                "seconds": round(seconds, 2), **extra}

    t = time.perf_counter()
    ranking = rank_suspicious(run)
    ours = score([position[s["index"]] for s in ranking["samples"]], time.perf_counter() - t)

    last = run.epochs[-1]
    labels = run.labels[train]
    t = time.perf_counter()
    order, flagged = cleanlab_order(labels, run.probabilities(last)[train])
    cl_final = score(order, time.perf_counter() - t, flagged=flagged,
                     flagged_precision=round(float(bad[order[:flagged]].mean()), 4) if flagged else None)
    t = time.perf_counter()
    probs = out_of_sample_probs(np.asarray(run.representations(last))[train], labels)
    order, flagged = cleanlab_order(labels, probs)
    cl_oos = score(order, time.perf_counter() - t, flagged=flagged,
                   flagged_precision=round(float(bad[order[:flagged]].mean()), 4) if flagged else None)

    t = time.perf_counter()
    signals = compute_signals(run)
    seconds = time.perf_counter() - t
    dynamics = dynamics_score(signals)
    families = {"ours_dynamics_only": score(np.argsort(-dynamics, kind="stable"), seconds),
                "ours_neighbours_only": score(np.lexsort((-dynamics, -(signals["neighbour_disagreement"]
                                                                       + signals["group_disagreement"]))), seconds)}
    alone = {name: score(np.argsort(-signals[name], kind="stable"), 0.0)["precision_at_k"] for name in SIGNALS}
    return {"run": run.name, "epochs": len(run.epochs), "n_train": int(len(train)), "k": k,
            "injected": {kind: int(m.sum()) for kind, m in kinds.items()}, "base_rate": round(k / len(train), 4),
            "ours": ours, **families, "cleanlab_final_epoch": cl_final, "cleanlab_out_of_sample": cl_oos,
            "signals_alone_precision_at_k": alone}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mnist", type=Path, default=SHARED_MNIST, help="mnist10k.npz (skipped when absent)")
    p.add_argument("--no-mnist", action="store_true")
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ttvis-bench-suspicious")
    p.add_argument("--out", type=Path, default=BENCH / "results" / "bench_suspicious.json")
    a = p.parse_args(argv)

    from ttvis.demo.train import make_demo_run

    datasets = [("digits", None)]
    if not a.no_mnist:
        if a.mnist.is_file():
            datasets.append(("mnist10k", a.mnist))
        else:
            print(f"{a.mnist} not found: mnist10k skipped")
    results = []
    for name, data in datasets:
        path = a.work / f"{name}-noise0.05-backdoor0.03-e{a.epochs}-s{a.seed}"
        print(f"demo run {path} (made once, then reused)")
        make_demo_run(path, data=data, epochs=a.epochs, seed=a.seed, label_noise=0.05, backdoor=0.03)
        results.append(evaluate(path))

    cols = [("ours", "ours"), ("  dynamics only", "ours_dynamics_only"),
            ("  neighbours only", "ours_neighbours_only"), ("cleanlab, final epoch", "cleanlab_final_epoch"),
            ("cleanlab, out-of-sample", "cleanlab_out_of_sample")]
    for r in results:
        print(f"\n{r['run']}: {r['n_train']} training samples, K = {r['k']} injected {r['injected']}, "
              f"chance = {r['base_rate']:.3f}")
        kinds = list(r["injected"])
        print(f"  {'ranking':<26} {'precision@K':>11} " + " ".join(f"{'found ' + k:>17}" for k in kinds)
              + f" {'flagged':>8} {'seconds':>8}")
        for label, key in cols:
            s = r[key]
            print(f"  {label:<26} {s['precision_at_k']:>11.3f} " + " ".join(f"{s['found_' + k]:>17.3f}" for k in kinds)
                  + f" {str(s.get('flagged', '-')):>8} {s['seconds']:>8.2f}")
        print("  each signal alone: " + ", ".join(f"{n} {v:.3f}" for n, v in r["signals_alone_precision_at_k"].items()))
        best = max(r["cleanlab_final_epoch"]["precision_at_k"], r["cleanlab_out_of_sample"]["precision_at_k"])
        verdict = "met" if r["ours"]["precision_at_k"] >= best else "NOT met"
        print(f"  goal ours >= cleanlab (best of both): {verdict} ({r['ours']['precision_at_k']:.3f} vs {best:.3f})")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"label_noise": 0.05, "backdoor": 0.03, "epochs": a.epochs, "seed": a.seed,
                                 "results": results}, indent=2) + "\n")
    print(f"\nresults written to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
