"""toolkit.maps: static and offline interactive maps drawn from stored coordinates."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import os
import re
import struct
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.conftest import ROOT, seed_embedded
from toolkit.maps import (
    FACETS_DIV_ID,
    MAIN_DIV_ID,
    MapFigure,
    column_title,
    hover_texts,
    interactive_map,
    map_data,
    outlet_centroids,
    small_multiples,
    static_map,
)
from toolkit.projection import MapError, project, read_map, write_map

MIMETYPES = ("application/vnd.plotly.v1+json", "text/html", "text/plain")


@pytest.fixture(scope="session")
def map_inputs(seed_corpus, tmp_path_factory):
    """Seed coordinates stored in map.parquet and read back, plus the data frame."""
    embeddings = seed_embedded()[2]
    stored = write_map(project(embeddings), tmp_path_factory.mktemp("map") / "map.parquet")
    coords = read_map(stored)
    data = map_data(seed_corpus.articles, seed_corpus.paragraphs)
    # Stand-in for the clustering step: a few clusters, some noise (-1), labels, a score.
    n = data.height
    cluster = pl.Series("cluster", [(-1 if i % 7 == 0 else i % 4) for i in range(n)], dtype=pl.Int64)
    data = data.with_columns(
        cluster,
        pl.when(cluster >= 0).then(pl.format("theme {}", cluster)).otherwise(None).alias("cluster_label"),
        pl.Series("score", np.linspace(0, 1, n)),
    )
    return coords, data


def _png_size(blob: bytes) -> tuple[int, int]:
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    assert blob[12:16] == b"IHDR"
    return struct.unpack(">II", blob[16:24])


def _outside_plotlyjs(page: str) -> str:
    from plotly.offline import get_plotlyjs

    bundle = get_plotlyjs()
    assert bundle in page, "plotly.js is not embedded"
    return page.replace(bundle, "")


def _as_plotly_json(text: str) -> str:
    """A string as it appears inside plotly's JSON (escaped <, >, / and non-ASCII)."""
    from plotly.io.json import to_json_plotly

    return to_json_plotly(text)[1:-1]


# --------------------------------------------------------------------------- helpers


def test_map_data_joins_outlet_and_title(seed_corpus, map_inputs):
    _, data = map_inputs
    assert data.height == seed_corpus.paragraphs.height
    assert data.get_column("paragraph_id").to_list() == seed_corpus.paragraphs.get_column("paragraph_id").to_list()
    assert data.get_column("outlet").null_count() == 0
    assert {"outlet", "outlet_country", "title", "text", "published"} <= set(data.columns)


def test_outlet_centroids(map_inputs):
    coords, data = map_inputs
    cent = outlet_centroids(coords, data)
    assert cent.columns == ["outlet", "x", "y", "n_paragraphs"]
    assert cent.get_column("n_paragraphs").sum() == coords.height
    joined = coords.join(data, on="paragraph_id")
    herald = joined.filter(pl.col("outlet") == "Korea Herald")
    row = cent.filter(pl.col("outlet") == "Korea Herald").row(0, named=True)
    assert row["x"] == pytest.approx(herald.get_column("x").cast(pl.Float64).mean())
    assert row["n_paragraphs"] == herald.height
    by_country = outlet_centroids(coords, data, by="outlet_country")
    assert by_country.columns[0] == "outlet_country"


def test_hover_text_is_escaped_wrapped_and_cut():
    frame = pl.DataFrame({"text": ["word " * 200, "<script>alert(1)</script> & co", None]})
    long, nasty, missing = hover_texts(frame, "text")
    assert long.endswith("\u2026")
    assert len(long.replace("<br>", " ")) <= 300
    assert max(len(line) for line in long.split("<br>")) <= 70
    assert "<script>" not in nasty and "&lt;script&gt;" in nasty and "&amp;" in nasty
    assert missing == "(none)"


# --------------------------------------------------------------------------- static


