"""``python -m toolkit analyze DIR``: clusters, events and maps from an ingested, embedded folder.

Reads ``articles``, ``paragraphs`` and ``embeddings`` Parquet from DIR and
writes, next to them:

* ``clusters.parquet`` (``paragraph_id``, ``cluster`` with -1 for an outlier,
  ``cluster_label``, ``reassigned``, ...);
* ``events.parquet`` (``article_id``, ``event_id``, ``event_label``);
* ``frames.parquet`` (paragraph x frame scores), ``article_frames.parquet``,
  ``outlet_frames.parquet`` and ``outlet_clusters.parquet`` (outlet shares
  with article-bootstrap intervals, a random-label baseline, BH q-values and
  leave-one-article-out ranges; every row states the wire policy applied);
* ``frame_detections.parquet``: every frame of the Policy Frames codebook
  detected independently in every canonical article
  (:func:`toolkit.frames.article_frames`: scores, thresholds, the keyword
  baseline beside them), with ``validation = "unvalidated"``: no human codes
  were given (see ``python -m toolkit validate``);
* ``outlet_distances.parquet`` (centroid distances in embedding space with
  within-pair permutation p-values and a random-label baseline), ``axis_scores.parquet``
  and ``axis_by_outlet.parquet`` (SemAxis), ``fightin_words.parquet`` (the
  largest outlet against the rest);
* ``map.parquet`` (``paragraph_id``, ``x``, ``y``): the one stored projection
  that every figure is drawn from;
* ``map.html`` (self-contained, offline), ``map.png`` and ``map.svg``;
* ``analysis_report.json``: what the clustering did (fallbacks, outliers,
  reassignments), outlier rates per outlet, and cluster stability across
  seeds, under 1e-6 float noise and across 80% article subsamples (ARI,
  plus Hennig's clusterwise Jaccard per cluster); ``stability_summary``
  holds the overall figures, which the CLI prints.

Which paragraphs: body paragraphs and decks of canonical articles. Same-outlet
copies (``duplicate_of`` set) are left out so a story printed twice does not
weigh twice; syndicated copies in other outlets stay, flagged by
``story_id``. Subheads are headings, not text, and are left out too.
Running it twice gives identical tables and figures.

The outputs are published as a set. Everything is written to a private
staging folder inside DIR first; only when every file is ready are they
moved into place, with an ``ANALYSIS_INCOMPLETE`` marker standing while
they move. A run that fails or is killed before that leaves the previous
outputs untouched; one killed while moving leaves the marker, and
:func:`check_complete` (used by every reader of these files) refuses the
folder until ``analyze`` is run again.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.atomic import write_json, write_parquet
from toolkit.errors import ToolkitError

STABILITY_SEEDS = (0, 1, 2, 3, 4)
#: Above this many analysed paragraphs the stability check (9 clustering
#: runs) runs on whole articles drawn with ``random_state`` until this many
#: paragraphs, and the report says so (``stability_sample``); the clusters
#: and the map themselves always use every paragraph.
STABILITY_MAX_N = 20_000
#: Columns the analysis map can be coloured by (the first colours the static map).
MAP_COLOURS = ("outlet", "outlet_country", "cluster_label", "event_label")
#: Map-data columns that do not come from the articles frame.
_MAP_OWN_COLUMNS = ("paragraph_id", "article_id", "position", "kind", "text", "cluster", "cluster_label", "event_id", "event_label")


class _Stages:
    """One line per stage on stderr, with the seconds since the run began; silent unless asked or on a terminal."""

    def __init__(self, progress: bool | None) -> None:
        if progress is None:
            progress = sys.stderr.isatty() and not os.environ.get("CI")
        self.enabled = bool(progress)
        self.start = time.perf_counter()

    def __call__(self, what: str) -> None:
        if self.enabled:
            print(f"analyze [{time.perf_counter() - self.start:6.1f} s] {what}", file=sys.stderr, flush=True)

    def done(self) -> None:
        self("done")
#: Stands in DIR while a run moves its outputs into place.
INCOMPLETE_MARKER = "ANALYSIS_INCOMPLETE"
_STAGING_PREFIX = ".analyze-"


class AnalysisError(ToolkitError):
    """The folder lacks what ``analyze`` needs, or holds an interrupted run's outputs."""


