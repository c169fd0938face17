"""Maps of the shared paragraph projection: static figures and offline HTML.

Every function here takes a *coordinates* frame (``paragraph_id``, ``x``,
``y``; from :func:`toolkit.projection.project` or ``map.parquet``) and a
*data* frame joined to it on ``paragraph_id`` that holds the columns to
colour, label and hover by (``outlet``, ``outlet_country``, ``title``,
``text``, ``cluster``, ``cluster_label``, ...; :func:`map_data` builds one
from a corpus). Nothing here computes a projection: figures are always
redrawn from stored coordinates, so they cannot drift between runs.

- :func:`static_map`: a matplotlib figure written as PNG and SVG with fixed
  size and reproducible bytes: fitted to the bulk of the points, cluster
  labels placed without overlaps, a colour-blind-safe palette; it shows as
  a PNG in notebooks. :func:`small_multiples`: one panel per outlet.
- :func:`interactive_map`: a :class:`MapFigure` holding a plotly map (colour
  switchable by a dropdown, hover with outlet, title and paragraph text,
  outlet centroids) and small multiples by outlet; written as one
  self-contained HTML file with plotly.js inline (no CDN, works offline)
  and an exploration panel (search, selection table, CSV, date filter),
  and drawn live on first render in JupyterLab.
- :func:`outlet_centroids`: mean position and size of each outlet;
  :func:`read_selection`: a selection saved from the page, as a frame.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import io
import itertools
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from toolkit.projection import MapError, _check_coords
from toolkit.schema import require_columns

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure
    from plotly.graph_objects import Figure as PlotlyFigure

DEFAULT_COLOR_BY: tuple[str, ...] = ("outlet", "outlet_country", "cluster")
DEFAULT_HOVER: tuple[str, ...] = ("outlet", "title", "text")
# Hover text is wrapped at this width and cut after this many characters:
# a full paragraph would cover the map.
HOVER_WIDTH = 70
HOVER_CHARS = 300
# Grey for nulls and for cluster -1 (noise in HDBSCAN-style labellings).
MISSING_COLOR = "#b0b0b0"
NOISE_VALUES = frozenset({-1, "-1"})
MISSING_LABEL = "(none)"
# Fixed ids make the HTML byte-identical from run to run (plotly's default is a uuid4).
MAIN_DIV_ID = "toolkit-map"
FACETS_DIV_ID = "toolkit-map-facets"
# Static figures: fixed size and resolution (inches, dots per inch).
STATIC_SIZE = (10.0, 7.0)
STATIC_DPI = 200
NOTEBOOK_DPI = 100
# Above this many points the interactive map uses WebGL traces.
WEBGL_POINTS = 20_000
# Small multiples draw the whole corpus in grey behind each outlet; beyond
# this many points a regular subsample keeps the file size in check.
FACET_CONTEXT_POINTS = 5_000
#: Small multiples draw at most this many groups (the largest by paragraph
#: count) in panels of their own; the rest share one last panel, and the
#: figure title says how many were pooled. Real corpora have hundreds of
#: outlets, and a page of 500 panels is neither readable nor drawable
#: (plotly refuses more than about 50 rows of subplots).
MAX_FACETS = 24
#: The interactive legend lists at most this many categories (the largest);
#: the others are drawn as one "other" trace.
MAX_LEGEND = 30
OTHER_COLOR = "#8c8c8c"
# Room left of the "colour by" menu for its label (pixels).
MENU_LABEL_PX = 78
#: Default percentiles the static map is fitted to (see :func:`static_map`, ``zoom``).
ZOOM_QUANTILES: tuple[float, float] = (0.5, 99.5)
# The fitted box is widened by this share of its span on each side; the
# axes add a little more so that the crosses at the edge are whole.
ZOOM_PAD = 0.10



def _missing_module(name: str, pin: str) -> MapError:
    msg = f"got no {name!r} module, expected it to be installed: pip install {pin}"
    return MapError(msg)


def _plotly() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError as exc:  # pragma: no cover - pinned dependency
        raise _missing_module("plotly", "plotly==7.1.0") from exc
    return go


# --------------------------------------------------------------------------- data


#: Article columns :func:`map_data` carries to every paragraph (when the articles frame has them).
MAP_ARTICLE_COLUMNS = ("outlet", "outlet_country", "title", "published", "story_id", "duplicate_of")


def map_data(articles: pl.DataFrame, paragraphs: pl.DataFrame, *extra: pl.DataFrame) -> pl.DataFrame:
    """Join paragraphs with their article's outlet, country, title and date.

    Parameters
    ----------
    articles : pl.DataFrame
        Articles frame (:data:`toolkit.schema.ARTICLES`), e.g. ``corpus.articles``.
    paragraphs : pl.DataFrame
        Paragraphs frame (:data:`toolkit.schema.PARAGRAPHS`).
    *extra : pl.DataFrame
        Further frames keyed by ``paragraph_id`` (clusters, events, frame
        scores); their other columns are added with a left join.

    Returns
    -------
    pl.DataFrame
        One row per paragraph: ``paragraph_id``, ``article_id``, ``position``,
        ``kind``, ``text``, ``outlet``, ``outlet_country``, ``title``,
        ``published``, ``story_id``, ``duplicate_of``, then the extra columns.
    """
    wanted = MAP_ARTICLE_COLUMNS
    for name, frame, need in (
        ("articles", articles, ("article_id",)),
        ("paragraphs", paragraphs, ("paragraph_id", "article_id", "text")),
    ):
        if not isinstance(frame, pl.DataFrame):
            msg = f"got {type(frame).__name__} for {name}, expected a Polars DataFrame"
            raise MapError(msg)
        require_columns(frame, need, name=name, error=MapError)
    keep = ["article_id", *[c for c in wanted if c in articles.columns]]
    para_cols = [c for c in ("paragraph_id", "article_id", "position", "kind", "text") if c in paragraphs.columns]
    out = paragraphs.select(para_cols).join(
        articles.select(keep).unique("article_id", keep="first", maintain_order=True),
        on="article_id",
        how="left",
        maintain_order="left",
    )
    for frame in extra:
        if "paragraph_id" not in frame.columns:
            msg = f"extra frame lacks paragraph_id: got columns {frame.columns}"
            raise MapError(msg)
        new = [c for c in frame.columns if c == "paragraph_id" or c not in out.columns]
        out = out.join(frame.select(new), on="paragraph_id", how="left", maintain_order="left")
    return out


def _join(coords: Any, data: Any, columns: Sequence[str]) -> pl.DataFrame:
    """Coordinates with the requested data columns, in coordinate order."""
    coords = _check_coords(coords)
    if coords.height == 0:
        msg = "got 0 coordinates, expected at least one paragraph to draw"
        raise MapError(msg)
    if coords.select(pl.col("x").is_null().any() | pl.col("y").is_null().any()).item():
        msg = "got null x/y coordinates, expected every paragraph to be placed"
        raise MapError(msg)
    if isinstance(data, pl.LazyFrame):
        data = data.collect()
    if not isinstance(data, pl.DataFrame):
        msg = f"got {type(data).__name__} for data, expected a Polars DataFrame with paragraph_id"
        raise MapError(msg)
    if "paragraph_id" not in data.columns:
        msg = f"data frame lacks paragraph_id: got columns {data.columns}, expected paragraph_id plus {list(columns)}"
        raise MapError(msg)
    missing = [c for c in dict.fromkeys(columns) if c not in data.columns]
    if missing:
        msg = f"data frame lacks {missing}: got columns {data.columns}"
        raise MapError(msg)
    ids = data.get_column("paragraph_id")
    if ids.n_unique() != data.height:
        dup = ids.filter(ids.is_duplicated()).unique().sort().head(3).to_list()
        msg = f"got duplicated paragraph_id values in data such as {dup}, expected one row per paragraph"
        raise MapError(msg)
    cols = [c for c in dict.fromkeys(columns) if c not in ("paragraph_id", "x", "y")]
    return coords.select(
        pl.col("paragraph_id").cast(pl.String),
        pl.col("x").cast(pl.Float64),
        pl.col("y").cast(pl.Float64),
    ).join(
        data.select("paragraph_id", *cols).with_columns(pl.col("paragraph_id").cast(pl.String)),
        on="paragraph_id",
        how="left",
        maintain_order="left",
    )


def _resolve(requested: str | Sequence[str] | None, default: tuple[str, ...], data: pl.DataFrame) -> list[str]:
    """Columns to use: a default drops the ones ``data`` lacks, an explicit list does not."""
    if requested is None:
        return []
    if isinstance(requested, str):
        requested = (requested,)
    if tuple(requested) == default:
        return [c for c in requested if c in data.columns]
    return list(requested)


def outlet_centroids(coords: pl.DataFrame, data: pl.DataFrame, *, by: str = "outlet") -> pl.DataFrame:
    """Mean map position of each outlet (or any other grouping column).

    Parameters
    ----------
    coords : pl.DataFrame
        ``paragraph_id``, ``x``, ``y``.
    data : pl.DataFrame
        ``paragraph_id`` and the ``by`` column.
    by : str, default "outlet"
        Grouping column; nulls form a group of their own.

    Returns
    -------
    pl.DataFrame
        ``by``, ``x``, ``y`` (Float64 means) and ``n_paragraphs`` (UInt32),
        sorted by ``by``.
    """
    joined = _join(coords, data, [by])
    return (
        joined.group_by(by)
        .agg(pl.col("x").mean(), pl.col("y").mean(), pl.len().alias("n_paragraphs"))
        .sort(by, nulls_last=True)
    )


# --------------------------------------------------------------------------- colours


@dataclass
class _Colouring:
    """How one column is coloured: categories with colours, or a continuous scale."""

    column: str
    kind: str  # "categorical" or "continuous"
    # categorical
    keys: list[Any] = field(default_factory=list)  # category value per legend entry (None = missing)
    labels: list[str] = field(default_factory=list)
    colors: list[str] = field(default_factory=list)
    codes: np.ndarray | None = None  # per point: index into keys
    # continuous
    values: np.ndarray | None = None
    tickvals: list[float] = field(default_factory=list)
    ticktext: list[str] = field(default_factory=list)


#: Colour-blind-safe categorical palette for up to 14 categories: the seven
#: Okabe-Ito colours (black left out: it is the centroid and text colour),
#: then seven of Paul Tol's (dark, muted and light schemes) chosen so that
#: every pair stays at least 11 CIELAB units apart for normal vision and
#: under simulated deuteranopia, protanopia and tritanopia (tests check it).
SAFE_PALETTE: tuple[str, ...] = (
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
    "#663333", "#332288", "#666633", "#AA3377", "#999933", "#225555", "#EECC66",
)


def _palette(n: int) -> list[str]:
    """``n`` category colours: :data:`SAFE_PALETTE` first, then matplotlib's tab20/b/c.

    Beyond 14 categories no palette keeps every pair apart; the legend
    pools the smallest (``max_legend``) and hover names each point.
    """
    import matplotlib as mpl

    extra = [mpl.colors.to_hex(c).upper() for c in
             (*mpl.colormaps["tab20"].colors, *mpl.colormaps["tab20b"].colors, *mpl.colormaps["tab20c"].colors)]
    base = [*SAFE_PALETTE, *(c for c in extra if c not in SAFE_PALETTE)]
    return [c.lower() for c in itertools.islice(itertools.cycle(base), n)]


#: Titles shown for columns in legends, dropdowns, colour bars and facet
#: titles; any other column name is shown with underscores as spaces and a
#: capital first letter (:func:`column_title`).
COLUMN_TITLES: dict[str, str] = {
    "outlet": "Outlet",
    "outlet_country": "Outlet country",
    "outlet_type": "Outlet type",
    "primary_frame": "Primary frame",
    "cluster": "Cluster",
    "cluster_label": "Cluster label",
    "published": "Publication date",
    "story_id": "Story",
    "event_id": "Event",
    "event": "Event",
    "kind": "Paragraph kind",
}


def column_title(column: str) -> str:
    """The human title of a data column (``"outlet_country"`` -> ``"Outlet country"``)."""
    if column in COLUMN_TITLES:
        return COLUMN_TITLES[column]
    text = column.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else column


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (2, 0)
    if value in NOISE_VALUES:
        return (1, 0)
    return (0, value)


def _colouring(frame: pl.DataFrame, column: str, *, label_column: str | None = None) -> _Colouring:
    series = frame.get_column(column)
    dtype = series.dtype
    temporal = dtype.is_temporal()
    if dtype.is_float() or (temporal and series.n_unique() > 30):
        numeric = series.cast(pl.Float64) if not temporal else series.cast(pl.Int64).cast(pl.Float64)
        values = numeric.to_numpy().astype(np.float64)
        finite = values[np.isfinite(values)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        tickvals = [float(v) for v in np.linspace(lo, hi, 5)] if hi > lo else [lo]
        if temporal:
            ticktext = pl.Series(tickvals).cast(pl.Int64).cast(dtype).cast(pl.String).to_list()
        else:
            ticktext = [f"{v:.3g}" for v in tickvals]
        return _Colouring(column, "continuous", values=values, tickvals=tickvals, ticktext=ticktext)
    keys = sorted(series.unique().to_list(), key=_sort_key)
    names: dict[Any, str] = {}
    if label_column and label_column in frame.columns and label_column != column:
        pairs = frame.select(column, label_column).drop_nulls().unique(column, keep="first", maintain_order=True)
        names = dict(zip(pairs.get_column(column).to_list(), pairs.get_column(label_column).cast(pl.String).to_list()))
    labels = []
    for key in keys:
        if key is None:
            labels.append(MISSING_LABEL)
        elif key in names and str(names[key]) != str(key):
            labels.append(f"{key}: {names[key]}")
        else:
            labels.append(str(key))
    regular = [k for k in keys if k is not None and k not in NOISE_VALUES]
    palette = iter(_palette(len(regular)))
    colors = [MISSING_COLOR if (k is None or k in NOISE_VALUES) else next(palette) for k in keys]
    index = {k: i for i, k in enumerate(keys)}
    codes = np.array([index[v] for v in series.to_list()], dtype=np.int64)
    return _Colouring(column, "categorical", keys=keys, labels=labels, colors=colors, codes=codes)


def _pool(colouring: _Colouring, max_legend: int) -> _Colouring:
    """Keep the ``max_legend`` largest categories (missing and noise always stay); pool the rest as "other"."""
    if max_legend < 1:
        msg = f"got max_legend={max_legend}, expected at least 1"
        raise MapError(msg)
    if colouring.kind != "categorical":
        return colouring
    regular = [i for i, k in enumerate(colouring.keys) if k is not None and k not in NOISE_VALUES]
    if len(regular) <= max_legend:
        return colouring
    counts = np.bincount(colouring.codes, minlength=len(colouring.keys))
    keep = set(sorted(regular, key=lambda i: (-counts[i], i))[:max_legend])
    kept = [i for i in range(len(colouring.keys)) if i in keep or i not in regular]
    pooled = [i for i in regular if i not in keep]
    # "other" sits after the regular categories, before noise and missing.
    n_regular_kept = sum(1 for i in kept if i in keep)
    order = [i for i in kept if i in keep] + [-1] + [i for i in kept if i not in keep]
    remap = np.empty(len(colouring.keys), dtype=np.int64)
    for new, old in enumerate(order):
        if old >= 0:
            remap[old] = new
    remap[pooled] = n_regular_kept
    palette = iter(_palette(n_regular_kept))
    keys = [colouring.keys[i] if i >= 0 else _Other(tuple(colouring.keys[j] for j in pooled)) for i in order]
    labels = [colouring.labels[i] if i >= 0 else f"other: {len(pooled)} values" for i in order]
    colors = [next(palette) if i in keep else (OTHER_COLOR if i < 0 else colouring.colors[i]) for i in order]
    return _Colouring(colouring.column, "categorical", keys=keys, labels=labels, colors=colors,
                      codes=remap[colouring.codes])


def _point_size(n: int) -> float:
    """Marker area in points squared for ``n`` points: ``clip(400 / sqrt(n), 0.5, 36)``.

    36 (a 6 pt dot) up to 123 points, 4.5 at 8,000, 1.3 at 100,000: the
    ink grows with the square root of the number of points, not linearly,
    so a large corpus fills its clusters without turning them into blots.
    """
    return float(np.clip(400.0 / math.sqrt(max(n, 1)), 0.5, 36.0))


def _point_alpha(n: int) -> float:
    """Marker opacity for ``n`` points: ``clip((2000 / n) ** 0.35, 0.25, 0.9)``.

    0.9 up to 2,000 points, 0.62 at 8,000, 0.25 from about 105,000: dense
    regions stay darker than sparse ones instead of saturating.
    """
    return float(np.clip((2000.0 / max(n, 1)) ** 0.35, 0.25, 0.9))


# --------------------------------------------------------------------------- static


def _static_rc() -> dict[str, Any]:
    return {
        # Fixed hash salt: SVG element ids are otherwise random per run.
        "svg.hashsalt": "toolkit-maps",
        "svg.fonttype": "path",
        "font.family": "DejaVu Sans",
        "font.size": 9.0,
        "axes.titlesize": 11.0,
        "figure.dpi": STATIC_DPI,
        "savefig.dpi": STATIC_DPI,
        "path.simplify": True,
    }


def _mpl() -> Any:
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - pinned dependency
        raise _missing_module("matplotlib", "matplotlib==3.11.2") from exc
    return matplotlib


#: Resolution of the PNG a figure shows in a notebook (executed notebooks,
#: their HTML export, papermill): 10 x 7 inches -> 1200 x 840 pixels.
DISPLAY_DPI = 120


@functools.cache
def _figure_class() -> type:
    """A matplotlib Figure that displays itself as a PNG in IPython.

    Figures made here are not registered with pyplot (no global state, no
    leaks, no second copy shown by the inline backend at the end of a
    cell); IPython knows how to show them only through these methods.
    """
    from matplotlib.figure import Figure

    class ToolkitFigure(Figure):
        """A matplotlib Figure with a notebook display (PNG) and reproducible bytes."""

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> tuple[dict, dict]:
            png = _png_bytes(self, dpi=DISPLAY_DPI)
            width, height = _png_dimensions(png)
            bundle = {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": repr(self)}
            if include:
                bundle = {k: v for k, v in bundle.items() if k in include}
            if exclude:
                bundle = {k: v for k, v in bundle.items() if k not in exclude}
            return bundle, {"image/png": {"width": width, "height": height}} if "image/png" in bundle else {}

        def _repr_png_(self) -> bytes:
            return _png_bytes(self, dpi=DISPLAY_DPI)

        def __repr__(self) -> str:
            w, h = self.get_size_inches()
            title = self._suptitle.get_text() if self._suptitle is not None else ""
            if not title and self.axes:
                title = self.axes[0].get_title(loc="left") or self.axes[0].get_title()
            return f"<figure {w:g} x {h:g} in{': ' + title if title else ''}>"

    return ToolkitFigure


def new_figure(**kwargs: Any) -> Figure:
    """A matplotlib Figure on the Agg canvas that displays as a PNG in notebooks.

    Parameters
    ----------
    **kwargs
        Passed to :class:`matplotlib.figure.Figure` (``figsize``, ``dpi``, ``layout``).

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with pyplot; shown once when it is a cell's value
        (or passed to ``IPython.display.display``).
    """
    _mpl()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _figure_class()(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _png_dimensions(blob: bytes) -> tuple[int, int]:
    import struct

    return struct.unpack(">II", blob[16:24])


def static_map(
    coords: pl.DataFrame,
    data: pl.DataFrame,
    *,
    color_by: str = "outlet",
    label_by: str | None = None,
    path: str | Path | None = None,
    title: str | None = None,
    facet_by: str | None = None,
    centroids_by: str | None = "outlet",
    label_centroids: bool | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: int = STATIC_DPI,
    point_size: float | None = None,
    max_legend: int = 20,
    max_facets: int = MAX_FACETS,
    caption: str | None = None,
    zoom: tuple[float, float] | None = ZOOM_QUANTILES,
) -> Figure:
    """Draw the map with matplotlib, optionally writing PNG and SVG.

    Parameters
    ----------
    coords : pl.DataFrame
        Stored coordinates (``paragraph_id``, ``x``, ``y``).
    data : pl.DataFrame
        Keyed by ``paragraph_id``; holds ``color_by``, ``label_by``,
        ``facet_by`` and ``centroids_by`` columns.
    color_by : str, default "outlet"
        Column to colour by. Float and long date columns get a continuous
        scale (viridis) with a colour bar; anything else is categorical with
        a legend (nulls and cluster ``-1`` in grey; up to 14 categories in
        the colour-blind-safe :data:`SAFE_PALETTE`).
    label_by : str, optional
        Column whose groups are labelled (e.g. ``"cluster_label"``): each
        label is placed near its group's anchor (the group's paragraph
        nearest its median position) where it overlaps no other label,
        centroid or the frame, preferring places with few points under it;
        a leader line joins a label moved off its anchor. Nulls and ``-1``
        are not labelled.
    path : str or Path, optional
        Where to write. A ``.png``, ``.svg`` or ``.pdf`` suffix writes that
        format; a path without one of these suffixes writes both
        ``path.png`` and ``path.svg``.
    title : str, optional
        Figure title.
    facet_by : str, optional
        Draw small multiples, one panel per value of this column (see
        :func:`small_multiples`).
    centroids_by : str or None, default "outlet"
        Mark the mean position of each group of this column with a diamond;
        None to omit (also omitted when the column is absent).
    label_centroids : bool, optional
        Name the centroids. By default only with at most 15 groups. A name
        is written beside its diamond only where it collides with nothing;
        otherwise the diamond gets a number and the caption lists the
        numbers with their names.
    figsize : (float, float), optional
        Inches; default 10 x 7, or 4 x 3.4 per panel with ``facet_by``.
    dpi : int, default 200
        PNG resolution; the PNG is ``figsize * dpi`` pixels.
    point_size : float, optional
        Marker area in points squared; by default
        ``clip(400 / sqrt(n), 0.5, 36)`` for ``n`` points, with opacity
        ``clip((2000 / n) ** 0.35, 0.25, 0.9)``.
    max_legend : int, default 20
        Categories beyond this many (the smallest) are pooled in the legend.
    max_facets : int, default 24
        With ``facet_by``: at most this many panels. With more groups, the
        ``max_facets - 1`` largest (by paragraphs) get a panel each and the
        rest share a last panel; the figure title says so.
    caption : str, optional
        Small text under the map; default states the counts, the marker key,
        the points drawn at the edge and the numbered centroids.
    zoom : (float, float) or None, default (0.5, 99.5)
        Fit the axes to these percentiles of x and of y (widened by 10% of
        their span on each side). Points beyond are clamped to the frame's
        edge and drawn as crosses, and the caption says how many. None
        shows every point at its place (the full extent).

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with pyplot (no global state, no leaks); it shows as
        a PNG when it is a notebook cell's value, and :func:`save_static`
        writes it.
    """
    if facet_by:
        return small_multiples(coords, data, by=facet_by, color_by=color_by, path=path, title=title,
                               centroids_by=centroids_by, figsize=figsize, dpi=dpi, point_size=point_size,
                               max_legend=max_legend, max_facets=max_facets, zoom=zoom)
    columns = _columns(data)
    needed = [color_by]
    if label_by:
        needed.append(label_by)
        if "cluster" in columns:
            # Outliers (cluster -1) get no label, whatever their label text says.
            needed.append("cluster")
    label_col = "cluster_label" if color_by == "cluster" and "cluster_label" in columns else None
    if label_col:
        needed.append(label_col)
    centroid_col = centroids_by if centroids_by and centroids_by in columns else None
    if centroid_col:
        needed.append(centroid_col)
    frame = _join(coords, data, needed)
    mpl = _mpl()
    colouring = _colouring(frame, color_by, label_column=label_col)
    size = point_size if point_size is not None else _point_size(frame.height)
    alpha = _point_alpha(frame.height)
    view = _view(frame, zoom)
    with mpl.rc_context(_static_rc()):
        fig = new_figure(figsize=figsize or STATIC_SIZE, dpi=dpi, layout="constrained")
        ax = fig.add_subplot()
        handles = _draw_points(ax, frame, colouring, mask=np.ones(frame.height, dtype=bool), size=size,
                               alpha=alpha, view=view)
        cent = _centroid_table(frame, centroid_col) if centroid_col else None
        if cent is not None:
            _draw_centroid_markers(ax, cent, view)
        _clean_axes(ax)
        # Every drawn point lies in the view box (clamped), so autoscaling fits
        # it; equal aspect then widens one axis to fill the panel.
        ax.margins(0.02)
        if title:
            ax.set_title(title, loc="left", fontsize=12)
        _legend(fig, handles, colouring, centroid_col, max_legend=max_legend, n_clamped=view.n_clamped)
        show_names = bool(cent is not None and (label_centroids if label_centroids is not None else cent.height <= 15))
        base = caption if caption is not None else _caption(frame, centroid_col, view)
        # A figure-level caption: constrained layout reserves its height only,
        # where an axes text as wide as the figure would squeeze the map.
        cap = fig.supxlabel(_wrap_caption(base, fig), x=0.01, ha="left", fontsize=7.5, color="#555555")
        groups = _group_anchors(frame, label_by, view) if label_by else []
        centroids = [] if cent is None or not show_names else [
            (MISSING_LABEL if name is None else str(name), x, y) for name, x, y in cent.select(centroid_col, "x", "y").iter_rows()
        ]
        numbered: list[str] = []
        # Placing labels needs the final axes box; a caption that grows by the
        # centroid key moves it, so place, extend the caption, settle, place again.
        for _ in range(2):
            fig.draw_without_rendering()
            placed = _place_labels(fig, ax, groups, centroids, numbered, view)
            if caption is not None or placed.numbered == numbered:
                break
            numbered = placed.numbered
            cap.set_text(_wrap_caption(base + _centroid_key(numbered, placed.unlabelled), fig))
            _remove_labels(ax, placed)
        if caption is None:
            cap.set_text(_wrap_caption(base + _centroid_key(placed.numbered, placed.unlabelled), fig))
        fig.labels = placed  # type: ignore[attr-defined]  # for tests and callers that want the boxes
        fig.n_clamped = view.n_clamped  # type: ignore[attr-defined]  # far-out points drawn at the edge
        # Freeze the layout: the labels were placed in this axes box.
        fig.set_layout_engine("none")
        if path is not None:
            save_static(fig, path)
    return fig


def small_multiples(
    coords: pl.DataFrame,
    data: pl.DataFrame,
    *,
    by: str = "outlet",
    color_by: str | None = None,
    path: str | Path | None = None,
    title: str | None = None,
    centroids_by: str | None = "outlet",
    figsize: tuple[float, float] | None = None,
    dpi: int = STATIC_DPI,
    point_size: float | None = None,
    max_legend: int = 20,
    max_facets: int = MAX_FACETS,
    zoom: tuple[float, float] | None = ZOOM_QUANTILES,
) -> Figure:
    """Small multiples: one panel per value of ``by`` against the whole map in grey.

    Parameters
    ----------
    coords, data : pl.DataFrame
        As for :func:`static_map`.
    by : str, default "outlet"
        One panel per value (nulls form a panel of their own).
    color_by : str, optional
        Colour of the panel's paragraphs; default ``by`` itself.
    path, title, figsize, dpi, point_size, max_legend, zoom
        As for :func:`static_map`; ``figsize`` defaults to about 3.4 inches
        per panel.
    centroids_by : str or None, default "outlet"
        Mark the mean position of the panel's paragraphs of each group of
        this column (unlabelled diamonds).
    max_facets : int, default 24
        At most this many panels: with more groups, the ``max_facets - 1``
        largest (by paragraphs) get a panel each and the rest share a last
        panel; the figure title says so.

    Returns
    -------
    matplotlib.figure.Figure
        Displays as a PNG in notebooks; the panels share one zoomed extent.
    """
    color_by = color_by or by
    columns = _columns(data)
    centroid_col = centroids_by if centroids_by and centroids_by in columns else None
    label_col = "cluster_label" if color_by == "cluster" and "cluster_label" in columns else None
    needed = [color_by, by, *([label_col] if label_col else []), *([centroid_col] if centroid_col else [])]
    frame = _join(coords, data, needed)
    mpl = _mpl()
    colouring = _colouring(frame, color_by, label_column=label_col)
    groups, pooled_note = _facet_groups(frame, by, max_facets)
    view = _view(frame, zoom)
    with mpl.rc_context(_static_rc()):
        ncols = min(len(groups), max(1, math.ceil(math.sqrt(len(groups)))))
        nrows = math.ceil(len(groups) / ncols)
        # Panels follow the map's aspect ratio so that little space is wasted.
        span = (view.x1 - view.x0) / (view.y1 - view.y0)
        ratio = float(np.clip(span if np.isfinite(span) else 1.0, 0.6, 1.6))
        fig = new_figure(figsize=figsize or (3.4 * ratio * ncols + 2.4, 3.4 * nrows + 1.0), dpi=dpi,
                         layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
        x_all, y_all = view.clamp(frame.get_column("x").to_numpy(), frame.get_column("y").to_numpy())
        n_max = max(int(_mask(frame, by, g).sum()) for g in groups)
        size = point_size if point_size is not None else _point_size(n_max)
        alpha = _point_alpha(n_max)
        handles: list[Any] = []
        for ax, group in zip(axes.flat, groups):
            mask = _mask(frame, by, group)
            ax.scatter(x_all, y_all, s=_point_size(frame.height) * 0.5, c="#e3e3e3", linewidths=0, rasterized=False)
            handles = _draw_points(ax, frame.filter(pl.Series(mask)), colouring, mask=mask, size=size, alpha=alpha,
                                   view=view) or handles
            if centroid_col:
                sub = frame.filter(pl.Series(mask))
                _draw_centroid_markers(ax, _centroid_table(sub, centroid_col), view)
            ax.set_title(f"{_facet_name(group, by)} (n={int(mask.sum())})", fontsize=9)
            # Shared axes cannot adjust their limits for equal aspect; the boxes can.
            _clean_axes(ax, adjustable="box")
            _set_view(ax, view)
        for ax in list(axes.flat)[len(groups):]:
            ax.set_visible(False)
        lines = [title or f"By {column_title(by).lower()}"]
        if pooled_note:
            lines.append(f"Panels: {pooled_note}.")
        if view.n_clamped:
            lines.append(f"{view.n_clamped} far-out points drawn as \u00d7 at the edge.")
        fig.suptitle(lines[0], fontsize=12, x=0.01, ha="left")
        if len(lines) > 1:
            # A second line under the title, left-aligned like it (a suptitle spans the legend too).
            fig.supxlabel(" ".join(lines[1:]), fontsize=8, color="#555555", x=0.01, ha="left")
        all_handles = handles if colouring.kind == "continuous" else _all_handles(colouring)
        _legend(fig, all_handles, colouring, centroid_col, max_legend=max_legend, n_clamped=view.n_clamped,
                loc="outside right center")
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
        if path is not None:
            save_static(fig, path)
    return fig


def _columns(data: Any) -> list[str]:
    if isinstance(data, pl.LazyFrame):
        return data.collect_schema().names()
    return list(getattr(data, "columns", []))


# --------------------------------------------------------------------------- view (quantile zoom)


@dataclass(frozen=True)
class _View:
    """The drawn box: points outside ``[x0, x1] x [y0, y1]`` are clamped to its edge."""

    x0: float
    x1: float
    y0: float
    y1: float
    n_clamped: int
    zoom: tuple[float, float] | None

    def clamp(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.clip(x, self.x0, self.x1), np.clip(y, self.y0, self.y1)

    def outside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (x < self.x0) | (x > self.x1) | (y < self.y0) | (y > self.y1)


def _view(frame: pl.DataFrame, zoom: tuple[float, float] | None) -> _View:
    x, y = frame.get_column("x").to_numpy(), frame.get_column("y").to_numpy()
    if zoom is not None:
        lo, hi = zoom
        if not (0.0 <= lo < hi <= 100.0):
            msg = f"got zoom={zoom!r}, expected two percentiles 0 <= low < high <= 100"
            raise MapError(msg)
    box = []
    for v in (x, y):
        vmin, vmax = float(v.min()), float(v.max())
        if zoom is None:
            a, b = vmin, vmax
        else:
            q0, q1 = (float(q) for q in np.percentile(v, zoom))
            pad = ZOOM_PAD * (q1 - q0)
            a, b = max(vmin, q0 - pad), min(vmax, q1 + pad)
        if not b > a:  # one position: a unit box around it
            a, b = a - 0.5, b + 0.5
        box.append((a, b))
    (x0, x1), (y0, y1) = box
    n = int(((x < x0) | (x > x1) | (y < y0) | (y > y1)).sum())
    return _View(x0, x1, y0, y1, n, zoom)


def _set_view(ax: Any, view: _View) -> None:
    # A margin of 4% keeps the dots and crosses at the edge whole; equal aspect then widens one axis.
    mx, my = 0.04 * (view.x1 - view.x0), 0.04 * (view.y1 - view.y0)
    ax.set_xlim(view.x0 - mx, view.x1 + mx)
    ax.set_ylim(view.y0 - my, view.y1 + my)


def _caption(frame: pl.DataFrame, centroid_col: str | None, view: _View) -> str:
    text = f"{frame.height} paragraphs"
    if centroid_col:
        n_out = frame.get_column(centroid_col).n_unique()
        groups = f"{n_out} outlets" if centroid_col == "outlet" else f"{n_out} {column_title(centroid_col).lower()} groups"
        text += f" from {groups}; \u25c6 = mean position of each {column_title(centroid_col).lower()}"
    text += ". Axes are UMAP dimensions without units."
    if view.n_clamped:
        lo, hi = view.zoom or (0.0, 100.0)
        text += (f" The frame fits the {lo:g}th to {hi:g}th percentiles of each axis; {view.n_clamped} far-out "
                 f"paragraph{'s are' if view.n_clamped != 1 else ' is'} drawn as \u00d7 at its edge.")
    return text


def _centroid_key(numbered: list[str], unlabelled: list[str]) -> str:
    text = ""
    if numbered:
        text += " Centroids: " + "; ".join(f"{k} = {name}" for k, name in enumerate(numbered, 1)) + "."
    if unlabelled:
        text += " Not labelled for lack of room: " + "; ".join(unlabelled) + "."
    return text


def _wrap_caption(text: str, fig: Any) -> str:
    # About 0.55 em per character of DejaVu Sans at 7.5 pt.
    width = int(fig.get_figwidth() * 72 * 0.97 / (7.5 * 0.55))
    return "\n".join(textwrap.wrap(text, max(width, 40)))


# --------------------------------------------------------------------------- drawing

@dataclass(frozen=True)
class _Other:
    """The pooled facet group: every value of the facet column not drawn on its own."""

    values: tuple[Any, ...]

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"_Other({len(self.values)})"


def _facet_groups(frame: pl.DataFrame, column: str, max_facets: int) -> tuple[list[Any], str | None]:
    """Panels to draw: all groups in sort order, or the ``max_facets`` largest plus one pooled panel.

    Returns the groups (the pooled one as an :class:`_Other`) and a note
    saying what was pooled (None when nothing was).
    """
    if max_facets < 1:
        msg = f"got max_facets={max_facets}, expected at least 1"
        raise MapError(msg)
    counts = frame.get_column(column).value_counts(name="n").to_dicts()
    groups = sorted((row[column] for row in counts), key=_sort_key)
    if len(groups) <= max_facets:
        return groups, None
    size = {row[column]: row["n"] for row in counts}
    # Largest first, ties by value; the panels then follow the usual value order.
    order = sorted(groups, key=lambda g: (-size[g], _sort_key(g)))
    top = set(order[: max_facets - 1])
    shown = [g for g in groups if g in top]
    rest = tuple(g for g in groups if g not in top)
    n_rest = sum(size[g] for g in rest)
    note = f"the {max_facets - 1} largest of {len(groups)} {column} values; the other {len(rest)} ({n_rest} paragraphs) share the last panel"
    return [*shown, _Other(rest)], note


def _facet_name(group: Any, column: str) -> str:
    if isinstance(group, _Other):
        return f"other {len(group.values)} {column} values"
    return MISSING_LABEL if group is None else str(group)


def _mask(frame: pl.DataFrame, column: str, value: Any) -> np.ndarray:
    series = frame.get_column(column)
    if isinstance(value, _Other):
        known = [v for v in value.values if v is not None]
        mask = series.is_in(pl.Series(known, dtype=series.dtype).implode()).fill_null(False).to_numpy()
        return mask | series.is_null().to_numpy() if None in value.values else mask
    if value is None:
        return series.is_null().to_numpy()
    return (series == value).fill_null(False).to_numpy()


def _clean_axes(ax: Any, *, adjustable: str = "datalim") -> None:
    # UMAP axes have no units; ticks would suggest a metric that is not there.
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#cccccc")
    ax.set_aspect("equal", adjustable=adjustable)


def _draw_points(ax: Any, frame: pl.DataFrame, colouring: _Colouring, *, mask: np.ndarray, size: float,
                 alpha: float = 0.85, view: _View | None = None) -> list[Any]:
    x, y = frame.get_column("x").to_numpy(), frame.get_column("y").to_numpy()
    out = view.outside(x, y) if view is not None else np.zeros(x.shape, dtype=bool)
    if view is not None:
        x, y = view.clamp(x, y)
    # White rims separate a few hundred dots; on thousands they only grey the map.
    rim = {"linewidths": 0.3, "edgecolors": "white"} if mask.sum() <= 2000 else {"linewidths": 0}
    cross = {"marker": "x", "s": max(size, 9.0) * 1.6, "linewidths": 0.9, "alpha": 1.0}
    if colouring.kind == "continuous":
        values = colouring.values[mask]
        import matplotlib as mpl

        cmap = mpl.colormaps["viridis"].with_extremes(bad=MISSING_COLOR)
        norm = {"vmin": colouring.tickvals[0], "vmax": colouring.tickvals[-1]}
        sc = ax.scatter(x[~out], y[~out], c=values[~out], cmap=cmap, s=size, alpha=alpha, plotnonfinite=True, **norm, **rim)
        if out.any():
            ax.scatter(x[out], y[out], c=values[out], cmap=cmap, plotnonfinite=True, zorder=4, **norm, **cross)
        return [sc]
    codes = colouring.codes[mask]
    handles = []
    # Biggest groups first so that small ones stay visible on top.
    order = sorted(range(len(colouring.keys)), key=lambda i: (-int((colouring.codes == i).sum()), i))
    for z, i in enumerate(order):
        sel = (codes == i) & ~out
        handle = ax.scatter(x[sel], y[sel], s=size, c=colouring.colors[i], alpha=alpha, label=colouring.labels[i],
                            zorder=2 + z * 1e-3, **rim)
        handles.append((i, handle))
        far = (codes == i) & out
        if far.any():
            ax.scatter(x[far], y[far], c=colouring.colors[i], zorder=4, **cross)
    return handles


def _all_handles(colouring: _Colouring) -> list[Any]:
    """Legend entries for every category present (facets draw each panel's own only)."""
    present = np.bincount(colouring.codes, minlength=len(colouring.keys)) if colouring.codes is not None else []
    return [(i, None) for i in range(len(colouring.keys)) if present[i]]


def _centroid_table(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    return (
        frame.group_by(column)
        .agg(pl.col("x").mean(), pl.col("y").mean(), pl.len().alias("n"))
        .sort(column, nulls_last=True)
    )


def _draw_centroid_markers(ax: Any, cent: pl.DataFrame, view: _View) -> None:
    x, y = view.clamp(cent.get_column("x").to_numpy(), cent.get_column("y").to_numpy())
    ax.scatter(x, y, marker="D", s=CENTROID_SIZE, c="white", edgecolors="black", linewidths=1.4, zorder=5)


def _group_anchors(frame: pl.DataFrame, column: str, view: _View) -> list[tuple[str, float, float]]:
    """Label text and anchor of each group, largest group first.

    The anchor is the group's paragraph nearest to the centre of its densest
    cell on a 40 x 40 grid over the drawn box: it lies in the group's main
    clump even when the group is spread over the map, a ring or two blobs
    (a median would fall between them).
    """
    keep = pl.col(column).is_not_null() & ~pl.col(column).cast(pl.String).is_in(["-1", ""])
    if "cluster" in frame.columns and frame.schema["cluster"].is_numeric():
        keep = keep & (pl.col("cluster") >= 0)
    members = frame.filter(keep).select(pl.col(column).cast(pl.String).alias("group"), "x", "y")
    bins = 40
    sizes = members.group_by("group").len().sort(["len", "group"], descending=[True, False])
    out = []
    for name, _ in sizes.iter_rows():
        sub = members.filter(pl.col("group") == name)
        x, y = view.clamp(sub.get_column("x").to_numpy(), sub.get_column("y").to_numpy())
        counts, xe, ye = np.histogram2d(x, y, bins=bins, range=[[view.x0, view.x1], [view.y0, view.y1]])
        i, j = np.unravel_index(int(np.argmax(counts)), counts.shape)  # first maximum: deterministic
        cx, cy = (xe[i] + xe[i + 1]) / 2, (ye[j] + ye[j + 1]) / 2
        k = int(np.argmin((x - cx) ** 2 + (y - cy) ** 2))
        label = textwrap.shorten(str(name), 40, placeholder="\u2026")
        out.append(("\n".join(textwrap.wrap(label, 24)), float(x[k]), float(y[k])))
    return out


@dataclass
class PlacedLabels:
    """Labels placed on a static map: their boxes in pixels (at the figure's dpi) and artists.

    Attributes
    ----------
    texts : list of str
        Label texts, in placement order (group labels, then centroid names or numbers).
    boxes : np.ndarray
        ``(n, 4)`` array of ``x0, y0, x1, y1`` display boxes (pixels) of the labels as drawn.
    kinds : list of str
        ``"group"``, ``"centroid"`` or ``"number"`` per label.
    leaders : int
        Number of leader lines drawn.
    numbered : list of str
        Centroids shown by a number (1, 2, ... in this order) because their
        name did not fit; the caption lists them.
    unlabelled : list of str
        Labels that found no free place at all (listed in the caption).
    """

    texts: list[str] = field(default_factory=list)
    boxes: np.ndarray = field(default_factory=lambda: np.empty((0, 4)))
    kinds: list[str] = field(default_factory=list)
    leaders: int = 0
    numbered: list[str] = field(default_factory=list)
    unlabelled: list[str] = field(default_factory=list)
    artists: list[Any] = field(default_factory=list, repr=False)


# Marker area of a centroid diamond (points squared).
CENTROID_SIZE = 70.0
# Cost of a label position: its distance from the anchor plus this many
# points times the share of the box's grid cells that hold points (so a
# label moves up to this far to sit on empty ground rather than on points).
COVER_COST = 120.0
# A gap kept between labels, centroids and the frame (points).
LABEL_GAP = 2.0
# A centroid's number goes at most this far from its diamond (points).
NUMBER_REACH = 90.0


def _place_labels(fig: Any, ax: Any, groups: list[tuple[str, float, float]],
                  centroids: list[tuple[str, float, float]], numbered: list[str], view: _View) -> PlacedLabels:
    """Greedy, deterministic label placement without overlaps (see :func:`static_map`).

    Each label tries candidate centres around its anchor (rings of 24
    directions, widening until the frame is covered) and takes the cheapest
    one whose box stays inside the axes and overlaps no box placed before it
    and no centroid diamond; cost is distance plus the points it would hide.
    Group labels go first, largest group first, and get a leader line when
    moved off their anchor. Centroid names only try places touching their
    diamond; failing that, a number; failing that, the caption lists them.
    """
    from matplotlib import patheffects
    from matplotlib.lines import Line2D

    renderer = fig.canvas.get_renderer()
    ax.set_autoscale_on(False)  # leader lines must not move the limits the labels were placed in
    px_per_pt = fig.dpi / 72.0
    gap = LABEL_GAP * px_per_pt
    frame_box = ax.get_window_extent(renderer)
    fx0, fy0, fx1, fy1 = frame_box.x0 + gap, frame_box.y0 + gap, frame_box.x1 - gap, frame_box.y1 - gap
    to_px = ax.transData.transform
    to_data = ax.transData.inverted().transform
    # Occupancy grid of the drawn points (clamped as drawn), for the cover cost.
    pts = np.vstack([c.get_offsets() for c in ax.collections if len(c.get_offsets())] or [np.empty((0, 2))])
    cell = 6.0 * px_per_pt
    nx = max(1, math.ceil((frame_box.x1 - frame_box.x0) / cell))
    ny = max(1, math.ceil((frame_box.y1 - frame_box.y0) / cell))
    grid = np.zeros((ny, nx), dtype=np.int64)
    if len(pts):
        p = to_px(np.asarray(pts, dtype=np.float64))
        gx = np.clip(((p[:, 0] - frame_box.x0) / cell).astype(int), 0, nx - 1)
        gy = np.clip(((p[:, 1] - frame_box.y0) / cell).astype(int), 0, ny - 1)
        grid[gy, gx] = 1
    integral = np.zeros((ny + 1, nx + 1), dtype=np.int64)
    integral[1:, 1:] = grid.cumsum(0).cumsum(1)

    def cover(boxes: np.ndarray) -> np.ndarray:
        c0 = np.clip(((boxes[:, 0] - frame_box.x0) / cell).astype(int), 0, nx)
        c1 = np.clip(np.ceil((boxes[:, 2] - frame_box.x0) / cell).astype(int), 0, nx)
        r0 = np.clip(((boxes[:, 1] - frame_box.y0) / cell).astype(int), 0, ny)
        r1 = np.clip(np.ceil((boxes[:, 3] - frame_box.y0) / cell).astype(int), 0, ny)
        filled = integral[r1, c1] - integral[r0, c1] - integral[r1, c0] + integral[r0, c0]
        area = np.maximum((c1 - c0) * (r1 - r0), 1)
        return filled / area

    # Diamonds are obstacles for every label.
    half = math.sqrt(CENTROID_SIZE) * px_per_pt / 2 + gap
    obstacles: list[tuple[float, float, float, float]] = []
    for _, cx, cy in _clamped(centroids, view):
        px, py = to_px((cx, cy))
        obstacles.append((px - half, py - half, px + half, py + half))
    result = PlacedLabels()
    placed: list[tuple[float, float, float, float]] = []

    def free(boxes: np.ndarray) -> np.ndarray:
        ok = (boxes[:, 0] >= fx0) & (boxes[:, 1] >= fy0) & (boxes[:, 2] <= fx1) & (boxes[:, 3] <= fy1)
        others = np.array(placed + obstacles, dtype=np.float64).reshape(-1, 4)
        if len(others):
            hit = ((boxes[:, None, 0] < others[None, :, 2] + gap) & (boxes[:, None, 2] + gap > others[None, :, 0])
                   & (boxes[:, None, 1] < others[None, :, 3] + gap) & (boxes[:, None, 3] + gap > others[None, :, 1]))
            ok &= ~hit.any(axis=1)
        return ok

    def measure(text: Any) -> tuple[float, float]:
        patch = text.get_bbox_patch()
        text.draw(renderer)  # lays out the text and sizes its box
        ext = patch.get_window_extent(renderer) if patch is not None else text.get_window_extent(renderer)
        return ext.width, ext.height

    def settle(text: Any, boxes: np.ndarray, cost: np.ndarray, w: float, h: float) -> np.ndarray | None:
        ok = free(boxes) & np.isfinite(cost)
        if not ok.any():
            return None
        k = int(np.flatnonzero(ok)[np.argmin(cost[ok])])  # first of the cheapest: deterministic
        box = boxes[k]
        text.set_position(to_data(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)))
        placed.append(tuple(float(v) for v in box))
        return box

    angles = np.arange(24) * (2 * math.pi / 24)

    def ring(text: Any, label: str, ax_: float, ay_: float, *, reach: float, kind: str, dot: bool) -> bool:
        """Put ``text`` on the cheapest free candidate of rings around the anchor; draw a leader line."""
        text.set_position(to_data((ax_, ay_)))
        w, h = measure(text)
        step = max(h * 0.6, 4.0)
        radii = np.arange(step, reach, step)
        cx = np.concatenate([[ax_], *(ax_ + r * np.cos(angles) for r in radii)])
        cy = np.concatenate([[ay_], *(ay_ + r * np.sin(angles) for r in radii)])
        boxes = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        cost = np.hypot(cx - ax_, cy - ay_) + COVER_COST * px_per_pt * cover(boxes)
        # A label never sits on its own anchor: it would hide the clump it names.
        on_anchor = ((boxes[:, 0] - gap <= ax_) & (ax_ <= boxes[:, 2] + gap)
                     & (boxes[:, 1] - gap <= ay_) & (ay_ <= boxes[:, 3] + gap))
        box = settle(text, boxes, np.where(on_anchor, np.inf, cost), w, h)
        if box is None:
            text.remove()
            return False
        result.texts.append(label)
        result.kinds.append(kind)
        result.artists.append(text)
        # Leader line from the anchor to the nearest point of the box, when the box does not hold the anchor.
        nx_, ny_ = float(np.clip(ax_, box[0], box[2])), float(np.clip(ay_, box[1], box[3]))
        if math.hypot(nx_ - ax_, ny_ - ay_) > 2 * px_per_pt:
            (x0, y0), (x1, y1) = to_data((ax_, ay_)), to_data((nx_, ny_))
            # add_artist, not plot: the lines must not count in the data limits.
            artists = [Line2D([x0, x1], [y0, y1], color="#333333", linewidth=0.7, zorder=6.5, solid_capstyle="round")]
            if dot:
                artists.append(Line2D([x0], [y0], marker="o", markersize=2.2, color="#333333", zorder=6.5))
            for artist in artists:
                ax.add_artist(artist)
                artist.set_in_layout(False)
            result.artists += artists
            result.leaders += 1
        return True

    # Group labels first, largest group first, anywhere in the frame.
    reach_all = math.hypot(frame_box.width, frame_box.height)
    for label, gx_, gy_ in groups:
        ax_, ay_ = (float(v) for v in to_px((float(np.clip(gx_, view.x0, view.x1)), float(np.clip(gy_, view.y0, view.y1)))))
        text = ax.text(0, 0, label, ha="center", va="center", fontsize=8.0, zorder=7, color="#111111",
                       linespacing=1.1, bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "#888888",
                                              "alpha": 0.9, "lw": 0.6})
        text.set_in_layout(False)
        if not ring(text, label, ax_, ay_, reach=reach_all, kind="group", dot=True):
            result.unlabelled.append(label.replace("\n", " "))

    # Centroid names: only places touching the diamond; then a number, near it, with a leader line if need be.
    stroke = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    forced = set(numbered)
    pending_numbers: list[tuple[str, float, float]] = []
    for name, cx_, cy_ in _clamped(centroids, view):
        px, py = (float(v) for v in to_px((cx_, cy_)))
        if name not in forced and _place_beside(ax, name, px, py, half, measure, settle, to_data, stroke, result,
                                                kind="centroid", fontsize=7.5):
            continue
        pending_numbers.append((name, px, py))
    for name, px, py in pending_numbers:
        number = str(len(result.numbered) + 1)
        text = ax.text(0, 0, number, ha="center", va="center", fontsize=7.5, fontweight="bold", zorder=6,
                       color="#222222", path_effects=stroke)
        text.set_in_layout(False)
        if ring(text, number, px, py, reach=NUMBER_REACH * px_per_pt, kind="number", dot=False):
            result.numbered.append(name)
        else:
            result.unlabelled.append(name)
    result.boxes = np.array(placed, dtype=np.float64).reshape(-1, 4)
    return result