def test_static_png_svg_expected_size_and_reproducible(map_inputs, tmp_path):
    coords, data = map_inputs
    first = static_map(coords, data, path=tmp_path / "a" / "map", title="Seeds")
    static_map(coords, data, path=tmp_path / "b" / "map", title="Seeds")
    png_a, png_b = (tmp_path / d / "map.png" for d in "ab")
    svg_a, svg_b = (tmp_path / d / "map.svg" for d in "ab")
    assert png_a.read_bytes() == png_b.read_bytes()
    assert svg_a.read_bytes() == svg_b.read_bytes()
    assert _png_size(png_a.read_bytes()) == (2000, 1400)  # 10 x 7 inches at 200 dpi
    root = ET.parse(svg_a).getroot()
    assert root.tag.endswith("svg")
    assert first.get_size_inches().tolist() == [10.0, 7.0]
    # Legend lists every outlet with its count.
    legend_texts = [t.get_text() for t in first.legends[0].get_texts()]
    assert any(t.startswith("Korea Herald (") for t in legend_texts)
    assert legend_texts[-1] == "Outlet centroid"


def test_static_options(map_inputs, tmp_path):
    coords, data = map_inputs
    fig = static_map(coords, data, color_by="cluster", label_by="cluster_label", path=tmp_path / "c.png", dpi=50)
    assert _png_size((tmp_path / "c.png").read_bytes()) == (500, 350)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"theme 0", "theme 1", "theme 2", "theme 3"} <= set(texts)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[0].startswith("0: theme 0") and any(t.startswith("-1 (") for t in legend)

    facets = static_map(coords, data, facet_by="outlet", color_by="outlet_country", path=tmp_path / "f.svg")
    n_outlets = data.get_column("outlet").n_unique()
    assert sum(ax.get_visible() for ax in facets.axes) == n_outlets
    ET.parse(tmp_path / "f.svg")

    continuous = static_map(coords, data, color_by="score")
    assert len(continuous.axes) == 2  # map and colour bar
    dated = data.with_columns(pl.Series("published", [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(data.height)]))
    static_map(coords, dated, color_by="published")


def test_static_errors_are_readable(map_inputs):
    coords, data = map_inputs
    with pytest.raises(MapError, match="lacks \\['nope'\\]"):
        static_map(coords, data, color_by="nope")
    with pytest.raises(MapError, match="duplicated paragraph_id"):
        static_map(coords, pl.concat([data, data.head(1)]))
    with pytest.raises(MapError, match="coordinates frame lacks"):
        static_map(data.select("paragraph_id"), data)


# --------------------------------------------------------------------------- interactive


@pytest.fixture(scope="module")
def page(map_inputs, tmp_path_factory):
    coords, data = map_inputs
    out = tmp_path_factory.mktemp("html") / "map.html"
    figure = interactive_map(coords, data, path=out, title="Seed corpus")
    return figure, out.read_text(encoding="utf-8"), out


def test_html_is_offline(page):
    _, text, _ = page
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, flags=re.IGNORECASE)
    rest = _outside_plotlyjs(text)
    assert "cdn.plot.ly" not in rest
    assert not re.search(r"https?://", rest)


def test_html_is_byte_identical(page, map_inputs, tmp_path):
    figure, _, out = page
    coords, data = map_inputs
    again = interactive_map(coords, data, path=tmp_path / "again.html", title="Seed corpus")
    assert (tmp_path / "again.html").read_bytes() == out.read_bytes()
    assert again.write_html(tmp_path / "third.html").read_bytes() == out.read_bytes()
    assert f'id="{MAIN_DIV_ID}"' in out.read_text(encoding="utf-8")


