"""Browser-test fixtures: a digits run with a small hand-made visualization (PCA positions per epoch, a
territory of known colours at known places), a real server on a free port, and headless Chromium."""

import shutil
from pathlib import Path

import pytest
from webutil import LONG_EPOCHS, MIRROR, RUN_NAME, serve, write_visualization

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def web_root(digits_run, tmp_path_factory):
    """A data root holding a private copy of the digits run with the fixture visualization."""
    root = tmp_path_factory.mktemp("webdata")
    run_path = root / RUN_NAME
    shutil.copytree(digits_run, run_path, ignore=shutil.ignore_patterns("checkpoint.pt", "visualize"))
    positions = write_visualization(run_path)
    write_visualization(run_path, MIRROR, mirror=True)
    return {"root": root, "run": run_path, "positions": positions}


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
