"""The animator in real headless Chromium against the real server: pixels, not just DOM."""

import io

import numpy as np
import pytest
from conftest import ARTIFACTS, METHOD, RUN_NAME, territory_classes, territory_rgb

pytestmark = pytest.mark.browser

READY = "window.ttvis && window.ttvis.ready"
N_SAMPLES = 1797  # the digits demo run


def open_view(page, server, query=""):
    page.goto(f"{server}/?{query}")
    page.wait_for_function(READY, timeout=20000)
    assert page.evaluate("window.ttvis.error") is None
    return page


def settle(page):
    page.wait_for_function(READY, timeout=20000)
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def shot(page, clip=None):
    from PIL import Image

    png = page.screenshot(clip=clip) if clip else page.screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def stage_box(page, k=0):
    return page.evaluate(f"(() => {{ const r = document.querySelectorAll('.scene')[{k}].getBoundingClientRect();"
                         " return {x: r.left, y: r.top, width: r.width, height: r.height}; })()")


def meta(page):
    return page.evaluate(f"fetch('/api/runs/{RUN_NAME}').then(r => r.json())")


def class_rgb(meta_json):
    return np.array([[int(c["color"][k:k + 2], 16) for k in (1, 3, 5)] for c in meta_json["classes"]])


def screen_positions(page, k=0):
    return np.array(page.evaluate(f"Array.from({{length: {N_SAMPLES}}}, (_, i) => {{"
                                  f" const p = window.ttvis.project(i, {k}); return [p.x, p.y]; }})"))


def count_color(img, rgb, tol=4):
    return int((np.abs(img - np.asarray(rgb)).max(axis=2) <= tol).sum())


def territory_at(page, img, fx, fy, m, k=0):
    """Most common colour in a 31x31 box around the extent point at fractions (fx from left, fy from top)."""
    e = m["methods"][METHOD]["extent"]
    x = e["x_min"] + fx * (e["x_max"] - e["x_min"])
    y = e["y_max"] - fy * (e["y_max"] - e["y_min"])
    p = page.evaluate(f"window.ttvis.toScreen({x}, {y}, {k})")
    cx, cy = int(round(p["x"])), int(round(p["y"]))
    box = img[cy - 15:cy + 16, cx - 15:cx + 16].reshape(-1, 3)
    colors, counts = np.unique(box, axis=0, return_counts=True)
    return colors[counts.argmax()]


def expected_territory(rgb, opacity):
    """The painted territory colour, blended toward white by the page's territory opacity."""
    return np.round(255 * (1 - opacity) + territory_rgb(rgb).astype(float) * opacity)


QUADRANTS = [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)]


def check_territory(page, epoch):
    m, img = meta(page), shot(page)
    rgb, opacity = class_rgb(m), page.evaluate("window.ttvis.territoryOpacity")
    for q, c in enumerate(territory_classes(epoch)):
        got = territory_at(page, img, *QUADRANTS[q], m)
        np.testing.assert_allclose(got, expected_territory(rgb[c], opacity), atol=4,
                                   err_msg=f"quadrant {q} at epoch {epoch} should show class {c}")


def isolated_sample(page, min_gap=14.0):
    """A sample whose dot is at least min_gap CSS px from every other dot and inside the stage."""
    pos = screen_positions(page)
    box = stage_box(page)
    d = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    gap = d.min(axis=1)
    inside = ((pos[:, 0] > box["x"] + 20) & (pos[:, 0] < box["x"] + box["width"] - 60)
              & (pos[:, 1] > box["y"] + 60) & (pos[:, 1] < box["y"] + box["height"] - 40))
    order = np.argsort(-np.where(inside, gap, -1))
    i = int(order[0])
    assert gap[i] >= min_gap, "no isolated dot to click"
    return i, pos[i]


