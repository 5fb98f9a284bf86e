"""The animator in real headless Chromium against the real server: pixels, not just DOM."""

import io

import numpy as np
import pytest
from webutil import ARTIFACTS, METHOD, RUN_NAME, territory_classes, territory_rgb

pytestmark = pytest.mark.browser

READY = "window.ttvis && window.ttvis.ready"
N_SAMPLES = 1797  # the digits demo run
CORRECT_RGB, WRONG_RGB = (34, 34, 34), (255, 0, 255)  # colors.js
MARK_RGB = (255, 0, 255)  # points.js: ring around samples the map misplaces


def ease(t):
    return t * t * (3 - 2 * t)


def luminance(rgb):
    rgb = np.asarray(rgb, dtype=float)
    return rgb[..., 0] * 0.2126 + rgb[..., 1] * 0.7152 + rgb[..., 2] * 0.0722


def next_frame(page):
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def open_view(page, server, query=""):
    page.goto(f"{server}/?{query}")
    page.wait_for_function(READY, timeout=20000)
    assert page.evaluate("window.ttvis.error") is None
    return page


def settle(page):
    page.wait_for_function(READY, timeout=20000)
    next_frame(page)


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


def test_transition_is_interpolated(page, server, web_root):
    """Between two epochs a dot glides along the straight segment joining its two positions, at the eased
    progress of the transition clock (pinned from the test hook at 1/4, 1/2 and 3/4: no wall clock)."""
    open_view(page, server, "epoch=6")
    pos6 = screen_positions(page)
    page.evaluate("window.ttvis.holdTransition(0)")
    page.mouse.move(2, 2)
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("window.ttvis.state.epoch === 5 && window.ttvis.shown[0] === 5")
    mids = {}
    for t in (0.25, 0.5, 0.75):
        page.evaluate(f"window.ttvis.holdTransition({t})")
        mids[t] = screen_positions(page)
        if t == 0.5:
            next_frame(page)
            half = shot(page)
    page.evaluate("window.ttvis.holdTransition(null)")
    settle(page)
    pos5 = screen_positions(page)
    moved = np.flatnonzero(np.linalg.norm(pos5 - pos6, axis=1) > 15)
    assert len(moved) > 10
    a, b = pos6[moved], pos5[moved]
    ab = b - a
    for t, m in mids.items():
        s = ((m[moved] - a) * ab).sum(1) / (ab * ab).sum(1)
        off = np.linalg.norm(a + s[:, None] * ab - m[moved], axis=1)
        assert off.max() < 0.5, "a dot left the segment between its epochs"
        np.testing.assert_allclose(s, ease(t), atol=0.01, err_msg=f"dots are not at the eased progress of t={t}")
    # the pixels agree: halfway through, moved dots are drawn in their colour at their halfway point
    rgb = class_rgb(meta(page))
    labels = np.load(web_root["run"] / "dataset" / "labels.npy")
    hits = 0
    for i in moved[:40]:
        x, y = np.round(mids[0.5][i]).astype(int)
        patch = half[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3)
        hits += bool((np.abs(patch - rgb[labels[i]]).max(axis=1) <= 8).any())
    assert hits >= 0.75 * min(40, len(moved)), f"only {hits} moved dots drawn at their halfway point"


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
    assert count_color(img, WRONG_RGB, tol=2) > 10
    assert count_color(img, CORRECT_RGB, tol=2) == 0, "a correct sample is shown under the 'wrong' filter"


