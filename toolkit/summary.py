"""A plain-text summary table of an ingested folder (used by ``make appendix``)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from toolkit.errors import CorpusError
from toolkit.safe import printable


def summary_table(directory: str | Path) -> pl.DataFrame:
    """Articles per outlet: n articles, canonical, duplicates, paragraphs, dates.

    Parameters
    ----------
    directory : path
        A folder written by ``python -m toolkit ingest``.
    """
    directory = Path(directory)
    try:
        articles = pl.read_parquet(directory / "articles.parquet")
        paragraphs = pl.read_parquet(directory / "paragraphs.parquet")
    except (OSError, pl.exceptions.PolarsError) as exc:
        msg = f"got no readable articles/paragraphs Parquet ({str(exc).splitlines()[0]}), expected the output of 'toolkit ingest'"
        raise CorpusError(directory, None, msg) from None
    n_par = paragraphs.group_by("article_id").len(name="n_par")
    return (
        articles.join(n_par, on="article_id", how="left", maintain_order="left")
        .group_by(pl.col("outlet").fill_null("(unknown)"), "outlet_country", maintain_order=True)
        .agg(
            pl.len().alias("articles"),
            pl.col("duplicate_of").is_null().sum().alias("canonical"),
            pl.col("duplicate_of").is_not_null().sum().alias("duplicates"),
            pl.col("n_par").sum().alias("paragraphs"),
            pl.col("published").min().alias("first"),
            pl.col("published").max().alias("last"),
        )
        .sort("articles", "outlet", descending=[True, False])
    )


def print_summary(directory: str | Path) -> None:
    """Print the per-outlet table and the ingest report's line accounting."""
    directory = Path(directory)
    # Outlet names are scraped text: control characters (terminal escapes) are shown, not obeyed.
    table = summary_table(directory).with_columns(pl.col(pl.String).map_elements(printable, return_dtype=pl.String))
    with pl.Config(tbl_rows=100, tbl_width_chars=200, fmt_str_lengths=40, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True, tbl_formatting="ASCII_MARKDOWN"):
        print(table)
    report_path = directory / "ingest_report.json"
    if report_path.exists():
        report = json.loads(report_path.read_text(encoding="utf-8"))
        lines = report["lines"]
        print(
            f"\nlines: {lines['non_blank']} non-blank = {lines['text']} text + {lines['metadata']} metadata + "
            f"{lines['chrome']} chrome + {lines['caption']} caption + {lines['duplicate_title']} duplicate title + "
            f"{lines['unplaced']} unplaced; removed spans: {report['removed_spans']}"
        )