def place_point_labels(fig: Any, ax: Any, items: list[tuple[float, float, str]], *, fontsize: float = 7.0) -> PlacedLabels:
    """Label points of a scatter plot where the labels overprint nothing (deterministic).

    Each label tries, in order, right-above, right-below, left-above and
    left-below its point, then the same one and two lines further out; it
    takes the first place inside the axes that overlaps no earlier label,
    and is left out (listed in ``unlabelled``) when none is free. Call it
    last: the figure's layout is settled, then frozen.

    Parameters
    ----------
    fig, ax : matplotlib Figure and Axes
    items : list of (x, y, text)
        Points in data coordinates, most important first.
    fontsize : float, default 7

    Returns
    -------
    PlacedLabels
    """
    fig.draw_without_rendering()
    if fig.get_layout_engine() is not None:
        fig.set_layout_engine("none")
    ax.set_autoscale_on(False)
    renderer = fig.canvas.get_renderer()
    px_per_pt = fig.dpi / 72.0
    frame = ax.get_window_extent(renderer)
    to_px, to_data = ax.transData.transform, ax.transData.inverted().transform
    placed: list[tuple[float, float, float, float]] = []
    result = PlacedLabels()
    for x, y, label in items:
        px, py = (float(v) for v in to_px((x, y)))
        text = ax.text(x, y, label, ha="center", va="center", fontsize=fontsize, zorder=6)
        text.set_in_layout(False)
        ext = text.get_window_extent(renderer)
        w, h = ext.width + px_per_pt, ext.height
        dx, dy = 3 * px_per_pt + w / 2, 1.5 * px_per_pt + h / 2
        centres = [(px + sx * dx, py + sy * (dy + k * h)) for k in range(3) for sx, sy in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
        for cx, cy in centres:
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            inside = frame.x0 <= box[0] and box[2] <= frame.x1 and frame.y0 <= box[1] and box[3] <= frame.y1
            if inside and not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                text.set_position(to_data((cx, cy)))
                placed.append(box)
                result.texts.append(label)
                result.kinds.append("point")
                result.artists.append(text)
                break
        else:
            text.remove()
            result.unlabelled.append(label)
    result.boxes = np.array(placed, dtype=np.float64).reshape(-1, 4)
    return result


def _place_beside(ax: Any, label: str, px: float, py: float, half: float, measure: Any, settle: Any, to_data: Any,
                  stroke: list[Any], result: PlacedLabels, *, kind: str, fontsize: float) -> bool:
    """Put ``label`` touching the diamond at ``(px, py)``: right, left, above, below, then the diagonals."""
    text = ax.text(0, 0, label, ha="center", va="center", fontsize=fontsize, fontweight="bold", zorder=6,
                   color="#222222", path_effects=stroke)
    text.set_in_layout(False)
    text.set_position(to_data((px, py)))
    w, h = measure(text)
    centres = []
    for extra in (0.0, 0.5, 1.0):
        d = half + extra * h
        centres += [(px + d + w / 2, py), (px - d - w / 2, py), (px, py + d + h / 2), (px, py - d - h / 2),
                    (px + d + w / 2, py + d), (px - d - w / 2, py + d), (px + d + w / 2, py - d), (px - d - w / 2, py - d)]
    c = np.array(centres, dtype=np.float64)
    boxes = np.column_stack([c[:, 0] - w / 2, c[:, 1] - h / 2, c[:, 0] + w / 2, c[:, 1] + h / 2])
    box = settle(text, boxes, np.arange(len(c), dtype=np.float64), w, h)
    if box is None:
        text.remove()
        return False
    result.texts.append(label)
    result.kinds.append(kind)
    result.artists.append(text)
    return True


def _clamped(items: list[tuple[str, float, float]], view: _View) -> list[tuple[str, float, float]]:
    return [(name, float(np.clip(x, view.x0, view.x1)), float(np.clip(y, view.y0, view.y1))) for name, x, y in items]


def _remove_labels(ax: Any, placed: PlacedLabels) -> None:
    for artist in placed.artists:
        artist.remove()
    ax.set_autoscale_on(True)


def _legend(fig: Any, handles: list[Any], colouring: _Colouring, centroid_col: str | None, *, max_legend: int,
            n_clamped: int = 0, loc: str = "outside right upper") -> None:
    from matplotlib.lines import Line2D

    if colouring.kind == "continuous":
        bar = fig.colorbar(handles[0], ax=fig.axes, shrink=0.6, label=column_title(colouring.column))
        bar.set_ticks(colouring.tickvals, labels=colouring.ticktext)
        entries: list[Any] = []
        labels: list[str] = []
    else:
        counts = np.bincount(colouring.codes, minlength=len(colouring.keys))
        ordered = sorted(handles, key=lambda item: item[0])  # legend in category order
        shown = ordered
        if len(ordered) > max_legend:
            keep = set(sorted(range(len(counts)), key=lambda i: (-counts[i], i))[:max_legend])
            shown = [item for item in ordered if item[0] in keep]
        entries = [Line2D([], [], marker="o", linestyle="", markersize=6, markerfacecolor=colouring.colors[i],
                          markeredgecolor="white") for i, _ in shown]
        labels = [f"{textwrap.shorten(colouring.labels[i], 38, placeholder=chr(0x2026))} ({counts[i]})" for i, _ in shown]
        if len(shown) < len(ordered):
            rest = int(sum(counts[i] for i, _ in ordered) - sum(counts[i] for i, _ in shown))
            entries.append(Line2D([], [], linestyle=""))
            labels.append(f"+ {len(ordered) - len(shown)} more ({rest})")
    if n_clamped:
        entries.append(Line2D([], [], marker="x", linestyle="", markersize=5, markeredgecolor="#444444",
                              markeredgewidth=1.0))
        labels.append(f"beyond the frame, at its edge ({n_clamped})")
    if centroid_col:
        entries.append(Line2D([], [], marker="D", linestyle="", markersize=6, markerfacecolor="white",
                              markeredgecolor="black", markeredgewidth=1.4))
        labels.append(f"{column_title(centroid_col)} centroid")
    if entries:
        fig.legend(entries, labels, loc=loc, title=column_title(colouring.column) if colouring.kind != "continuous" else None,
                   frameon=False, fontsize=8, title_fontsize=9, alignment="left")


def save_static(fig: Figure, path: str | Path) -> list[Path]:
    """Write a figure reproducibly: same figure, same bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        From :func:`static_map`.
    path : str or Path
        ``.png``, ``.svg`` or ``.pdf`` writes that format; any other (or no)
        suffix writes ``.png`` and ``.svg`` next to each other.

    Returns
    -------
    list of Path
        The files written.
    """
    mpl = _mpl()
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".png", ".svg", ".pdf"):
        targets = [path]
    else:
        targets = [path.with_name(path.name + ".png"), path.with_name(path.name + ".svg")]
    written = []
    with mpl.rc_context(_static_rc()):
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            fmt = target.suffix.lstrip(".").lower()
            # Dates and software versions in metadata would change the bytes
            # between runs; the creator string stays (it is constant).
            meta = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
                    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None}}[fmt]
            fig.savefig(target, format=fmt, dpi=fig.dpi, metadata=meta, facecolor="white")
            written.append(target)
    return written


