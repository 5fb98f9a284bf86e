"""Benchmark: similarity search through the REST route, backed by Milvus Lite, on a 60k x 512 run.

Goals (issue 6): p50 <= 50 ms end to end (HTTP request on loopback to JSON answer, after the index is
built) and recall@10 >= 0.99 against exact numpy search. Reported too: the build time (the first search
of an epoch indexes it), p90/p99, filtered queries, the trajectory space, and the baseline measured in
the same run: exact brute-force numpy search of one query in-process.

    python Tool/bench/bench_search.py                               # 60k x 512, 200 queries
    python Tool/bench/bench_search.py --n 5000 --dim 64 --queries 50  # a quick check

The synthetic run is shared with bench_server.py (cached under --work); the Milvus Lite database is
made afresh each time (--keep-index reuses it).
"""

import argparse
import http.client
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))


def serve(root, milvus_uri):
    """The real app under waitress on a free loopback port, in this process (it owns Milvus Lite)."""
    from waitress import create_server

    from ttvis.server import create_app

    app = create_app({"DATA_ROOT": str(root), "MILVUS_URI": str(milvus_uri)})
    server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="ttvis")
    threading.Thread(target=server.run, daemon=True).start()
    return server


def get(conn, path):
    t = time.perf_counter()
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    elapsed = time.perf_counter() - t
    if resp.status != 200:
        raise SystemExit(f"GET {path} -> {resp.status}: {body[:300]!r}")
    return json.loads(body), elapsed


def exact_topk(x, queries, k, mask=None):
    """Exact Euclidean top-k (query itself excluded) by numpy: float32 matrix products."""
    sq = (x.astype(np.float64) ** 2).sum(axis=1)
    out = []
    for q in queries:
        d = sq - 2.0 * (x @ x[q]).astype(np.float64) + sq[q]
        d[q] = np.inf
        if mask is not None:
            d[~mask] = np.inf
        top = np.argpartition(d, k)[:k]
        out.append(top[np.argsort(d[top])])
    return out


def measure(conn, name, queries, truth, k, extra=""):
    lat, recall = [], []
    for q, t in zip(queries, truth):
        body, dt = get(conn, f"/api/runs/{name}/search?sample={q}&k={k}{extra}")
        lat.append(dt)
        recall.append(len(set(body["ids"]) & set(t.tolist())) / k)
    ms = np.array(lat) * 1000
    return {"queries": len(queries), "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p90_ms": round(float(np.percentile(ms, 90)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2),
            f"recall@{k}": round(float(np.mean(recall)), 4)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=60000)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ttvis-bench")
    p.add_argument("--keep-index", action="store_true", help="reuse the Milvus Lite database of a previous run")
    p.add_argument("--out", type=Path, default=BENCH / "results" / "bench_search.json")
    a = p.parse_args(argv)

    from synthetic_run import make_synthetic_run

    from ttvis.run.reader import Run
    from ttvis.search.index import EXACT_MAX_ROWS, GRAPH, SEARCH_EF

    name = f"synthetic-{a.n}x{a.dim}x{a.epochs}"
    print(f"synthetic run {name} under {a.work} (made once, then reused)")
    run_path = make_synthetic_run(a.work / name, n=a.n, dim=a.dim, epochs=a.epochs, method="pca")
    run = Run(run_path)
    epoch = run.epochs[-1]
    db_dir = Path(tempfile.gettempdir()) / "ttvis-bench-milvus"
    if not a.keep_index:
        shutil.rmtree(db_dir, ignore_errors=True)
    server = serve(a.work, db_dir / "search.db")
    conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=600)
    index = "FLAT (exact)" if a.n <= EXACT_MAX_ROWS else f"HNSW {GRAPH['params']}, ef >= {SEARCH_EF}"
    print(f"server on port {server.effective_port}; index: {index}")

    rng = np.random.default_rng(0)
    queries = rng.choice(a.n, size=a.queries, replace=False)
    _, build_s = get(conn, f"/api/runs/{name}/search?sample={queries[0]}&epoch={epoch}&k={a.k}")
    print(f"first search of epoch {epoch} (connects Milvus Lite, indexes {a.n} x {a.dim}): {build_s:.1f} s")
    _, traj_build_s = get(conn, f"/api/runs/{name}/search?sample={queries[0]}&k={a.k}&space=trajectory")
    print(f"first trajectory search (indexes {a.n} trajectories): {traj_build_s:.1f} s")

    x = np.ascontiguousarray(run.representations(epoch), dtype=np.float32)
    t = time.perf_counter()
    truth = exact_topk(x, queries, a.k)
    numpy_ms = (time.perf_counter() - t) / len(queries) * 1000
    results = {"unfiltered": measure(conn, name, queries, truth, a.k, f"&epoch={epoch}")}
    test = run.split == 1
    results["split=test"] = measure(conn, name, queries[:50], exact_topk(x, queries[:50], a.k, test), a.k,
                                    f"&epoch={epoch}&split=test")
    label = run.labels == 3
    results["label=3"] = measure(conn, name, queries[:50], exact_topk(x, queries[:50], a.k, label), a.k,
                                 f"&epoch={epoch}&label=3")
    from ttvis.run.dynamics import trajectory_vectors

    traj = trajectory_vectors(run)
    results["trajectory"] = measure(conn, name, queries[:50], exact_topk(traj, queries[:50], a.k), a.k,
                                    "&space=trajectory")
    conn.close()
    server.close()

    u = results["unfiltered"]
    print(f"\n{'queries':<12} {'n':>4} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'recall@' + str(a.k):>10}")
    for key, r in results.items():
        print(f"{key:<12} {r['queries']:>4} {r['p50_ms']:>8.1f} {r['p90_ms']:>8.1f} {r['p99_ms']:>8.1f} "
              f"{r[f'recall@{a.k}']:>10.4f}")
    print(f"\nbaseline: exact numpy search in-process {numpy_ms:.1f} ms/query; REST + Milvus p50 is "
          f"{u['p50_ms'] / numpy_ms:.2f}x that")
    print(f"goal p50 <= 50 ms: {'met' if u['p50_ms'] <= 50 else 'NOT met'} ({u['p50_ms']:.1f} ms); "
          f"goal recall@{a.k} >= 0.99: {'met' if u[f'recall@{a.k}'] >= 0.99 else 'NOT met'} "
          f"({u[f'recall@{a.k}']:.4f}); build {build_s:.1f} s")
    out = {"run": name, "n": a.n, "dim": a.dim, "k": a.k, "epoch": epoch, "index": index,
           "build_first_search_s": round(build_s, 2), "build_trajectory_first_search_s": round(traj_build_s, 2),
           "numpy_exact_ms_per_query": round(numpy_ms, 2), "results": results,
           "goals": {"p50_ms<=50": u["p50_ms"] <= 50, "recall>=0.99": u[f"recall@{a.k}"] >= 0.99}}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"results written to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
