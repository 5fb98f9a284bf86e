"""Live benchmark: from `rec.record(...)` returning to the new epoch's positions and territory being shown in an
open page (headless Chromium, follow mode), on a 10k-sample run on CPU; and the server's CPU while it
idly watches 10 runs that pages are open on.

    python Tool/bench/bench_live.py                     # both; latency with PCA and with incremental TimeVis
    python Tool/bench/bench_live.py --skip-timevis      # PCA latency and idle CPU only
    python Tool/bench/bench_live.py --n 2000 --idle-seconds 5    # a quick check

Goals: latency <= 2 s with PCA (the follow fallback) and <= 10 s following with incremental TimeVis;
idle server CPU watching 10 runs < 2% of one core. The server runs as `ttvis serve --follow` in its own
process; the new epochs are synthetic (synthetic_run.py) but recorded with the real Recorder.
Results: printed, and written to Tool/bench/results/live.json.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
TOOL = BENCH.parent
sys.path.insert(0, str(TOOL))
sys.path.insert(0, str(BENCH))

from bench_frontend import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PCA_GOAL_S, TIMEVIS_GOAL_S, IDLE_GOAL = 2.0, 10.0, 0.02


def start_server(root, *extra):
    """`ttvis serve` in its own process on a free port; (process, base URL)."""
    env = {**os.environ, "PYTHONPATH": str(TOOL) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "ttvis", "serve", "--root", str(root), "--port", "0", *extra],
                            stdout=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    match = re.search(r"http://\S+/", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return proc, match.group(0)


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def next_epoch(run_path):
    """Record one more epoch (the last one's representations, nudged; logits from its head) with the real
    Recorder; returns (epoch, perf_counter when record() returned)."""
    import numpy as np
    import torch

    from ttvis.run.reader import Run
    from ttvis.run.recorder import Recorder

    run = Run(run_path)
    last = run.epochs[-1]
    rng = np.random.default_rng(last)
    reps = np.asarray(run.representations(last)) + rng.normal(0, 0.05, (run.n, run.dim)).astype(np.float32)
    head = run.head(last)
    with torch.no_grad():
        logits = head(torch.from_numpy(reps)).numpy()
    rec = Recorder(run_path, labels=run.labels, split=run.split, classes=run.classes)
    rec.record(None, last + 1, representations=reps, logits=logits, head=head)
    return last + 1, time.perf_counter()


def latency(root, name, method, page, url, timeout):
    """Seconds from record() returning to the page showing the new epoch of `method` (positions and
    territory loaded into the frame)."""
    page.goto(f"{url}?run={name}&method={method}&follow=1")
    page.wait_for_function("() => window.ttvis && window.ttvis.ready && window.ttvis.state.follow", timeout=120000)
    epoch, t0 = next_epoch(root / name)
    page.wait_for_function(
        """(e) => { const f = window.ttvis.state.frame;
                    return !!f && f.views[0].src.epoch === e && f.views[0].positions && window.ttvis.state.method; }""",
        arg=epoch, timeout=timeout * 1000, polling=20)
    return time.perf_counter() - t0


def idle_cpu(work, runs, seconds, n):
    """Fraction of one core the server uses while 10 pages long-poll their runs and nothing changes."""
    import requests

    from synthetic_run import make_synthetic_run

    root = work / "idle"
    for k in range(runs):
        make_synthetic_run(root / f"run{k}", n=n, dim=32, epochs=3, method="pca", progress=False)
    proc, url = start_server(root, "--follow")
    stop = threading.Event()

    def page(name):  # what an open page does: long-poll its run's live state
        s, etag = requests.Session(), None
        while not stop.is_set():
            try:
                r = s.get(f"{url}api/runs/{name}/live?wait=25", headers={"If-None-Match": etag} if etag else {},
                          timeout=60)
            except requests.ConnectionError:  # the server stopped at the end
                return
            etag = r.headers.get("ETag", etag)
            stop.wait(float(r.headers.get("Retry-After", 0)))

    threads = [threading.Thread(target=page, args=(f"run{k}",), daemon=True) for k in range(runs)]
    try:
        for t in threads:
            t.start()
        time.sleep(5)  # the pages opened; the watcher has read each run once
        c0, t0 = cpu_seconds(proc.pid), time.perf_counter()
        time.sleep(seconds)
        return (cpu_seconds(proc.pid) - c0) / (time.perf_counter() - t0)
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=30)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=10000, help="samples of the latency run (default 10000)")
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--repeats", type=int, default=3, help="new epochs timed per method")
    p.add_argument("--idle-seconds", type=float, default=30.0)
    p.add_argument("--skip-timevis", action="store_true")
    p.add_argument("--skip-latency", action="store_true", help="only the idle CPU")
    p.add_argument("--work", type=Path, default=None, help="folder for the runs (default: a temporary one)")
    a = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from synthetic_run import make_synthetic_run
    from ttvis.visualize.build import build_visualization

    work = a.work or Path(tempfile.mkdtemp(prefix="ttvis-bench-live-"))
    root = work / "runs"
    results = {"machine": platform.platform(), "cpus": os.cpu_count(), "n": a.n, "dim": a.dim}
    methods = [] if a.skip_latency else ["pca"] + ([] if a.skip_timevis else ["timevis"])
    for method in methods:
        name = f"live_{method}"
        if not (root / name).is_dir():
            make_synthetic_run(root / name, n=a.n, dim=a.dim, epochs=3, method=None)
            if method == "timevis":  # the first model exists; each new epoch extends it
                started = time.perf_counter()
                build_visualization(root / name, "timevis", evaluate=False)
                results["timevis_first_build_s"] = round(time.perf_counter() - started, 1)
    proc, url = start_server(root, "--follow") if methods else (None, None)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            for method in methods:
                goal = PCA_GOAL_S if method == "pca" else TIMEVIS_GOAL_S
                times = [latency(root, f"live_{method}", method, page, url, timeout=60 * goal)
                         for _ in range(a.repeats)]
                results[f"latency_{method}_s"] = [round(t, 3) for t in times]
                print(f"{method:8s} record() -> shown: {', '.join(f'{t:.2f}' for t in times)} s (goal <= {goal} s)",
                      flush=True)
            browser.close()
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    share = idle_cpu(work, 10, a.idle_seconds, min(a.n, 2000))
    results["idle_cpu_10_runs"] = round(share, 4)
    print(f"idle server CPU watching 10 runs: {100 * share:.2f}% of one core (goal < {100 * IDLE_GOAL:.0f}%)")
    out = BENCH / "results" / "live.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
