"""Helpers of the browser tests: the hand-made visualization the fixtures serve, and a real server."""

import threading
from pathlib import Path

import numpy as np

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
METHOD = "fixture"  # a hand-made visualization, independent of the engine
MIRROR = "mirror"  # the same layout flipped left-right, as a second method
TERRITORY_SIZE = 64
RUN_NAME = "digits"


TERRITORY_STRENGTH = 0.5  # like the engine, territory colours are class colours lightened toward white


def territory_rgb(class_rgb):
    """The territory colour painted for a class colour."""
    return np.round(255 - TERRITORY_STRENGTH * (255 - np.asarray(class_rgb, dtype=float))).astype(np.uint8)


def territory_classes(epoch):
    """Quadrant q (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right) shows class (q + epoch) % 4."""
    return [(q + epoch) % 4 for q in range(4)]


def write_visualization(run_path, method=METHOD, mirror=False):
    """PCA of the last epoch's representations, applied to every epoch; quadrant territories.
    mirror=True flips x (a second method for side-by-side comparison)."""
    from ttvis.palette import class_colors
    from ttvis.run.reader import Run
    from ttvis.visualize.outputs import VisOutputs

    run = Run(run_path)
    last = np.asarray(run.representations(run.epochs[-1]), dtype=np.float64)
    mean = last.mean(axis=0)
    _, _, vt = np.linalg.svd(last - mean, full_matrices=False)
    basis = vt[:2].T
    positions = {e: ((np.asarray(run.representations(e), dtype=np.float64) - mean) @ basis).astype(np.float32)
                 for e in run.epochs}
    if mirror:
        positions = {e: p * np.float32([-1, 1]) for e, p in positions.items()}
    allpos = np.concatenate(list(positions.values()))
    lo, hi = allpos.min(axis=0), allpos.max(axis=0)
    pad = 0.05 * (hi - lo)
    store = VisOutputs(run_path, method)
    store.write_params({"method": method, "note": "test fixture", "has_territory": True})
    store.write_extent(lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
    colors = class_colors(len(run.classes))
    S, half = TERRITORY_SIZE, TERRITORY_SIZE // 2
    for e in run.epochs:
        store.write_positions(e, positions[e])
        cls = np.zeros((S, S), dtype=np.uint8)
        for q, c in enumerate(territory_classes(e)):
            r0, c0 = (q // 2) * half, (q % 2) * half
            cls[r0:r0 + half, c0:c0 + half] = c
        store.write_territory(e, territory_rgb(colors)[cls], cls, np.full((S, S), 0.5))
        fake = {"nn": {"15": {"count": 7.5 + 0.1 * e, "fraction": (7.5 + 0.1 * e) / 15}}, "boundary": None,
                "ppr": None, "trustworthiness": 0.9, "temporal_ranking": 0.7}  # the engine's layout, made-up values
        store.write_epoch_metrics(e, {"train": fake, "test": fake})
    store.write_metrics({"summary": {"nn_15": 0.55}})
    return positions


SERVER_THREADS = 8  # as `ttvis serve` (ttvis.commands.serve.make_server)


def serve(root, **config):
    """Start the real ttvis server (waitress) over `root` on a free loopback port: (url, stop).
    `config` adds app settings (e.g. MILVUS_URI).

    Threads and long-poll waiters are set as `ttvis serve` sets them: at most half the threads may wait in
    a /live long poll. Every page opens such a poll (25 s) and a page that navigates away leaves it waiting
    on the server, so with as many waiters as threads a few tests in a row used to take every thread and
    the next page load stalled until the oldest poll timed out (about 20 s a test)."""
    from waitress import create_server

    from ttvis.server import create_app

    app = create_app({"DATA_ROOT": str(root), "TESTING": True, "LIVE_MAX_WAITERS": SERVER_THREADS // 2, **config})
    srv = create_server(app, host="127.0.0.1", port=0, threads=SERVER_THREADS)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()

    def stop():
        # Close every channel (the listening socket, the trigger and the browser's keep-alive connections)
        # from inside the server's own loop, which then ends as nothing is left to watch. srv.close() alone
        # left the keep-alive connections open: the loop went on and join() waited out its timeout.
        def close_all():
            for channel in list(srv._map.values()):
                channel.close()

        srv.trigger.pull_trigger(close_all)
        thread.join(timeout=10)
        # Let the worker threads end; one still in a long poll ends when its wait does (no need to wait here).
        srv.task_dispatcher.set_thread_count(0)

    return f"http://127.0.0.1:{srv.effective_port}", stop


LONG_EPOCHS = 200  # epochs of long_server's run