def test_html_hover_shows_outlet_title_and_text(page, map_inputs):
    _, text, _ = page
    coords, data = map_inputs
    joined = coords.join(data, on="paragraph_id", maintain_order="left")
    for column in ("outlet", "title", "text"):
        for hover in set(hover_texts(joined, column)):
            first_line = hover.split("<br>")[0]
            assert _as_plotly_json(first_line) in text, (column, first_line)
    figure, _, _ = page
    template = figure.figure.data[0].hovertemplate
    assert template.count("customdata") == 3


def test_one_trace_per_outlet_and_dropdown(page, map_inputs):
    figure, text, _ = page
    _, data = map_inputs
    outlets = sorted(data.get_column("outlet").unique().to_list())
    traces = figure.figure.data
    outlet_traces = [t for t in traces if (t.legendgroup or "").startswith("outlet:")]
    assert [t.name.rsplit(" (", 1)[0] for t in outlet_traces] == outlets
    assert all(t.visible is True for t in outlet_traces)
    menu = figure.figure.layout.updatemenus[0]
    # Human titles in the dropdown and the legend title, one mapping for both.
    assert [b.label for b in menu.buttons] == ["Outlet", "Outlet country", "Cluster"]
    assert figure.figure.layout.legend.title.text == "Outlet"
    for button, column in zip(menu.buttons, ["outlet", "outlet_country", "cluster"]):
        visible = button.args[0]["visible"]
        assert len(visible) == len(traces)
        shown = {traces[i].legendgroup.split(":")[0] for i, v in enumerate(visible) if v and traces[i].legendgroup != "centroids"}
        assert shown == {column}
        assert button.args[1] == {"legend.title.text": column_title(column)}
    assert '"updatemenus"' in text
    # Cluster legend names carry their labels; noise is grey.
    cluster_names = [t.name for t in traces if (t.legendgroup or "").startswith("cluster:")]
    assert cluster_names[0].startswith("0: theme 0")


def test_centroids_and_facets(page, map_inputs):
    figure, text, _ = page
    coords, data = map_inputs
    centroids = [t for t in figure.figure.data if t.legendgroup == "centroids"]
    assert len(centroids) == 1
    expected = outlet_centroids(coords, data)
    # Names that would overprint a larger outlet's are left to the hover (CTV News, SCMP and NHK overprinted on the seeds).
    names = expected.get_column("outlet").to_list()
    shown = list(centroids[0].text)
    assert all(t in ("", n) for t, n in zip(shown, names)) and "Korea Herald" in shown
    assert [row[0] for row in centroids[0].customdata] == names
    assert [int(row[1]) for row in centroids[0].customdata] == expected.get_column("n_paragraphs").to_list()
    assert "paragraphs" in centroids[0].hovertemplate
    # Small multiples: one panel per outlet, in the same page.
    titles = [a.text for a in figure.facets.layout.annotations]
    assert [t.rsplit(" (n=", 1)[0] for t in titles] == expected.get_column("outlet").to_list()
    assert f'id="{FACETS_DIV_ID}"' in text
    assert text.count("Plotly.newPlot") == 2


def test_colour_columns_default_and_explicit(map_inputs):
    coords, data = map_inputs
    plain = data.drop("cluster", "cluster_label")
    figure = interactive_map(coords, plain, facet_by=None)
    assert figure.color_by == ["outlet", "outlet_country"]
    assert figure.facets is None
    with pytest.raises(MapError, match="lacks \\['cluster'\\]"):
        interactive_map(coords, plain, color_by=["outlet", "cluster"])
    continuous = interactive_map(coords, data, color_by="score", facet_by=None)
    assert continuous.figure.data[0].marker.showscale is True


