"""SemAxis: score paragraphs on interpretable semantic axes (An, Kwak & Ahn 2018).

An axis is the difference of two pole centroids in embedding space,
``v = mean(embed(positive)) - mean(embed(negative))`` (An et al. build it
from pole *words*; here the poles are short sentences written for East
Asian security news, because the paragraph encoder is a sentence model).
A paragraph's score is ``cos(x, v)``: positive leans to the positive pole.

Default axes live in ``toolkit/data/axes.toml`` (user-editable; pass your
own file to :func:`load_axes`):

* ``cooperation_confrontation``: cooperation (+) vs confrontation (-);
* ``deterrence_diplomacy``: deterrence/military (+) vs diplomacy/dialogue (-).

Scores are relative, not absolute: compare outlets on one axis, against
the random-label band from :func:`axis_by_outlet`, rather than reading a
score of 0.1 as "cooperative".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from toolkit.engine import MeasureError, engine_columns
from toolkit.schema import model_fingerprints, require_columns

#: The default axes file.
AXES_PATH = Path(__file__).with_name("data") / "axes.toml"


@dataclass(frozen=True)
class Axis:
    """A semantic axis: ``vector`` points from the negative to the positive pole."""

    name: str
    vector: np.ndarray = field(repr=False)
    positive_label: str = "positive"
    negative_label: str = "negative"
    n_positive: int = 0
    n_negative: int = 0
    #: Short fingerprint of the model that embedded the poles (None: unknown, e.g. raw vectors).
    model_fingerprint: str | None = None


def _matrix(vectors: Any, what: str) -> np.ndarray:
    arr = np.asarray(vectors, dtype=float)
    if arr.ndim != 2 or arr.shape[0] == 0:
        msg = f"got {what} of shape {arr.shape}, expected a non-empty (n, dim) array"
        raise MeasureError(msg)
    return arr


def axis_from_vectors(
    positive: Any,
    negative: Any,
    *,
    name: str,
    positive_label: str = "positive",
    negative_label: str = "negative",
    model_fingerprint: str | None = None,
) -> Axis:
    """Build an axis from pole vectors: ``mean(positive) - mean(negative)``.

    Parameters
    ----------
    positive, negative : array-like, shape (n, dim)
        Embedded pole sentences (or words).
    name : str
        Axis name used in outputs.
    positive_label, negative_label : str
        What the poles mean.
    model_fingerprint : str, optional
        The ``model_fingerprint`` of the model that embedded the poles;
        :func:`project_axis` then refuses vectors from any other model.

    Returns
    -------
    Axis
    """
    pos, neg = _matrix(positive, "positive"), _matrix(negative, "negative")
    if pos.shape[1] != neg.shape[1]:
        msg = f"got pole dimensions {pos.shape[1]} and {neg.shape[1]}, expected equal"
        raise MeasureError(msg)
    vector = pos.mean(axis=0) - neg.mean(axis=0)
    if not np.linalg.norm(vector) > 0:
        msg = f"got identical pole centroids for axis {name!r}, expected two distinct poles"
        raise MeasureError(msg)
    return Axis(name, vector, positive_label, negative_label, pos.shape[0], neg.shape[0], model_fingerprint)


def _embed_sentences(sentences: Sequence[str], *, model: str | None) -> tuple[np.ndarray, str]:
    from toolkit.embedding import embed

    frame = pl.DataFrame({"paragraph_id": [f"pole-{i:03d}" for i in range(len(sentences))], "text": list(sentences)})
    out = embed(frame, model=model, progress=False)
    return np.asarray(out["embedding"].to_numpy(), dtype=float), str(out["model_fingerprint"][0])


def semantic_axis(
    positive_sentences: Sequence[str],
    negative_sentences: Sequence[str],
    *,
    name: str,
    model: str | None = None,
    positive_label: str = "positive",
    negative_label: str = "negative",
) -> Axis:
    """Embed pole sentences with the paragraph model and build an axis.

    Parameters
    ----------
    positive_sentences, negative_sentences : sequence of str
        Sentences typical of each pole; 6-10 each, varied in wording.
    name : str
        Axis name.
    model : str, optional
        Embedding model; must be the model that embedded the paragraphs
        (None: the toolkit default, as in :func:`toolkit.embed`).
    positive_label, negative_label : str
        What the poles mean.

    Returns
    -------
    Axis
    """
    for pole, sentences in (("positive", positive_sentences), ("negative", negative_sentences)):
        if isinstance(sentences, str) or not sentences or not all(isinstance(s, str) and s.strip() for s in sentences):
            msg = f"got {pole} sentences {sentences!r}, expected a non-empty list of non-empty strings"
            raise MeasureError(msg)
    vectors, fingerprint = _embed_sentences(list(positive_sentences) + list(negative_sentences), model=model)
    n_pos = len(positive_sentences)
    return axis_from_vectors(vectors[:n_pos], vectors[n_pos:], name=name, positive_label=positive_label,
                             negative_label=negative_label, model_fingerprint=fingerprint)


def load_axes(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Read pole sentences from a TOML file (default ``toolkit/data/axes.toml``).

    Returns
    -------
    dict
        Axis name -> ``{"positive": [...], "negative": [...],
        "positive_label": str, "negative_label": str, ...}``.
    """
    import tomllib

    path = Path(path) if path is not None else AXES_PATH
    with path.open("rb") as fh:
        spec = tomllib.load(fh)
    for name, table in spec.items():
        if not isinstance(table, dict) or not table.get("positive") or not table.get("negative"):
            msg = f"{path}: got axis {name!r} without both 'positive' and 'negative' sentence lists, expected both"
            raise MeasureError(msg)
    return spec


