"""toolkit.maps: static and offline interactive maps drawn from stored coordinates."""

from __future__ import annotations

import base64
import datetime as dt
import re
import struct
import xml.etree.ElementTree as ET

import numpy as np
import polars as pl
import pytest

from toolkit.maps import (
    FACETS_DIV_ID,
    MAIN_DIV_ID,
    MapFigure,
    hover_texts,
    interactive_map,
    map_data,
    outlet_centroids,
    static_map,
)
from tests.conftest import seed_embedded
from toolkit.projection import MapError, project, read_map, write_map

MIMETYPES = ("application/vnd.plotly.v1+json", "text/html", "image/png")


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
    assert legend_texts[-1] == "outlet centroid"


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
    assert [b.label for b in menu.buttons] == ["outlet", "outlet_country", "cluster"]
    for button in menu.buttons:
        visible = button.args[0]["visible"]
        assert len(visible) == len(traces)
        shown = {traces[i].legendgroup.split(":")[0] for i, v in enumerate(visible) if v and traces[i].legendgroup != "centroids"}
        assert shown == {button.label}
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
    assert list(centroids[0].text) == expected.get_column("outlet").to_list()
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
    png = base64.b64decode(bundle["image/png"])
    assert _png_size(png) == (1000, 700)
    spec = bundle["application/vnd.plotly.v1+json"]
    assert len(spec["data"]) == len(figure.figure.data) and "layout" in spec
    html_part = bundle["text/html"]
    assert "data:image/png;base64," in html_part  # fallback where scripts do not run
    assert not re.search(r"<script[^>]*\bsrc\s*=", html_part)
    _outside_plotlyjs(html_part)
    # Two displays in one notebook must not share a div id.
    assert re.search(r'id="(toolkit-map-[0-9a-f]+-\d+)"', html_part).group(1) not in figure._repr_mimebundle_()["text/html"]
    assert set(figure._repr_mimebundle_(include={"image/png"})) == {"image/png"}
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
    names = [t.name for t in fig.figure.data if t.name and t.name.startswith(("Outlet", "other"))]
    assert len(names) == 31 and names[-1] == f"other: 90 values ({data.height - 24 * 5 - 6 * 4})"
    assert sum(len(t.x) for t in fig.figure.data[:31]) == data.height
    static = static_map(coords, data, facet_by="outlet", max_facets=6)
    assert sum(ax.get_visible() for ax in static.axes) == 6
    assert "the other 115" in static._suptitle.get_text()


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