def test_repr_mimebundle(page):
    figure, _, _ = page
    bundle = figure._repr_mimebundle_()
    assert set(MIMETYPES) <= set(bundle)
    # No PNG entry: JupyterLab's plotly renderer would show it instead of the live map until the mouse enters.
    assert "image/png" not in bundle
    spec = bundle["application/vnd.plotly.v1+json"]
    assert len(spec["data"]) == len(figure.figure.data) and "layout" in spec
    html_part = bundle["text/html"]
    # Fallback where scripts do not run: the static map, 1000 x 700, removed by the plot's script.
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', html_part).group(1))
    assert _png_size(png) == (1000, 700)
    assert not re.search(r"<script[^>]*\bsrc\s*=", html_part)
    _outside_plotlyjs(html_part)
    # Two displays in one notebook must not share a div id.
    assert re.search(r'id="(toolkit-map-[0-9a-f]+-\d+)"', html_part).group(1) not in figure._repr_mimebundle_()["text/html"]
    assert set(figure._repr_mimebundle_(include={"text/html"})) == {"text/html"}
    figure.notebook_html = False
    try:
        assert "text/html" not in figure._repr_mimebundle_()
    finally:
        figure.notebook_html = True


def test_figures_are_drawn_from_stored_coordinates(map_inputs, monkeypatch, tmp_path):
    """Nothing in maps may recompute a projection."""
    import umap

    import toolkit.projection as tp

    def forbidden(*args, **kwargs):
        raise AssertionError("a map recomputed the projection")

    monkeypatch.setattr(umap, "UMAP", forbidden)
    monkeypatch.setattr(tp, "project", forbidden)
    monkeypatch.setattr(tp, "_umap_2d", forbidden)
    monkeypatch.setattr(tp, "pca_2d", forbidden)
    coords, data = map_inputs
    static_map(coords, data, path=tmp_path / "s")
    figure = interactive_map(coords, data, path=tmp_path / "i.html")
    assert isinstance(figure, MapFigure)
    assert set(MIMETYPES) <= set(figure._repr_mimebundle_())


def test_shuffled_data_gives_same_map(map_inputs, tmp_path):
    coords, data = map_inputs
    a = interactive_map(coords, data, facet_by=None).to_html()
    b = interactive_map(coords, data.reverse(), facet_by=None).to_html()
    assert a == b


def _many_groups(n_groups: int):
    """Coordinates and data for ``n_groups`` outlets, outlet k holding k % 5 + 1 paragraphs."""
    ids, outlets = [], []
    for k in range(n_groups):
        for j in range(k % 5 + 1):
            ids.append(f"p{k}-{j}")
            outlets.append(f"Outlet {k:03d}")
    rng = np.random.default_rng(0)
    coords = pl.DataFrame({"paragraph_id": ids, "x": rng.normal(size=len(ids)), "y": rng.normal(size=len(ids))})
    data = pl.DataFrame({"paragraph_id": ids, "outlet": outlets, "text": ["t"] * len(ids)})
    return coords, data


def test_facets_are_capped_and_pool_the_rest():
    coords, data = _many_groups(120)
    fig = interactive_map(coords, data, color_by="outlet", hover=("outlet",))
    titles = [a.text for a in fig.facets.layout.annotations]
    assert len(titles) == 24
    # The 23 largest (5 paragraphs each, first by name) get panels; the other 97 share the last.
    assert titles[0] == "Outlet 004 (n=5)"
    assert titles[-1] == f"other 97 outlet values (n={data.height - 23 * 5})"
    assert "the other 97" in fig.facets.layout.title.text
    # Legend: the 30 largest outlets (24 of 5 paragraphs, 6 of 4) plus one pooled trace; every point is still drawn once.
    names = [t.name for t in fig.figure.data if t.legendgroup != "centroids" and t.name.startswith(("Outlet", "other"))]
    assert len(names) == 31 and names[-1] == f"other: 90 values ({data.height - 24 * 5 - 6 * 4})"
    assert sum(len(t.x) for t in fig.figure.data[:31]) == data.height
    static = static_map(coords, data, facet_by="outlet", max_facets=6)
    assert sum(ax.get_visible() for ax in static.axes) == 6
    assert "the other 115" in static._supxlabel.get_text()