def test_territory_and_dots_are_painted(page, server, web_root):
    open_view(page, server, "epoch=2")
    check_territory(page, 2)
    m, img = meta(page), shot(page)
    rgb = class_rgb(m)
    labels = np.load(web_root["run"] / "dataset" / "labels.npy")
    # each class's exact colour (dot centres) appears on the canvas
    stage = shot(page, clip=stage_box(page))
    for c in range(len(rgb)):
        assert count_color(stage, rgb[c], tol=2) > 20, f"no dots of class {c}"
    # dots sit where project() says, in their label's colour
    pos = screen_positions(page)
    hits = 0
    sample = np.random.default_rng(0).choice(len(labels), 60, replace=False)
    for i in sample:
        x, y = int(round(pos[i, 0])), int(round(pos[i, 1]))
        patch = img[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3)
        hits += bool((np.abs(patch - rgb[None, :, :].transpose(1, 0, 2)).max(axis=2) <= 8).any())
    assert hits >= 50, f"only {hits}/60 projected samples show a class-coloured dot"
    assert page.errors == []


def test_slider_moves_frame_with_transition(page, server):
    open_view(page, server, "epoch=1")
    before = shot(page)
    frames0 = page.evaluate("window.ttvis.frames")
    page.focus("#epoch-slider")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("window.ttvis.state.epoch === 2")
    settle(page)
    after = shot(page)
    assert page.evaluate("window.ttvis.frames") - frames0 >= 5, "the change was a jump, not an animation"
    changed = (np.abs(after - before).max(axis=2) > 30).mean()
    assert changed > 0.05, f"only {changed:.3f} of the page changed"
    check_territory(page, 2)
    assert "epoch 2" in page.inner_text("#epoch-label")


def test_transition_is_interpolated(page, server):
    """Between two epochs a dot glides along the straight segment joining its two positions."""
    open_view(page, server, "epoch=6&speed=0.5")
    pos6 = screen_positions(page)
    page.mouse.move(2, 2)
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("window.ttvis.state.epoch === 5")
    page.wait_for_function("!window.ttvis.ready")
    mids = []
    for _ in range(8):
        page.wait_for_timeout(90)
        mids.append(screen_positions(page))
    settle(page)
    pos5 = screen_positions(page)
    moved = np.flatnonzero(np.linalg.norm(pos5 - pos6, axis=1) > 15)
    assert len(moved) > 10
    a, b = pos6[moved], pos5[moved]
    ab = b - a
    inside = 0
    for m in mids:
        t = ((m[moved] - a) * ab).sum(1) / (ab * ab).sum(1)
        off = np.linalg.norm(a + t[:, None] * ab - m[moved], axis=1)
        assert off.max() < 1.5, "a dot left the segment between its epochs"
        inside += bool(((t > 0.05) & (t < 0.95)).all())
    assert inside >= 2, "no frame caught the dots between their two positions"


def test_click_opens_panel_with_label_and_image(page, server, web_root):
    open_view(page, server, "epoch=6")
    i, (x, y) = isolated_sample(page)
    page.mouse.click(float(x), float(y))
    page.wait_for_function(f"window.ttvis.state.sel === {i}")
    page.wait_for_selector("#sample-panel:not([hidden]) .sample-image")
    page.wait_for_function("document.querySelector('.sample-image').complete && document.querySelector('.sample-image').naturalWidth > 0")
    classes = meta(page)["classes"]
    label = int(np.load(web_root["run"] / "dataset" / "labels.npy")[i])
    assert page.text_content("#sample-panel h2") == f"Sample #{i}"
    assert page.inner_text("#sample-panel .label-name") == classes[label]["name"]
    assert len(page.query_selector_all("#sample-panel .strip .cell")) == 6
    # the image shows this sample's pixels: sample the centre of each of the 8x8 cells
    from PIL import Image

    el = page.query_selector(".sample-image")
    img = np.asarray(Image.open(io.BytesIO(el.screenshot())).convert("L")).astype(int)
    truth = np.load(web_root["run"] / "dataset" / "images.npy")[i]
    h, w = truth.shape[:2]
    cy = ((np.arange(h) + 0.5) * img.shape[0] / h).astype(int)
    cx = ((np.arange(w) + 0.5) * img.shape[1] / w).astype(int)
    np.testing.assert_allclose(img[np.ix_(cy, cx)], truth, atol=3)
    # the trail is drawn: dark pixels appear along the trajectory
    assert page.evaluate("document.querySelector('.scene').querySelector('canvas.overlay') !== null")