def test_url_round_trips_the_view(page, server, browser):
    open_view(page, server, "epoch=4")
    page.select_option("#color", "prediction")
    page.click("#legend input[data-class='2']")
    box = stage_box(page)
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.6)
    page.mouse.wheel(0, -400)
    i, (x, y) = isolated_sample(page, min_gap=8)
    page.mouse.click(float(x), float(y))
    page.wait_for_function(f"window.ttvis.state.sel === {i}")
    page.mouse.move(2, 2)
    settle(page)
    page.wait_for_function("location.search.includes('sel=') && location.search.includes('hide=2')")  # after a debounce
    state = page.evaluate("window.ttvis.state")
    url = page.url
    assert "epoch=4" in url and "sel=" in url and "view=" in url and "hide=2" in url
    img1 = shot(page, clip=stage_box(page))

    other = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        other.goto(url)
        other.wait_for_function(READY, timeout=60000)
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
    assert len(thumbs) == min(len(got), 240)


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
    before_b = screen_positions(page, 1)
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.wheel(0, -500)
    page.wait_for_function("window.ttvis.state.view !== null")
    settle(page)
    after_b = screen_positions(page, 1)
    spread = lambda p: np.linalg.norm(p - p.mean(0), axis=1).mean()  # noqa: E731
    assert spread(after_b) > 1.3 * spread(before_b), "zoom is not linked"
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
    page.fill("#find-text", "17")
    page.press("#find-text", "Enter")
    page.wait_for_function("window.ttvis.state.sel === 17")
    page.wait_for_selector("#sample-panel:not([hidden])")
    assert page.text_content("#sample-panel h2") == "Sample #17"
    with page.expect_download() as dl:
        page.click("#export-csv")
    assert dl.value.suggested_filename == f"{RUN_NAME}_{METHOD}_e3.csv"
    text = open(dl.value.path()).read().splitlines()
    assert text[0].startswith("index,method,epoch,x,y,label")
    rows = [line.split(",") for line in text[1:]]
    assert all(r[1] == f'"{METHOD}"' and r[2] == "3" for r in rows)
    xy = np.array([[float(r[3]), float(r[4])] for r in rows])
    np.testing.assert_allclose(xy, web_root["positions"][3], atol=5.01e-5)
    assert all(len(v.split(".")[-1]) <= 4 for r in rows for v in r[3:5] if "." in v), "not rounded to 4 decimals"
    with page.expect_download() as dl:
        page.click("#export-png")
    from PIL import Image

    png = np.asarray(Image.open(dl.value.path()).convert("RGB")).astype(int)
    assert png.shape[0] > 300 and (np.abs(png - 255).max(axis=2) > 0).mean() > 0.3


def test_bad_sample_index_gives_a_message(page, server):
    open_view(page, server, "epoch=3")
    page.fill("#find-text", "99999")
    page.press("#find-text", "Enter")
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
    assert page.text_content("#epoch-label") == f"epoch {epoch}  ({len(run.epochs) - 1}/{len(run.epochs)})"
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
    with page.expect_request(lambda r: is_search(r.url)):
        page.click("text=Similar now")
    page.wait_for_selector("#gallery-panel:not([hidden]) .spinner")
    assert "indexing / searching" in page.inner_text("#gallery-panel")
    page.wait_for_function("window.ttvis.searching")
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
        page.set_viewport_size({"width": 1500, "height": 760})
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
    notice = page.inner_text("#message")
    assert 'unknown run "nope"' in notice and 'no visualization "zz"' in notice
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


# -- readability ---------------------------------------------------------------------------------
def dot_footprint(img, x, y, background, r=10):
    """Pixels within r of (x, y) that differ from the background colour."""
    box = img[y - r:y + r + 1, x - r:x + r + 1]
    return int((np.abs(box - background).max(axis=2) > 24).sum())