def _png_bytes(fig: Figure, *, dpi: float | None = None) -> bytes:
    mpl = _mpl()
    buffer = io.BytesIO()
    with mpl.rc_context(_static_rc()):
        fig.savefig(buffer, format="png", dpi=dpi or fig.dpi, metadata={"Software": None}, facecolor="white")
    return buffer.getvalue()


# --------------------------------------------------------------------------- interactive


def _hover_value(value: Any, column: str) -> str:
    """HTML-escaped hover text; long text wrapped and cut at HOVER_CHARS."""
    if value is None:
        return MISSING_LABEL
    text = str(value)
    if column == "text" or len(text) > HOVER_WIDTH:
        text = textwrap.shorten(text, HOVER_CHARS, placeholder=" \u2026") if len(text) > HOVER_CHARS else text
        return "<br>".join(html.escape(line, quote=False) for line in textwrap.wrap(text, HOVER_WIDTH))
    return html.escape(text, quote=False)


def hover_texts(frame: pl.DataFrame, column: str) -> list[str]:
    """The hover strings shown for ``column`` (escaped, wrapped, truncated)."""
    return [_hover_value(v, column) for v in frame.get_column(column).to_list()]


def _hover_template(hover: list[str], offset: int = 0) -> str:
    lines = []
    for k, col in enumerate(hover):
        ref = f"%{{customdata[{k + offset}]}}"
        if col == "text":
            lines.append(f"<br>{ref}")
        elif k == 0:
            lines.append(f"<b>{ref}</b>")
        else:
            lines.append(f"<i>{html.escape(col)}</i>: {ref}" if col != "title" else ref)
    return "<br>".join(lines) + "<extra>%{fullData.name}</extra>"


