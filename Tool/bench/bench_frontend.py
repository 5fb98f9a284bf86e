"""Front-end benchmark in headless Chromium (software GL here): frame time mid-transition at 10k and 60k
points against shared/bench/webgl_reference.html measured in the same run, and the time from page open to
the first painted frame for the digits demo on loopback.

    python Tool/bench/bench_frontend.py                    # 10k and 60k, 5 page loads
    python Tool/bench/bench_frontend.py --sizes 10000 --loads 3

    python Tool/bench/bench_frontend.py --long-epochs 200 --long-n 10000   # also a run of 200 epochs

Goals: 60k points mid-transition <= 16.7 ms median frame, and the frame-time ratio against the reference
page <= 1.2x; first frame <= 1 s, also on a run of 200 epochs (which the page loads as needed: it
fetches the shown epoch and a few around it, never all of them), where stepping stays quick.
Results: printed, and written to Tool/bench/results/frontend.json.
"""

import argparse
import json
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
TOOL = BENCH.parent
sys.path.insert(0, str(TOOL))
sys.path.insert(0, str(BENCH))

REFERENCE = TOOL.parent.parent / "shared" / "bench" / "webgl_reference.html"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# The stage of the page is the viewport minus the side panels (220 + 300 px) and header/footer (~80 px);
# this viewport gives a canvas about the reference page's 1200 x 800.
VIEWPORT = {"width": 1720, "height": 880}
FRAMES = 120
FRAME_GOAL_MS = 16.7
FIRST_FRAME_GOAL_MS = 1000.0


def write_pca_view(run_path, method="pca", size=256):
    """A PCA projection of the digits run with a nearest-class-mean territory, used when the
    visualization engine is not importable (the benchmark measures the page, not the engine)."""
    from ttvis.palette import class_colors
    from ttvis.run.reader import Run
    from ttvis.visualize.outputs import VisOutputs

    run = Run(run_path)
    last = np.asarray(run.representations(run.epochs[-1]), dtype=np.float64)
    mean = last.mean(axis=0)
    basis = np.linalg.svd(last - mean, full_matrices=False)[2][:2].T
    store = VisOutputs(run_path, method)
    pos = {e: ((np.asarray(run.representations(e)) - mean) @ basis).astype(np.float32) for e in run.epochs}
    allpos = np.concatenate(list(pos.values()))
    lo, hi = allpos.min(0) - 0.05 * np.ptp(allpos, 0), allpos.max(0) + 0.05 * np.ptp(allpos, 0)
    store.write_params({"method": method, "source": "bench_frontend PCA", "has_territory": True})
    store.write_extent(lo[0], hi[0], lo[1], hi[1])
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], size), np.linspace(hi[1], lo[1], size))
    grid = np.stack([gx.ravel(), gy.ravel()], 1)
    colors = class_colors(run.n_classes)
    for e in run.epochs:
        store.write_positions(e, pos[e])
        preds = run.predictions(e)
        means = np.stack([pos[e][preds == c].mean(0) if (preds == c).any() else np.full(2, 1e9)
                          for c in range(run.n_classes)])
        cls = ((grid[:, None, :] - means[None]) ** 2).sum(-1).argmin(1).reshape(size, size).astype(np.uint8)
        store.write_territory(e, colors[cls], cls, np.full((size, size), 0.5))


def prepare_data(root, sizes, progress):
    from ttvis.demo.train import make_demo_run

    digits = make_demo_run(root / "digits", epochs=10, seed=0, progress=progress)
    try:
        from ttvis.visualize.build import build_visualization

        build_visualization(digits, "pca", seed=0)
        digits_source = "engine pca"
    except ImportError:
        write_pca_view(digits)
        digits_source = "bench PCA (engine not importable)"
    synthetic = {}
    try:
        from synthetic_run import make_synthetic_run

        for n in sizes:
            make_synthetic_run(root / f"syn{n}", n=n, dim=16, epochs=2, method="pca", progress=progress)
            synthetic[n] = f"syn{n}"
    except ImportError:
        pass  # the page then generates the points itself (?synthetic=N)
    return digits_source, synthetic


def start_server(root):
    from waitress import create_server

    from ttvis.server import create_app

    srv = create_server(create_app({"DATA_ROOT": str(root)}), host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=srv.run, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.effective_port}"


def reference_frame(browser, n):
    if not REFERENCE.is_file():
        return None
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(f"{REFERENCE.as_uri()}?n={n}")
        page.wait_for_function("window.done === true", timeout=120000)
        return page.evaluate("window.info")
    finally:
        page.close()


def app_frame(browser, base, n, run_name):
    page = browser.new_page(viewport=VIEWPORT)
    try:
        query = f"run={run_name}&epoch=1&bench=1" if run_name else f"synthetic={n}&bench=1"
        page.goto(f"{base}/?{query}")
        page.wait_for_function("window.ttvis && window.ttvis.ready && window.ttvis.runBench", timeout=120000)
        return page.evaluate(f"window.ttvis.runBench({FRAMES})")
    finally:
        page.close()