def test_few_facets_are_not_pooled():
    coords, data = _many_groups(5)
    fig = interactive_map(coords, data, color_by="outlet", hover=("outlet",))
    assert [a.text for a in fig.facets.layout.annotations] == [f"Outlet {k:03d} (n={k + 1})" for k in range(5)]
    assert not any((t.name or "").startswith("other") for t in fig.figure.data)


def test_bad_caps_raise():
    coords, data = _many_groups(5)
    with pytest.raises(MapError, match="max_facets"):
        interactive_map(coords, data, color_by="outlet", max_facets=0)
    with pytest.raises(MapError, match="max_legend"):
        interactive_map(coords, data, color_by="outlet", max_legend=0)


# --------------------------------------------------------------------------- legibility (issue 14)


def _lab(hex_colour: str, matrix: np.ndarray | None = None) -> np.ndarray:
    """CIELAB of an sRGB colour, optionally after a colour-vision-deficiency matrix on linear RGB."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    if matrix is not None:
        lin = np.clip(matrix @ lin, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ lin
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
CVD = {
    "normal": None,
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]),
}


def test_palette_is_colour_blind_safe_for_14_categories():
    from toolkit.maps import MISSING_COLOR, SAFE_PALETTE, _palette

    colours = _palette(14)
    assert len(set(colours)) == 14
    assert [c.upper() for c in colours] == list(SAFE_PALETTE)
    assert MISSING_COLOR not in colours
    for name, matrix in CVD.items():
        labs = [_lab(c, matrix) for c in colours]
        closest = min(np.linalg.norm(a - b) for i, a in enumerate(labs) for b in labs[i + 1:])
        assert closest >= 10.0, (name, closest)  # tab20 has pairs at 4
    # More than 14 categories still get distinct colours.
    assert len(set(_palette(40))) == 40


def test_column_titles_are_human_and_shared():
    assert column_title("outlet_country") == "Outlet country"
    assert column_title("primary_frame") == "Primary frame"
    assert column_title("outlet") == "Outlet"
    assert column_title("my_score_2") == "My score 2"
    coords, data = _blobs(n=300, n_groups=3)
    data = data.with_columns(pl.col("outlet").alias("primary_frame"))
    fig = static_map(coords, data, color_by="primary_frame", centroids_by=None)
    assert fig.legends[0].get_title().get_text() == "Primary frame"
    small = small_multiples(coords, data, by="outlet", color_by="primary_frame")
    assert small.legends[0].get_title().get_text() == "Primary frame"
    inter = interactive_map(coords, data, color_by=["primary_frame", "outlet"], hover=("outlet",))
    assert [b.label for b in inter.figure.layout.updatemenus[0].buttons] == ["Primary frame", "Outlet"]
    assert inter.facets.layout.legend.title.text == "Primary frame"


def test_point_size_and_alpha_follow_the_documented_formula():
    from toolkit.maps import _point_alpha, _point_size

    assert _point_size(50) == 36.0 and _point_size(100_000) == pytest.approx(400 / np.sqrt(100_000))
    assert _point_size(8_000) == pytest.approx(400 / np.sqrt(8_000))
    assert _point_size(10_000_000) == 0.5
    assert _point_alpha(500) == 0.9 and _point_alpha(8_000) == pytest.approx(0.25 ** 0.35)
    assert _point_alpha(1_000_000) == 0.25
    sizes = [_point_size(n) for n in (10, 100, 1_000, 10_000, 100_000)]
    assert sizes == sorted(sizes, reverse=True)


def _blobs(n: int, n_groups: int, *, n_far: int = 0, n_outlets: int = 8, seed: int = 0):
    """``n`` points in ``n_groups`` Gaussian clusters (labels "cluster k: words"), plus ``n_far`` far-out points.

    Outlets are assigned at random, so their centroids all fall near the middle and collide.
    """
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(n_groups, 2))
    group = np.arange(n) % n_groups
    xy = centres[group] + rng.normal(scale=0.8, size=(n, 2))
    if n_far:
        xy[:n_far] = rng.choice([-1, 1], size=(n_far, 2)) * rng.uniform(200, 400, size=(n_far, 2))
    ids = [f"p{i:05d}" for i in range(n)]
    coords = pl.DataFrame({"paragraph_id": ids, "x": xy[:, 0], "y": xy[:, 1]})
    data = pl.DataFrame({
        "paragraph_id": ids,
        "outlet": [f"Outlet number {k}" for k in rng.integers(0, n_outlets, size=n)],
        "cluster": group.astype(np.int64),
        "cluster_label": [f"topic {g}: words, more words" for g in group],
        "text": ["t"] * n,
    })
    return coords, data


def _label_boxes(fig) -> list:
    """Display boxes of the labels as drawn (text with its frame), at the figure's dpi."""
    from matplotlib.text import Text

    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    boxes = []
    for artist in fig.labels.artists:
        if isinstance(artist, Text):
            patch = artist.get_bbox_patch()
            boxes.append((patch or artist).get_window_extent(renderer))
    return boxes


