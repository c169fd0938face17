"""Outlet x category shares (frames, clusters) with honest uncertainty.

For every outlet (or country) and category, :func:`outlet_shares` reports the
paragraph share of the category within the outlet together with

* a percentile **bootstrap CI that resamples articles** within the outlet
  (the scheme of :func:`toolkit.stats.bootstrap_articles`, same seed, same
  draws; paragraphs of one article are not independent), printed only for
  outlets of at least :data:`MIN_CI_ARTICLES` articles (below that it
  under-covers: NaN and a ``ci_reason``);
* a **random-label baseline**: outlet labels permuted across articles, the
  same shares computed, summarised by mean and percentile band;
* a two-sided **permutation p-value**: how often a permuted share is at
  least as far from the pooled share as the observed one, with as many
  permutations as the table's number of tests needs
  (:func:`toolkit.engine.permutation_test`), and its **BH-FDR q-value**
  across all outlet x category tests of the table;
* **leave-one-article-out** min and max, so a share that rests on one
  article is visible;
* the wire policy, applied (:func:`toolkit.engine.resolve_wire`), and the
  canonical policy, as columns.

The share is a ratio of sums over articles, so resampling or relabelling
articles only reweights per-article counts; everything is computed on an
articles x categories count matrix, which keeps bootstrap resamples and the
tens of thousands of permutations a large table plans cheap.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import polars as pl

from toolkit.engine import MeasureError, engine_columns
from toolkit.frames import FramingError
from toolkit.schema import require_columns
from toolkit.stats import article_index, bh_fdr

BY = {"outlet": "outlet", "country": "outlet_country", "outlet_country": "outlet_country"}
SMALL_OUTLET = 5  # articles; loao is most informative at or below this
#: Interval methods and the fewest articles for which each is printed: the
#: smallest size at which its coverage of a nominal 95 % interval was measured
#: >= 0.90 by benchmarks/bench_calibration.py (table in docs/framing_measures.md).
MIN_CI_ARTICLES = {"wilson": 5, "bootstrap": 30}
INTERVALS = tuple(MIN_CI_ARTICLES)
_CHUNK = 256  # bootstrap resamples per vectorised block (bounds memory)


class ShareError(MeasureError, FramingError):
    """Bad input to :func:`outlet_shares` (a MeasureError, and a FramingError as before)."""


def _assignment_rows(assignments: pl.DataFrame, category: str) -> pl.DataFrame:
    require_columns(assignments, ("paragraph_id", category), name="assignments", error=ShareError)
    rows = assignments
    # the long output of score_frames has one row per frame: count the primary one
    if "is_primary" in rows.columns and rows["paragraph_id"].is_duplicated().any():
        rows = rows.filter(pl.col("is_primary"))
    dupes = rows.height - rows["paragraph_id"].n_unique()
    if dupes:
        msg = f"got {dupes} paragraph(s) with more than one {category!r}, expected one row per paragraph (filter is_primary)"
        raise ShareError(msg)
    return rows.select(pl.col("paragraph_id").cast(pl.String), pl.col(category).cast(pl.String).fill_null("(none)").alias("category"))


def _count_matrix(rows: pl.DataFrame, group: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], list[str], np.ndarray]:
    """Per-article category counts: (counts[A, C], n_par[A], group_of_article[A], groups, categories, article_ids)."""
    ids, row_article = article_index(rows["article_id"].to_list())
    categories = sorted(rows["category"].unique().to_list())
    groups = sorted(rows[group].unique().to_list())
    cat_idx = np.searchsorted(np.asarray(categories, dtype=object), np.asarray(rows["category"].to_list(), dtype=object))
    counts = np.zeros((ids.size, len(categories)))
    np.add.at(counts, (row_article, cat_idx), 1.0)
    group_rows = np.searchsorted(np.asarray(groups, dtype=object), np.asarray(rows[group].to_list(), dtype=object))
    group_of_article = np.empty(ids.size, dtype=np.int64)
    group_of_article[row_article] = group_rows
    return counts, counts.sum(axis=1), group_of_article, groups, categories, ids


def _group_sums(labels: np.ndarray, counts: np.ndarray, n_par: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    onehot = np.zeros((n_groups, labels.size))
    onehot[labels, np.arange(labels.size)] = 1.0
    return onehot @ counts, onehot @ n_par


def _bootstrap(counts: np.ndarray, n_par: np.ndarray, *, n_boot: int, seed: int, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile CI of each category share, resampling the rows (articles) of one group.

    Draws exactly what ``stats.bootstrap_articles`` draws for a single group
    with the same seed (``rng.choice(n, n)`` per resample is
    ``rng.integers(0, n, n)``), so the two agree to the last digit.
    """
    n_art, n_cat = counts.shape
    if n_art < 2:
        return np.full(n_cat, np.nan), np.full(n_cat, np.nan)
    rng = np.random.default_rng(seed)
    values = np.empty((n_boot, n_cat))
    for start in range(0, n_boot, _CHUNK):
        stop = min(n_boot, start + _CHUNK)
        picked = rng.integers(0, n_art, size=(stop - start, n_art))
        values[start:stop] = counts[picked].sum(axis=1) / n_par[picked].sum(axis=1)[:, None]
    alpha = (1 - level) / 2
    low, high = np.nanquantile(values, [alpha, 1 - alpha], axis=0)
    return low, high