def first_frame(browser, base, loads):
    """Fresh browser context each time (cold HTTP cache); ms from navigation start to first frame."""
    out = []
    for _ in range(loads):
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        t0 = time.perf_counter()
        page.goto(f"{base}/?run=digits")
        page.wait_for_function("window.ttvis && window.ttvis.firstFrameMs !== null", timeout=60000)
        wall = (time.perf_counter() - t0) * 1000
        out.append({"first_frame_ms": page.evaluate("window.ttvis.firstFrameMs"), "wall_ms": wall})
        ctx.close()
    return out


def long_run(browser, base, name, loads, steps=20):
    """A run of many epochs: cold first frames at the middle epoch (with how many epochs' positions the
    page asked for), then the time from a key press to the next epoch being shown, over `steps` steps."""
    out = {"first_frame_ms": [], "position_requests": []}
    for _ in range(loads):
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        asked = []
        page.on("request", lambda r, asked=asked: asked.append(r.url) if "/positions" in r.url else None)
        page.goto(f"{base}/?run={name}&epoch=100")
        page.wait_for_function("window.ttvis && window.ttvis.firstFrameMs !== null", timeout=120000)
        out["first_frame_ms"].append(page.evaluate("window.ttvis.firstFrameMs"))
        page.wait_for_function("window.ttvis.ready", timeout=120000)
        out["position_requests"].append(len(asked))
        ctx.close()
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(f"{base}/?run={name}&epoch=100&speed=16")
        page.wait_for_function("window.ttvis && window.ttvis.ready", timeout=120000)
        page.mouse.move(2, 300)
        times = []
        for k in range(steps):
            t0 = time.perf_counter()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"window.ttvis.state.epoch === {101 + k} && window.ttvis.ready", timeout=60000)
            times.append((time.perf_counter() - t0) * 1000)
        out["step_ms_median"] = statistics.median(times)
    finally:
        page.close()
    out["first_frame_median_ms"] = statistics.median(out["first_frame_ms"])
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 60000])
    ap.add_argument("--loads", type=int, default=5, help="page loads for the first-frame time")
    ap.add_argument("--out", type=Path, default=BENCH / "results" / "frontend.json")
    ap.add_argument("--long-epochs", type=int, default=0, help="also measure a synthetic run of this many epochs")
    ap.add_argument("--long-n", type=int, default=10000, help="samples of that run")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        print(f"error: {CHROMIUM} is missing (install Debian's chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="ttvis-bench-frontend-") as tmp:
        root = Path(tmp)
        print("preparing runs ...", flush=True)
        digits_source, synthetic = prepare_data(root, args.sizes, not args.quiet)
        if args.long_epochs:
            from synthetic_run import make_synthetic_run

            make_synthetic_run(root / "long", n=args.long_n, dim=8, epochs=args.long_epochs, method="pca",
                               progress=not args.quiet)
        srv, base = start_server(root)
        results = {"machine": platform.platform(), "viewport": VIEWPORT, "frames": FRAMES,
                   "digits_visualization": digits_source, "frame": [], "first_frame": None}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for n in args.sizes:
                    ref = reference_frame(browser, n)
                    app = app_frame(browser, base, n, synthetic.get(n))
                    ratio = app["median_ms"] / ref["median_ms"] if ref and ref.get("median_ms") else None
                    row = {"n": n, "data": "synthetic run on disk" if n in synthetic else "generated in page",
                           "app_median_ms": app["median_ms"], "app_p90_ms": app["p90_ms"],
                           "reference_median_ms": ref and ref.get("median_ms"), "ratio_app_over_reference": ratio,
                           "renderer": app["renderer"], "canvas": app["canvas"], "goal_ms": FRAME_GOAL_MS,
                           "breakdown": app.get("breakdown")}
                    results["frame"].append(row)
                    print(f"{n:>6} points mid-transition: app {app['median_ms']:.1f} ms median "
                          f"(p90 {app['p90_ms']:.1f}), reference {row['reference_median_ms'] or float('nan'):.1f} ms, "
                          f"ratio {ratio or float('nan'):.2f}x  [goal <= {FRAME_GOAL_MS} ms; {app['renderer']}]", flush=True)
                loads = first_frame(browser, base, args.loads)
                med = statistics.median(x["first_frame_ms"] for x in loads)
                results["first_frame"] = {"median_ms": med, "loads": loads, "goal_ms": FIRST_FRAME_GOAL_MS}
                print(f"first painted frame, digits demo on loopback: {med:.0f} ms median of {len(loads)} cold loads "
                      f"[goal <= {FIRST_FRAME_GOAL_MS:.0f} ms]", flush=True)
                if args.long_epochs:
                    lr = long_run(browser, base, "long", args.loads)
                    results["long_run"] = {"n": args.long_n, "epochs": args.long_epochs, **lr}
                    print(f"{args.long_epochs} epochs x {args.long_n} samples: first frame {lr['first_frame_median_ms']:.0f} ms "
                          f"median of {args.loads} cold loads, {max(lr['position_requests'])} position requests at most; "
                          f"key press to next epoch shown {lr['step_ms_median']:.0f} ms median", flush=True)
                browser.close()
        finally:
            srv.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