def check_complete(directory: str | Path) -> None:
    """Raise :class:`AnalysisError` if an ``analyze`` run on ``directory`` was interrupted while publishing.

    Parameters
    ----------
    directory : path
        A folder written by ``python -m toolkit analyze``.
    """
    directory = Path(directory)
    if (directory / INCOMPLETE_MARKER).exists():
        msg = (f"got a folder whose analysis outputs are a mix of two runs ({INCOMPLETE_MARKER} is present), "
               f"expected complete outputs: run 'python -m toolkit analyze {directory}' again")
        raise AnalysisError(msg)


def _publish(staging: Path, directory: Path) -> None:
    """Move every staged file into ``directory``, under the incomplete marker."""
    from toolkit.atomic import atomic_write

    marker = directory / INCOMPLETE_MARKER
    atomic_write(marker, lambda fh: fh.write(b"An analyze run was interrupted while writing its outputs; run it again.\n"))
    # The report goes last: a folder whose report is new has every other new file.
    names = sorted(p.name for p in staging.iterdir())
    names.sort(key=lambda n: n == "analysis_report.json")
    for name in names:
        os.replace(staging / name, directory / name)
    marker.unlink()


def _input(directory: Path, name: str) -> Path:
    """``DIR/NAME.parquet``, or an :class:`AnalysisError` saying which earlier step makes it."""
    path = directory / f"{name}.parquet"
    if not path.exists():
        hint = "run 'python -m toolkit embed DIR' first" if name == "embeddings" else "run 'python -m toolkit ingest ... --out DIR' first"
        msg = f"got no {path.name} in {directory}, expected the output of the earlier steps ({hint})"
        raise AnalysisError(msg)
    return path