def default_axes(*, model: str | None = None, path: str | Path | None = None) -> list[Axis]:
    """Build every axis of the axes file (default: the two East Asian security axes)."""
    axes = []
    for name, table in load_axes(path).items():
        axes.append(semantic_axis(table["positive"], table["negative"], name=name, model=model,
                                  positive_label=table.get("positive_label", "positive"),
                                  negative_label=table.get("negative_label", "negative")))
    return axes


def project_axis(axis: Axis | Sequence[Axis], embeddings: pl.DataFrame) -> pl.DataFrame:
    """Score every paragraph on one or more axes (cosine with the axis vector).

    Parameters
    ----------
    axis : Axis or sequence of Axis
    embeddings : pl.DataFrame
        ``paragraph_id`` and ``embedding``.

    Returns
    -------
    pl.DataFrame
        ``paragraph_id``, ``axis`` (name), ``score`` (Float64 in [-1, 1]);
        axes stacked in the order given, paragraphs in input order.
    """
    axes = [axis] if isinstance(axis, Axis) else list(axis)
    for column in ("paragraph_id", "embedding"):
        if column not in embeddings.columns:
            msg = f"embeddings frame has columns {embeddings.columns}, expected a {column!r} column"
            raise MeasureError(msg)
    x = np.asarray(embeddings["embedding"].to_numpy(), dtype=float)
    if x.ndim != 2:
        x = np.vstack([np.asarray(v, dtype=float) for v in embeddings["embedding"].to_list()]) if embeddings.height else np.zeros((0, 1))
    norms = np.linalg.norm(x, axis=1)
    norms[norms == 0] = 1.0
    prints = model_fingerprints(embeddings, error=MeasureError)
    frames = []
    for ax in axes:
        # Same dimension is not same model: vectors of two models are not comparable.
        if ax.model_fingerprint is not None and prints and prints != [ax.model_fingerprint]:
            msg = (f"got embeddings from model(s) {prints}, expected model {ax.model_fingerprint} that embedded "
                   f"axis {ax.name!r}'s poles (build the axis with the paragraphs' model)")
            raise MeasureError(msg)
        if ax.vector.shape[0] != x.shape[1] and embeddings.height:
            msg = f"got axis {ax.name!r} of dimension {ax.vector.shape[0]}, expected the embeddings' {x.shape[1]} (same model?)"
            raise MeasureError(msg)
        score = (x @ ax.vector) / norms / np.linalg.norm(ax.vector)
        frames.append(pl.DataFrame({"paragraph_id": embeddings["paragraph_id"], "axis": [ax.name] * embeddings.height, "score": score},
                                   schema={"paragraph_id": pl.String, "axis": pl.String, "score": pl.Float64}))
    return pl.concat(frames) if frames else pl.DataFrame(schema={"paragraph_id": pl.String, "axis": pl.String, "score": pl.Float64})


def _article_weighted_mean(scores: np.ndarray, row_article: np.ndarray, article_len: np.ndarray, idx: np.ndarray) -> float:
    """Mean of article means over the rows ``idx`` (an article drawn twice counts twice)."""
    art = row_article[idx]
    sums = np.bincount(art, weights=scores[idx], minlength=article_len.size)
    draws = np.bincount(art, minlength=article_len.size) / article_len  # times each article was drawn
    return float((sums / article_len).sum() / draws.sum())