def test_dots_stand_out_on_their_own_territory(page, server, web_root):
    """At the default territory opacity a dot differs clearly in luminance from the territory of its own
    class around it, and dots grow when zoomed in."""
    epoch = 6
    open_view(page, server, f"epoch={epoch}")
    assert page.evaluate("window.ttvis.territoryOpacity") == 0.5
    m, img = meta(page), shot(page)
    rgb, labels = class_rgb(m), np.load(web_root["run"] / "dataset" / "labels.npy")
    pos = screen_positions(page)
    box = stage_box(page)
    ext = m["methods"][METHOD]["extent"]
    centre = page.evaluate(f"window.ttvis.toScreen({(ext['x_min'] + ext['x_max']) / 2}, {(ext['y_min'] + ext['y_max']) / 2})")
    d = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    quadrant = (pos[:, 0] > centre["x"]).astype(int) + 2 * (pos[:, 1] > centre["y"]).astype(int)
    own = np.array(territory_classes(epoch))[quadrant] == labels
    inside = ((pos[:, 0] > box["x"] + 15) & (pos[:, 0] < box["x"] + box["width"] - 15)
              & (pos[:, 1] > box["y"] + 15) & (pos[:, 1] < box["y"] + box["height"] - 15))
    far = np.abs(pos - [centre["x"], centre["y"]]).min(axis=1) > 12  # not on a quadrant edge
    pick = np.flatnonzero(own & inside & far & (d.min(axis=1) > 11))
    assert len(pick) >= 8, "too few isolated dots on their own territory"
    diffs = []
    for i in pick[:40]:
        x, y = np.round(pos[i]).astype(int)
        ring = np.concatenate([img[y - 8, x - 8:x + 9], img[y + 8, x - 8:x + 9], img[y - 8:y + 9, x - 8], img[y - 8:y + 9, x + 8]])
        diffs.append(abs(luminance(img[y, x]) - np.median(luminance(ring))))
    assert np.min(diffs) > 40, f"a dot nearly vanishes on its own territory (luminance difference {np.min(diffs):.0f})"
    # an outline darker than both: the dot's rim is the darkest thing around it
    i = pick[0]
    x, y = np.round(pos[i]).astype(int)
    assert luminance(img[y - 4:y + 5, x - 4:x + 5]).min() < luminance(img[y, x]) - 30, "no dark outline"
    # zooming in grows the dots
    background = np.median(img[y - 12:y + 13, x + 12], axis=0)
    before = dot_footprint(img, x, y, background)
    page.mouse.move(float(x), float(y))
    page.mouse.wheel(0, -700)
    page.wait_for_function("window.ttvis.state.view !== null")
    settle(page)
    p = page.evaluate(f"window.ttvis.project({int(i)})")
    x2, y2 = int(round(p["x"])), int(round(p["y"]))
    after = dot_footprint(shot(page), x2, y2, background)
    assert after > 1.5 * before, f"dots do not grow when zoomed in ({before} -> {after} pixels)"


def legend(page):
    return page.evaluate("""Array.from(document.querySelectorAll('#legend .legend-item')).map(el => [
        el.dataset.key, el.querySelector('.name').textContent, Number(el.querySelector('.count').textContent),
        getComputedStyle(el.querySelector('.swatch')).backgroundColor])""")


def css_rgb(text):
    return [int(v) for v in text[text.index("(") + 1:text.index(")")].split(",")[:3]]


def test_legend_follows_the_colour_mode(page, server, web_root):
    from ttvis.run.reader import Run

    run = Run(web_root["run"])
    labels, preds = run.labels, run.predictions(2)
    open_view(page, server, "epoch=2")
    rgb = class_rgb(meta(page))
    entries = legend(page)
    assert [e[2] for e in entries] == np.bincount(labels, minlength=len(rgb)).tolist()
    assert [css_rgb(e[3]) for e in entries] == rgb.tolist()
    assert "Background: predicted class; pale = near a decision boundary." in page.inner_text("#legend")
    # prediction mode: counts of predictions at this epoch; hiding a class hides by prediction
    page.select_option("#color", "prediction")
    page.wait_for_function("window.ttvis.state.color === 'prediction'")
    assert [e[2] for e in legend(page)] == np.bincount(preds, minlength=len(rgb)).tolist()
    page.click("#legend input[data-class='1']")
    page.wait_for_function("window.ttvis.state.hide.includes(1)")
    shown = page.evaluate(f"Array.from({{length: {N_SAMPLES}}}, (_, i) => window.ttvis.visible(i) ? 1 : 0)")
    assert np.array_equal(np.array(shown, bool), preds != 1)
    page.click("#show-all")
    page.wait_for_function("window.ttvis.state.hide.length === 0")
    # correctness mode: two entries, colours unlike every class colour, and they are what is drawn
    page.select_option("#color", "correctness")
    page.wait_for_function("window.ttvis.state.color === 'correctness'")
    settle(page)
    entries = legend(page)
    assert [e[1] for e in entries] == ["correct", "wrong"]
    assert [e[2] for e in entries] == [int((preds == labels).sum()), int((preds != labels).sum())]
    swatches = np.array([css_rgb(e[3]) for e in entries])
    assert swatches.tolist() == [list(CORRECT_RGB), list(WRONG_RGB)]
    assert np.abs(swatches[:, None, :] - rgb[None]).max(axis=2).min() > 60, "correct/wrong colours look like a class colour"
    stage = shot(page, clip=stage_box(page))
    assert count_color(stage, WRONG_RGB, tol=2) > 10 and count_color(stage, CORRECT_RGB, tol=2) > 50
    legend_img = np.asarray(__import__("PIL.Image", fromlist=["Image"]).open(io.BytesIO(page.query_selector("#legend").screenshot())).convert("RGB")).astype(int)
    assert count_color(legend_img, WRONG_RGB, tol=3) > 20, "the legend does not show the 'wrong' colour"
    # clicking "wrong" in the legend hides the wrong ones
    page.click("#legend input[data-class='wrong']")
    page.wait_for_function("window.ttvis.state.correct === 'correct'")
    settle(page)
    assert count_color(shot(page, clip=stage_box(page)), WRONG_RGB, tol=2) == 0