def _custom(frame: pl.DataFrame, hover: list[str]) -> np.ndarray:
    if not hover:
        return np.empty((frame.height, 0), dtype=object)
    cols = [hover_texts(frame, c) for c in hover]
    return np.array(list(zip(*cols)), dtype=object).reshape(frame.height, len(hover))


def _scatter_cls(n: int) -> Any:
    go = _plotly()
    return go.Scattergl if n > WEBGL_POINTS else go.Scatter


def _point_traces(frame: pl.DataFrame, colouring: _Colouring, hover: list[str], *, visible: bool,
                  marker_size: float, legendgroup: str) -> list[Any]:
    scatter = _scatter_cls(frame.height)
    # The last customdata column is the row number: the page's table and search find paragraphs by it.
    custom = np.column_stack([_custom(frame, hover), np.arange(frame.height, dtype=object)])
    template = _hover_template(hover)
    x, y = frame.get_column("x").to_numpy(), frame.get_column("y").to_numpy()
    if colouring.kind == "continuous":
        values = colouring.values
        return [scatter(
            x=x, y=y, mode="markers", name=colouring.column, customdata=custom, hovertemplate=template,
            visible=visible, showlegend=False, legendgroup=legendgroup,
            marker={"size": marker_size, "color": np.where(np.isfinite(values), values, np.nan), "colorscale": "Viridis",
                    "cmin": colouring.tickvals[0], "cmax": colouring.tickvals[-1], "showscale": True,
                    "colorbar": {"title": {"text": column_title(colouring.column)}, "tickvals": colouring.tickvals,
                                 "ticktext": colouring.ticktext, "len": 0.6},
                    "line": {"width": 0.5, "color": "white"}},
        )]
    traces = []
    for i, label in enumerate(colouring.labels):
        sel = colouring.codes == i
        traces.append(scatter(
            x=x[sel], y=y[sel], mode="markers", name=f"{label} ({int(sel.sum())})", customdata=custom[sel],
            hovertemplate=template, visible=visible, legendgroup=f"{legendgroup}:{i}",
            marker={"size": marker_size, "color": colouring.colors[i], "opacity": 0.85,
                    "line": {"width": 0.5, "color": "white"}},
        ))
    return traces