def test_class_filter_removes_that_class(page, server, web_root):
    open_view(page, server, "epoch=6")
    rgb = class_rgb(meta(page))
    before = shot(page, clip=stage_box(page))
    assert count_color(before, rgb[3]) > 50
    page.click("#legend input[data-class='3']")
    page.wait_for_function("window.ttvis.state.hide.includes(3)")
    settle(page)
    after = shot(page, clip=stage_box(page))
    assert count_color(after, rgb[3]) <= 3, "class 3 dots are still drawn"
    assert count_color(after, rgb[1]) > 50, "other classes vanished too"
    labels = np.load(web_root["run"] / "dataset" / "labels.npy")
    assert page.evaluate(f"window.ttvis.visible({int(np.flatnonzero(labels == 3)[0])})") is False
    assert f"{int((labels != 3).sum())} of {len(labels)} shown" in page.inner_text("#shown-count")


def test_correctness_colours_and_wrong_filter(page, server, web_root):
    open_view(page, server, "epoch=1&color=correctness&correct=wrong")
    img = shot(page, clip=stage_box(page))
    assert count_color(img, (214, 39, 40), tol=2) > 10
    assert count_color(img, (44, 160, 44), tol=2) == 0, "a correct sample is shown under the 'wrong' filter"


def test_url_round_trips_the_view(page, server, browser):
    open_view(page, server, "epoch=4")
    page.click("#legend input[data-class='2']")
    page.select_option("#color", "prediction")
    box = stage_box(page)
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.6)
    page.mouse.wheel(0, -400)
    i, (x, y) = isolated_sample(page, min_gap=8)
    page.mouse.click(float(x), float(y))
    page.wait_for_function(f"window.ttvis.state.sel === {i}")
    page.mouse.move(2, 2)
    settle(page)
    page.wait_for_timeout(250)  # the URL follows after a short debounce
    state = page.evaluate("window.ttvis.state")
    url = page.url
    assert "epoch=4" in url and "sel=" in url and "view=" in url and "hide=2" in url
    img1 = shot(page, clip=stage_box(page))

    other = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        other.goto(url)
        other.wait_for_function(READY, timeout=20000)
        other.wait_for_selector("#sample-panel:not([hidden])")
        settle(other)
        state2 = other.evaluate("window.ttvis.state")
        for key in ("run", "method", "epoch", "color", "sel", "hide"):
            assert state2[key] == state[key], key
        np.testing.assert_allclose(state2["view"], state["view"], rtol=1e-3)
        img2 = shot(other, clip=stage_box(other))
        assert np.abs(img1 - img2).mean() < 1.0, "the reopened link draws a different picture"
    finally:
        other.close()


def test_lasso_selects_the_dots_inside(page, server):
    open_view(page, server, "epoch=6")
    box = stage_box(page)
    x0, y0 = box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.35
    x1, y1 = box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.6
    pos = screen_positions(page)
    inside = set(np.flatnonzero((pos[:, 0] > x0) & (pos[:, 0] < x1) & (pos[:, 1] > y0) & (pos[:, 1] < y1)).tolist())
    assert len(inside) > 5
    page.keyboard.down("Shift")
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in [(x1, y0), (x1, y1), (x0, y1), (x0, y0 + 0.5)]:
        page.mouse.move(x, y, steps=4)
    page.mouse.up()
    page.keyboard.up("Shift")
    page.wait_for_selector("#gallery-panel:not([hidden])")
    got = set(page.evaluate("window.ttvis.gallery"))
    assert len(got ^ inside) <= 2, f"lasso picked {len(got)}, expected {len(inside)}"
    thumbs = page.query_selector_all("#gallery-panel .thumb")
    assert len(thumbs) == min(len(inside), 240) or abs(len(thumbs) - len(inside)) <= 2


