"""Browser-test fixtures: a digits run with a small hand-made visualization (PCA positions per epoch, a
territory of known colours at known places), a real server on a free port, and headless Chromium."""

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
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
    from ttvis.visualize.store import VisStore

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
    store = VisStore(run_path, method)
    store.write_params({"method": method, "note": "test fixture"})
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


@pytest.fixture(scope="session")
def web_root(digits_run, tmp_path_factory):
    """A data root holding a private copy of the digits run with the fixture visualization."""
    root = tmp_path_factory.mktemp("webdata")
    run_path = root / RUN_NAME
    shutil.copytree(digits_run, run_path, ignore=shutil.ignore_patterns("checkpoint.pt", "visualize"))
    positions = write_visualization(run_path)
    write_visualization(run_path, MIRROR, mirror=True)
    return {"root": root, "run": run_path, "positions": positions}


def serve(root, **config):
    """Start the real ttvis server (waitress) over `root` on a free loopback port: (url, stop).
    `config` adds app settings (e.g. MILVUS_URI)."""
    from waitress import create_server

    from ttvis.server import create_app

    app = create_app({"DATA_ROOT": str(root), "TESTING": True, **config})
    srv = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()

    def stop():
        srv.close()
        thread.join(timeout=5)

    return f"http://127.0.0.1:{srv.effective_port}", stop


@pytest.fixture(scope="session")
def server(web_root):
    url, stop = serve(web_root["root"])
    yield url
    stop()


@pytest.fixture
def bare_server(digits_run, tmp_path):
    """A server over a copy of the digits run with no visualization yet (for the Build button)."""
    shutil.copytree(digits_run, tmp_path / RUN_NAME, ignore=shutil.ignore_patterns("checkpoint.pt", "visualize"))
    url, stop = serve(tmp_path)
    yield url
    stop()


@pytest.fixture
def unsearchable_server(web_root, tmp_path):
    """The fixture data served with a Milvus database path that cannot be opened (search answers 503)."""
    url, stop = serve(web_root["root"], MILVUS_URI=str(tmp_path / "not-a-database.txt"))
    yield url
    stop()


@pytest.fixture(scope="session")
def timevis_server(digits_run, tmp_path_factory):
    """The digits demo run with a real TimeVis visualization built by the engine (~20 s, paid once)."""
    from ttvis.visualize.build import build_visualization

    root = tmp_path_factory.mktemp("timevis")
    run_path = root / RUN_NAME
    shutil.copytree(digits_run, run_path, ignore=shutil.ignore_patterns("visualize"))
    build_visualization(run_path, "timevis", seed=0)
    url, stop = serve(root)
    yield {"url": url, "run": run_path}
    stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless; a missing browser is a failure, not a skip."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium package"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def shared_page(browser):
    """One browser page for the whole session; each test navigates it afresh."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, accept_downloads=True)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    yield pg
    context.close()


@pytest.fixture
def page(shared_page):
    """The shared page at the default size, with no page errors allowed during the test."""
    shared_page.errors.clear()
    shared_page.set_viewport_size(VIEWPORT)
    yield shared_page
    errors = list(shared_page.errors)
    shared_page.goto("about:blank")
    assert errors == [], f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="session")
def landing_server(digits_run, tmp_path_factory):
    """Two runs: "aaa" with nothing built (first alphabetically) and "zz" with pca and timevis layouts."""
    root = tmp_path_factory.mktemp("landing")
    for name in ("aaa", "zz"):
        shutil.copytree(digits_run, root / name, ignore=shutil.ignore_patterns("checkpoint.pt", "visualize"))
    write_visualization(root / "zz", "pca")
    write_visualization(root / "zz", "timevis", mirror=True)
    url, stop = serve(root)
    yield url
    stop()


LONG_EPOCHS = 200


@pytest.fixture(scope="session")
def long_server(tmp_path_factory):
    """A small synthetic run with 200 epochs and a layout for each (the page must load them as needed)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from synthetic_run import make_synthetic_run

    root = tmp_path_factory.mktemp("long")
    make_synthetic_run(root / "long", n=400, dim=8, epochs=LONG_EPOCHS, method="pca", progress=False)
    url, stop = serve(root)
    yield url
    stop()