def _centroid_trace(frame: pl.DataFrame, column: str, *, text: bool, name: str | None = None) -> Any:
    go = _plotly()
    cent = (
        frame.group_by(column)
        .agg(pl.col("x").mean(), pl.col("y").mean(), pl.len().alias("n"))
        .sort(column, nulls_last=True)
    )
    names = [MISSING_LABEL if v is None else str(v) for v in cent.get_column(column).to_list()]
    shown = _free_centroid_names(frame, cent, names) if text else names
    return go.Scatter(
        x=cent.get_column("x").to_numpy(), y=cent.get_column("y").to_numpy(),
        mode="markers+text" if text else "markers",
        text=[html.escape(n, quote=False) for n in shown] if text else None,
        textposition="top center", textfont={"size": 11, "color": "#222222"},
        customdata=np.array([[html.escape(n, quote=False), int(k)] for n, k in zip(names, cent.get_column("n").to_list())], dtype=object),
        hovertemplate=f"<b>%{{customdata[0]}}</b><br>{html.escape(column)} centroid: mean of %{{customdata[1]}} paragraphs<extra></extra>",
        marker={"symbol": "diamond", "size": 13, "color": "white", "line": {"width": 2, "color": "black"}},
        name=name or f"{column_title(column)} centroids", legendgroup="centroids",
    )