def test_compare_links_zoom_and_selection(page, server):
    open_view(page, server, "epoch=6&cmp=e:1")
    assert page.evaluate("window.ttvis.scenes") == 2
    a, b = stage_box(page, 0), stage_box(page, 1)
    assert b["x"] >= a["x"] + a["width"] - 1
    check = shot(page, clip=b)
    assert (np.abs(check - 255).max(axis=2) > 0).mean() > 0.3, "second view is blank"
    # the two views show different epochs: their territories differ in the top-left quadrant
    img = shot(page)
    m = meta(page)
    assert not np.array_equal(territory_at(page, img, 0.25, 0.25, m, 0), territory_at(page, img, 0.25, 0.25, m, 1))
    before_b = shot(page, clip=b)
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.wheel(0, -500)
    settle(page)
    after_b = shot(page, clip=b)
    assert (np.abs(after_b - before_b).max(axis=2) > 30).mean() > 0.05, "zoom is not linked"
    i, (x, y) = isolated_sample(page, min_gap=8)
    page.mouse.click(float(x), float(y))
    page.wait_for_function(f"window.ttvis.state.sel === {i}")
    settle(page)
    p = page.evaluate(f"window.ttvis.project({i}, 1)")
    img = shot(page)
    px, py = int(round(p["x"])), int(round(p["y"]))
    ring = img[py - 10:py + 11, px - 10:px + 11]
    assert (ring.max(axis=2) < 40).sum() > 10, "selection is not shown in the second view"


def test_keyboard_plays_to_the_end(page, server):
    open_view(page, server, "epoch=1&speed=4")
    page.mouse.move(2, 2)
    page.keyboard.press("Space")
    page.wait_for_function("window.ttvis.playing")
    page.wait_for_function("window.ttvis.state.epoch === 6 && !window.ttvis.playing", timeout=20000)
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("window.ttvis.state.epoch === 5")


def test_hover_card_shows_sample(page, server, web_root):
    open_view(page, server, "epoch=6")
    i, (x, y) = isolated_sample(page)
    page.mouse.move(float(x) + 1, float(y))
    page.wait_for_selector("#hover-card:not([hidden])")
    text = page.inner_text("#hover-card")
    split = "test" if np.load(web_root["run"] / "dataset" / "split.npy")[i] else "train"
    assert f"#{i}" in text and split in text and "prediction" in text


def test_search_by_index_and_exports(page, server, web_root):
    open_view(page, server, "epoch=3")
    page.fill("#find-index", "17")
    page.press("#find-index", "Enter")
    page.wait_for_function("window.ttvis.state.sel === 17")
    page.wait_for_selector("#sample-panel:not([hidden])")
    assert page.text_content("#sample-panel h2") == "Sample #17"
    with page.expect_download() as dl:
        page.click("#export-csv")
    text = open(dl.value.path()).read().splitlines()
    assert text[0].startswith("index,x,y,label")
    rows = np.array([[float(v) for v in line.split(",")[:3]] for line in text[1:]])
    np.testing.assert_allclose(rows[:, 1:], web_root["positions"][3], rtol=1e-5, atol=1e-5)
    with page.expect_download() as dl:
        page.click("#export-png")
    from PIL import Image

    png = np.asarray(Image.open(dl.value.path()).convert("RGB")).astype(int)
    assert png.shape[0] > 300 and (np.abs(png - 255).max(axis=2) > 0).mean() > 0.3


def test_bad_sample_index_gives_a_message(page, server):
    open_view(page, server, "epoch=3")
    page.fill("#find-index", "99999")
    page.press("#find-index", "Enter")
    page.wait_for_selector("#message.error")
    assert "0..1796" in page.inner_text("#message")


