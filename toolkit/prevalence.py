"""Outlet x frame prevalence that survives classifier error.

A classifier's outlet x frame shares inherit its errors: a detector that
fires on 66% of articles when the truth is 30% makes every outlet look
framed. :func:`corrected_shares` uses the human-coded sample to remove that
bias, by **design-based supervised learning** (DSL; Egami, Hinck, Stewart &
Wei, 2023, "Using imperfect surrogates for downstream inference", NeurIPS):
for every article ``i`` and frame,

    pseudo_i = pred_i + (R_i / pi_i) * (gold_i - pred_i)

where ``pred_i`` is the scorer's output (a calibrated probability, or 0/1),
``R_i`` is 1 when the article was coded, and ``pi_i`` its known inclusion
probability (:func:`toolkit.coding.coding_sample`). The mean of ``pseudo``
over an outlet's articles is unbiased for the outlet's true article share
whatever the scorer's errors, as long as every article could be drawn
(``pi > 0``); its standard error, from the spread of ``pseudo``, includes
the classifier's error. Intervals are normal (``estimate +- z * se``), and
missing (NaN, with the reason) when an outlet has fewer than ``min_coded``
coded articles, where the spread of the correction term cannot be
estimated.

Shares here are **article** shares (the fraction of an outlet's articles
carrying the frame), one documented weighting; wire copies are handled by
passing articles through :func:`toolkit.wire.apply_wire_policy` first (its
``wire_policy`` column is carried into the table).

:func:`stamp_scorer` adds to any outlet x frame table which scorer produced
it and its validated F1 (from :func:`toolkit.validation.evaluate_frames`),
or ``"unvalidated"``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from toolkit.frames import FramingError
from toolkit.schema import require_columns

MIN_CODED = 5


def stamp_scorer(
    table: pl.DataFrame,
    *,
    scorer: str,
    evaluation: pl.DataFrame | None = None,
    frame_column: str = "frame",
) -> pl.DataFrame:
    """Say which scorer produced an outlet x frame table and how well it was validated.

    Adds ``scorer``, ``validated_f1``, ``validated_f1_low``,
    ``validated_f1_high``, ``validated_n`` (coded articles) and
    ``validation`` (e.g. ``"F1 0.62 [0.55, 0.69] on 200 coded articles"``,
    or ``"unvalidated"`` when ``evaluation`` is None or lacks the frame).
    """
    require_columns(table, (frame_column,), name="table", error=FramingError)
    if evaluation is None:
        ev = pl.DataFrame(schema={frame_column: pl.String, "validated_f1": pl.Float64, "validated_f1_low": pl.Float64, "validated_f1_high": pl.Float64, "validated_n": pl.Int32})
    else:
        require_columns(evaluation, ("frame", "f1", "f1_low", "f1_high", "n_articles"), name="evaluation", error=FramingError)
        ev = evaluation.select(
            pl.col("frame").alias(frame_column),
            pl.col("f1").alias("validated_f1"),
            pl.col("f1_low").alias("validated_f1_low"),
            pl.col("f1_high").alias("validated_f1_high"),
            pl.col("n_articles").cast(pl.Int32).alias("validated_n"),
        )
    out = table.drop([c for c in ("scorer", "validated_f1", "validated_f1_low", "validated_f1_high", "validated_n", "validation") if c in table.columns])
    out = out.join(ev, on=frame_column, how="left", maintain_order="left")
    text = pl.format(
        "F1 {} [{}, {}] on {} coded articles",
        pl.col("validated_f1").round(2),
        pl.col("validated_f1_low").round(2),
        pl.col("validated_f1_high").round(2),
        pl.col("validated_n"),
    )
    return out.with_columns(
        pl.lit(scorer).alias("scorer"),
        pl.when(pl.col("validated_f1").is_null()).then(pl.lit("unvalidated")).otherwise(text).alias("validation"),
    )


def corrected_shares(
    predictions: pl.DataFrame,
    gold: pl.DataFrame,
    articles: pl.DataFrame,
    *,
    sample: pl.DataFrame | None = None,
    by: str = "outlet",
    use: str = "auto",
    level: float = 0.95,
    min_coded: int = MIN_CODED,
    scorer: str | None = None,
    evaluation: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Outlet x frame article shares, corrected with the coded sample (DSL).

    Parameters
    ----------
    predictions : pl.DataFrame
        ``article_id``, ``frame`` and ``probability`` (classifier) or
        ``detected`` (any scorer), for every article to count.
    gold : pl.DataFrame
        ``article_id``, ``frame``, ``value`` (0/1) of the coded articles,
        e.g. ``adjudicate(...).drop_nulls("value")``.
    articles : pl.DataFrame
        ``article_id`` and the ``by`` column, the articles counted (pass them
        through :func:`toolkit.wire.apply_wire_policy` to count a wire story
        once; its ``wire_policy`` column is reported).
    sample : pl.DataFrame, optional
        ``article_id``, ``inclusion_prob`` from
        :func:`toolkit.coding.coding_sample`. None: the coded articles are
        taken as a simple random sample of ``articles`` (``pi = n_coded /
        n_articles`` for all), which is only right if they were drawn so.
    by : str
        Grouping column of ``articles``.
    use : {"auto", "probability", "detected"}
        The scorer's output used as ``pred`` (``auto``: probability when
        present). Calibrated probabilities give narrower intervals.
    level : float
        Confidence level of the intervals.
    min_coded : int
        Fewer coded articles in a group: no interval (NaN) and a note.
    scorer : str, optional
        Name for the ``scorer`` column (default: the predictions' ``scorer``
        column, else ``"unnamed"``).
    evaluation : pl.DataFrame, optional
        :func:`toolkit.validation.evaluate_frames` output for the scorer, to
        report its validated F1 (else ``"unvalidated"``).

    Returns
    -------
    pl.DataFrame
        One row per group and frame, sorted: the ``by`` column, ``frame``,
        ``n_articles``, ``n_coded``, ``estimate`` (DSL), ``se``, ``ci_low``,
        ``ci_high``, ``naive_estimate`` (the scorer's mean, uncorrected),
        ``gold_share`` (share among the group's coded articles), ``note``,
        ``method`` ("dsl"), ``pred``, ``level``, ``wire_policy``, and the
        columns of :func:`stamp_scorer`.

    Raises
    ------
    FramingError
        Missing columns, coded articles outside ``articles``, inclusion
        probabilities outside (0, 1].
    """
    from scipy.stats import norm

    from toolkit.validation import _binary

    require_columns(predictions, ("article_id", "frame"), name="predictions", error=FramingError)
    require_columns(articles, ("article_id", by), name="articles", error=FramingError)
    if use == "auto":
        use = "probability" if "probability" in predictions.columns else "detected"
    if use not in ("probability", "detected") or use not in predictions.columns:
        msg = f"got use={use!r} with prediction columns {predictions.columns}, expected a probability or detected column"
        raise FramingError(msg)
    if not 0 < level < 1 or min_coded < 2:
        msg = f"got level={level}, min_coded={min_coded}, expected 0 < level < 1 and min_coded >= 2"
        raise FramingError(msg)
    gold = _binary(gold.select(pl.col("article_id").cast(pl.String), "frame", "value").drop_nulls("value"), "value", "gold")
    counted = articles.select(pl.col("article_id").cast(pl.String), pl.col(by).cast(pl.String).fill_null("unknown"))
    outside = gold.join(counted, on="article_id", how="anti")
    if outside.height:
        msg = f"got {outside['article_id'].n_unique()} coded article(s) not among the articles counted (e.g. {outside['article_id'][0]!r}), expected the sample drawn from them"
        raise FramingError(msg)
    n_coded_total = gold["article_id"].n_unique()
    if sample is not None:
        require_columns(sample, ("article_id", "inclusion_prob"), name="sample", error=FramingError)
        pi = sample.select(pl.col("article_id").cast(pl.String), pl.col("inclusion_prob").cast(pl.Float64).alias("pi"))
        bad = pi.filter(~pl.col("pi").is_between(0, 1, closed="right"))
        if bad.height:
            msg = f"got inclusion_prob {bad['pi'][0]} for {bad['article_id'][0]!r}, expected values in (0, 1]"
            raise FramingError(msg)
        missing = gold.join(pi, on="article_id", how="anti")
        if missing.height:
            msg = f"got coded article {missing['article_id'][0]!r} without an inclusion probability in sample, expected every coded article sampled"
            raise FramingError(msg)
    else:
        pi = gold.select("article_id").unique().with_columns(pl.lit(n_coded_total / counted.height).alias("pi"))
    pred = pl.col(use).cast(pl.Float64)
    rows = (
        predictions.select(pl.col("article_id").cast(pl.String), "frame", pred.alias("pred"))
        .join(counted, on="article_id", how="inner")
        .join(gold, on=["article_id", "frame"], how="left")
        .join(pi, on="article_id", how="left")
        .with_columns(
            (pl.col("pred") + pl.when(pl.col("value").is_not_null()).then((pl.col("value") - pl.col("pred")) / pl.col("pi")).otherwise(0.0)).alias("pseudo")
        )
    )
    z = float(norm.ppf(1 - (1 - level) / 2))
    out = (
        rows.group_by(by, "frame")
        .agg(
            pl.len().cast(pl.Int32).alias("n_articles"),
            pl.col("value").is_not_null().sum().cast(pl.Int32).alias("n_coded"),
            pl.col("pseudo").mean().alias("estimate"),
            (pl.col("pseudo").std(ddof=1) / pl.len().sqrt()).alias("se"),
            pl.col("pred").mean().alias("naive_estimate"),
            pl.col("value").cast(pl.Float64).mean().alias("gold_share"),
        )
        .with_columns(
            pl.when(pl.col("n_coded") < min_coded)
            .then(pl.lit(f"fewer than {min_coded} coded articles: no interval"))
            .otherwise(pl.lit(""))
            .alias("note")
        )
        .with_columns(
            pl.when(pl.col("note") == "").then(pl.col("estimate") - z * pl.col("se")).otherwise(float("nan")).alias("ci_low"),
            pl.when(pl.col("note") == "").then(pl.col("estimate") + z * pl.col("se")).otherwise(float("nan")).alias("ci_high"),
        )
        .sort(by, "frame")
    )
    wire = articles["wire_policy"][0] if "wire_policy" in articles.columns and articles.height else "not applied"
    name = scorer or (predictions["scorer"][0] if "scorer" in predictions.columns and predictions.height else "unnamed")
    out = out.select(
        by, "frame", "n_articles", "n_coded", "estimate", "se", "ci_low", "ci_high", "naive_estimate", "gold_share", "note",
        pl.lit("dsl").alias("method"), pl.lit(use).alias("pred"), pl.lit(level).alias("level"), pl.lit(str(wire)).alias("wire_policy"),
    )
    return stamp_scorer(out, scorer=str(name), evaluation=evaluation)