#: Interval methods and the fewest articles for which each is printed: the
#: smallest size at which its coverage of a nominal 95 % interval was measured
#: >= 0.90 by benchmarks/bench_calibration.py (table in docs/framing_measures.md).
MIN_CI_ARTICLES = {"t": 5, "bootstrap": 20}
INTERVALS = tuple(MIN_CI_ARTICLES)


def axis_by_outlet(
    scores: pl.DataFrame,
    paragraphs: pl.DataFrame,
    articles: pl.DataFrame,
    *,
    by: str = "outlet",
    n_boot: int = 2000,
    n_perm: int | str = "auto",
    seed: int = 0,
    level: float = 0.95,
    wire_policy: str | None = None,
    interval: str = "t",
    min_ci_articles: int | None = None,
) -> pl.DataFrame:
    """Mean axis score per outlet, with an article-level CI and a random-label band.

    The outlet mean is the mean of its **article** means (each article the
    mean of its paragraphs), so one long article does not speak for the
    outlet. The CI treats the outlet's article means as the sample: a
    Student t interval on ``n - 1`` df by default, or a percentile bootstrap
    resampling articles (:func:`toolkit.stats.bootstrap_articles`); it is
    NaN, with a ``ci_reason``, for an outlet of fewer than
    ``min_ci_articles`` articles.
    The baseline band is what an outlet of the same size gets when outlet
    labels are shuffled across all articles: an outlet mean inside its band
    is no different from a random set of articles. ``p_value`` is two-sided
    (distance from the grand mean of article means), with as many
    permutations as the number of outlets needs
    (:func:`toolkit.engine.permutation_test`), and ``q_value`` is BH-FDR
    across outlets within each axis.

    Parameters
    ----------
    scores : pl.DataFrame
        From :func:`project_axis` (``paragraph_id``, ``axis``, ``score``).
    paragraphs : pl.DataFrame
        ``paragraph_id``, ``article_id``: the paragraphs to use (scores of
        other paragraphs are ignored).
    articles : pl.DataFrame
        ``article_id`` and ``by``, raw (the wire policy is applied here) or
        from :func:`toolkit.wire.apply_wire_policy`.
    by : str, default "outlet"
        Group column ("outlet", "outlet_country", or any article column).
    n_boot, n_perm, seed, level
        Bootstrap resamples, label permutations ("auto", an integer, or 0
        to skip), RNG seed, confidence level.
    wire_policy : {"merge", "keep", "drop"}, optional
        None reads the articles' ``wire_policy`` column, or applies "merge".
    interval : {"t", "bootstrap"}
        Interval method (measured coverage by group size in
        docs/framing_measures.md).
    min_ci_articles : int, optional
        Default ``MIN_CI_ARTICLES[interval]`` (5 for t, 20 for the bootstrap).

    Returns
    -------
    pl.DataFrame
        ``axis``, the ``by`` column (``outlet`` by default), then the engine
        columns (``estimate`` = the mean of article means); sorted by axis
        (input order) then outlet.
    """
    from scipy.stats import t as student

    from toolkit.engine import (
        ENGINE_COLUMNS,
        guard_interval,
        method_text,
        permutation_test,
        permuted_labels,
        resolve_wire,
    )
    from toolkit.stats import article_index, bh_fdr, bootstrap_articles

    for name, frame, needed in (("scores", scores, ("paragraph_id", "axis", "score")),
                                ("paragraphs", paragraphs, ("paragraph_id", "article_id")),
                                ("articles", articles, ("article_id", by))):
        require_columns(frame, needed, name=name, error=MeasureError)
    kept, policy = resolve_wire(articles, wire_policy)
    if interval not in INTERVALS:
        msg = f"got interval={interval!r}, expected one of {INTERVALS}"
        raise MeasureError(msg)
    min_ci = MIN_CI_ARTICLES[interval] if min_ci_articles is None else int(min_ci_articles)
    frames = []
    axis_names = list(dict.fromkeys(scores["axis"].to_list()))
    base = (
        paragraphs.select("paragraph_id", "article_id")
        .join(kept.select("article_id", pl.col(by).cast(pl.String).alias("_group")).unique("article_id", keep="first"), on="article_id", how="inner", maintain_order="left")
        .filter(pl.col("_group").is_not_null())
    )
    for axis_name in axis_names:
        data = base.join(scores.filter(pl.col("axis") == axis_name).select("paragraph_id", "score"), on="paragraph_id", how="inner", maintain_order="left")
        if data.height == 0:
            msg = f"got no scored paragraph for axis {axis_name!r}, expected scores for these paragraphs"
            raise MeasureError(msg)
        values = data["score"].to_numpy()
        _, row_article = article_index(data["article_id"].to_list())
        article_len = np.bincount(row_article).astype(float)
        article_mean = np.bincount(row_article, weights=values) / article_len
        first_row = np.unique(row_article, return_index=True)[1]
        article_group = np.asarray(data["_group"].to_numpy()[first_row], dtype=object)
        group_names = sorted(dict.fromkeys(article_group))
        codes = np.searchsorted(np.asarray(group_names, dtype=object), article_group)
        n_groups = len(group_names)
        sizes = np.bincount(codes, minlength=n_groups)
        grand = float(article_mean.mean())

        group_of_row = data["_group"].to_numpy()
        est, lows, highs, n_pars = np.empty(n_groups), np.empty(n_groups), np.empty(n_groups), np.empty(n_groups, dtype=np.int64)
        for g, name in enumerate(group_names):
            idx = np.flatnonzero(group_of_row == name)
            sub_articles = data["article_id"].to_numpy()[idx]
            _, sub_row_article = article_index(sub_articles)
            sub_len = np.bincount(sub_row_article).astype(float)
            sub_values = values[idx]
            n_pars[g] = idx.size
            if interval == "bootstrap" and sub_len.size >= min_ci:
                est[g], lows[g], highs[g] = bootstrap_articles(
                    [name] * idx.size, sub_articles,
                    lambda rows, v=sub_values, r=sub_row_article, n=sub_len: _article_weighted_mean(v, r, n, rows),
                    n_boot=n_boot, seed=seed, level=level,
                )
                continue
            means_g = article_mean[codes == g]
            est[g] = float(means_g.mean())
            if means_g.size >= 2:
                half = float(student.ppf(1 - (1 - level) / 2, means_g.size - 1)) * means_g.std(ddof=1) / np.sqrt(means_g.size)
                lows[g], highs[g] = est[g] - half, est[g] + half
            else:
                lows[g] = highs[g] = np.nan
        lows, highs, reason = guard_interval(sizes, lows, highs, min_articles=min_ci, method=interval)

        def draw(rng: np.random.Generator, n: int, active: np.ndarray, codes: np.ndarray = codes, means: np.ndarray = article_mean,
                 n_groups: int = n_groups, sizes: np.ndarray = sizes) -> np.ndarray:
            # Permuted labels at article level: one article, one label.
            perm = permuted_labels(rng, codes, n)
            flat = (np.arange(n)[:, None] * n_groups + perm).ravel()
            sums = np.bincount(flat, weights=np.tile(means, n), minlength=n * n_groups).reshape(n, n_groups)
            return (sums / sizes)[:, active]

        result = None
        if n_perm != 0:
            result = permutation_test(est, draw, n_perm=n_perm, center=np.full(n_groups, grand), seed=seed, level=level)
            p, used = result.p_value, result.n_perm
            q = bh_fdr(p)
            b_mean, b_low, b_high = result.baseline_mean, result.baseline_low, result.baseline_high
        else:
            p = q = b_mean = b_low = b_high = np.full(n_groups, np.nan)
            used = np.zeros(n_groups, dtype=np.int64)
        method = method_text(
            "mean of article means; two-sided vs the grand mean",
            result,
            interval=(f"t interval on the group's article means (n-1 df), none below {min_ci} articles" if interval == "t"
                      else f"percentile bootstrap over the group's articles ({n_boot} resamples), none below {min_ci} articles"),
        )
        frames.append(pl.DataFrame(
            {
                "axis": [axis_name] * n_groups,
                by: group_names,
                **engine_columns(
                    n_articles=sizes.astype(np.int64),
                    n_paragraphs=n_pars,
                    estimate=est,
                    ci_low=lows,
                    ci_high=highs,
                    ci_reason=reason,
                    baseline=(b_mean, b_low, b_high),
                    p_value=p,
                    q_value=q,
                    wire_policy=policy,
                    n_perm=used,
                    seed=seed,
                    method=method,
                ),
            },
            schema_overrides={"axis": pl.String, by: pl.String, "wire_policy": pl.String, "method": pl.String},
        ))
    out = pl.concat(frames)
    if n_perm == 0:
        out = out.with_columns([pl.col(c).fill_nan(None) for c in ("p_value", "q_value", "baseline_mean", "baseline_low", "baseline_high")])
    assert tuple(out.columns[2:]) == ENGINE_COLUMNS
    return out