def _assert_no_overlap(boxes) -> None:
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)


def test_seed_labels_do_not_overlap(map_inputs):
    coords, data = map_inputs
    fig = static_map(coords, data, color_by="cluster", label_by="cluster_label")
    placed = fig.labels
    assert {"theme 0", "theme 1", "theme 2", "theme 3"} <= set(placed.texts)
    n_outlets = data.get_column("outlet").n_unique()
    # Every outlet is named beside its diamond or by a number listed in the caption.
    named = [t for t, k in zip(placed.texts, placed.kinds) if k == "centroid"]
    assert len(named) + len(placed.numbered) == n_outlets and not placed.unlabelled
    caption = fig._supxlabel.get_text().replace("\n", " ")
    for k, name in enumerate(placed.numbered, 1):
        assert f"{k} = {name}" in caption
    boxes = _label_boxes(fig)
    assert len(boxes) == len(placed.texts)
    _assert_no_overlap(boxes)
    # Inside the map's frame.
    frame = fig.axes[0].get_window_extent()
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1 for b in boxes)


def test_large_map_labels_clusters_without_overlap_and_clamps_outliers(tmp_path):
    coords, data = _blobs(n=6_000, n_groups=14, n_far=12)
    fig = static_map(coords, data, color_by="cluster", label_by="cluster_label", path=tmp_path / "big.png")
    placed = fig.labels
    assert sorted(t for t, k in zip(placed.texts, placed.kinds) if k == "group") == sorted(
        "\n".join(__import__("textwrap").wrap(f"topic {g}: words, more words", 24)) for g in range(14))
    assert placed.leaders >= 14  # a label never hides its own clump: each has a leader line
    _assert_no_overlap(_label_boxes(fig))
    # Eight outlets drawn at random share one middle: their centroids collide, so some get numbers.
    assert len(placed.numbered) + len(placed.unlabelled) > 0
    caption = fig._supxlabel.get_text().replace("\n", " ")
    assert "12 far-out paragraphs are drawn as \u00d7" in caption
    assert any("beyond the frame, at its edge (12)" == t.get_text() for t in fig.legends[0].get_texts())
    # The frame fits the bulk: the 12 far points (200 to 400 away) no longer set the range.
    ax = fig.axes[0]
    assert max(abs(v) for v in (*ax.get_xlim(), *ax.get_ylim())) < 40
    # Without zoom every point is at its place and nothing is clamped.
    full = static_map(coords, data, color_by="cluster", zoom=None, centroids_by=None)
    assert max(abs(v) for v in full.axes[0].get_xlim()) > 200
    assert "far-out" not in full._supxlabel.get_text()
    # Same input, same bytes, labels included.
    static_map(coords, data, color_by="cluster", label_by="cluster_label", path=tmp_path / "again.png")
    assert (tmp_path / "big.png").read_bytes() == (tmp_path / "again.png").read_bytes()