def _free_centroid_names(frame: pl.DataFrame, cent: pl.DataFrame, names: list[str]) -> list[str]:
    """Centroid names that do not overprint one another on the interactive map ("" for the others).

    Plotly cannot move text out of the way, so the names are sized as they
    will be drawn (11 px font, about 6.5 px a character, above the diamond)
    on a map about 1,000 x 630 pixels with equal axes. The largest groups
    keep their names; a hidden name is still on the diamond's hover.
    """
    x, y = frame.get_column("x").to_numpy(), frame.get_column("y").to_numpy()
    xr = max(float(x.max() - x.min()), 1e-9) * 1.1
    yr = max(float(y.max() - y.min()), 1e-9) * 1.1
    scale = min(1000.0 / xr, 630.0 / yr)  # pixels per map unit
    cx, cy = cent.get_column("x").to_numpy() * scale, cent.get_column("y").to_numpy() * scale
    sizes = cent.get_column("n").to_list()
    kept: list[tuple[float, float, float, float]] = []
    out = [""] * len(names)
    for i in sorted(range(len(names)), key=lambda k: (-sizes[k], names[k])):
        w = 6.5 * len(names[i]) + 4
        box = (cx[i] - w / 2, cy[i] + 7, cx[i] + w / 2, cy[i] + 23)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in kept):
            continue
        kept.append(box)
        out[i] = names[i]
    return out


def _axis_layout() -> dict[str, Any]:
    return {"showticklabels": False, "showgrid": False, "zeroline": False, "ticks": "", "title": None}


