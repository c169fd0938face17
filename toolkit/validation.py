"""Frame scorers against human codes: agreement between coders, and evaluation against gold.

* :func:`frame_agreement`: Krippendorff's alpha (nominal) per frame from the
  codes of several coders, computed by the ``krippendorff`` package
  (Castro, 2017; tests check it against hand-computed values, e.g. the
  two-coder binary example of Krippendorff 2011 with alpha = 0.095).
* :func:`evaluate_frames`: per-frame precision, recall, F1 and ROC-AUC of
  any scorer against a gold set, with percentile intervals from resampling
  *articles* (the same resampled articles for every frame, so the macro
  average gets an interval too), beside the F1 of the trivial rule "every
  article carries the frame".
* :func:`tune_thresholds`: per-frame score thresholds that maximise F1 on a
  coded sample, to pass to :func:`toolkit.frames.article_frames`.

Predictions are long frames ``article_id, frame`` with a score column
(``probability`` when present, else ``score``) and ``detected``; gold is
``article_id, frame, value`` (0/1), e.g. from :func:`toolkit.coding.adjudicate`.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl

from toolkit.frames import FramingError
from toolkit.schema import require_columns

MACRO = "(macro)"


def _binary(frame: pl.DataFrame, column: str, what: str) -> pl.DataFrame:
    bad = frame.filter(~pl.col(column).cast(pl.Float64, strict=False).is_in([0.0, 1.0]) & pl.col(column).is_not_null())
    if bad.height:
        msg = f"got {what} {column} values {sorted(set(map(str, bad[column].to_list())))[:5]}, expected 0 or 1"
        raise FramingError(msg)
    return frame.with_columns(pl.col(column).cast(pl.Float64).cast(pl.Int8))


def frame_agreement(codings: pl.DataFrame) -> pl.DataFrame:
    """Krippendorff's alpha per frame (nominal, binary codes) across coders.

    Parameters
    ----------
    codings : pl.DataFrame
        ``article_id``, ``frame``, ``coder``, ``value`` (0/1; null = not
        coded), e.g. from :func:`toolkit.coding.read_codings`. One row per
        coder, article and frame.

    Returns
    -------
    pl.DataFrame
        One row per frame (sorted): ``frame``, ``alpha`` (NaN when every code
        is the same value, where alpha is undefined), ``n_articles`` (coded
        by at least two coders: the pairable units), ``n_coders``,
        ``n_codes``, ``percent_agreement`` (share of agreeing coder pairs),
        ``prevalence`` (share of 1 codes), ``note``.

    Raises
    ------
    FramingError
        Missing columns, values other than 0/1, a coder coding one article
        and frame twice.
    """
    import krippendorff

    require_columns(codings, ("article_id", "frame", "coder", "value"), name="codings", error=FramingError)
    codes = _binary(codings.select("article_id", "frame", pl.col("coder").cast(pl.String), "value").drop_nulls("value"), "value", "codings")
    dupes = codes.group_by("article_id", "frame", "coder").len().filter(pl.col("len") > 1)
    if dupes.height:
        first = dupes.row(0, named=True)
        msg = f"got {dupes.height} repeated codes (e.g. coder {first['coder']!r}, article {first['article_id']!r}, frame {first['frame']!r}), expected one code per coder, article and frame"
        raise FramingError(msg)
    rows = []
    for frame in sorted(codes["frame"].unique().to_list()):
        sub = codes.filter(pl.col("frame") == frame)
        wide = sub.pivot(on="coder", index="article_id", values="value", sort_columns=True).sort("article_id")
        data = wide.drop("article_id").to_numpy().astype(float).T  # coders x articles, NaN = not coded
        counts = (~np.isnan(data)).sum(axis=0)
        pairable = data[:, counts >= 2]
        agree = total = 0.0
        for col in pairable.T:
            vals = col[~np.isnan(col)]
            ones = vals.sum()
            m = vals.size
            agree += ones * (ones - 1) + (m - ones) * (m - ones - 1)
            total += m * (m - 1)
        values = pairable[~np.isnan(pairable)]
        note = ""
        if pairable.shape[1] == 0:
            alpha, note = float("nan"), "no article coded by two coders"
        elif np.unique(values).size < 2:
            alpha, note = float("nan"), "every code is the same value: alpha undefined"
        else:
            alpha = float(krippendorff.alpha(reliability_data=pairable, level_of_measurement="nominal", value_domain=[0.0, 1.0]))
        rows.append(
            {
                "frame": frame,
                "alpha": alpha,
                "n_articles": int(pairable.shape[1]),
                "n_coders": int(data.shape[0]),
                "n_codes": int(sub.height),
                "percent_agreement": agree / total if total else float("nan"),
                "prevalence": float(values.mean()) if values.size else float("nan"),
                "note": note,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "frame": pl.String,
            "alpha": pl.Float64,
            "n_articles": pl.Int32,
            "n_coders": pl.Int32,
            "n_codes": pl.Int32,
            "percent_agreement": pl.Float64,
            "prevalence": pl.Float64,
            "note": pl.String,
        },
    )


def _score_column(predictions: pl.DataFrame) -> str:
    for column in ("probability", "score"):
        if column in predictions.columns:
            return column
    msg = f"got predictions with columns {predictions.columns}, expected a probability or score column"
    raise FramingError(msg)


def _weighted_auc(weights: np.ndarray, y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """ROC-AUC (ties count one half) for each row of article weights (bootstrap counts)."""
    uniq, inv = np.unique(s, return_inverse=True)
    onehot = np.zeros((s.size, uniq.size))
    onehot[np.arange(s.size), inv] = 1.0
    pos = (weights * y) @ onehot
    neg = (weights * (1 - y)) @ onehot
    below = np.cumsum(neg, axis=1) - neg
    num = (pos * (below + 0.5 * neg)).sum(axis=1)
    den = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _metrics(weights: np.ndarray, y: np.ndarray, d: np.ndarray, s: np.ndarray) -> dict[str, np.ndarray]:
    tp = weights @ (y * d)
    fp = weights @ ((1 - y) * d)
    fn = weights @ (y * (1 - d))
    npos = weights @ y
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = np.where(npos > 0, tp / npos, np.nan)
        # without a positive article F1 is undefined (not 0): such frames drop out of the macro average
        f1 = np.where(npos > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1e-300), np.nan)
        prevalence = npos / total
        all_positive = np.where(npos > 0, 2 * prevalence / (1 + prevalence), np.nan)
    return {"precision": precision, "recall": recall, "f1": f1, "auc": _weighted_auc(weights, y, s), "f1_all_positive": all_positive}


def evaluate_frames(
    predictions: pl.DataFrame,
    gold: pl.DataFrame,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pl.DataFrame:
    """Per-frame precision, recall, F1 and ROC-AUC against gold codes, with article-bootstrap intervals.

    Parameters
    ----------
    predictions : pl.DataFrame
        ``article_id``, ``frame``, ``detected`` and ``probability`` or
        ``score`` (higher = more likely), e.g. from
        :func:`toolkit.frames.article_frames` or a classifier's ``predict``.
    gold : pl.DataFrame
        ``article_id``, ``frame``, ``value`` (0/1). Only article x frame
        pairs in both frames are evaluated.
    n_boot : int
        Bootstrap resamples of articles (0: no intervals).
    seed : int
        Seed of the resampling.
    level : float
        Confidence level of the percentile intervals.

    Returns
    -------
    pl.DataFrame
        One row per frame (codebook order of ``predictions``) and a last
        ``"(macro)"`` row (unweighted mean over the frames where the metric is
        defined, resampled with the same articles; recall, F1 and AUC are
        undefined, NaN, for a frame without a positive gold article): ``frame``, ``n_articles``, ``n_positive``,
        ``prevalence``, and for each of ``precision``, ``recall``, ``f1``,
        ``auc``, ``f1_all_positive`` (the F1 of calling every article
        positive) the estimate and ``*_low``/``*_high``; ``beats_all_positive``
        (F1 above the trivial rule's), ``n_boot``, ``seed``.
    """
    require_columns(predictions, ("article_id", "frame", "detected"), name="predictions", error=FramingError)
    require_columns(gold, ("article_id", "frame", "value"), name="gold", error=FramingError)
    if n_boot < 0 or not 0 < level < 1:
        msg = f"got n_boot={n_boot}, level={level}, expected n_boot >= 0 and 0 < level < 1"
        raise FramingError(msg)
    column = _score_column(predictions)
    gold = _binary(gold.select("article_id", "frame", "value").drop_nulls("value"), "value", "gold")
    joined = predictions.select(pl.col("article_id").cast(pl.String), "frame", pl.col(column).cast(pl.Float64).alias("s"), pl.col("detected").cast(pl.Float64).alias("d")).join(
        gold.with_columns(pl.col("article_id").cast(pl.String)), on=["article_id", "frame"], how="inner", maintain_order="left"
    )
    if joined.height == 0:
        msg = "got no article and frame in both predictions and gold, expected overlapping article_id and frame"
        raise FramingError(msg)
    articles = sorted(joined["article_id"].unique().to_list())
    index = {a: i for i, a in enumerate(articles)}
    rng = np.random.default_rng(seed)
    boot = rng.integers(0, len(articles), size=(n_boot, len(articles))) if n_boot else np.zeros((0, len(articles)), dtype=np.int64)
    counts = np.zeros((n_boot, len(articles)))
    for b in range(n_boot):
        counts[b] = np.bincount(boot[b], minlength=len(articles))
    frames = joined["frame"].unique(maintain_order=True).to_list()
    names = ["precision", "recall", "f1", "auc", "f1_all_positive"]
    point: dict[str, list[float]] = {n: [] for n in names}
    boots: dict[str, list[np.ndarray]] = {n: [] for n in names}
    info = []
    for frame in frames:
        sub = joined.filter(pl.col("frame") == frame)
        idx = np.array([index[a] for a in sub["article_id"].to_list()])
        y = sub["value"].to_numpy().astype(float)
        d = sub["d"].to_numpy()
        s = sub["s"].to_numpy()
        one = _metrics(np.ones((1, idx.size)), y, d, s)
        many = _metrics(counts[:, idx], y, d, s) if n_boot else {n: np.zeros(0) for n in names}
        for n in names:
            point[n].append(float(one[n][0]))
            boots[n].append(many[n])
        info.append((frame, idx.size, int(y.sum())))
    alpha = (1 - level) / 2
    rows = []
    for i, (frame, n, npos) in enumerate(info):
        row = {"frame": frame, "n_articles": n, "n_positive": npos, "prevalence": npos / n}
        for name in names:
            row[name] = point[name][i]
            b = boots[name][i]
            ok = b[~np.isnan(b)]
            row[f"{name}_low"], row[f"{name}_high"] = (float(np.quantile(ok, alpha)), float(np.quantile(ok, 1 - alpha))) if ok.size else (float("nan"), float("nan"))
        rows.append(row)
    macro = {"frame": MACRO, "n_articles": len(articles), "n_positive": sum(r[2] for r in info), "prevalence": float(np.mean([r["prevalence"] for r in rows]))}
    for name in names:
        macro[name] = float(np.nanmean(point[name]))
        if n_boot:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a resample where no frame has the metric: NaN
                stacked = np.nanmean(np.stack(boots[name]), axis=0)
            ok = stacked[~np.isnan(stacked)]
            macro[f"{name}_low"], macro[f"{name}_high"] = float(np.quantile(ok, alpha)), float(np.quantile(ok, 1 - alpha))
        else:
            macro[f"{name}_low"] = macro[f"{name}_high"] = float("nan")
    rows.append(macro)
    out = pl.DataFrame(rows).with_columns(pl.col("n_articles").cast(pl.Int32), pl.col("n_positive").cast(pl.Int32))
    return out.with_columns(
        (pl.col("f1") > pl.col("f1_all_positive")).alias("beats_all_positive"),
        pl.lit(n_boot, dtype=pl.Int32).alias("n_boot"),
        pl.lit(seed, dtype=pl.Int64).alias("seed"),
    )


def tune_thresholds(predictions: pl.DataFrame, gold: pl.DataFrame) -> dict[str, float]:
    """Per-frame score threshold that maximises F1 on a coded sample.

    Returns ``{frame: threshold}`` on the scale of the predictions' score
    column (``probability`` or ``score``), ready for
    ``article_frames(..., threshold=...)``. Tuned and evaluated on the same
    codes, F1 is optimistic: evaluate on other codes (cross-validation).
    """
    column = _score_column(predictions)
    gold = _binary(gold.select("article_id", "frame", "value").drop_nulls("value"), "value", "gold")
    joined = predictions.select("article_id", "frame", pl.col(column).cast(pl.Float64).alias("s")).join(gold, on=["article_id", "frame"], how="inner")
    out = {}
    for frame in predictions["frame"].unique(maintain_order=True).to_list():
        sub = joined.filter(pl.col("frame") == frame)
        if sub.height == 0:
            continue
        out[frame] = best_f1_threshold(sub["value"].to_numpy(), sub["s"].to_numpy())
    return out


def best_f1_threshold(y: np.ndarray, s: np.ndarray) -> float:
    """The score cut-off (``s >= t``) with the highest F1; ties go to the higher cut-off."""
    y = np.asarray(y, dtype=float)
    s = np.asarray(s, dtype=float)
    if y.sum() == 0:
        return float(np.max(s) + 1.0)  # nothing positive: detect nothing
    order = np.argsort(-s, kind="stable")
    ranked, hits = s[order], y[order]
    tp = np.cumsum(hits)
    f1 = 2 * tp / (np.arange(1, s.size + 1) + y.sum())
    group_end = np.r_[ranked[1:] != ranked[:-1], True]  # cut only between distinct scores
    f1 = np.where(group_end, f1, -1.0)
    return float(ranked[int(np.argmax(f1))])  # argmax: first best, the highest cut-off
