"""Quality metrics of a built visualization, per epoch and split, written into its VisOutputs, and the
side-by-side comparison of every method built for a run."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from ttvis import atomic
from ttvis.run.dynamics import path_epochs
from ttvis.visualize import metrics as M
from ttvis.visualize import sampling as S

REFERENCE_EPOCHS = 20  # temporal ranking compares each epoch with at most this many (all of a shorter run)

SUMMARY_KEYS = ("nn15_train", "nn15_test", "ppr_train", "ppr_test", "boundary15_train", "boundary15_test",
                "trust_train", "trust_test", "temporal_train", "temporal_test", "top5_train", "top5_test")


def _round(x):
    return None if x is None else round(float(x), 4)


def evaluate_store(run, store, *, projector=None, boundary=None, epochs=None):
    """Compute every metric for the built epochs of `store` (or just `epochs`) and write epoch and
    run-level metrics.

    Each split is measured on a fixed seeded sample of at most METRIC_SAMPLE samples, and temporal
    ranking against at most REFERENCE_EPOCHS evenly spaced epochs, so memory and time per epoch do not
    grow with the run: epochs stream from the memory-mapped files one at a time."""
    if projector is None:
        from ttvis.visualize.outputs import load_projector

        projector = load_projector(run.path, store.method)
    built = store.epochs()
    epochs = built if epochs is None else [e for e in built if e in set(epochs)]
    refs = path_epochs(built, REFERENCE_EPOCHS)
    samples = {"train": S.seeded_subset(run.train_idx, S.METRIC_SAMPLE, 0),
               "test": S.seeded_subset(run.test_idx, S.METRIC_SAMPLE, 1)}
    every = np.concatenate(list(samples.values()))
    ref_high, ref_low = {}, {}
    for e, R, Y in _sample_rows(run, store, refs, every):
        ref_high[e], ref_low[e] = R.astype(np.float16), Y  # half the memory
    for e, R, Y in _sample_rows(run, store, epochs, every):
        decoded_pred = None
        if projector.has_inverse and run.has_head:
            with torch.no_grad():
                dec = projector.decode_tensor(torch.from_numpy(Y), e)
                decoded_pred = run.head(e).to(dec.device)(dec).argmax(1).cpu().numpy()
        original_pred = run.predictions(e)[every]
        B = None if boundary is None else boundary.get(e)
        YB = projector.transform(B, epoch=e) if B is not None and len(B) and projector.has_transform else None
        others = [r for r in refs if r != e]
        doc, at = {}, 0
        for split, idx in samples.items():
            part = slice(at, at + len(idx))
            at += len(idx)
            if len(idx) < 3:
                doc[split] = None
                continue
            ranking, top = M.temporal_ranking_against(R[part], Y[part], [ref_high[r][part] for r in others],
                                                      [ref_low[r][part] for r in others])
            doc[split] = {
                "n": int(len(idx)),
                "n_total": int(len(run.train_idx if split == "train" else run.test_idx)),
                "nn": M.nn_preservation(R[part], Y[part]),
                "boundary": M.boundary_preservation(R[part], Y[part], B, YB) if YB is not None else None,
                "ppr": M.ppr(original_pred[part], decoded_pred[part]) if decoded_pred is not None else None,
                "trustworthiness": M.trustworthiness(R[part], Y[part]),
                "temporal_ranking": ranking,
                "temporal_top5": top,
            }
        store.write_epoch_metrics(e, doc)
    per_epoch = {str(e): store.read_epoch_metrics(e) for e in built}
    summary = summarise(per_epoch, built)
    summary.update({f"sample_{split}": int(len(idx)) for split, idx in samples.items()})  # what was measured
    store.write_metrics({"epochs": per_epoch, "summary": summary})
    return {"epochs": per_epoch, "summary": summary}


def _sample_rows(run, store, epochs, every):
    """(epoch, representations, positions) of the sample rows `every`, epoch by epoch; the next epoch is
    read in the background while this one is measured (on a large run reading is a third of the time)."""
    def read(e):
        return S.rows(run.representations(e), every), S.rows(store.read_positions(e), every)

    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(read, epochs[0]) if epochs else None
        for i, e in enumerate(epochs):
            R, Y = pending.result()
            if i + 1 < len(epochs):
                pending = pool.submit(read, epochs[i + 1])
            yield e, R, Y


def summarise(per_epoch, epochs):
    """Last-epoch quality plus temporal metrics averaged over epochs."""
    if not epochs:
        return {}
    last = per_epoch[str(epochs[-1])]
    out = {"last_epoch": epochs[-1]}
    for split in ("train", "test"):
        d = (last or {}).get(split)
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
    from ttvis.visualize.outputs import VisOutputs, stored_boundary

    run = Run(run_path)
    out = {}
    for method in VisOutputs.methods(run.path):
        store = VisOutputs(run.path, method)
        doc = store.read_metrics()
        if not doc.get("summary") or set(doc.get("epochs", {})) != {str(e) for e in store.epochs()}:
            boundary = stored_boundary(store)
            doc = evaluate_store(run, store, boundary=boundary)
        params = store.read_params()
        out[method] = {**doc["summary"], "build_seconds": params.get("build_seconds"),
                       "epochs": len(store.epochs())}
    atomic.write_json(run.path / "visualize" / "evaluation.json", {"run": run.name, "methods": out})
    return out


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