def test_similarity_search_highlights_dots(page, server):
    open_view(page, server, "epoch=6&sel=10")
    status = page.evaluate(f"fetch('/api/runs/{RUN_NAME}/search?sample=10&epoch=6&k=5').then(r => r.status)")
    if status == 404 and "not found" in page.evaluate(
            f"fetch('/api/runs/{RUN_NAME}/search?sample=10&epoch=6&k=5').then(r => r.text())").lower():
        pytest.skip("the server has no search route yet")
    page.wait_for_selector("#sample-panel:not([hidden])")
    page.click("text=Similar now")
    page.wait_for_selector("#gallery-panel:not([hidden]) .thumb")
    settle(page)
    ids = page.evaluate("window.ttvis.gallery")
    api = page.evaluate(f"fetch('/api/runs/{RUN_NAME}/search?sample=10&epoch=6&k=20&space=representation').then(r => r.json())")
    assert ids == api["ids"]
    img = shot(page)
    ringed = 0
    for i in ids:
        p = page.evaluate(f"window.ttvis.project({i})")
        x, y = int(round(p["x"])), int(round(p["y"]))
        ringed += (img[y - 6:y + 7, x - 6:x + 7].max(axis=2) < 40).sum() > 3
    assert ringed >= 0.8 * len(ids), "search results are not highlighted"


def test_suspicious_view_highlights_ranked_samples(page, server):
    open_view(page, server, "epoch=6")
    page.click("#suspicious")
    page.wait_for_selector("#gallery-panel:not([hidden]) .thumb", timeout=60000)
    settle(page)
    ids = page.evaluate("window.ttvis.gallery")
    api = page.evaluate(f"fetch('/api/runs/{RUN_NAME}/suspicious?k=50').then(r => r.json())")
    assert ids == [s["index"] for s in api["samples"]]
    assert "Suspicious" in page.text_content("#gallery-panel h2")
    img = shot(page)
    ringed = 0
    for i in ids[:20]:
        p = page.evaluate(f"window.ttvis.project({i})")
        x, y = int(round(p["x"])), int(round(p["y"]))
        ringed += (img[y - 6:y + 7, x - 6:x + 7].max(axis=2) < 40).sum() > 3
    assert ringed >= 16, "suspicious samples are not highlighted"
    # a thumbnail click inspects that sample
    page.click(f"#gallery-panel .thumb[data-index='{ids[0]}']")
    page.wait_for_function(f"window.ttvis.state.sel === {ids[0]}")
    page.wait_for_selector("#sample-panel:not([hidden])")


def test_build_button_builds_and_shows_a_method(page, bare_server):
    """No visualization yet: the page says so; Build runs the engine with a progress bar and shows it.
    The screenshot of this real build, a few epochs in, is kept as an artifact for people to look at."""
    page.goto(f"{bare_server}/")
    page.wait_for_selector("#message:not([hidden])")
    assert "No visualization" in page.inner_text("#message")
    page.select_option("#build-method", "pca")
    page.click("#build")
    page.wait_for_function("window.ttvis.state.method === 'pca' && window.ttvis.ready", timeout=120000)
    assert page.evaluate("window.ttvis.error") is None
    assert "pca (built)" in page.inner_text("#build-method")
    page.evaluate("document.querySelector('#epoch-slider').focus()")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("window.ttvis.state.epoch === 4")
    settle(page)
    img = shot(page, clip=stage_box(page))
    tinted = (np.abs(img - 255).max(axis=2) > 10).mean()
    assert tinted > 0.3, "no territory or dots after the build"
    i, (x, y) = isolated_sample(page, min_gap=6)
    page.mouse.click(float(x), float(y))
    page.wait_for_selector("#sample-panel:not([hidden]) .sample-image")


