"""What a reader sees: the interactive map in headless Chromium, exported and inside JupyterLab.

Uses Debian's ``chromium`` driven by Playwright (``executable_path``; no
browser download). The notebooks are the ones executed by
``tests/test_notebooks.py`` on the seed corpus. For each notebook holding an
interactive map, the map must draw its points (plotly's SVG point paths)
and a hover over a point must show the text of a paragraph. Screenshots go
to ``build/browser/``. The tests skip only when no Chromium is installed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT, SEEDS
from .test_notebooks import executed_run

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = ROOT / "build" / "browser"
# Notebooks with an interactive map, and the map file each exports.
MAP_NOTEBOOKS = [("02_semantic_clusters", "02_paragraph_map.html"), ("03_framing_maps", "03_framing_map.html")]
POINTS = ".scatterlayer .trace .points path"

if not CHROMIUM.exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install Debian's package with `apt-get install -y chromium` (.ci/run does)",
        allow_module_level=True,
    )

from playwright.sync_api import Page, sync_playwright  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def paragraph_texts() -> list[str]:
    import toolkit

    return toolkit.load_corpus(SEEDS).paragraphs["text"].to_list()


def _squash(text: str) -> str:
    # SVG hover labels put wrapped lines in separate <tspan>s: compare without whitespace.
    return re.sub(r"\s+", "", text)


def _hover_first_point(page: Page, plot: str) -> str:
    """Move the mouse onto a drawn point of the plot matched by ``plot``; return the hover label text."""
    points = page.locator(f"{plot} {POINTS}")
    for i in range(min(points.count(), 20)):
        box = points.nth(i).bounding_box()
        if not box or box["width"] == 0:
            continue
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        label = page.locator(f"{plot} .hoverlayer .hovertext")
        try:
            label.first.wait_for(state="attached", timeout=3_000)
        except Exception:  # noqa: BLE001 - try the next point
            page.mouse.move(0, 0)
            continue
        return label.first.text_content() or ""
    return ""


def _assert_shows_a_paragraph(label: str, texts: list[str]) -> None:
    squashed = _squash(label)
    # The hover wraps the paragraph and cuts it after a few hundred characters: its opening words are there.
    assert any(_squash(t)[:40] in squashed for t in texts), f"hover label shows no paragraph: {label[:300]!r}"


@pytest.mark.parametrize(("name", "map_file"), MAP_NOTEBOOKS)
def test_exported_map_draws_points_and_shows_paragraph_on_hover(browser, paragraph_texts, name, map_file):
    out, _ = executed_run()
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    try:
        page.goto((out / "maps" / map_file).as_uri())
        plot = "#toolkit-map"
        page.locator(f"{plot} {POINTS}").first.wait_for(state="attached", timeout=60_000)
        assert page.locator(f"{plot} {POINTS}").count() > 0
        label = _hover_first_point(page, plot)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}_exported_map.png"))
        _assert_shows_a_paragraph(label, paragraph_texts)
    finally:
        page.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory) -> Iterator[tuple[str, str, Path]]:
    """JupyterLab on localhost serving a private folder; yields (base url, token, root)."""
    home = tmp_path_factory.mktemp("lab")
    root = home / "root"
    root.mkdir()
    settings = home / "settings"
    # Render every cell (no windowing, so the map far down exists in the DOM) and fetch no news.
    for plugin, values in {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        package, _, name = plugin.rpartition("/")
        target = settings / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values), encoding="utf-8")
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    log = (home / "lab.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         # CI runs as root; no extension-manager look-ups on PyPI.
         "--allow-root", "--LabApp.extension_manager=readonly"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start: {(home / 'lab.log').read_text(errors='replace')[-2000:]}")
            time.sleep(0.5)
        yield base, token, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.parametrize(("name", "map_file"), MAP_NOTEBOOKS)
def test_jupyterlab_shows_the_map_and_a_paragraph_on_hover(browser, jupyterlab, paragraph_texts, name, map_file):
    base, token, root = jupyterlab
    out, _ = executed_run()
    shutil.copy(out / "notebooks" / f"{name}.ipynb", root / f"{name}.ipynb")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # reset: a fresh workspace, so notebooks opened by earlier cases are not in hidden tabs holding maps too.
        page.goto(f"{base}/lab/tree/{name}.ipynb?reset&token={token}", timeout=90_000)
        # The bundle has no PNG, so jupyterlab-plotly builds the live graph on first render (no mouse needed).
        output = page.locator(".jp-RenderedPlotly").first
        output.wait_for(state="attached", timeout=90_000)
        output.scroll_into_view_if_needed()
        plot = ".jp-RenderedPlotly"  # the renderer's node is the plotly graph div itself
        page.locator(f"{plot} {POINTS}").first.wait_for(state="attached", timeout=60_000)
        assert page.locator(f"{plot} {POINTS}").count() > 0
        page.locator(plot).first.scroll_into_view_if_needed()
        label = _hover_first_point(page, plot)
        _assert_shows_a_paragraph(label, paragraph_texts)
    finally:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}_jupyterlab.png"))  # also when it fails: shows why
        page.close()


def test_jupyterlab_draws_the_map_before_any_mouse_event(browser, jupyterlab):
    """The live plotly map is in the DOM on first render: no PNG placeholder waiting for the mouse."""
    from .test_maps import executed_map_notebook

    base, token, root = jupyterlab
    shutil.copy(executed_map_notebook(), root / "maps_display.ipynb")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{base}/lab/tree/maps_display.ipynb?reset&token={token}", timeout=90_000)
        output = page.locator(".jp-RenderedPlotly").first
        output.wait_for(state="attached", timeout=90_000)
        # No page.mouse call before these checks: the graph must draw by itself.
        output.locator(".main-svg").first.wait_for(state="attached", timeout=60_000)
        assert output.locator(f"{POINTS}").count() > 0
        assert output.locator("img.plot-img[src^='data:']").count() == 0
        output.scroll_into_view_if_needed()
        # The "Colour by" label sits inside the plot, left of its menu, not cut off by the margin.
        label = output.locator(".annotation-text", has_text="Colour by").first
        label_box, plot_box = label.bounding_box(), output.locator(".main-svg").first.bounding_box()
        menu_box = output.locator(".updatemenu-header").first.bounding_box()
        assert label_box and plot_box and menu_box
        assert label_box["x"] >= plot_box["x"] and label_box["x"] + label_box["width"] <= menu_box["x"] + 1
        # The static figures show as pictures, not as "<Figure size ...>".
        assert page.locator(".jp-RenderedImage img").count() >= 2
        assert page.get_by_text("<Figure size").count() == 0
    finally:
        page.keyboard.press("Escape")  # the kernel chooser (the notebook names a temporary kernel) hides the map
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "maps_display_jupyterlab.png"))
        page.close()


def test_exported_map_search_box_selection_and_csv(browser, tmp_path):
    """Search lists a known paragraph; a box drawn over a cluster lists exactly the paragraphs inside; CSV round-trips."""
    import numpy as np
    import polars as pl

    from toolkit.maps import interactive_map, read_selection

    from .test_maps import _blobs

    coords, data = _blobs(n=600, n_groups=4, n_outlets=3, seed=3)
    data = data.with_columns(pl.format("paragraph {} of {}", pl.col("paragraph_id"), pl.col("cluster_label")).alias("text"))
    page_path = tmp_path / "map.html"
    interactive_map(coords, data, color_by=("cluster", "outlet"), facet_by=None, path=page_path)
    page = browser.new_page(viewport={"width": 1300, "height": 1100}, accept_downloads=True)
    try:
        page.goto(page_path.as_uri())
        page.locator(f"#toolkit-map {POINTS}").first.wait_for(state="attached", timeout=60_000)
        # Search: one known paragraph.
        page.fill("#toolkit-map-search", "paragraph p00042 ")
        rows = page.locator("#toolkit-map-table tbody tr")
        assert rows.count() == 1
        assert "p00042" in rows.first.text_content()
        page.fill("#toolkit-map-search", "")
        # Box selection over cluster 0's points, drawn with the mouse as a reader would.
        joined = coords.join(data, on="paragraph_id", maintain_order="left")
        members = joined.filter(pl.col("cluster") == 0)
        x0, x1 = members["x"].min(), members["x"].max()
        y0, y1 = members["y"].min(), members["y"].max()
        corners = page.evaluate(
            """([x0, x1, y0, y1]) => {
                const gd = document.getElementById('toolkit-map');
                Plotly.relayout(gd, {dragmode: 'select'});
                const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
                const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
                const px = (v) => box.left + xa.d2p(v), py = (v) => box.top + ya.d2p(v);
                return [px(x0) - 3, py(y1) - 3, px(x1) + 3, py(y0) + 3];
            }""",
            [x0, x1, y0, y1],
        )
        # Everything inside the dragged box is expected (3 px of slack on each side, in data units).
        xa_scale = (corners[2] - corners[0] - 6) / (x1 - x0)
        slack = 3 / xa_scale
        inside = joined.filter(pl.col("x").is_between(x0 - slack, x1 + slack) & pl.col("y").is_between(y0 - slack, y1 + slack))
        page.mouse.move(corners[0], corners[1])
        page.mouse.down()
        page.mouse.move((corners[0] + corners[2]) / 2, (corners[1] + corners[3]) / 2, steps=5)
        page.mouse.move(corners[2], corners[3], steps=5)
        page.mouse.up()
        page.wait_for_function("document.querySelectorAll('#toolkit-map-table tbody tr').length > 0", timeout=10_000)
        listed = [tr.split()[0] for tr in page.locator("#toolkit-map-table tbody tr td:first-child").all_text_contents()]
        assert set(members["paragraph_id"]) <= set(listed)
        assert set(listed) <= set(inside["paragraph_id"])
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "explorer_box_selection.png"), full_page=True)
        with page.expect_download() as info:
            page.click("#toolkit-map-csv")
        saved = tmp_path / "selection.csv"
        info.value.save_as(saved)
        back = read_selection(saved, data)
        assert back["paragraph_id"].to_list() == listed
        assert back["text"].to_list() == data.filter(pl.col("paragraph_id").is_in(listed))["text"].to_list()
        assert np.all(back["cluster"].to_numpy() >= 0)
    finally:
        page.close()


def test_exported_map_time_filter_hides_points_outside_the_range(browser, tmp_path):
    import datetime as dt

    import polars as pl

    from toolkit.maps import interactive_map

    from .test_maps import _blobs

    coords, data = _blobs(n=600, n_groups=4, n_outlets=3, seed=3)
    data = data.with_columns(pl.Series("published", [dt.date(2025, 1, 1) + dt.timedelta(days=i % 30) for i in range(data.height)]))
    page_path = tmp_path / "map.html"
    interactive_map(coords, data, color_by=("cluster", "outlet"), facet_by=None, path=page_path)
    n_centroids = data["outlet"].n_unique()
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    try:
        page.goto(page_path.as_uri())
        points = page.locator(f"#toolkit-map {POINTS}")
        points.first.wait_for(state="attached", timeout=60_000)
        assert points.count() == data.height + n_centroids
        page.fill("#toolkit-map-from", "2025-01-10")
        page.fill("#toolkit-map-to", "2025-01-19")
        page.locator("#toolkit-map-to").dispatch_event("change")
        expected = data.filter(pl.col("published").is_between(dt.date(2025, 1, 10), dt.date(2025, 1, 19))).height
        page.wait_for_function(f"document.querySelectorAll('#toolkit-map {POINTS}').length === {expected + n_centroids}",
                               timeout=10_000)
        assert page.locator("#toolkit-map-date-status").text_content() == f"{expected} of {data.height} paragraphs in the date range"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "explorer_time_filter.png"), full_page=True)
        page.fill("#toolkit-map-from", "")
        page.fill("#toolkit-map-to", "")
        page.locator("#toolkit-map-to").dispatch_event("change")
        page.wait_for_function(f"document.querySelectorAll('#toolkit-map {POINTS}').length === {data.height + n_centroids}",
                               timeout=10_000)
    finally:
        page.close()