def test_palette_has_no_grey_class():
    from ttvis.palette import class_colors

    for n in range(2, 11):
        c = class_colors(n).astype(int)
        assert (c.max(axis=1) - c.min(axis=1)).min() > 40, f"a grey class colour among {n} classes"


def test_landing_on_a_built_run(page, landing_server):
    """The page opens the run that has a visualization (timevis first), says when the URL names something
    unknown, and shows a hint in the empty side panel."""
    open_view(page, landing_server)
    s = page.evaluate("window.ttvis.state")
    assert (s["run"], s["method"]) == ("zz", "timevis")
    assert page.is_hidden("#message")
    assert "Click a dot" in page.inner_text("#panel-hint")
    open_view(page, landing_server, "run=nope&method=umap")
    s = page.evaluate("window.ttvis.state")
    assert (s["run"], s["method"]) == ("zz", "timevis")
    assert 'unknown run "nope"' in page.inner_text("#message") and 'no visualization "umap"' in page.inner_text("#message")
    # a run with nothing built: the message says so, and Build offers the cheapest method
    page.goto(f"{landing_server}/?run=aaa")
    page.wait_for_selector("#message:not([hidden])")
    assert "No visualization" in page.inner_text("#message")
    page.wait_for_function("document.querySelector('#build-method').options.length === 6")  # the engine's list
    assert page.input_value("#build-method") == "pca"
    assert page.is_hidden("#build-warning")
    page.select_option("#build-method", "timevis")
    assert "takes minutes" in page.inner_text("#build-warning")


def test_accuracy_strip_matches_the_logits(page, server, web_root):
    from ttvis.run.reader import Run

    run = Run(web_root["run"])
    open_view(page, server, "epoch=3")
    page.wait_for_selector("#timeline .tl-hit")
    cells = page.evaluate("""Array.from(document.querySelectorAll('#timeline .tl-hit')).map(r =>
        [Number(r.dataset.epoch), Number(r.dataset.train), Number(r.dataset.test), Number(r.dataset.flips)])""")
    assert [c[0] for c in cells] == run.epochs
    test = run.split == 1
    previous = None
    for e, train_acc, test_acc, flips in cells:
        pred = np.argmax(np.asarray(run.logits(e)), axis=1)
        right = pred == run.labels
        assert abs(train_acc - right[~test].mean()) < 1e-6 and abs(test_acc - right[test].mean()) < 1e-6
        assert flips == (0 if previous is None else int((pred != previous).sum()))
        previous = pred
    k = run.epochs.index(3)
    assert f"train {100 * cells[k][1]:.1f}%" in page.inner_text("#epoch-stats")
    # the lines are drawn, over the slider's span
    strip = shot(page, clip=page.evaluate("(() => { const r = document.querySelector('#timeline').getBoundingClientRect();"
                                          " return {x: r.left, y: r.top, width: r.width, height: r.height}; })()"))
    assert count_color(strip, (0x1f, 0x5f, 0xbf), tol=40) > 30 and count_color(strip, (0xe0, 0x7b, 0x00), tol=40) > 30