def test_zoom_is_validated():
    coords, data = _blobs(n=50, n_groups=2)
    with pytest.raises(MapError, match="zoom"):
        static_map(coords, data, zoom=(90, 10))


def test_figures_display_as_png_in_notebooks(map_inputs):
    """Executed notebooks, their HTML and papermill show the picture, not '<Figure size ...>'."""
    from IPython.core.formatters import DisplayFormatter

    from toolkit.distinctive import plot_fightin_words

    coords, data = map_inputs
    formatter = DisplayFormatter()
    words = pl.DataFrame({"term": ["a", "b", "c"], "count_a": [5, 1, 3], "count_b": [1, 6, 3], "z": [2.5, -2.2, 0.1]})
    for fig in (static_map(coords, data, title="Seeds"), small_multiples(coords, data), plot_fightin_words(words)):
        bundle, _ = formatter.format(fig)
        assert set(bundle) == {"image/png", "text/plain"}
        png = bundle["image/png"]
        png = png if isinstance(png, bytes) else base64.b64decode(png)
        width, height = _png_size(png)
        w_in, h_in = fig.get_size_inches()
        assert (width, height) == (round(w_in * 120), round(h_in * 120))
        assert "Figure size" not in bundle["text/plain"]
    # Not registered with pyplot: the inline backend cannot show it a second time.
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []


def test_small_multiples_title_clear_of_legend(map_inputs):
    coords, data = map_inputs
    fig = small_multiples(coords, data, by="outlet", color_by="outlet_country", title="Country of each outlet's paragraphs")
    n_outlets = data.get_column("outlet").n_unique()
    assert sum(ax.get_visible() for ax in fig.axes) == n_outlets
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    title = fig._suptitle.get_window_extent(renderer)
    legend = fig.legends[0].get_window_extent(renderer)
    assert not title.overlaps(legend)
    # The legend lists every country, not only the last panel's.
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    countries = data.get_column("outlet_country").drop_nulls().unique().to_list()
    assert all(any(t.startswith(f"{c} (") for t in texts) for c in countries)


# --------------------------------------------------------------------------- display in executed notebooks

MAP_NOTEBOOK = '''# %% [markdown]
# A map notebook executed as the appendix and papermill execute them.

# %% tags=["parameters"]
n_points = 400

# %%
from tests.test_maps import _blobs
from toolkit.maps import interactive_map, small_multiples, static_map

coords, data = _blobs(n=n_points, n_groups=4, n_outlets=3)

# %%
interactive_map(coords, data, color_by=("outlet", "cluster"), facet_by=None, title="Blobs")

# %%
static_map(coords, data, color_by="cluster", label_by="cluster_label", title="Blobs, static")

# %%
small_multiples(coords, data, by="outlet", color_by="cluster")
'''


@functools.cache
def executed_map_notebook() -> Path:
    """A small notebook drawing the three kinds of map, executed by a real kernel (shared with test_browser)."""
    from toolkit.appendix import execute_notebook

    folder = Path(tempfile.mkdtemp(prefix="toolkit-map-nb-"))
    source = folder / "maps_display.py"
    source.write_text(MAP_NOTEBOOK, encoding="utf-8")
    out = folder / "maps_display.ipynb"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    execute_notebook(source, out, {}, env=env)
    return out