def metric_table(page):
    """{row label: {split: cell text}} and {row label: tooltip} of the metrics panel."""
    rows = page.evaluate("""Array.from(document.querySelectorAll('#metrics tbody tr')).map(tr => [
        tr.dataset.metric, tr.title, Object.fromEntries(Array.from(tr.querySelectorAll('td')).map(td => [td.dataset.split, td.textContent]))])""")
    return {r[0]: r[2] for r in rows}, {r[0]: r[1] for r in rows}


def test_demo_view_with_timevis(page, timevis_server):
    """The digits demo with a real TimeVis visualization, five epochs in, one sample selected: the
    metrics panel shows that epoch's real numbers, and the screenshot is kept for people to look at."""
    import json

    from ttvis.run.reader import Run

    run = Run(timevis_server["run"])
    epoch = run.epochs[-2]
    labels, preds = run.labels, run.predictions(epoch)
    pick = int(np.flatnonzero((labels == preds) & (run.split == 1))[0])  # a correctly predicted test sample
    open_view(page, timevis_server["url"], f"method=timevis&epoch={epoch}&sel={pick}")
    page.wait_for_selector("#sample-panel:not([hidden]) .sample-image")
    page.wait_for_function("document.querySelector('.sample-image').complete")
    page.wait_for_selector("#metrics tbody tr")
    settle(page)

    truth = json.loads((timevis_server["run"] / "visualize" / "timevis" / "epochs" / f"epoch_{epoch}" / "metrics.json").read_text())
    cells, tips = metric_table(page)
    for split in ("train", "test"):
        assert cells["NN@15"][split] == f"{truth[split]['nn']['15']['count']:.1f}/15"
        assert cells["PPR"][split] == f"{truth[split]['ppr']:.3f}"
        assert cells["trustworthiness"][split] == f"{truth[split]['trustworthiness']:.3f}"
        assert cells["temporal ranking"][split] == f"{truth[split]['temporal_ranking']:.3f}"
    assert all(len(t) > 30 for t in tips.values()), "every metric explains itself in a tooltip"
    assert len(page.query_selector_all("#metrics tr")) <= 7, "the metrics panel should stay compact"

    img = shot(page, clip=stage_box(page))
    assert (np.abs(img - 255).max(axis=2) > 10).mean() > 0.5, "territories should cover the map"
    assert "epoch 5" in page.inner_text("#epoch-label") or f"epoch {epoch}" in page.inner_text("#epoch-label")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo_view.png"))


def test_fixture_metrics_table(page, server):
    """The hand-made fixture's metrics: rows it has values for, a dash where a split lacks one."""
    open_view(page, server, "epoch=3")
    page.wait_for_selector("#metrics tbody tr")
    cells, _ = metric_table(page)
    assert set(cells) == {"NN@15", "trustworthiness", "temporal ranking"}  # PPR and boundary are null
    assert cells["NN@15"] == {"train": "7.8/15", "test": "7.8/15"}
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#metrics td').textContent === '7.9/15'")


def test_search_failure_is_shown_in_the_panel(page, unsearchable_server):
    """A search the server cannot answer (its Milvus database path is unusable) shows the server's reason."""
    open_view(page, unsearchable_server, "epoch=6&sel=10")
    page.wait_for_selector("#sample-panel:not([hidden])")
    held = []
    is_search = lambda url: "/search?" in url  # noqa: E731
    page.route(is_search, lambda route: held.append(route))  # hold the request to see the pending state
    page.click("text=Similar now")
    page.wait_for_selector("#gallery-panel:not([hidden]) .spinner")
    assert "indexing / searching" in page.inner_text("#gallery-panel")
    page.wait_for_function("window.ttvis.searching")
    for _ in range(250):
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the page sent no search request"
    held[0].continue_()
    page.unroute(is_search)
    page.wait_for_selector("#gallery-panel .panel-error")
    text = page.inner_text("#gallery-panel .panel-error")
    api = page.evaluate(f"fetch('/api/runs/{RUN_NAME}/search?sample=10&epoch=6&k=20').then(async r => [r.status, (await r.json()).error])")
    assert api[0] == 503
    assert "503" in text and api[1] in text
    assert page.query_selector("#gallery-panel .spinner") is None
    assert page.evaluate("window.ttvis.searching") is False