def gallery_ids(page):
    return page.evaluate("window.ttvis.gallery")


def test_each_search_form(page, server, web_root):
    from ttvis.run.reader import Run

    run = Run(web_root["run"])
    epoch = 4
    labels, preds, split = run.labels, run.predictions(epoch), run.split
    conf = np.asarray(run.probabilities(epoch)).max(axis=1)
    name3 = run.classes[3]
    open_view(page, server, f"epoch={epoch}")

    def search(text):
        page.fill("#find-text", text)
        page.press("#find-text", "Enter")

    cases = {
        "label:8 pred:1": (labels == 8) & (preds == 1),
        f"label:{name3}": labels == 3,
        "wrong": preds != labels,
        "correct split:test": (preds == labels) & (split == 1),
        "conf:0.2-0.6": (conf >= 0.2 - 1e-6) & (conf <= 0.6 + 1e-6),
        "pred:2 conf:>0.9": (preds == 2) & (conf >= 0.9 - 1e-6),
    }
    for text, want in cases.items():
        search(text)
        page.wait_for_function(f"window.ttvis.state.g === {('q:' + text)!r}")
        page.wait_for_function("window.ttvis.state.gallery && window.ttvis.state.gallery.items")
        got = gallery_ids(page)
        assert got == np.flatnonzero(want).tolist(), text
    # an index selects the sample; an empty box clears the gallery and selects nothing
    search("17")
    page.wait_for_function("window.ttvis.state.sel === 17")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Escape")
    page.wait_for_function("window.ttvis.state.sel === -1")
    search("")
    page.wait_for_function("window.ttvis.state.gallery === null")
    assert page.evaluate("window.ttvis.state.sel") == -1
    search("colour:blue")
    page.wait_for_selector("#message.error")
    assert "cannot read" in page.inner_text("#message")
    # the gallery is in the URL: reopening the link shows the same results
    search("label:8 pred:1")
    page.wait_for_function("location.search.includes('g=q')")
    url = page.url
    open_view(page, url.split("/?")[0], url.split("/?")[1])
    page.wait_for_function("window.ttvis.state.gallery && window.ttvis.state.gallery.items")
    assert gallery_ids(page) == np.flatnonzero(cases["label:8 pred:1"]).tolist()


def test_hover_shows_thumbnail_and_region(page, server, web_root):
    from PIL import Image

    epoch = 6
    open_view(page, server, f"epoch={epoch}")
    i, (x, y) = isolated_sample(page)
    page.mouse.move(float(x) + 1, float(y))
    page.wait_for_selector("#hover-card:not([hidden]) img.hc-thumb")
    page.wait_for_function("document.querySelector('.hc-thumb').complete && document.querySelector('.hc-thumb').naturalWidth > 0")
    assert f"#{i}" in page.inner_text("#hover-card")
    img = np.asarray(Image.open(io.BytesIO(page.query_selector(".hc-thumb").screenshot())).convert("L")).astype(int)
    truth = np.load(web_root["run"] / "dataset" / "images.npy")[i]
    h, w = truth.shape[:2]
    cy = ((np.arange(h) + 0.5) * img.shape[0] / h).astype(int)
    cx = ((np.arange(w) + 0.5) * img.shape[1] / w).astype(int)
    np.testing.assert_allclose(img[np.ix_(cy, cx)], truth, atol=3)
    # over the territory, away from every dot: the region's class and margin
    m = meta(page)
    pos = screen_positions(page)
    e = m["methods"][METHOD]["extent"]
    for q, (fx, fy) in enumerate(QUADRANTS):
        best = None
        for dx in np.linspace(-0.2, 0.2, 9):
            for dy in np.linspace(-0.2, 0.2, 9):
                wx = e["x_min"] + (fx + dx) * (e["x_max"] - e["x_min"])
                wy = e["y_max"] - (fy + dy) * (e["y_max"] - e["y_min"])
                p = page.evaluate(f"window.ttvis.toScreen({wx}, {wy})")
                gap = np.linalg.norm(pos - [p["x"], p["y"]], axis=1).min()
                if best is None or gap > best[0]:
                    best = (gap, p)
        assert best[0] > 12
        page.mouse.move(best[1]["x"], best[1]["y"])
        want = m["classes"][territory_classes(epoch)[q]]["name"]
        page.wait_for_function(f"document.querySelector('#hover-card:not([hidden]) .hc-region') && "
                               f"document.querySelector('.hc-region').textContent.includes({want!r})")
        assert "margin 0.50" in page.inner_text("#hover-card")