@pytest.mark.slow
def test_executed_notebook_shows_live_map_and_pictures(tmp_path):
    import nbformat

    from toolkit.appendix import export_html

    nb = nbformat.read(executed_map_notebook(), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    interactive, static, facets = ([o for o in c.outputs if "data" in o] for c in code[-3:])
    assert len(interactive) == 1 and len(static) == 1 and len(facets) == 1  # each shown once
    bundle = interactive[0]["data"]
    assert "image/png" not in bundle  # no placeholder that JupyterLab shows instead of the live map
    assert "application/vnd.plotly.v1+json" in bundle
    assert re.search(r'<div id="toolkit-map-[0-9a-f]+-\d+"', bundle["text/html"])
    assert "Plotly.newPlot" in bundle["text/html"]
    # The exploration panel comes along in the HTML (nbconvert export, classic Notebook), with ids of its own plot.
    div = re.search(r'<div id="(toolkit-map-[0-9a-f]+-\d+)"', bundle["text/html"]).group(1)
    assert f'id="{div}-search"' in bundle["text/html"] and f'id="{div}-rows"' in bundle["text/html"]
    for out in (static[0], facets[0]):
        assert "image/png" in out["data"], out["data"].get("text/plain")
        assert not out["data"]["text/plain"].startswith("<Figure size")
    page = export_html(executed_map_notebook(), tmp_path / "maps_display.html").read_text(encoding="utf-8")
    assert "&lt;Figure size" not in page and "<Figure size" not in page
    assert page.count('src="data:image/png;base64,') >= 3  # two figures and the map's no-script fallback


def test_fightin_words_labels_do_not_overprint():
    """Tied terms (same count, same z) share one label; close ones move apart or are left out."""
    from toolkit.distinctive import plot_fightin_words

    terms = [f"term{k}" for k in range(30)]
    counts = [5, 5, 5, 6, 6, 7] + list(range(8, 32))
    z = [-2.3, -2.3, -2.3, -2.5, -2.5, -2.4] + [-2.0 - 0.01 * k for k in range(24)]
    words = pl.DataFrame({"term": terms, "count_a": [1] * 30, "count_b": [c - 1 for c in counts], "z": z,
                          "group_a": ["A"] * 30, "group_b": ["B"] * 30})
    fig = plot_fightin_words(words, label_top=15)
    placed = fig.labels
    assert "term0, term1, term2" in placed.texts and "term3, term4" in placed.texts
    _assert_no_overlap(_label_boxes(fig))
    shown = sum(len(t.split(", ")) for t in placed.texts) + sum(len(t.split(", ")) for t in placed.unlabelled)
    assert shown == 15


def test_page_has_explorer_with_escaped_rows(map_inputs, tmp_path):
    coords, data = map_inputs
    nasty = data.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("</script><script>alert(1)</script> & co"))
                              .otherwise(pl.col("text")).alias("text"))
    page = interactive_map(coords, nasty, facet_by=None).to_html()
    assert 'id="toolkit-map-search"' in page and 'id="toolkit-map-csv"' in page
    rows = re.search(r'<script type="application/json" id="toolkit-map-rows">(.*?)</script>', page, flags=re.DOTALL).group(1)
    assert "<" not in rows and ">" not in rows  # the paragraph cannot close the script element
    import json

    spec = json.loads(rows)
    assert spec["columns"][0] == "paragraph_id" and len(spec["rows"]) == coords.height
    assert "</script><script>alert(1)</script> & co" in {r[spec["columns"].index("text")] for r in spec["rows"]}
    # Every point trace carries its row number last in customdata, in coordinate order.
    trace = next(t for t in interactive_map(coords, data, facet_by=None).figure.data if t.legendgroup != "centroids")
    ids = coords["paragraph_id"].to_list()
    assert all(ids[int(cd[-1])] for cd in trace.customdata)
    without = interactive_map(coords, data, facet_by=None)
    without.explore = False
    assert 'id="toolkit-map-search"' not in without.to_html()


def test_read_selection_returns_rows_in_csv_order(map_inputs, tmp_path):
    from toolkit.maps import read_selection

    _, data = map_inputs
    picked = data["paragraph_id"].to_list()[5:0:-1]
    (tmp_path / "sel.csv").write_text("paragraph_id,outlet\n" + "\n".join(f"{p},x" for p in picked) + "\n", encoding="utf-8")
    back = read_selection(tmp_path / "sel.csv", data)
    assert back["paragraph_id"].to_list() == picked
    assert back.columns == data.columns
