"""Quality metrics of a built visualization, per epoch and split, written into its VisStore, and the
side-by-side comparison of every method built for a run."""

import numpy as np
import torch

from ttvis import atomic
from ttvis.visualize import metrics as M

SUMMARY_KEYS = ("nn15_train", "nn15_test", "ppr_train", "ppr_test", "boundary15_train", "boundary15_test",
                "trust_train", "trust_test", "temporal_train", "temporal_test", "top5_train", "top5_test")


def _round(x):
    return None if x is None else round(float(x), 4)


def evaluate_store(run, store, *, projector=None, boundary=None):
    """Compute every metric for every built epoch of `store` and write epoch and run-level metrics."""
    if projector is None:
        from ttvis.visualize.build import load_projector

        projector = load_projector(run.path, store.method)
    epochs = store.epochs()
    splits = {"train": run.train_idx, "test": run.test_idx}
    highs = {e: np.asarray(run.representations(e), dtype=np.float32) for e in epochs}
    lows = {e: np.asarray(store.read_positions(e), dtype=np.float32) for e in epochs}
    temporal = {}
    for split, idx in splits.items():
        temporal[split] = M.temporal_ranking([highs[e][idx] for e in epochs], [lows[e][idx] for e in epochs])
    per_epoch = {}
    for t, e in enumerate(epochs):
        R, Y = highs[e], lows[e]
        decoded_pred = None
        if projector.has_inverse and run.has_head:
            with torch.no_grad():
                head = run.head(e)
                dec = projector.decode_tensor(torch.tensor(Y), e)
                decoded_pred = head.to(dec.device)(dec).argmax(1).cpu().numpy()
        original_pred = run.predictions(e)
        B = None if boundary is None else boundary.get(e)
        YB = projector.transform(B, epoch=e) if B is not None and len(B) and projector.has_transform else None
        doc = {}
        for split, idx in splits.items():
            if len(idx) < 3:
                doc[split] = None
                continue
            doc[split] = {
                "n": int(len(idx)),
                "nn": M.nn_preservation(R[idx], Y[idx]),
                "boundary": M.boundary_preservation(R[idx], Y[idx], B, YB) if YB is not None else None,
                "ppr": M.ppr(original_pred[idx], decoded_pred[idx]) if decoded_pred is not None else None,
                "trustworthiness": M.trustworthiness(R[idx], Y[idx]),
                "temporal_ranking": temporal[split][0][t],
                "temporal_top5": temporal[split][1][t],
            }
        store.write_epoch_metrics(e, doc)
        per_epoch[str(e)] = doc
    summary = summarise(per_epoch, epochs)
    store.write_metrics({"epochs": per_epoch, "summary": summary})
    return {"epochs": per_epoch, "summary": summary}


def summarise(per_epoch, epochs):
    """Last-epoch quality plus temporal metrics averaged over epochs."""
    if not epochs:
        return {}
    last = per_epoch[str(epochs[-1])]
    out = {"last_epoch": epochs[-1]}
    for split in ("train", "test"):
        d = last.get(split)
        if not d:
            continue
        out[f"nn15_{split}"] = _round(d["nn"]["15"]["count"])
        out[f"nn15_fraction_{split}"] = _round(d["nn"]["15"]["fraction"])
        out[f"ppr_{split}"] = _round(d["ppr"])
        out[f"boundary15_{split}"] = _round(d["boundary"]["15"]["count"]) if d["boundary"] else None
        out[f"trust_{split}"] = _round(d["trustworthiness"])
        tr = [per_epoch[str(e)][split]["temporal_ranking"] for e in epochs if per_epoch[str(e)].get(split)]
        t5 = [per_epoch[str(e)][split]["temporal_top5"] for e in epochs if per_epoch[str(e)].get(split)]
        tr, t5 = [v for v in tr if v is not None], [v for v in t5 if v is not None]
        out[f"temporal_{split}"] = _round(np.mean(tr)) if tr else None
        out[f"top5_{split}"] = _round(np.mean(t5)) if t5 else None
    return out


def compare(run_path):
    """{method: summary} for every built method of the run, computing missing metrics on the way."""
    from ttvis.run.reader import Run
    from ttvis.visualize.store import VisStore

    run = Run(run_path)
    out = {}
    for method in VisStore.methods(run.path):
        store = VisStore(run.path, method)
        doc = store.read_metrics()
        if not doc.get("summary") or set(doc.get("epochs", {})) != {str(e) for e in store.epochs()}:
            boundary = stored_boundary(store)
            doc = evaluate_store(run, store, boundary=boundary)
        params = store.read_params()
        out[method] = {**doc["summary"], "build_seconds": params.get("build_seconds"),
                       "epochs": len(store.epochs())}
    atomic.write_json(run.path / "visualize" / "evaluation.json", {"run": run.name, "methods": out})
    return out


def stored_boundary(store):
    """Boundary samples a parametric build kept, {epoch: array}, or None."""
    folder = store.model_dir / "boundary"
    if not folder.is_dir():
        return None
    out = {}
    for p in folder.glob("epoch_*.npy"):
        out[int(p.stem.split("_")[1])] = np.load(p)
    return out or None


COLUMNS = [("epochs", "epochs", "{:d}"), ("build s", "build_seconds", "{:.1f}"),
           ("NN@15 train", "nn15_train", "{:.2f}"), ("NN@15 test", "nn15_test", "{:.2f}"),
           ("boundary@15", "boundary15_train", "{:.2f}"),
           ("PPR train", "ppr_train", "{:.3f}"), ("PPR test", "ppr_test", "{:.3f}"),
           ("trust train", "trust_train", "{:.3f}"), ("temporal", "temporal_train", "{:.3f}"),
           ("top-5", "top5_train", "{:.3f}")]


def format_table(results):
    """Methods as rows, metrics as columns; '-' where a method has no such metric."""
    header = ["method"] + [c[0] for c in COLUMNS]
    rows = [header]
    for method, s in results.items():
        row = [method]
        for _, key, fmt in COLUMNS:
            v = s.get(key)
            row.append("-" if v is None else fmt.format(v))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