def test_gallery_badges_reasons_and_no_null(page, server, web_root):
    """Suspicious samples: label and prediction badges (wrong ones marked), full captions, no "null",
    and each sample's reason in words when the ranking gives one."""
    import json

    from ttvis.run.reader import Run

    run = Run(web_root["run"])
    preds = run.predictions(6)
    open_view(page, server, "epoch=6")
    page.click("#suspicious")
    page.wait_for_selector("#gallery-panel .thumb", timeout=60000)
    real = page.evaluate(f"fetch('/api/runs/{RUN_NAME}/suspicious?k=50').then(r => r.json())")
    text = page.inner_text("#gallery-panel")
    assert "null" not in text and "undefined" not in text
    thumbs = page.evaluate("""Array.from(document.querySelectorAll('#gallery-panel .thumb')).map(t => [Number(t.dataset.index),
        t.querySelectorAll('.tag').length, t.querySelector('.tag.pred').classList.contains('wrong'), t.title,
        t.querySelector('.reason') ? t.querySelector('.reason').textContent : null])""")
    assert [t[0] for t in thumbs] == [s["index"] for s in real["samples"]]
    for i, n_tags, wrong, title, reason in thumbs:
        assert n_tags == 2 and wrong == bool(preds[i] != run.labels[i])
        assert f"#{i}" in title and "label" in title and "predicted" in title
        listed = next(s for s in real["samples"] if s["index"] == i).get("reasons")
        assert reason == ("; ".join(listed[:2]) if listed else None)
    wrong_one = next((t[0] for t in thumbs if t[2]), None)
    if wrong_one is not None:
        from PIL import Image

        tag = page.query_selector(f"#gallery-panel .thumb[data-index='{wrong_one}'] .tag.pred")
        pix = np.asarray(Image.open(io.BytesIO(tag.screenshot())).convert("RGB")).astype(int)
        assert count_color(pix, (0xc8, 0x00, 0x7a), tol=12) > 10, "the wrong prediction is not marked"
    # the ranking's reasons, when the API gives them, show under each thumbnail
    def with_reasons(route):
        body = route.fetch().json()
        for s in body["samples"]:
            s["reasons"] = [f"neighbours say {s['index'] % 10}", "learned at epoch 3"]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/suspicious?*", with_reasons)
    page.keyboard.press("Escape")
    page.click("#suspicious")
    page.wait_for_selector("#gallery-panel .reason")
    first = real["samples"][0]["index"]
    assert page.inner_text(f"#gallery-panel .thumb[data-index='{first}'] .reason") == f"neighbours say {first % 10}; learned at epoch 3"
    page.unroute("**/suspicious?*")
    page.wait_for_function("location.search.includes('g=suspicious')")


def test_build_cancel(page, bare_server):
    page.goto(f"{bare_server}/")
    page.wait_for_selector("#message:not([hidden])")
    page.select_option("#build-method", "timevis")
    page.click("#build")
    page.wait_for_selector("#build-cancel:not([hidden])")
    page.wait_for_function("window.ttvis.state.build.message !== 'starting'", timeout=60000)
    assert page.is_visible("#build-progress")
    page.click("#build-cancel")
    page.wait_for_function("window.ttvis.state.build.state === 'cancelled'", timeout=60000)
    assert page.is_hidden("#build-cancel") and page.is_enabled("#build")
    assert page.evaluate("window.ttvis.state.method") is None
    status = page.evaluate(f"fetch('/api/runs/{RUN_NAME}/methods/timevis/build').then(r => r.json())")
    assert status["state"] == "cancelled"


def read_csv(path):
    lines = open(path).read().splitlines()
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


