"""Marking a suspicious sample in the page: the server keeps the mark, the ranking re-orders with it, a
reload shows it again, and the exported labels carry it. Real server, real headless Chromium."""

import csv
import io
import shutil

import pytest
from webutil import RUN_NAME, serve

pytestmark = pytest.mark.browser

LOADED = ("window.ttvis && window.ttvis.ready && window.ttvis.state.marks !== null"
          " && window.ttvis.state.gallery && window.ttvis.state.gallery.items")


@pytest.fixture
def marks_server(web_root, tmp_path):
    """The fixture run served from a private, writable copy (marks land in the run folder)."""
    shutil.copytree(web_root["run"], tmp_path / RUN_NAME)
    url, stop = serve(tmp_path)
    yield {"url": url, "run": tmp_path / RUN_NAME}
    stop()


def test_a_mark_set_in_the_page_survives_a_reload_and_is_exported(page, marks_server):
    from ttvis.run.reader import Run
    from ttvis.suspicious import marks

    run = Run(marks_server["run"])
    page.goto(f"{marks_server['url']}/?g=suspicious")
    page.wait_for_function(LOADED, timeout=60000)
    i = page.evaluate("window.ttvis.gallery")[2]
    label = int(run.labels[i])
    target = (label + 1) % run.n_classes
    page.click(f"#gallery-panel .thumb[data-index='{i}']")
    page.select_option(f"#sample-panel .mark-row[data-index='{i}'] .mark-class", str(target))
    page.click("#sample-panel button[data-mark='wrong_label']")
    # the server re-ranks with the mark: a confirmed sample comes first
    page.wait_for_function(f"window.ttvis.gallery[0] === {i} && window.ttvis.state.marks['{i}']")
    badge = f"→ {run.classes[target]}"
    assert page.inner_text(f"#gallery-panel .thumb[data-index='{i}'] .tag.mark") == badge
    assert page.inner_text(f"#sample-panel .mark-row[data-index='{i}'] .tag.mark") == badge
    page.wait_for_function(f"new URLSearchParams(location.search).get('sel') === '{i}'")  # the reload keeps it

    page.reload()
    page.wait_for_function(LOADED, timeout=60000)
    assert page.evaluate("window.ttvis.state.marks") == {str(i): {"mark": "wrong_label", "label": target}}
    assert page.evaluate("window.ttvis.gallery")[0] == i
    page.wait_for_selector(f"#sample-panel .mark-row[data-index='{i}'] .tag.mark")
    assert page.inner_text(f"#sample-panel .mark-row[data-index='{i}'] .tag.mark") == badge
    assert page.inner_text(f"#gallery-panel .thumb[data-index='{i}'] .tag.mark") == badge

    rows = list(csv.DictReader(io.StringIO(marks.labels_csv(run, marks.load(run)))))  # what export-labels writes
    assert {k: rows[i][k] for k in ("label", "original_label", "excluded", "mark")} == {
        "label": str(target), "original_label": str(label), "excluded": "0", "mark": "wrong_label"}
    assert sum(r["mark"] != "" for r in rows) == 1