def _wilson_cluster(counts: np.ndarray, n_par: np.ndarray, *, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of each category share on the article-clustered effective sample size.

    The share is a ratio of article sums; its article-clustered variance
    ``sum_i (c_i - r m_i)^2 / (n (n - 1) mbar^2)`` gives a design effect over
    the binomial ``r (1 - r) / M`` (never below 1), and ``M / deff``
    paragraphs enter Wilson's formula with Student's t on ``n - 1`` df.
    A share of exactly 0 or 1 has no variance of its own: it borrows the
    largest design effect of the group's other categories (else 1), so it
    gets a Wilson interval, not a zero-width one.
    """
    from scipy.stats import t as student

    n_art, n_cat = counts.shape
    if n_art < 2:
        return np.full(n_cat, np.nan), np.full(n_cat, np.nan)
    total = n_par.sum()
    r = counts.sum(axis=0) / total
    var = ((counts - r * n_par[:, None]) ** 2).sum(axis=0) / (n_art * (n_art - 1)) / n_par.mean() ** 2
    binom = r * (1 - r) / total
    deff = np.where(binom > 0, np.maximum(var / np.where(binom > 0, binom, 1.0), 1.0), np.nan)
    deff = np.where(np.isnan(deff), np.nanmax(deff) if np.isfinite(deff).any() else 1.0, deff)
    n_eff = total / deff
    z = float(student.ppf(1 - (1 - level) / 2, n_art - 1))
    den = 1 + z * z / n_eff
    centre = (r + z * z / (2 * n_eff)) / den
    half = z * np.sqrt(r * (1 - r) / n_eff + z * z / (4 * n_eff * n_eff)) / den
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def outlet_shares(
    assignments: pl.DataFrame,
    paragraphs: pl.DataFrame,
    articles: pl.DataFrame,
    *,
    by: str = "outlet",
    category: str = "frame",
    n_boot: int = 2000,
    n_perm: int | str = "auto",
    seed: int = 0,
    level: float = 0.95,
    canonical_only: bool = True,
    wire_policy: str | None = None,
    interval: str = "wilson",
    min_ci_articles: int | None = None,
) -> pl.DataFrame:
    """Share of each category within each outlet, with CIs, baseline, p and q.

    Parameters
    ----------
    assignments : pl.DataFrame
        ``paragraph_id`` and the ``category`` column: one row per paragraph
        (e.g. clusters), or the long output of
        :func:`toolkit.frames.score_frames`, of which the ``is_primary`` rows
        are used. Only these paragraphs are counted; choose them upstream
        (e.g. :func:`toolkit.analysis.analysis_paragraphs`).
    paragraphs : pl.DataFrame
        ``paragraph_id`` and ``article_id``.
    articles : pl.DataFrame
        The articles frame (``outlet``, ``outlet_country``, ``story_id``,
        ``duplicate_of``), raw or from :func:`toolkit.wire.apply_wire_policy`
        (see :func:`toolkit.engine.resolve_wire`).
    by : {"outlet", "country"}
        Group articles by outlet or by the outlet's country (null: "unknown").
    category : str
        Column of ``assignments`` holding the category ("frame",
        "cluster_label", "cluster", ...).
    n_boot : int
        Bootstrap resamples.
    n_perm : int or "auto"
        Label permutations; "auto" plans them from the number of tests
        (:func:`toolkit.engine.permutation_test`); 0 skips the test (p, q
        and baseline are null).
    seed, level
        RNG seed, confidence level of CI and baseline band.
    canonical_only : bool, default True
        Leave out same-outlet copies when the policy is applied here.
    wire_policy : {"merge", "keep", "drop"}, optional
        Policy for syndicated copies; None reads the articles'
        ``wire_policy`` column, or applies "merge" to raw articles.
    interval : {"wilson", "bootstrap"}
        ``"wilson"`` (default): Wilson score interval on the
        article-clustered effective sample size with Student's t
        (:func:`_wilson_cluster`); ``"bootstrap"``: percentile bootstrap
        resampling the group's articles (``n_boot`` resamples). Measured
        coverage by group size is in docs/framing_measures.md.
    min_ci_articles : int, optional
        Groups with fewer articles get no interval (NaN, ``ci_reason``);
        default ``MIN_CI_ARTICLES[interval]`` (5 for Wilson, 30 for the
        bootstrap: the sizes from which each was measured to cover >= 0.90).

    Returns
    -------
    pl.DataFrame
        One row per group and category (every combination, zero shares
        included), sorted by group then category: the group column
        (``outlet`` or ``outlet_country``), ``category``, then the engine
        columns (:data:`toolkit.engine.ENGINE_COLUMNS`: ``n_articles``,
        ``n_paragraphs`` of the group, ``estimate`` = the paragraph share,
        ``ci_low``, ``ci_high``, ``ci_reason``, ``baseline_mean/low/high``,
        ``p_value``, ``q_value``, ``wire_policy``, ``n_perm``, ``seed``,
        ``method``), then ``n_in_category``, ``pooled_share`` (all groups
        together), ``loao_min``, ``loao_max`` (null for a one-article
        group), ``small_group`` (at most 5 articles), ``category_column``,
        ``canonical_policy``, ``n_boot``.
    """
    from toolkit.engine import (
        ENGINE_COLUMNS,
        guard_interval,
        method_text,
        permutation_test,
        permuted_labels,
        resolve_wire,
    )

    if by not in BY:
        msg = f"got by={by!r}, expected one of {sorted(BY)}"
        raise ShareError(msg)
    if n_boot < 1 or (not isinstance(n_perm, str) and n_perm < 0) or not 0 < level < 1:
        msg = f"got n_boot={n_boot}, n_perm={n_perm}, level={level}, expected n_boot >= 1, n_perm >= 0 or 'auto' and 0 < level < 1"
        raise ShareError(msg)
    if interval not in INTERVALS:
        msg = f"got interval={interval!r}, expected one of {INTERVALS}"
        raise ShareError(msg)
    min_ci = MIN_CI_ARTICLES[interval] if min_ci_articles is None else int(min_ci_articles)
    group = BY[by]
    rows = _assignment_rows(assignments, category)
    kept, policy = resolve_wire(articles, wire_policy, canonical_only=canonical_only)
    canonical_policy = kept["canonical_policy"][0] if "canonical_policy" in kept.columns and kept.height else ("canonical_only" if canonical_only else "all_copies")
    rows = (
        rows.join(paragraphs.select(pl.col("paragraph_id").cast(pl.String), "article_id"), on="paragraph_id", how="inner", maintain_order="left")
        .join(kept.select("article_id", pl.col(group).fill_null("unknown")), on="article_id", how="inner", maintain_order="left")
    )
    if rows.height == 0:
        msg = "got no assigned paragraph in a kept article, expected paragraph_ids matching paragraphs of the articles frame"
        raise ShareError(msg)

    counts, n_par, labels, groups, categories, _ = _count_matrix(rows, group)
    n_groups, n_cat = len(groups), len(categories)
    num, den = _group_sums(labels, counts, n_par, n_groups)
    share = num / den[:, None]
    pooled = counts.sum(axis=0) / n_par.sum()
    n_articles = np.bincount(labels, minlength=n_groups)

    ci_low = np.full((n_groups, n_cat), np.nan)
    ci_high = np.full((n_groups, n_cat), np.nan)
    loao_min = np.full((n_groups, n_cat), np.nan)
    loao_max = np.full((n_groups, n_cat), np.nan)
    for g in range(n_groups):
        members = np.flatnonzero(labels == g)
        if interval == "wilson":
            ci_low[g], ci_high[g] = _wilson_cluster(counts[members], n_par[members], level=level)
        elif members.size >= min_ci:  # resampling a group too small to print is wasted work
            ci_low[g], ci_high[g] = _bootstrap(counts[members], n_par[members], n_boot=n_boot, seed=seed, level=level)
        if members.size >= 2:
            left_out = (num[g] - counts[members]) / (den[g] - n_par[members])[:, None]
            loao_min[g], loao_max[g] = left_out.min(axis=0), left_out.max(axis=0)
    row_articles = np.repeat(n_articles, n_cat)
    low_flat, high_flat, reason = guard_interval(row_articles, ci_low.ravel(), ci_high.ravel(), min_articles=min_ci, method=interval)

    n_art = labels.size
    # test t = g * n_cat + c: the share of category c in group g
    test_group = np.repeat(np.arange(n_groups), n_cat)
    test_cat = np.tile(np.arange(n_cat), n_groups)

    def draw(rng: np.random.Generator, n: int, active: np.ndarray) -> np.ndarray:
        perm = permuted_labels(rng, labels, n)
        flat = (np.arange(n)[:, None] * n_groups + perm).ravel()
        pden = np.bincount(flat, weights=np.tile(n_par, n), minlength=n * n_groups).reshape(n, n_groups)
        out = np.empty((n, active.size))
        for c in np.unique(test_cat[active]):
            pnum = np.bincount(flat, weights=np.tile(counts[:, c], n), minlength=n * n_groups).reshape(n, n_groups)
            sel = test_cat[active] == c
            g = test_group[active][sel]
            out[:, sel] = pnum[:, g] / pden[:, g]
        return out

    result = None
    if n_perm != 0 and n_art > 0:
        result = permutation_test(share.ravel(), draw, n_perm=n_perm, center=np.tile(pooled, n_groups), seed=seed, level=level)
        p_value, used = result.p_value, result.n_perm
        q_value = bh_fdr(p_value)
        base_mean, base_low, base_high = result.baseline_mean, result.baseline_low, result.baseline_high
    else:
        p_value = q_value = base_mean = base_low = base_high = np.full(n_groups * n_cat, np.nan)
        used = np.zeros(n_groups * n_cat, dtype=np.int64)
    method = method_text(
        "paragraph share within the group, articles weighted by their paragraphs; two-sided vs the pooled share",
        result,
        interval=(f"Wilson interval on the article-clustered effective size (t, n-1 df), none below {min_ci} articles" if interval == "wilson"
                  else f"percentile bootstrap over the group's articles ({n_boot} resamples), none below {min_ci} articles"),
    )

    def flat(values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=float).ravel()

    out = pl.DataFrame(
        {
            group: np.repeat(np.asarray(groups, dtype=object), n_cat),
            "category": np.tile(np.asarray(categories, dtype=object), n_groups),
            **engine_columns(
                n_articles=row_articles.astype(np.int32),
                n_paragraphs=np.repeat(den, n_cat).astype(np.int32),
                estimate=flat(share),
                ci_low=low_flat,
                ci_high=high_flat,
                ci_reason=reason,
                baseline=(flat(base_mean), flat(base_low), flat(base_high)),
                p_value=flat(p_value),
                q_value=flat(q_value),
                wire_policy=policy,
                n_perm=used,
                seed=seed,
                method=method,
            ),
            "n_in_category": flat(num).astype(np.int32),
            "pooled_share": np.tile(pooled, n_groups),
            "loao_min": flat(loao_min),
            "loao_max": flat(loao_max),
        },
        schema_overrides={group: pl.String, "category": pl.String, "wire_policy": pl.String, "method": pl.String},
    )
    nullable = ["loao_min", "loao_max"] + ([] if result is not None else ["p_value", "q_value", "baseline_mean", "baseline_low", "baseline_high"])
    out = out.with_columns(
        [pl.col(c).fill_nan(None) for c in nullable]
        + [
            (pl.col("n_articles") <= SMALL_OUTLET).alias("small_group"),
            pl.lit(category).alias("category_column"),
            pl.lit(canonical_policy).alias("canonical_policy"),
            pl.lit(n_boot, dtype=pl.Int32).alias("n_boot"),
        ]
    )
    assert tuple(out.columns[2 : 2 + len(ENGINE_COLUMNS)]) == ENGINE_COLUMNS
    return out


def naive_shares(assignments: pl.DataFrame, paragraphs: pl.DataFrame, articles: pl.DataFrame, *, category: str = "frame") -> pl.DataFrame:
    """Paragraph-level outlet x category shares with no uncertainty (the benchmark baseline)."""
    rows = _assignment_rows(assignments, category)
    return (
        rows.join(paragraphs.select("paragraph_id", "article_id"), on="paragraph_id")
        .join(articles.select("article_id", "outlet"), on="article_id")
        .group_by("outlet", "category")
        .len()
        .with_columns((pl.col("len") / pl.col("len").sum().over("outlet")).alias("share"))
        .sort("outlet", "category")
    )


def framing_tables(
    articles: pl.DataFrame,
    paragraphs: pl.DataFrame,
    embeddings: pl.DataFrame,
    *,
    clusters: pl.DataFrame | None = None,
    model: str | os.PathLike[str] | None = None,
    typology: str = "policy_frames",
    calibration: str = "softmax",
    wire: str = "merge",
    n_boot: int = 2000,
    n_perm: int | str = "auto",
    seed: int = 0,
    cache: bool | str | os.PathLike[str] | None = True,
) -> dict[str, Any]:
    """Everything the analyze step writes about frames, as frames to write.

    Scores the analysed paragraphs (bodies and decks of canonical articles)
    and the headlines, then computes outlet x frame shares from each
    paragraph's primary frame and, when ``clusters`` is given, outlet x
    cluster shares.

    Returns
    -------
    dict
        ``"frames"`` (paragraph x frame, headlines included),
        ``"article_frames"``, ``"outlet_frames"``, ``"outlet_clusters"`` (or
        None) and ``"report"`` (a JSON-ready summary).
    """
    from toolkit.analysis import analysis_paragraphs
    from toolkit.embedding import embed
    from toolkit.frames import pooled_article_scores, score_frames, title_paragraphs

    chosen = analysis_paragraphs(articles, paragraphs)
    titles = title_paragraphs(articles.filter(pl.col("duplicate_of").is_null()))
    from toolkit.embedder import matching

    title_emb = embed(titles, model=matching(model, embeddings), cache=cache, progress=False)
    scored = pl.concat([chosen.select("paragraph_id", "article_id", "position"), titles.select("paragraph_id", "article_id", "position")])
    frames = score_frames(scored, pl.concat([embeddings, title_emb]), typology=typology, model=model, calibration=calibration, cache=cache)
    body_frames = frames.join(chosen.select("paragraph_id"), on="paragraph_id", how="semi", maintain_order="left")
    per_article = pooled_article_scores(frames, chosen, articles)
    options = {"n_boot": n_boot, "n_perm": n_perm, "seed": seed, "wire_policy": wire}
    outlet_frames = outlet_shares(body_frames, chosen, articles, category="frame", **options)
    outlet_clusters = None
    if clusters is not None:
        outlet_clusters = outlet_shares(clusters, chosen, articles, category="cluster_label", **options)
    primary = body_frames.filter("is_primary")
    report = {
        "typology": typology,
        "calibration": calibration,
        "paragraphs_scored": chosen.height,
        "headlines_scored": titles.height,
        "ambiguous_paragraphs": int(primary["ambiguous"].sum()),
        "wire_policy": wire,
        "significant_outlet_frames_q05": outlet_frames.filter(pl.col("q_value") < 0.05).select("outlet", "category", "estimate", "pooled_share", "q_value").to_dicts(),
    }
    return {"frames": frames, "article_frames": per_article, "outlet_frames": outlet_frames, "outlet_clusters": outlet_clusters, "report": report}