def test_csv_follows_filters_and_selection(page, server, web_root):
    from ttvis.run.reader import Run

    run = Run(web_root["run"])
    preds = run.predictions(5)
    open_view(page, server, "epoch=5&correct=wrong&split=test")
    with page.expect_download() as dl:
        page.click("#export-csv")
    head, rows = read_csv(dl.value.path())
    assert head[:5] == ["index", "method", "epoch", "x", "y"]
    want = np.flatnonzero((preds != run.labels) & (run.split == 1))
    assert [int(r[0]) for r in rows] == want.tolist()
    assert all(r[2] == "5" and r[-1] == "test" for r in rows)
    # with a gallery open, only its samples (that pass the filters) are exported
    page.fill("#find-text", "label:3")
    page.press("#find-text", "Enter")
    page.wait_for_function("window.ttvis.state.gallery && window.ttvis.state.gallery.items")
    with page.expect_download() as dl:
        page.click("#export-csv")
    _, rows = read_csv(dl.value.path())
    assert [int(r[0]) for r in rows] == [i for i in want.tolist() if run.labels[i] == 3]


def test_csv_neutralises_formulas_in_class_names(page, server):
    """A class name starting with = + - or @ reaches the CSV behind a quote, so spreadsheets show it as text."""
    open_view(page, server, "epoch=1")
    text = page.evaluate("""import('/static/export.js').then(m => m.positionsCSV({indices: [0, 1, 2, 3, 4], method: 'pca', epoch: 1,
        positions: {x: new Float32Array([0.123456, 1, 2, 3, 4]), y: new Float32Array(5)}, labels: [0, 1, 2, 3, 4], split: [0, 1, 0, 0, 0],
        preds: [4, 1, 2, 3, 0], conf: new Float32Array([0.5, 0.5, 0.5, 0.5, 0.5]),
        classNames: ['=HYPERLINK("http://x")', '+1', '-2', '@SUM(A1)', 'plain "cat"']}))""")
    lines = text.splitlines()
    assert lines[1] == '0,"pca",1,0.1235,0,0,"' + "'" + '=HYPERLINK(""http://x"")",4,"plain ""cat""",0.5,train'
    for line, name in zip(lines[2:5], ["'+1", "'-2", "'@SUM(A1)"]):
        assert f',"{name}",' in line
    assert not any(field.startswith(('"=', '"+', '"-', '"@')) for line in lines[1:] for field in line.split(","))


def test_png_export_has_the_legend_and_a_telling_name(page, server):
    open_view(page, server, "epoch=6&cmp=e:2")
    with page.expect_download() as dl:
        page.click("#export-png")
    assert dl.value.suggested_filename == f"{RUN_NAME}_{METHOD}_e6_vs_e2.png"
    from PIL import Image

    png = np.asarray(Image.open(dl.value.path()).convert("RGB")).astype(int)
    rgb = class_rgb(meta(page))
    legend_strip = png[:, -160:]
    for c in rgb:
        assert count_color(legend_strip, c, tol=3) > 15, "a class is missing from the PNG's legend"


def test_layout_at_1024x700_needs_no_scrolling(page, server):
    page.set_viewport_size({"width": 1024, "height": 700})
    open_view(page, server, "epoch=6")
    fits = "(() => { const d = document.scrollingElement; const l = document.querySelector('#left');" \
           " return [d.scrollWidth <= innerWidth, d.scrollHeight <= innerHeight, l.scrollHeight <= l.clientHeight + 1]; })()"
    assert page.evaluate(fits) == [True, True, True]
    assert page.is_hidden("#right"), "the empty side panel should fold away on a narrow screen"
    box = stage_box(page)
    assert box["width"] >= 700
    img = shot(page, clip=box)
    assert (img.min(axis=2) >= 250).mean() < 0.01, "the territory does not fill the stage"
    # a selection opens the side panel; still nothing scrolls
    i, (x, y) = isolated_sample(page)
    page.mouse.click(float(x), float(y))
    page.wait_for_selector("#sample-panel:not([hidden]) .sparkline text.axis")
    assert page.is_visible("#right")
    assert page.evaluate(fits)[:2] == [True, True]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "narrow_view.png"))
    # ? shows the keys
    page.mouse.move(2, 300)
    page.keyboard.press("?")
    page.wait_for_selector("#help:not([hidden])")
    assert "play / pause" in page.inner_text("#help")
    page.keyboard.press("Escape")
    page.wait_for_selector("#help", state="hidden")


