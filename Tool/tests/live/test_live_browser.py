"""Acceptance in headless Chromium: a page is open on a run in follow mode, a Recorder in another process adds
two epochs; the slider grows, the page glides to the newest epoch, and the selection, filter and zoom made
before are kept. No sleeps: every wait is on the page's state."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WAIT_MS = 180000  # on a loaded machine, the follower's PCA of two epochs may take a while

RECORD_TWO = """
import sys
import numpy as np
from ttvis.run.reader import Run
from ttvis.run.recorder import Recorder
path = sys.argv[1]
first = Run(path)
rec = Recorder(path, labels=first.labels, split=first.split, classes=first.classes)
for step in (1, 2):
    run = Run(path)
    last = run.epochs[-1]
    reps = np.asarray(run.representations(last)) * np.float32(1.1)
    rec.record(None, last + 1, representations=reps, logits=np.asarray(run.logits(last)), head=run.head(last))
"""


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium package"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1280, "height": 800})
        pg.errors = []
        pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
        yield pg
        browser.close()
    assert pg.errors == []


def test_page_follows_epochs_recorded_by_another_process(page, served):
    url, path = served
    page.goto(f"{url}?run=run&follow=1&split=test")
    # follow mode asks the server to follow the run: it builds PCA (no TimeVis yet) and the page shows it
    page.wait_for_function("window.ttvis && window.ttvis.ready && window.ttvis.state.method === 'pca' "
                           "&& window.ttvis.state.epoch === 6", timeout=WAIT_MS)
    assert page.evaluate("document.getElementById('follow').checked") is True
    assert page.evaluate("document.getElementById('epoch-slider').max") == "5"
    page.wait_for_function("document.querySelectorAll('#timeline .tl-hit').length === 6")  # the accuracy strip
    page.fill("#find-text", "17")
    page.press("#find-text", "Enter")
    page.wait_for_function("window.ttvis.state.sel === 17 && window.ttvis.ready")
    page.mouse.move(640, 400)
    page.mouse.wheel(0, -300)  # zoom in
    page.wait_for_function("window.ttvis.state.view !== null")
    view = page.evaluate("window.ttvis.state.view")

    writer = subprocess.run([sys.executable, "-c", RECORD_TWO, str(path)], capture_output=True, text=True)
    assert writer.returncode == 0, writer.stderr

    page.wait_for_function("document.getElementById('epoch-slider').max === '7'", timeout=WAIT_MS)
    page.wait_for_function("window.ttvis.state.epoch === 8 && window.ttvis.ready "
                           "&& window.ttvis.state.frame.views[0].src.epoch === 8", timeout=WAIT_MS)
    state = page.evaluate("({sel: window.ttvis.state.sel, split: window.ttvis.state.split, "
                          "view: window.ttvis.state.view, epochs: window.ttvis.state.info.meta.epochs})")
    assert state == {"sel": 17, "split": "test", "view": view, "epochs": [1, 2, 3, 4, 5, 6, 7, 8]}
    assert page.evaluate("document.querySelector('#sample-panel').hidden") is False
    assert page.evaluate("window.ttvis.state.live.live") is True
    page.wait_for_function("document.querySelectorAll('#timeline .tl-hit').length === 8")  # the strip grew
    badge = page.evaluate("({hidden: document.getElementById('live-badge').hidden, "
                          "text: document.getElementById('live-badge').textContent})")
    assert badge["hidden"] is False and badge["text"].startswith("live"), badge