def test_fixture_view_screenshot(page, server):
    """The hand-made fixture view, a few epochs in, one sample selected with its trail."""
    open_view(page, server, "epoch=4&sel=5")
    page.wait_for_selector("#sample-panel:not([hidden]) .sample-image")
    page.wait_for_function("document.querySelector('.sample-image').complete")
    settle(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "fixture_view.png"))
    assert (ARTIFACTS / "fixture_view.png").stat().st_size > 10000


def test_flipped_filter_keeps_changed_predictions(page, server, web_root):
    from ttvis.run.reader import Run

    run = Run(web_root["run"])
    changed = np.flatnonzero(run.predictions(3) != run.predictions(2))
    open_view(page, server, "epoch=3&flipped=1")
    assert "since epoch 2" in page.inner_text("#flipped-text")
    shown = page.evaluate(f"Array.from({{length: {N_SAMPLES}}}, (_, i) => window.ttvis.visible(i) ? i : -1).filter(i => i >= 0)")
    assert shown == changed.tolist()


def test_high_dpi_and_resize(browser, server):
    ctx = browser.new_context(viewport={"width": 1000, "height": 700}, device_scale_factor=2)
    page = ctx.new_page()
    try:
        open_view(page, server, "epoch=6")
        size = page.evaluate("(() => { const c = document.querySelector('.scene canvas.gl'); const r = c.getBoundingClientRect();"
                             " return [c.width, c.height, r.width, r.height]; })()")
        assert abs(size[0] - 2 * size[2]) <= 1 and abs(size[1] - 2 * size[3]) <= 1, f"canvas not at device pixels: {size}"
        p0 = page.evaluate("window.ttvis.project(0)")
        page.set_viewport_size({"width": 1300, "height": 760})
        page.wait_for_function(f"Math.abs(window.ttvis.project(0).x - {p0['x']}) > 1")
        settle(page)
        size2 = page.evaluate("(() => { const c = document.querySelector('.scene canvas.gl'); return [c.width, c.getBoundingClientRect().width]; })()")
        assert size2[1] > size[2] and abs(size2[0] - 2 * size2[1]) <= 1
        img = shot(page, clip=stage_box(page))
        assert (np.abs(img - 255).max(axis=2) > 10).mean() > 0.3
    finally:
        ctx.close()


def test_bad_url_values_fall_back_to_defaults(page, server):
    open_view(page, server, "run=nope&method=zz&epoch=abc&color=purple&view=1,2&split=x&sel=-5")
    s = page.evaluate("window.ttvis.state")
    assert s["run"] == RUN_NAME and s["method"] == METHOD and s["epoch"] == 1
    assert s["color"] == "label" and s["view"] is None and s["split"] == "all" and s["sel"] == -1
    # an epoch the run lacks snaps to the nearest one it has
    open_view(page, server, "epoch=99")
    assert page.evaluate("window.ttvis.state.epoch") == 6


def test_compare_two_methods_side_by_side(page, server):
    open_view(page, server, "epoch=5&cmp=m:mirror")
    assert page.evaluate("window.ttvis.scenes") == 2
    assert "mirror" in page.inner_text("#scene-b .badge")
    a, b = stage_box(page, 0), stage_box(page, 1)
    for i in (0, 100, 1000):
        pa, pb = page.evaluate(f"window.ttvis.project({i}, 0)"), page.evaluate(f"window.ttvis.project({i}, 1)")
        assert abs((pa["x"] - a["x"]) - (b["x"] + b["width"] - pb["x"])) < 1.5, "second view does not show the mirrored method"
        assert abs(pa["y"] - pb["y"]) < 1.5