def test_many_epochs_load_as_needed(page, long_server):
    """200 epochs: the page fetches the shown epoch and a few around it, never all; the slider, the
    keyboard and play still work."""
    from webutil import LONG_EPOCHS

    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/positions" in r.url else None)
    open_view(page, long_server, "epoch=100")
    assert page.evaluate("window.ttvis.state.epoch") == 100
    page.wait_for_function("document.querySelectorAll('#timeline .tl-hit').length === 200")
    assert 1 <= len(asked) <= 6, f"{len(asked)} position requests for one epoch"
    assert any("/epochs/100/" in u for u in asked)
    page.mouse.move(2, 300)
    page.keyboard.press("End")
    page.wait_for_function(f"window.ttvis.state.epoch === {LONG_EPOCHS}")
    settle(page)
    page.focus("#epoch-slider")
    page.keyboard.press("Home")
    page.wait_for_function("window.ttvis.state.epoch === 1")
    settle(page)
    page.mouse.move(2, 300)
    page.keyboard.press("Space")
    page.wait_for_function("window.ttvis.state.epoch >= 4", timeout=30000)
    page.keyboard.press("Space")
    page.wait_for_function("!window.ttvis.playing")
    assert len(asked) <= 30, f"{len(asked)} position requests after visiting a few epochs"
    assert page.evaluate("window.ttvis.error") is None


def test_visualization_error_overlay(page, timevis_server):
    """Samples whose prediction changes through the map's round trip are ringed, and counted."""
    import torch

    from ttvis.run.reader import Run
    from ttvis.visualize.outputs import load_projector

    run = Run(timevis_server["run"])
    epoch = run.epochs[-1]
    projector = load_projector(run.path, "timevis")
    pos = np.load(run.path / "visualize" / "timevis" / "epochs" / f"epoch_{epoch}" / "positions.npy")
    with torch.no_grad():
        dec = projector.decode_tensor(torch.as_tensor(pos), epoch)
        roundtrip = run.head(epoch).to(dec.device)(dec).argmax(1).cpu().numpy()
    lies = np.flatnonzero(roundtrip != run.predictions(epoch))
    open_view(page, timevis_server["url"], f"method=timevis&epoch={epoch}&lies=1")
    page.wait_for_function("document.querySelector('#lies-count').textContent.includes('misplaced')")
    assert page.inner_text("#lies-count") == f"{len(lies)} misplaced"
    assert len(lies) > 0, "the fixture should have at least one misplaced sample"
    settle(page)
    img = shot(page)
    ringed = 0
    for i in lies[:20]:
        p = page.evaluate(f"window.ttvis.project({int(i)})")
        x, y = int(round(p["x"])), int(round(p["y"]))
        ringed += count_color(img[y - 8:y + 9, x - 8:x + 9], MARK_RGB, tol=40) > 3
    assert ringed >= 0.7 * min(20, len(lies)), "misplaced samples are not ringed"


def test_default_view_screenshot(page, timevis_server):
    """The page as a user first sees it (a built timevis run, nothing chosen), kept for people to look at."""
    open_view(page, timevis_server["url"])
    assert page.evaluate("window.ttvis.state.method") == "timevis"
    page.wait_for_selector("#timeline .tl-hit")
    settle(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "default_view.png"))
    img = shot(page, clip=stage_box(page))
    assert (img.min(axis=2) >= 250).mean() < 0.01, "the territory does not fill the stage"


def test_empty_data_root_says_how_to_make_a_run(page, tmp_path):
    from webutil import serve

    url, stop = serve(tmp_path)
    try:
        page.goto(f"{url}/")
        page.wait_for_selector("#message:not([hidden])")
        text = page.inner_text("#message")
        assert "ttvis demo --out FOLDER/digits" in text and "ttvis serve --root FOLDER" in text
        assert page.evaluate("window.ttvis.error") is None
    finally:
        stop()