def simulate_coverage(
    *,
    n_articles: int = 1000,
    n_coded: int = 150,
    prevalence: float = 0.3,
    false_positive: float = 0.3,
    false_negative: float = 0.2,
    n_sim: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """Coverage of DSL and naive intervals for a biased 0/1 classifier (a check, used in tests and docs).

    Returns the share of simulations whose interval covers the true share
    (``dsl_coverage``; ``naive_coverage`` uses a binomial interval on the
    classifier's own labels), and the mean bias of each estimate.
    """
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    z = float(norm.ppf(1 - (1 - level) / 2))
    hits = naive_hits = 0
    bias = naive_bias = 0.0
    for _ in range(n_sim):
        y = (rng.random(n_articles) < prevalence).astype(float)
        flip = np.where(y == 1, rng.random(n_articles) < false_negative, rng.random(n_articles) < false_positive)
        pred = np.where(flip, 1 - y, y)
        coded = np.zeros(n_articles, dtype=bool)
        coded[rng.choice(n_articles, n_coded, replace=False)] = True
        pi = n_coded / n_articles
        pseudo = pred + coded * (y - pred) / pi
        est, se = pseudo.mean(), pseudo.std(ddof=1) / np.sqrt(n_articles)
        truth = y.mean()
        hits += abs(est - truth) <= z * se
        bias += est - truth
        naive = pred.mean()
        naive_hits += abs(naive - truth) <= z * np.sqrt(naive * (1 - naive) / n_articles)
        naive_bias += naive - truth
    return {"dsl_coverage": hits / n_sim, "naive_coverage": naive_hits / n_sim, "dsl_bias": bias / n_sim, "naive_bias": naive_bias / n_sim}
