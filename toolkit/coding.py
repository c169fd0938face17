"""Human coding of frames: sample, coding sheets, several coders, adjudication into gold.

The workflow (``python -m toolkit validate`` runs it on a folder):

1. :func:`coding_sample` draws a seeded sample stratified by outlet, date
   (month) and detector score band, and records each article's inclusion
   probability (needed to correct prevalence, :mod:`toolkit.prevalence`).
2. :func:`write_coding_sheet` writes one CSV per coder: one row per sampled
   article (headline and text), one empty 0/1 column per frame, and the
   codebook (name and sha256 on every row; definitions and keywords in a
   companion ``*.codebook.csv``). Cells that a spreadsheet would run as a
   formula (starting with ``= + - @``) are prefixed with ``'``.
3. :func:`read_codings` reads filled sheets back into ``article_id, frame,
   coder, value``; :func:`toolkit.validation.frame_agreement` gives
   Krippendorff's alpha per frame.
4. :func:`adjudicate` turns several coders' codes into one gold set
   (majority; ties need an adjudicator's decision).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from toolkit.frames import FramingError, _codebook
from toolkit.schema import require_columns

SCORE_BANDS = 3
RULES = ("majority", "any", "all")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def coding_sample(
    articles: pl.DataFrame,
    n: int,
    *,
    scores: pl.DataFrame | None = None,
    by: str = "outlet",
    date_column: str | None = "published",
    score_bands: int = SCORE_BANDS,
    seed: int = 0,
) -> pl.DataFrame:
    """Draw a stratified random sample of articles to code.

    Strata are ``by`` (outlet) x month of ``date_column`` x band of the
    article's detector score (its highest ``z`` in ``scores``, the output of
    :func:`toolkit.frames.article_frames`, cut into ``score_bands``
    quantile bands), so that the sample covers small outlets, every period
    and both likely and unlikely frame carriers. Allocation is proportional
    to stratum size (largest remainders) with at least one article per
    stratum when ``n`` allows; articles are drawn without replacement.

    Parameters
    ----------
    articles : pl.DataFrame
        ``article_id`` and the stratifying columns (missing ones are skipped).
    n : int
        Sample size (at most the number of articles).
    scores : pl.DataFrame, optional
        ``article_id`` and ``z`` (or ``score``) per frame.
    by, date_column : str
        Stratifying columns; None or absent to skip.
    score_bands : int
        Number of score bands.
    seed : int
        Seed of the draw.

    Returns
    -------
    pl.DataFrame
        ``article_id``, ``stratum``, ``stratum_size``, ``stratum_sample``,
        ``inclusion_prob`` (``stratum_sample / stratum_size``),
        ``coding_order`` (a seeded random order to code in), ``seed``;
        sorted by ``coding_order``.
    """
    require_columns(articles, ("article_id",), name="articles", error=FramingError)
    if not 1 <= n <= articles.height:
        msg = f"got n={n}, expected 1 <= n <= {articles.height} (the number of articles)"
        raise FramingError(msg)
    frame = articles.select(pl.col("article_id").cast(pl.String), *([pl.col(by).cast(pl.String).fill_null("unknown")] if by and by in articles.columns else []))
    parts = [pl.col(by)] if by and by in articles.columns else []
    if date_column and date_column in articles.columns:
        frame = frame.with_columns(articles[date_column].cast(pl.String).str.slice(0, 7).fill_null("undated").alias("_month"))
        parts.append(pl.col("_month"))
    if scores is not None:
        col = "z" if "z" in scores.columns else "score"
        best = scores.group_by("article_id").agg(pl.col(col).max().alias("_best"))
        frame = frame.join(best, on="article_id", how="left", maintain_order="left")
        ranks = frame["_best"].fill_null(frame["_best"].min()).rank("ordinal").to_numpy()
        band = np.minimum((ranks - 1) * score_bands // max(frame.height, 1), score_bands - 1)
        frame = frame.with_columns(pl.Series("_band", [f"score{b + 1}of{score_bands}" for b in band]))
        parts.append(pl.col("_band"))
    stratum = pl.concat_str(parts, separator=" | ") if parts else pl.lit("all")
    frame = frame.with_columns(stratum.alias("stratum")).sort("stratum", "article_id")
    sizes = frame.group_by("stratum").len().sort("stratum")
    counts = sizes["len"].to_numpy()
    quota = n * counts / counts.sum()
    alloc = np.minimum(np.floor(quota).astype(int), counts)
    floor = 1 if n >= counts.size else 0  # at least one article per stratum when n allows
    alloc = np.maximum(alloc, floor)
    while alloc.sum() > n:  # the minimum pushed us over: take from the most over-allocated stratum above the floor
        over = np.where(alloc > floor, alloc - quota, -np.inf)
        alloc[int(np.argmax(over))] -= 1
    while alloc.sum() < n:  # largest remainders first, only where articles are left
        under = np.where(alloc < counts, quota - alloc, -np.inf)
        alloc[int(np.argmax(under))] += 1
    if (alloc == 0).any():
        warnings.warn(
            f"{int((alloc == 0).sum())} of {counts.size} strata get no coded article (n={n}): their inclusion probability is 0 "
            "and corrected shares cannot cover them; draw a larger sample or use fewer strata",
            UserWarning,
            stacklevel=2,
        )
    rng = np.random.default_rng(seed)
    picked = []
    for name, k in zip(sizes["stratum"].to_list(), alloc, strict=True):
        ids = frame.filter(pl.col("stratum") == name)["article_id"].to_list()
        picked += sorted(rng.choice(ids, size=int(k), replace=False).tolist()) if k else []
    order = rng.permutation(len(picked))
    table = sizes.with_columns(pl.Series("stratum_sample", alloc.astype(np.int32))).rename({"len": "stratum_size"})
    return (
        pl.DataFrame({"article_id": picked, "coding_order": order.astype(np.int32)})
        .join(frame.select("article_id", "stratum"), on="article_id", how="left")
        .join(table, on="stratum", how="left")
        .with_columns(
            pl.col("stratum_size").cast(pl.Int32),
            (pl.col("stratum_sample") / pl.col("stratum_size")).alias("inclusion_prob"),
            pl.lit(seed, dtype=pl.Int64).alias("seed"),
        )
        .select("article_id", "stratum", "stratum_size", "stratum_sample", "inclusion_prob", "coding_order", "seed")
        .sort("coding_order")
    )


def _cell(text: pl.Expr) -> pl.Expr:
    """Neutralise spreadsheet formulas: a leading = + - @ is prefixed with an apostrophe."""
    return pl.when(text.str.contains(r"^[=+\-@\t\r]")).then(pl.lit("'") + text).otherwise(text)


def write_coding_sheet(
    sample: pl.DataFrame,
    articles: pl.DataFrame,
    paragraphs: pl.DataFrame,
    path: str | os.PathLike[str],
    *,
    codebook: Any = "policy_frames",
    coder: str = "",
) -> Path:
    """Write a coding sheet (CSV) for one coder, and the codebook beside it.

    Columns: ``article_id``, ``coder``, ``codebook``, ``codebook_sha256``,
    ``outlet``, ``published``, ``title``, ``text`` (paragraphs in order,
    separated by blank lines), one empty column per frame (fill with 1 if
    the article carries the frame, 0 if not; leave blank if not coded), and
    ``notes``. Rows follow the sample's ``coding_order``. The codebook
    (frame, code, definition, keywords, prototypes) is written to
    ``<path stem>.codebook.csv``.

    Returns
    -------
    Path
        The sheet's path.
    """
    from toolkit.atomic import atomic_write

    book = _codebook(codebook)
    require_columns(sample, ("article_id",), name="sample", error=FramingError)
    path = Path(path)
    order = ["position"] if "position" in paragraphs.columns else []
    text = (
        paragraphs.join(sample.select("article_id"), on="article_id", how="semi")
        .sort(["article_id", *order], maintain_order=True)
        .group_by("article_id", maintain_order=True)
        .agg(pl.col("text").str.join("\n\n"))
    )
    meta = [pl.col(c).cast(pl.String).fill_null("") if c in articles.columns else pl.lit("") for c in ("outlet", "published", "title")]
    info = articles.select(pl.col("article_id").cast(pl.String), *[m.alias(c) for m, c in zip(meta, ("outlet", "published", "title"), strict=True)])
    ordered = sample.sort("coding_order") if "coding_order" in sample.columns else sample
    sheet = (
        ordered.select(pl.col("article_id").cast(pl.String))
        .join(info, on="article_id", how="left", maintain_order="left")
        .join(text, on="article_id", how="left", maintain_order="left")
        .select(
            "article_id",
            pl.lit(coder).alias("coder"),
            pl.lit(book.name).alias("codebook"),
            pl.lit(book.sha256).alias("codebook_sha256"),
            _cell(pl.col("outlet").fill_null("")).alias("outlet"),
            pl.col("published").fill_null(""),
            _cell(pl.col("title").fill_null("")).alias("title"),
            _cell(pl.col("text").fill_null("")).alias("text"),
            *[pl.lit("").alias(name) for name in book.frame_names],
            pl.lit("").alias("notes"),
        )
    )
    companion = path.with_name(path.stem + ".codebook.csv")
    cb = book.to_frame().with_columns(pl.lit(book.sha256).alias("codebook_sha256"), *[_cell(pl.col(c)).alias(c) for c in ("definition", "keywords", "prototypes")])
    atomic_write(companion, lambda fh: cb.write_csv(fh))
    atomic_write(path, lambda fh: sheet.write_csv(fh))
    return path


def read_codings(paths: str | os.PathLike[str] | list[str | os.PathLike[str]], *, codebook: Any = None) -> pl.DataFrame:
    """Read filled coding sheets back: one row per coder, article and coded frame.

    The coder is the sheet's ``coder`` column, or the file name's stem when
    it is blank. The codebook is the one named on the sheet (its sha256 must
    match) unless ``codebook`` is given. Cells: ``1``/``0`` (also
    ``yes``/``no``, ``true``/``false``, ``x`` = 1); blank = not coded (left
    out).

    Returns
    -------
    pl.DataFrame
        ``article_id``, ``frame``, ``coder``, ``value`` (Int8), sorted by
        coder, article and codebook frame order.

    Raises
    ------
    FramingError
        A sheet without the frame columns, a codebook other than the one the
        sheet was written with, or an unreadable cell (file, row and column
        named).
    """
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    truthy = {"1": 1, "0": 0, "yes": 1, "no": 0, "true": 1, "false": 0, "x": 1, "y": 1, "n": 0, "1.0": 1, "0.0": 0}
    rows = []
    for p in paths:
        p = Path(p)
        try:
            sheet = pl.read_csv(p, infer_schema=False)
        except (OSError, pl.exceptions.PolarsError) as exc:
            msg = f"{p}: got an unreadable coding sheet ({exc}), expected a CSV from write_coding_sheet"
            raise FramingError(msg) from exc
        require_columns(sheet, ("article_id",), name=str(p), error=FramingError)
        book = _codebook(codebook if codebook is not None else (sheet["codebook"][0] if "codebook" in sheet.columns and sheet.height else "policy_frames"))
        if "codebook_sha256" in sheet.columns and sheet.height and sheet["codebook_sha256"][0] not in (None, book.sha256):
            msg = f"{p}: got a sheet written with codebook {sheet['codebook_sha256'][0][:16]}, expected {book.name!r} ({book.sha256[:16]}); pass codebook= the file it was written with"
            raise FramingError(msg)
        missing = [f for f in book.frame_names if f not in sheet.columns]
        if missing:
            msg = f"{p}: got no column for frames {missing}, expected one column per frame of codebook {book.name!r}"
            raise FramingError(msg)
        for line, rec in enumerate(sheet.iter_rows(named=True), start=2):
            coder = (rec.get("coder") or "").strip() or p.stem
            for frame in book.frame_names:
                cell = (rec[frame] or "").strip().lower()
                if not cell:
                    continue
                if cell not in truthy:
                    msg = f"{p}: line {line}, column {frame!r}: got {rec[frame]!r}, expected 1, 0 or blank"
                    raise FramingError(msg)
                rows.append({"article_id": rec["article_id"], "frame": frame, "coder": coder, "value": truthy[cell], "_f": book.frame_names.index(frame)})
    out = pl.DataFrame(rows, schema={"article_id": pl.String, "frame": pl.String, "coder": pl.String, "value": pl.Int8, "_f": pl.Int32})
    return out.sort("coder", "article_id", "_f").drop("_f")


def adjudicate(codings: pl.DataFrame, *, rule: str = "majority", decisions: pl.DataFrame | None = None) -> pl.DataFrame:
    """Combine several coders' codes into one gold code per article and frame.

    Parameters
    ----------
    codings : pl.DataFrame
        ``article_id``, ``frame``, ``coder``, ``value``.
    rule : {"majority", "any", "all"}
        ``majority``: the value most coders gave; a tie is unresolved unless
        ``decisions`` settles it. ``any``: 1 if any coder gave 1. ``all``: 1
        only if every coder gave 1.
    decisions : pl.DataFrame, optional
        ``article_id``, ``frame``, ``value``: an adjudicator's codes; they
        override the rule wherever given.

    Returns
    -------
    pl.DataFrame
        ``article_id``, ``frame``, ``value`` (null when unresolved),
        ``n_coders``, ``n_positive``, ``unanimous``, ``source``
        ("unanimous", "majority", "any", "all", "adjudicated" or
        "unresolved"); sorted by article and frame. Pass
        ``gold.drop_nulls("value")`` on to evaluation and training.
    """
    if rule not in RULES:
        msg = f"got rule={rule!r}, expected one of {RULES}"
        raise FramingError(msg)
    require_columns(codings, ("article_id", "frame", "coder", "value"), name="codings", error=FramingError)
    per = codings.drop_nulls("value").group_by("article_id", "frame").agg(
        pl.len().cast(pl.Int32).alias("n_coders"), pl.col("value").cast(pl.Int32).sum().alias("n_positive")
    )
    unanimous = (pl.col("n_positive") == 0) | (pl.col("n_positive") == pl.col("n_coders"))
    if rule == "majority":
        value = pl.when(2 * pl.col("n_positive") > pl.col("n_coders")).then(1).when(2 * pl.col("n_positive") < pl.col("n_coders")).then(0).otherwise(None)
        source = pl.when(unanimous).then(pl.lit("unanimous")).when(value.is_null()).then(pl.lit("unresolved")).otherwise(pl.lit("majority"))
    elif rule == "any":
        value = (pl.col("n_positive") > 0).cast(pl.Int32)
        source = pl.when(unanimous).then(pl.lit("unanimous")).otherwise(pl.lit("any"))
    else:
        value = (pl.col("n_positive") == pl.col("n_coders")).cast(pl.Int32)
        source = pl.when(unanimous).then(pl.lit("unanimous")).otherwise(pl.lit("all"))
    gold = per.with_columns(value.cast(pl.Int8).alias("value"), unanimous.alias("unanimous"), source.alias("source"))
    if decisions is not None:
        require_columns(decisions, ("article_id", "frame", "value"), name="decisions", error=FramingError)
        d = decisions.select("article_id", "frame", pl.col("value").cast(pl.Int8).alias("_decided"))
        gold = gold.join(d, on=["article_id", "frame"], how="left").with_columns(
            pl.coalesce("_decided", "value").alias("value"),
            pl.when(pl.col("_decided").is_not_null()).then(pl.lit("adjudicated")).otherwise(pl.col("source")).alias("source"),
        ).drop("_decided")
    return gold.select("article_id", "frame", "value", "n_coders", "n_positive", "unanimous", "source").sort("article_id", "frame")
