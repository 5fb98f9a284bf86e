"""Benchmark: one epoch's positions of a 60k-sample run over HTTP on loopback.

Goal (issue 4): warm p50 <= 10 ms per request; 16 concurrent clients for 20 s with 0 errors (throughput
and p99 reported). Baseline measured in the same run: the same bytes served by a trivial static handler
(Python's http.server, preloaded, keep-alive) and the raw file read time.

    python Tool/bench/bench_server.py                  # 60k x 512 x 3 epochs, 20 s concurrency
    python Tool/bench/bench_server.py --n 5000 --dim 64 --duration 3   # a quick check

The synthetic run is cached under --work (default: <tmp>/ttvis-bench) and reused between runs.
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parents[1]
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO / "Tool"))

BASELINE_SERVER = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
body = open(sys.argv[1], "rb").read()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs (40 ms)
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
s.daemon_threads = True
print(f"http://127.0.0.1:{s.server_address[1]}/", flush=True)
s.serve_forever()
"""


def start(cmd):
    """Start a server process that prints its URL on its first line; return (process, url)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"server did not start: {line}{proc.stderr.read()}")
    url = line[line.index("http://"):].split()[0]
    u = urlparse(url)
    deadline = time.time() + 30
    while True:  # wait until it accepts connections
        try:
            http.client.HTTPConnection(u.hostname, u.port, timeout=2).connect()
            return proc, url
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def get(conn, path, expect):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    return r.status == 200 and len(body) == expect


def sequential(url, path, expect, requests):
    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    for _ in range(20):  # warm: caches filled, connection open
        assert get(conn, path, expect), f"bad response from {url}{path.lstrip('/')}"
    times = []
    for _ in range(requests):
        t = time.perf_counter()
        ok = get(conn, path, expect)
        times.append(time.perf_counter() - t)
        assert ok
    conn.close()
    return stats(times)


def concurrent(url, path, expect, clients, duration):
    u = urlparse(url)
    lat, errors, lock = [], [0], threading.Lock()
    stop = time.perf_counter() + duration

    def client():
        conn, mine, bad = http.client.HTTPConnection(u.hostname, u.port, timeout=30), [], 0
        while time.perf_counter() < stop:
            t = time.perf_counter()
            try:
                ok = get(conn, path, expect)
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            mine.append(time.perf_counter() - t)
            bad += not ok
        with lock:
            lat.extend(mine)
            errors[0] += bad

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    out = stats(lat)
    out.update({"clients": clients, "seconds": round(wall, 2), "errors": errors[0],
                "throughput_rps": round(len(lat) / wall, 1), "throughput_MBps": round(len(lat) * expect / wall / 1e6, 1)})
    return out


def stats(times):
    ms = np.asarray(times) * 1000
    return {"requests": int(len(ms)), "p50_ms": round(float(np.percentile(ms, 50)), 3),
            "p90_ms": round(float(np.percentile(ms, 90)), 3), "p99_ms": round(float(np.percentile(ms, 99)), 3),
            "mean_ms": round(float(ms.mean()), 3)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=60000)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--requests", type=int, default=500, help="sequential requests per server")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--duration", type=float, default=20.0, help="seconds of concurrent load per server")
    p.add_argument("--threads", type=int, default=16, help="ttvis server threads")
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ttvis-bench")
    p.add_argument("--out", type=Path, default=BENCH / "results" / "bench_server.json")
    a = p.parse_args(argv)

    from synthetic_run import make_synthetic_run

    name = f"synthetic-{a.n}x{a.dim}x{a.epochs}"
    print(f"synthetic run {name} under {a.work} (made once, then reused)")
    run = make_synthetic_run(a.work / name, n=a.n, dim=a.dim, epochs=a.epochs, method="pca")
    epoch = 2 if a.epochs >= 2 else 1
    pos_file = run / "visualize" / "pca" / "epochs" / f"epoch_{epoch}" / "positions.npy"
    expect = a.n * 2 * 4
    path = f"/api/runs/{name}/methods/pca/epochs/{epoch}/positions"

    t = time.perf_counter()
    reads = []
    for _ in range(50):
        t = time.perf_counter()
        np.load(pos_file)
        reads.append(time.perf_counter() - t)
    raw = stats(reads)
    body_file = a.work / "positions.bin"
    body_file.write_bytes(np.load(pos_file).astype("<f4").tobytes())

    results = {"benchmark": "server positions", "n": a.n, "dim": a.dim, "epochs": a.epochs, "bytes": expect,
               "cpu_count": os.cpu_count(), "goal": {"p50_ms": 10, "errors": 0}, "raw_file_read": raw}
    servers = {
        "ttvis": [sys.executable, str(REPO / "server.py"), "--root", str(a.work), "--port", "0",
                  "--threads", str(a.threads)],
        "baseline_static": [sys.executable, "-c", BASELINE_SERVER, str(body_file)],
    }
    for label, cmd in servers.items():
        proc, url = start(cmd)
        try:
            route = path if label == "ttvis" else "/positions.bin"
            seq = sequential(url, route, expect, a.requests)
            print(f"{label:16s} sequential: p50 {seq['p50_ms']:.2f} ms  p90 {seq['p90_ms']:.2f}  p99 {seq['p99_ms']:.2f}")
            conc = concurrent(url, route, expect, a.clients, a.duration)
            print(f"{label:16s} {a.clients} clients x {conc['seconds']:.0f}s: {conc['throughput_rps']} req/s "
                  f"({conc['throughput_MBps']} MB/s), p99 {conc['p99_ms']:.1f} ms, errors {conc['errors']}")
            results[label] = {"sequential": seq, "concurrent": conc}
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    t, b = results["ttvis"], results["baseline_static"]
    results["ratio_vs_baseline"] = {
        "p50": round(t["sequential"]["p50_ms"] / b["sequential"]["p50_ms"], 2),
        "throughput": round(t["concurrent"]["throughput_rps"] / b["concurrent"]["throughput_rps"], 2)}
    results["goal_met"] = bool(t["sequential"]["p50_ms"] <= 10 and t["concurrent"]["errors"] == 0)
    print(f"raw file read (np.load): p50 {raw['p50_ms']:.2f} ms")
    print(f"ttvis / static baseline: p50 x{results['ratio_vs_baseline']['p50']}, "
          f"throughput x{results['ratio_vs_baseline']['throughput']}")
    print(f"goal (p50 <= 10 ms, 0 errors): {'met' if results['goal_met'] else 'NOT met'}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {a.out}")
    return 0 if results["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