def _read(directory: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(_input(directory, name))


def _stability_summary(stability: pl.DataFrame | None) -> dict[str, float] | None:
    """The overall stability figures: seed ARI, 1e-6 noise ARI, 80% article-subsample ARI."""
    if stability is None:
        return None
    overall = stability.filter(pl.col("level") == "overall")
    return {m: round(v, 4) for m, v in zip(overall["metric"].to_list(), overall["value"].to_list())}


def analysis_paragraphs(articles: pl.DataFrame, paragraphs: pl.DataFrame) -> pl.DataFrame:
    """Paragraphs analysed by default: bodies and decks of canonical articles."""
    canonical = articles.filter(pl.col("duplicate_of").is_null()).select("article_id")
    return paragraphs.join(canonical, on="article_id", how="semi", maintain_order="left").filter(
        pl.col("kind").is_in(["body", "deck"])
    )


def stability_paragraphs(paragraphs: pl.DataFrame, *, seed: int = 0, max_n: int | None = None) -> tuple[pl.DataFrame, dict[str, Any] | None]:
    """The paragraphs the stability check runs on: all, or whole articles drawn until ``max_n`` paragraphs.

    Parameters
    ----------
    paragraphs : pl.DataFrame
        The analysed paragraphs (``paragraph_id``, ``article_id``).
    seed : int, default 0
        Seed of the article draw.
    max_n : int, optional
        Largest sample; default :data:`STABILITY_MAX_N`.

    Returns
    -------
    (pl.DataFrame, dict or None)
        The paragraphs in input order, and what was drawn (None when all).
    """
    import numpy as np

    max_n = STABILITY_MAX_N if max_n is None else max_n
    if paragraphs.height <= max_n:
        return paragraphs, None
    sizes = paragraphs.group_by("article_id", maintain_order=True).len()
    order = np.random.default_rng(seed).permutation(sizes.height)
    taken = np.cumsum(sizes["len"].to_numpy()[order]) <= max_n
    keep = sizes["article_id"].gather(order[taken])
    sample = paragraphs.filter(pl.col("article_id").is_in(keep.implode()))
    info = {"paragraphs": sample.height, "articles": int(taken.sum()), "of_paragraphs": paragraphs.height,
            "of_articles": sizes.height, "seed": seed, "max_n": max_n, "why": "stability re-clusters 9 times; large corpora use whole articles drawn at random"}
    return sample, info


def frame_detections(articles: pl.DataFrame, paragraphs: pl.DataFrame, embeddings: pl.DataFrame, *, codebook: str = "policy_frames") -> pl.DataFrame:
    """Independent frame detectors on the analysed paragraphs of canonical articles, marked unvalidated."""
    from toolkit.frames import article_frames

    chosen = analysis_paragraphs(articles, paragraphs)
    canonical = articles.filter(pl.col("duplicate_of").is_null()).join(chosen.select("article_id").unique(), on="article_id", how="semi", maintain_order="left")
    if canonical.height == 0:
        return pl.DataFrame()
    return article_frames(canonical, chosen, embeddings, codebook=codebook).with_columns(pl.lit("unvalidated").alias("validation"))


def analyze_dir(
    directory: str | Path,
    *,
    random_state: int = 0,
    outlier_policy: str = "reassign",
    wire_policy: str = "merge",
    stability_seeds: tuple[int, ...] = STABILITY_SEEDS,
    figures: bool = True,
    method: str = "kmeans",
    n_clusters: int | None = None,
    min_cluster_size: int | None = None,
    color_by: tuple[str, ...] = MAP_COLOURS,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Cluster, group events and map the corpus in ``directory``.

    Parameters
    ----------
    directory : path
        Folder holding ``articles.parquet``, ``paragraphs.parquet`` and
        ``embeddings.parquet``.
    random_state : int, default 0
        Seed for UMAP (clustering space and map).
    outlier_policy : {"reassign", "keep", "report"}
        See :func:`toolkit.clustering.cluster_paragraphs`.
    wire_policy : {"merge", "keep", "drop"}
        How syndicated copies count in outlet comparisons
        (:func:`toolkit.wire.apply_wire_policy`); recorded in every table.
    stability_seeds : tuple of int
        Seeds for the stability check (ARI across re-runs, plus a 1e-6
        noise run and three 80% article subsamples; see
        :func:`toolkit.clustering.cluster_stability`); empty to skip.
    figures : bool, default True
        Write ``map.html``, ``map.png`` and ``map.svg``.
    method : {"kmeans", "hdbscan", "agglomerative"}, default "kmeans"
        Clustering method (:func:`toolkit.clustering.cluster_paragraphs`).
    n_clusters : int, optional
        A fixed number of clusters ("kmeans", "agglomerative"); by default
        chosen from the data.
    min_cluster_size : int, optional
        HDBSCAN's smallest cluster ("hdbscan").
    color_by : tuple of str
        Columns the interactive map can be coloured by (the first one
        colours the static map): ``outlet``, ``outlet_country``,
        ``cluster_label``, ``event_label``, ``cluster``, ``kind``,
        ``published`` or ``story_id``; anything else is an
        :class:`AnalysisError` before any work starts.
    progress : bool, optional
        One line per stage on stderr; None shows it when stderr is a
        terminal (and not under CI).

    Returns
    -------
    dict
        The analysis report (also written to ``analysis_report.json``).
    """
    directory = Path(directory)
    # Staging folders of runs killed before publishing hold nothing anyone reads.
    for stale in directory.glob(f"{_STAGING_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)
    _input(directory, "articles")  # fail before making a staging folder in a folder that is not a corpus
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=directory))
    try:
        record = _analyze(directory, staging, random_state=random_state, outlier_policy=outlier_policy, wire_policy=wire_policy,
                          stability_seeds=stability_seeds, figures=figures,
                          cluster_options={"method": method, "n_clusters": n_clusters, "min_cluster_size": min_cluster_size},
                          color_by=tuple(color_by), stage=_Stages(progress))
        _publish(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return record


def _analyze(
    directory: Path,
    staging: Path,
    *,
    random_state: int,
    outlier_policy: str,
    wire_policy: str,
    stability_seeds: tuple[int, ...],
    figures: bool,
    cluster_options: dict[str, Any],
    color_by: tuple[str, ...],
    stage: _Stages,
) -> dict[str, Any]:
    """The work of :func:`analyze_dir`: read from ``directory``, write every output to ``staging``."""
    from toolkit.clustering import cluster_paragraphs_with_report, cluster_stability, outlier_rates, representative_paragraphs
    from toolkit.events import group_events
    from toolkit.maps import MAP_ARTICLE_COLUMNS, interactive_map, map_data, static_map
    from toolkit.projection import project, write_map
    from toolkit.distances import outlet_distances
    from toolkit.distinctive import fightin_words
    from toolkit.semaxis import axis_by_outlet, default_axes, project_axis
    from toolkit.shares import framing_tables
    from toolkit.wire import apply_wire_policy

    articles = _read(directory, "articles")
    paragraphs = _read(directory, "paragraphs")
    embeddings = _read(directory, "embeddings")
    # A misspelt colour column fails now, not after the clustering.
    known = {*_MAP_OWN_COLUMNS, *(c for c in MAP_ARTICLE_COLUMNS if c in articles.columns)}
    if figures and (not color_by or any(c not in known for c in color_by)):
        msg = f"got color_by={list(color_by)}, expected names among {sorted(known)}"
        raise AnalysisError(msg)

    chosen = analysis_paragraphs(articles, paragraphs)
    vectors = embeddings.join(chosen.select("paragraph_id"), on="paragraph_id", how="semi", maintain_order="left")
    stage(f"clustering {chosen.height} paragraphs ({cluster_options['method']})")
    clusters, report = cluster_paragraphs_with_report(vectors, chosen, outlier_policy=outlier_policy, random_state=random_state, **cluster_options)
    stage("grouping events")
    events = group_events(articles, paragraphs, embeddings)
    stage("projecting the map (UMAP)")
    coords = project(vectors, random_state=random_state)
    stage("outlet measures")

    framing = framing_tables(articles, paragraphs, embeddings, clusters=clusters, seed=random_state, wire=wire_policy)  # applies the policy
    detections = frame_detections(articles, paragraphs, embeddings)
    if framing["outlet_frames"] is not None:
        # every outlet x frame table states its scorer; nothing here was checked against human codes
        from toolkit.prevalence import stamp_scorer

        column = "category" if "category" in framing["outlet_frames"].columns else "frame"
        framing["outlet_frames"] = stamp_scorer(framing["outlet_frames"], scorer="score_frames:primary", frame_column=column)

    # Outlet comparisons count a syndicated story once (wire policy), on the analysed paragraphs.
    measure_articles = apply_wire_policy(articles, policy=wire_policy)
    measured = chosen.join(measure_articles.select("article_id"), on="article_id", how="semi", maintain_order="left")
    measured_vectors = vectors.join(measured.select("paragraph_id"), on="paragraph_id", how="semi", maintain_order="left")
    # The measures read the policy from measure_articles' wire_policy column (applied once, above).
    distances = outlet_distances(measured_vectors, measured, measure_articles, seed=random_state)
    axis_scores = project_axis(default_axes(), vectors)
    axes = axis_by_outlet(axis_scores, measured, measure_articles, n_boot=2000, seed=random_state)
    outlets_by_size = measured.join(measure_articles.select("article_id", "outlet"), on="article_id").group_by("outlet").len().sort(["len", "outlet"], descending=[True, False])
    words = fightin_words(measured, measure_articles, group_a=outlets_by_size["outlet"][0], seed=random_state)

    write_parquet(clusters, staging / "clusters.parquet")
    write_parquet(events, staging / "events.parquet")
    for name in ("frames", "article_frames", "outlet_frames", "outlet_clusters"):
        if framing[name] is not None:
            write_parquet(framing[name], staging / f"{name}.parquet")
    write_parquet(detections, staging / "frame_detections.parquet")
    write_parquet(distances, staging / "outlet_distances.parquet")
    write_parquet(axis_scores, staging / "axis_scores.parquet")
    write_parquet(axes, staging / "axis_by_outlet.parquet")
    write_parquet(words, staging / "fightin_words.parquet")
    from toolkit import projection

    map_params: dict[str, Any] = {"random_state": random_state}
    if vectors.height > projection.EXACT_MAX_N:
        map_params |= {"fit_sample": projection.MAP_SAMPLE, "pca_components": projection.MAP_PCA_COMPONENTS}
    write_map(coords, staging / "map.parquet", params=map_params)

    rates = outlier_rates(clusters, chosen, articles)
    reps = representative_paragraphs(clusters, vectors, chosen, k=3)
    if stability_seeds:
        stage(f"cluster stability ({len(stability_seeds)} seeds, 1e-6 noise, 3 article subsamples"
              f"{'' if chosen.height <= STABILITY_MAX_N else f'; on articles drawn up to {STABILITY_MAX_N} paragraphs'})")
    stability_on, stability_sample = stability_paragraphs(chosen, seed=random_state)
    stability = (cluster_stability(vectors.join(stability_on.select("paragraph_id"), on="paragraph_id", how="semi", maintain_order="left"),
                                   stability_on, seeds=list(stability_seeds), outlier_policy=outlier_policy, **cluster_options)
                 if stability_seeds else None)

    if figures:
        stage("drawing the maps")
        event_by_paragraph = paragraphs.select("paragraph_id", "article_id").join(
            events.select("article_id", "event_id", "event_label"), on="article_id", how="left", maintain_order="left"
        ).drop("article_id")
        data = map_data(articles, chosen, clusters, event_by_paragraph)
        static_map(coords, data, color_by=color_by[0], label_by="cluster_label", path=staging / "map",
                   title=f"Paragraph map (UMAP), coloured by {color_by[0]}")
        interactive_map(
            coords,
            data,
            color_by=color_by,
            path=staging / "map.html",
            title="Paragraph map (UMAP)",
        )

    record = {
        "paragraphs_analysed": chosen.height,
        "paragraphs_left_out": {
            "same_outlet_copies": paragraphs.join(articles.filter(pl.col("duplicate_of").is_not_null()).select("article_id"), on="article_id", how="semi").height,
            "subheads": paragraphs.filter(pl.col("kind") == "subhead").join(articles.filter(pl.col("duplicate_of").is_null()).select("article_id"), on="article_id", how="semi").height,
        },
        "clustering": {
            "summary": report.summary(),
            "method": report.method,
            "method_used": report.method_used,
            "fallback": report.fallback,
            "n_clusters": report.n_clusters,
            "n_outliers_before_policy": report.n_outliers,
            "outlier_share_before_policy": round(report.outlier_share, 4),
            "n_reassigned": report.n_reassigned,
            "outlier_policy": outlier_policy,
            "params": report.params,
        },
        "clusters": clusters.group_by("cluster", "cluster_label").len().sort("cluster").to_dicts(),
        "representative_paragraphs": reps.to_dicts(),
        "outlier_rates_by_outlet": rates.to_dicts(),
        "stability": stability.to_dicts() if stability is not None else None,
        "stability_summary": _stability_summary(stability),
        **({"stability_sample": stability_sample} if stability_sample and stability is not None else {}),
        "events": events.group_by("event_id", "event_label").len(name="n_articles").sort("event_id").to_dicts(),
        "framing": framing["report"],
        "frame_detections": {
            "scorer": detections["scorer"][0] if detections.height else None,
            "codebook": detections["codebook"][0] if detections.height else None,
            "validation": "unvalidated",
            "articles_with_frame": detections.group_by("frame", maintain_order=True).agg(pl.col("detected").sum().cast(pl.Int64)).rows(),
        },
        "random_state": random_state,
        "wire_policy": wire_policy,
        "fightin_words_group": outlets_by_size["outlet"][0],
    }
    write_json(record, staging / "analysis_report.json")
    stage.done()
    return record