@dataclass
class MapFigure:
    """An interactive map: plotly figures plus what is needed to redraw it statically.

    Attributes
    ----------
    figure : plotly.graph_objects.Figure
        The map: one trace per category of each colour column (switched by
        the dropdown), plus the centroid trace.
    facets : plotly.graph_objects.Figure or None
        Small multiples, one panel per value of ``facet_by``.
    coords, data : pl.DataFrame
        The stored coordinates and the data frame the map was drawn from.
    color_by : list of str
        Colour columns, in dropdown order.
    title : str or None
        Page and figure title.
    path : Path or None
        The HTML file written by :func:`interactive_map`, if any.
    notebook_html : bool
        Include the ``text/html`` entry (plotly.js inline, about 5 MB) in
        the notebook display bundle. Set False to keep notebooks small: the
        map then shows through JupyterLab's plotly renderer.
    explore : bool
        Add the exploration panel to the HTML page (:meth:`to_html`): a text
        search that highlights and lists matching paragraphs, a table filled
        by box or lasso selection on the map, and a CSV download of the
        listed paragraphs (read it back with :func:`read_selection`).
    """

    figure: PlotlyFigure
    facets: PlotlyFigure | None
    coords: pl.DataFrame
    data: pl.DataFrame
    color_by: list[str]
    title: str | None = None
    path: Path | None = None
    notebook_html: bool = True
    explore: bool = True
    _png: bytes | None = field(default=None, repr=False)

    def to_html(self) -> str:
        """The full self-contained page: plotly.js inline, map, then small multiples."""
        import plotly.io as pio

        main = pio.to_html(self.figure, include_plotlyjs=True, full_html=False, div_id=MAIN_DIV_ID,
                           default_height="720px", config=_PLOTLY_CONFIG, validate=False)
        parts = [main]
        if self.explore:
            parts.append(_explorer_html(self.coords, self.data))
        if self.facets is not None:
            parts.append('<h2 class="toolkit-facets">Small multiples</h2>')
            parts.append(pio.to_html(self.facets, include_plotlyjs=False, full_html=False, div_id=FACETS_DIV_ID,
                                     config=_PLOTLY_CONFIG, validate=False))
        title = html.escape(self.title or "Paragraph map")
        return _PAGE.format(title=title, body="\n".join(parts))

    def write_html(self, path: str | Path) -> Path:
        """Write :meth:`to_html` to ``path`` (UTF-8); same figure, same bytes."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.to_html().encode("utf-8"))
        return path

    def to_png(self, *, dpi: int = NOTEBOOK_DPI) -> bytes:
        """Static PNG of the map, drawn by :func:`static_map` from the same coordinates."""
        if self._png is None or dpi != NOTEBOOK_DPI:
            color = self.color_by[0] if self.color_by else None
            fig = static_map(self.coords, self.data, color_by=color, title=self.title, dpi=dpi) if color else None
            if fig is None:
                msg = "got no colour column, expected at least one to draw the static fallback"
                raise MapError(msg)
            png = _png_bytes(fig)
            if dpi != NOTEBOOK_DPI:
                return png
            self._png = png
        return self._png

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        """Rich display: plotly JSON (JupyterLab, VS Code) and HTML (plotly.js inline).

        Front ends pick the richest type they can render: JupyterLab with the
        ``jupyterlab-plotly`` extension and VS Code use the plotly JSON;
        classic Notebook and nbconvert HTML use the HTML. There is no
        ``image/png`` entry: JupyterLab's plotly renderer would show it in
        place of the live map until the mouse enters it. Where scripts do
        not run (untrusted notebooks, viewers without JavaScript) the HTML
        shows the static map as an ``<img>`` that its script removes once
        plotly draws; ``to_png()`` and :func:`static_map` give the picture
        for print.
        """
        import json

        import plotly.io as pio

        spec = json.loads(pio.to_json(self.figure, validate=False, remove_uids=False))
        spec["config"] = dict(_PLOTLY_CONFIG)
        bundle: dict[str, Any] = {"application/vnd.plotly.v1+json": spec, "text/plain": repr(self)}
        if self.notebook_html:
            bundle["text/html"] = self._notebook_html(base64.b64encode(self.to_png()).decode("ascii"))
        if include:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle

    def _notebook_html(self, png_b64: str) -> str:
        import plotly.io as pio

        # Unique but reproducible id: two maps in one notebook must not share a div.
        MapFigure._shown += 1
        digest = hashlib.sha256(pio.to_json(self.figure, validate=False).encode()).hexdigest()[:12]
        div_id = f"toolkit-map-{digest}-{MapFigure._shown}"
        remove = f"var f=document.getElementById('{div_id}-png'); if (f) {{ f.remove(); }}"
        plot = pio.to_html(self.figure, include_plotlyjs=True, full_html=False, div_id=div_id, default_height="620px",
                           config=_PLOTLY_CONFIG, post_script=remove, validate=False)
        img = f'<img id="{div_id}-png" alt="map (static fallback)" src="data:image/png;base64,{png_b64}" style="max-width:100%">'
        explorer = _explorer_html(self.coords, self.data, div_id) if self.explore else ""
        return f"<div>{img}{plot}{explorer}</div>"

    def __repr__(self) -> str:
        n = self.coords.height
        facets = "with" if self.facets is not None else "without"
        return f"MapFigure({n} paragraphs, colour by {self.color_by}, {facets} small multiples)"


MapFigure._shown = 0  # type: ignore[attr-defined]

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "svg"}}

#: Columns of the exploration table in the HTML page (those ``data`` has).
EXPLORE_COLUMNS: tuple[str, ...] = ("paragraph_id", "outlet", "published", "title", "text")
#: The table shows at most this many rows; the CSV download holds all.
EXPLORE_ROWS = 500


def _explorer_html(coords: pl.DataFrame, data: pl.DataFrame, div_id: str = MAIN_DIV_ID) -> str:
    """Search box, selection table and CSV download under the map (plain JavaScript, no library, no network).

    The rows travel as JSON in a ``<script type="application/json">`` with
    ``<``, ``>`` and ``&`` escaped, and the table is filled with
    ``textContent``: paragraph text stays data.
    """
    import json

    columns = [c for c in EXPLORE_COLUMNS if c in data.columns]
    frame = _join(coords, data, columns)
    rows = frame.select(columns).with_columns(pl.col(c).cast(pl.String) for c in columns if c != "paragraph_id")
    payload = {"columns": columns, "titles": [column_title(c) if c != "paragraph_id" else "Paragraph id" for c in columns],
               "rows": rows.rows()}
    blob = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    blob = blob.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    head = "".join(f"<th>{html.escape(t)}</th>" for t in payload["titles"])
    # Element ids start with the plot's div id: two maps in one notebook do not share a search box.
    return _EXPLORER.format(rows=blob, head=head, div=div_id, limit=EXPLORE_ROWS)


def read_selection(path: str | Path, data: pl.DataFrame) -> pl.DataFrame:
    """The paragraphs of a selection saved from the map page ("Download CSV"), as rows of ``data``.

    Parameters
    ----------
    path : str or Path
        The CSV the page wrote (a ``paragraph_id`` column first).
    data : pl.DataFrame
        The data frame the map was drawn from (or any frame keyed by ``paragraph_id``).

    Returns
    -------
    pl.DataFrame
        The rows of ``data`` whose ``paragraph_id`` is in the CSV, in the CSV's order.
    """
    saved = pl.read_csv(path, columns=["paragraph_id"], schema_overrides={"paragraph_id": pl.String})
    if "paragraph_id" not in data.columns:
        msg = f"data frame lacks paragraph_id: got columns {data.columns}"
        raise MapError(msg)
    keyed = data.with_columns(pl.col("paragraph_id").cast(pl.String))
    return saved.join(keyed, on="paragraph_id", how="inner", maintain_order="left")


_EXPLORER = """<section class="toolkit-explorer">
<style>
.toolkit-explorer {{ margin: 8px 0 0; font-size: 13px; font-family: -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }}
.toolkit-explorer-bar {{ display: flex; gap: 16px; align-items: center; flex-wrap: wrap; margin: 4px 0; }}
.toolkit-explorer-bar[hidden] {{ display: none; }}
.toolkit-hint {{ color: #666; }}
.toolkit-table-wrap {{ max-height: 360px; overflow: auto; border: 1px solid #ddd; }}
.toolkit-table {{ border-collapse: collapse; width: 100%; }}
.toolkit-table th, .toolkit-table td {{ text-align: left; vertical-align: top; padding: 3px 6px; border-bottom: 1px solid #eee; }}
.toolkit-table th {{ position: sticky; top: 0; background: #f6f6f6; }}
</style>
<div class="toolkit-explorer-bar">
<label>Search text <input id="{div}-search" type="search" placeholder="words in title or text" size="40"></label>
<span class="toolkit-hint">or draw a box or lasso on the map (toolbar, top right) to list its paragraphs</span>
<button id="{div}-csv" type="button">Download CSV</button>
</div>
<div class="toolkit-explorer-bar" id="{div}-dates" hidden>
<label>Published from <input id="{div}-from" type="date"></label>
<label>to <input id="{div}-to" type="date"></label>
<span id="{div}-date-status" class="toolkit-hint"></span>
</div>
<p id="{div}-explorer-status">No paragraphs selected.</p>
<div class="toolkit-table-wrap"><table class="toolkit-table" id="{div}-table"><thead><tr>{head}</tr></thead><tbody></tbody></table></div>
<script type="application/json" id="{div}-rows">{rows}</script>
<script>
(function () {{
  var gd = document.getElementById("{div}");
  var spec = JSON.parse(document.getElementById("{div}-rows").textContent);
  var rows = spec.rows, columns = spec.columns, limit = {limit};
  var textCols = [];
  columns.forEach(function (c, k) {{ if (c === "text" || c === "title" || c === "outlet") {{ textCols.push(k); }} }});
  var tbody = document.querySelector("#{div}-table tbody");
  var status = document.getElementById("{div}-explorer-status");
  var current = [];
  function show(list, why) {{
    current = list;
    tbody.textContent = "";
    list.slice(0, limit).forEach(function (r) {{
      var tr = document.createElement("tr");
      tr.setAttribute("data-row", String(r));
      rows[r].forEach(function (v) {{
        var td = document.createElement("td");
        td.textContent = v === null ? "" : String(v);
        tr.appendChild(td);
      }});
      tbody.appendChild(tr);
    }});
    status.textContent = list.length ? list.length + " paragraphs " + why + (list.length > limit ? " (the first " + limit + " shown; the CSV holds all)" : "") : "No paragraphs selected.";
  }}
  function rowOf(trace, i) {{
    var cd = trace.customdata && trace.customdata[i];
    return cd && trace.legendgroup !== "centroids" ? cd[cd.length - 1] : null;
  }}
  function highlight(set) {{
    var update = [], which = [];
    gd.data.forEach(function (trace, t) {{
      if (trace.legendgroup === "centroids" || !trace.customdata) {{ return; }}
      var picked = null;
      if (set) {{
        picked = [];
        for (var i = 0; i < trace.customdata.length; i++) {{ if (set[rowOf(trace, i)]) {{ picked.push(i); }} }}
      }}
      update.push(picked);
      which.push(t);
    }});
    if (which.length) {{ Plotly.restyle(gd, {{selectedpoints: update}}, which); }}
  }}
  gd.on("plotly_selected", function (ev) {{
    var seen = {{}}, list = [];
    (ev && ev.points || []).forEach(function (p) {{
      var r = rowOf(gd.data[p.curveNumber], p.pointIndex);
      if (typeof r === "number" && !seen[r]) {{ seen[r] = true; list.push(r); }}
    }});
    list.sort(function (a, b) {{ return a - b; }});
    show(list, "selected on the map");
  }});
  gd.on("plotly_deselect", function () {{ show([], ""); }});
  var search = document.getElementById("{div}-search");
  search.addEventListener("input", function () {{
    var q = search.value.trim().toLowerCase();
    if (!q) {{ highlight(null); show([], ""); return; }}
    var set = {{}}, list = [];
    rows.forEach(function (row, r) {{
      for (var k = 0; k < textCols.length; k++) {{
        var v = row[textCols[k]];
        if (v !== null && String(v).toLowerCase().indexOf(q) >= 0) {{ set[r] = true; list.push(r); return; }}
      }}
    }});
    highlight(set);
    show(list, "match \\u201c" + search.value.trim() + "\\u201d");
  }});
  // Time filter: points outside the date range (and undated ones, while a range is set) leave the map.
  var dateCol = columns.indexOf("published");
  if (dateCol >= 0 && rows.some(function (row) {{ return row[dateCol] !== null; }})) {{
    document.getElementById("{div}-dates").hidden = false;
    var from = document.getElementById("{div}-from"), to = document.getElementById("{div}-to");
    var orig = {{}};
    gd._fullData.forEach(function (fd) {{
      if (fd.legendgroup !== "centroids" && fd.customdata) {{ orig[fd.index] = {{x: Array.from(fd.x), y: Array.from(fd.y)}}; }}
    }});
    var inRange = function (r) {{
      var lo = from.value, hi = to.value;
      if (!lo && !hi) {{ return true; }}
      var d = rows[r][dateCol];
      if (d === null) {{ return false; }}
      d = String(d).slice(0, 10);
      return (!lo || d >= lo) && (!hi || d <= hi);
    }};
    var filter = function () {{
      var xs = [], ys = [], which = [];
      Object.keys(orig).forEach(function (key) {{
        var t = Number(key), trace = gd.data[t], x = orig[t].x.slice(), y = orig[t].y.slice();
        for (var i = 0; i < x.length; i++) {{ if (!inRange(rowOf(trace, i))) {{ x[i] = null; y[i] = null; }} }}
        xs.push(x); ys.push(y); which.push(t);
      }});
      if (which.length) {{ Plotly.restyle(gd, {{x: xs, y: ys}}, which); }}
      var kept = rows.filter(function (row, r) {{ return inRange(r); }}).length;
      document.getElementById("{div}-date-status").textContent = (from.value || to.value)
        ? kept + " of " + rows.length + " paragraphs in the date range" : "";
    }};
    from.addEventListener("change", filter);
    to.addEventListener("change", filter);
  }}
  function cell(v) {{
    var s = v === null ? "" : String(v);
    return /[",\\r\\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }}
  document.getElementById("{div}-csv").addEventListener("click", function () {{
    var lines = [columns.map(cell).join(",")];
    current.forEach(function (r) {{ lines.push(rows[r].map(cell).join(",")); }});
    var url = URL.createObjectURL(new Blob([lines.join("\\r\\n") + "\\r\\n"], {{type: "text/csv"}}));
    var a = document.createElement("a");
    a.href = url; a.download = "map_selection.csv";
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(function () {{ URL.revokeObjectURL(url); }}, 1000);
  }});
}})();
</script>
</section>
"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 16px 24px; color: #222; }}
h2.toolkit-facets {{ font-size: 16px; font-weight: 600; margin: 28px 0 4px; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def interactive_map(
    coords: pl.DataFrame,
    data: pl.DataFrame,
    *,
    color_by: str | Sequence[str] = DEFAULT_COLOR_BY,
    hover: Sequence[str] = DEFAULT_HOVER,
    facet_by: str | None = "outlet",
    centroids_by: str | None = "outlet",
    path: str | Path | None = None,
    title: str | None = None,
    height: int = 720,
    marker_size: float | None = None,
    notebook_html: bool = True,
    max_facets: int = MAX_FACETS,
    max_legend: int = MAX_LEGEND,
) -> MapFigure:
    """Build the interactive map, optionally writing a self-contained HTML file.

    Parameters
    ----------
    coords : pl.DataFrame
        Stored coordinates (``paragraph_id``, ``x``, ``y``).
    data : pl.DataFrame
        Keyed by ``paragraph_id``; holds the colour, hover and facet columns.
    color_by : str or sequence of str, default ("outlet", "outlet_country", "cluster")
        Colour columns; a dropdown switches between them (first shown
        first). With the default, columns ``data`` lacks are skipped; an
        explicit list must exist. For ``cluster``, legend names add
        ``cluster_label`` when present.
    hover : sequence of str, default ("outlet", "title", "text")
        Columns shown on hover, in order; ``text`` is wrapped and cut at
        about 300 characters. Defaults missing from ``data`` are skipped.
    facet_by : str or None, default "outlet"
        Column for the small multiples (second figure, below the map in the
        same HTML page); None for none. Skipped when ``data`` lacks it.
    centroids_by : str or None, default "outlet"
        Mark the mean position of each group of this column with a diamond;
        its name is written only where it does not overprint a larger
        group's (the hover always names it).
    path : str or Path, optional
        Write the HTML page here.
    title : str, optional
        Page and figure title.
    height : int, default 720
        Map height in pixels (width follows the page).
    marker_size : float, optional
        Point diameter in pixels; by default shrinks with corpus size.
    notebook_html : bool, default True
        See :attr:`MapFigure.notebook_html`.
    max_facets : int, default 24
        At most this many small multiples: with more groups, the
        ``max_facets - 1`` largest (by paragraphs) get a panel each and the
        rest share a last panel; the facets' title says how many.
    max_legend : int, default 30
        A categorical colour column with more categories shows the
        ``max_legend`` largest in the legend, each in its own colour, and
        draws the rest as one grey trace "other: k values (n)". Hover still
        names each point's own value.

    Returns
    -------
    MapFigure
        Displays inline in JupyterLab; ``.write_html(path)`` writes the page.
    """
    if not isinstance(data, (pl.DataFrame, pl.LazyFrame)):
        _join(coords, data, [])  # raises the readable error
    columns = data.collect_schema().names() if isinstance(data, pl.LazyFrame) else data.columns
    probe = pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    colors = _resolve(color_by, DEFAULT_COLOR_BY, probe)
    if not colors:
        msg = f"got none of the colour columns {list(DEFAULT_COLOR_BY)} in data (columns {columns}), expected at least one"
        raise MapError(msg)
    hover_cols = _resolve(hover, DEFAULT_HOVER, probe)
    if facet_by == "outlet" and "outlet" not in columns:
        facet_by = None
    centroid_col = centroids_by if centroids_by and centroids_by in columns else None
    label_col = "cluster_label" if "cluster_label" in columns else None
    needed = [*colors, *hover_cols, *([facet_by] if facet_by else []), *([centroid_col] if centroid_col else []),
              *([label_col] if label_col and "cluster" in colors else [])]
    frame = _join(coords, data, needed)
    go = _plotly()
    size = marker_size if marker_size is not None else float(np.clip(math.sqrt(_point_size(frame.height)) * 1.3, 3, 9))

    traces: list[Any] = []
    spans: list[tuple[int, int]] = []
    colourings = []
    for k, column in enumerate(colors):
        colouring = _pool(_colouring(frame, column, label_column=label_col if column == "cluster" else None), max_legend)
        colourings.append(colouring)
        start = len(traces)
        traces.extend(_point_traces(frame, colouring, hover_cols, visible=k == 0, marker_size=size, legendgroup=column))
        spans.append((start, len(traces)))
    n_points = len(traces)
    if centroid_col:
        traces.append(_centroid_trace(frame, centroid_col, text=frame.get_column(centroid_col).n_unique() <= 30))
    fig = go.Figure(data=traces)
    buttons = []
    for column, (start, stop), colouring in zip(colors, spans, colourings):
        visible = [start <= i < stop for i in range(n_points)] + [True] * (len(traces) - n_points)
        buttons.append({"label": column_title(column), "method": "update",
                        "args": [{"visible": visible}, {"legend.title.text": column_title(column)}]})
    fig.update_layout(
        template="plotly_white",
        title={"text": html.escape(title) if title else None, "x": 0.01},
        height=height,
        margin={"l": 10, "r": 10, "t": 90 if title else 60, "b": 30},
        legend={"title": {"text": column_title(colors[0])}, "itemsizing": "constant", "tracegroupgap": 0},
        hoverlabel={"align": "left", "bgcolor": "white", "font": {"size": 12}},
        xaxis=_axis_layout(),
        yaxis={**_axis_layout(), "scaleanchor": "x", "scaleratio": 1},
        # The label sits inside the plot's width, left of the menu; the menu's left
        # pad leaves it room (a label right of x=0 was cut off by the margin).
        updatemenus=[{"type": "dropdown", "direction": "down", "x": 0.0, "xanchor": "left", "y": 1.0,
                      "yanchor": "bottom", "showactive": True, "active": 0, "buttons": buttons,
                      "pad": {"b": 6, "l": MENU_LABEL_PX}}],
        annotations=[{"text": "Colour by", "x": 0.0, "xref": "paper", "y": 1.0, "yref": "paper", "yanchor": "bottom",
                      "xanchor": "left", "showarrow": False, "yshift": 10, "font": {"size": 12}}],
    )
    facets = _facets(frame, facet_by, colourings[0] if colors[0] != facet_by else None, hover_cols,
                     centroid_col=centroid_col, size=size, title=title, max_facets=max_facets,
                     max_legend=max_legend) if facet_by else None
    result = MapFigure(figure=fig, facets=facets, coords=coords, data=data.collect() if isinstance(data, pl.LazyFrame) else data,
                       color_by=colors, title=title, notebook_html=notebook_html)
    if path is not None:
        result.path = result.write_html(path)
    return result


def _facets(frame: pl.DataFrame, facet_by: str, colouring: _Colouring | None, hover: list[str], *,
            centroid_col: str | None, size: float, title: str | None, max_facets: int = MAX_FACETS,
            max_legend: int = MAX_LEGEND) -> Any:
    _plotly()  # the install hint, if plotly is missing
    from plotly.subplots import make_subplots

    groups, pooled_note = _facet_groups(frame, facet_by, max_facets)
    facet_colouring = colouring or _pool(_colouring(frame, facet_by), max_legend)
    ncols = min(len(groups), 3 if len(groups) > 4 else 2) if len(groups) > 1 else 1
    nrows = math.ceil(len(groups) / ncols)
    counts = {i: int(_mask(frame, facet_by, g).sum()) for i, g in enumerate(groups)}
    names = [html.escape(f"{_facet_name(g, facet_by)} (n={counts[i]})", quote=False) for i, g in enumerate(groups)]
    # Plotly needs vertical_spacing <= 1 / (rows - 1).
    vspace = min(0.06, 0.5 / (nrows - 1)) if nrows > 1 else 0.1
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=names, shared_xaxes="all", shared_yaxes="all",
                        horizontal_spacing=0.03, vertical_spacing=vspace)
    step = max(1, math.ceil(frame.height / FACET_CONTEXT_POINTS))
    context = frame.gather_every(step)
    scatter = _scatter_cls(frame.height)
    template = _hover_template(hover)
    custom_all = _custom(frame, hover)
    shown: set[int] = set()
    for n, group in enumerate(groups):
        row, col = n // ncols + 1, n % ncols + 1
        fig.add_trace(scatter(x=context.get_column("x").to_numpy(), y=context.get_column("y").to_numpy(), mode="markers",
                              marker={"size": max(size * 0.6, 2), "color": "#e3e3e3"}, hoverinfo="skip",
                              showlegend=False, name="all paragraphs"), row=row, col=col)
        mask = _mask(frame, facet_by, group)
        sub = frame.filter(pl.Series(mask))
        if facet_colouring.kind == "continuous":
            fig.add_trace(scatter(x=sub.get_column("x").to_numpy(), y=sub.get_column("y").to_numpy(), mode="markers",
                                  customdata=custom_all[mask], hovertemplate=template, showlegend=False,
                                  name=facet_colouring.column,
                                  marker={"size": size, "color": facet_colouring.values[mask], "colorscale": "Viridis",
                                          "cmin": facet_colouring.tickvals[0], "cmax": facet_colouring.tickvals[-1]}),
                          row=row, col=col)
        else:
            codes = facet_colouring.codes[mask]
            for i in sorted(set(codes.tolist())):
                sel = codes == i
                fig.add_trace(scatter(
                    x=sub.get_column("x").to_numpy()[sel], y=sub.get_column("y").to_numpy()[sel], mode="markers",
                    customdata=custom_all[mask][sel], hovertemplate=template, name=facet_colouring.labels[i],
                    legendgroup=f"facet:{i}", showlegend=i not in shown,
                    marker={"size": size, "color": facet_colouring.colors[i], "opacity": 0.9,
                            "line": {"width": 0.5, "color": "white"}}), row=row, col=col)
                shown.add(i)
        if centroid_col:
            trace = _centroid_trace(sub, centroid_col, text=False, name=f"{column_title(centroid_col)} centroid")
            trace.showlegend = n == 0
            fig.add_trace(trace, row=row, col=col)
    fig.update_xaxes(**_axis_layout())
    fig.update_yaxes(**_axis_layout())
    fig.update_layout(
        template="plotly_white",
        title={"text": html.escape(f"{title} \u2014 by {column_title(facet_by).lower()}" if title
                                   else f"By {column_title(facet_by).lower()}")
               + (f"<br><sup>{html.escape(pooled_note, quote=False)}</sup>" if pooled_note else ""), "x": 0.01},
        height=int(280 * nrows + 110), margin={"l": 10, "r": 10, "t": 90, "b": 20},
        legend={"title": {"text": column_title(facet_colouring.column)}, "itemsizing": "constant"},
        hoverlabel={"align": "left", "bgcolor": "white", "font": {"size": 12}},
    )
    fig.update_annotations(font_size=12)
    return fig
