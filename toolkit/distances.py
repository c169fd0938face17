"""Distances between outlets in the original embedding space, with a permutation null.

Each **article** is the mean of its paragraph vectors and each outlet's
**centroid** is the mean of its article vectors, so a 26-paragraph feature
weighs as much as a 2-paragraph brief: the distance compares what outlets
publish, not how long they write. Distances are computed in the embedding
space itself (384-D for all-MiniLM-L6-v2), never on the UMAP map, whose
distances are not metric.

Is a distance larger than chance? Outlet labels are shuffled across
articles (all rows of an article keep one label; every outlet keeps its
number of articles) ``n_perm`` times, and each pair's distance is
recomputed. ``perm_p`` is Phipson-Smyth ``(b + 1) / (m + 1)`` with ``b``
the permutations at least as far apart as observed; ``q`` is BH-FDR across
pairs. Labels are shuffled across *all* outlets (the null is "outlet tells
nothing about content"), so an outlet far from everyone widens every null
band a little: the test is conservative for a pair, never liberal under
that null. Small outlets are far from everything by noise alone: compare a
distance with its ``baseline_*`` band, not with other pairs' distances.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from toolkit.distinctive import MeasureError
from toolkit.schema import require_columns

METRICS = ("cosine", "euclidean")


def _pair_distances(centroids: np.ndarray, metric: str) -> np.ndarray:
    """Full (G, G) distance matrix between centroid rows."""
    if metric == "cosine":
        norms = np.linalg.norm(centroids, axis=-1, keepdims=True)
        unit = centroids / np.where(norms == 0, 1.0, norms)
        return 1.0 - unit @ np.swapaxes(unit, -1, -2)
    diff = centroids[..., :, None, :] - centroids[..., None, :, :]
    return np.sqrt((diff**2).sum(axis=-1))


def article_matrix(embeddings: pl.DataFrame, paragraphs: pl.DataFrame, articles: pl.DataFrame, *, by: str = "outlet") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Article vectors (mean of paragraph vectors) with their ids, group and paragraph count.

    Returns
    -------
    (article_ids, groups, vectors, n_paragraphs)
        Articles in first-seen paragraph order; ``vectors`` is float64
        (n_articles, dim), not renormalised.
    """
    from toolkit.stats import article_index

    for name, frame, needed in (("embeddings", embeddings, ("paragraph_id", "embedding")),
                                ("paragraphs", paragraphs, ("paragraph_id", "article_id")),
                                ("articles", articles, ("article_id", by))):
        require_columns(frame, needed, name=name, error=MeasureError)
    data = (
        paragraphs.select("paragraph_id", "article_id")
        .join(articles.select("article_id", pl.col(by).cast(pl.String).alias("_group")).unique("article_id", keep="first"), on="article_id", how="inner", maintain_order="left")
        .filter(pl.col("_group").is_not_null())
        .join(embeddings.select("paragraph_id", "embedding"), on="paragraph_id", how="inner", maintain_order="left")
    )
    if data.height == 0:
        msg = "got no paragraph with both an article group and an embedding, expected matching frames"
        raise MeasureError(msg)
    x = np.asarray(data["embedding"].to_numpy(), dtype=float)
    ids, row_article = article_index(data["article_id"].to_list())
    n_par = np.bincount(row_article)
    sums = np.zeros((ids.size, x.shape[1]))
    np.add.at(sums, row_article, x)
    first_row = np.unique(row_article, return_index=True)[1]
    groups = np.asarray(data["_group"].to_numpy()[first_row], dtype=object)
    return ids, groups, sums / n_par[:, None], n_par


def _centroids(vectors: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    # One-hot matrix product: far faster than np.add.at inside the permutation loop.
    onehot = np.zeros((n_groups, codes.size))
    onehot[codes, np.arange(codes.size)] = 1.0
    return (onehot @ vectors) / np.bincount(codes, minlength=n_groups)[:, None]


def outlet_distances(
    embeddings: pl.DataFrame,
    paragraphs: pl.DataFrame,
    articles: pl.DataFrame,
    *,
    by: str = "outlet",
    metric: str = "cosine",
    n_perm: int = 999,
    seed: int = 0,
    level: float = 0.95,
    wire_policy: str = "merge",
) -> pl.DataFrame:
    """Pairwise distances between outlet centroids, with a label-permutation null.

    Parameters
    ----------
    embeddings : pl.DataFrame
        ``paragraph_id``, ``embedding``.
    paragraphs : pl.DataFrame
        ``paragraph_id``, ``article_id``: the paragraphs to use (e.g.
        ``analysis_paragraphs(...)``).
    articles : pl.DataFrame
        ``article_id`` and ``by``; pass articles after the wire policy.
    by : str, default "outlet"
        Group column ("outlet", "outlet_country").
    metric : {"cosine", "euclidean"}
        Distance between centroids (cosine: ``1 - cos``).
    n_perm : int, default 999
        Label permutations (0 skips the null: p, q and baseline are null).
    seed : int
        RNG seed.
    level : float
        Width of the baseline band (quantiles of the permuted distances).
    wire_policy : str
        Recorded in the output.

    Returns
    -------
    pl.DataFrame
        One row per unordered pair (``outlet_a`` < ``outlet_b``):
        ``outlet_a``, ``outlet_b``, ``n_articles_a``, ``n_articles_b``,
        ``distance``, ``perm_p``, ``baseline_mean``, ``baseline_low``,
        ``baseline_high``, ``q``, ``metric``, ``wire_policy``.
    """
    from toolkit.stats import bh_fdr, permute_article_labels, phipson_smyth

    if metric not in METRICS:
        msg = f"got metric={metric!r}, expected one of {METRICS}"
        raise MeasureError(msg)
    if n_perm < 0:
        msg = f"got n_perm={n_perm}, expected >= 0"
        raise MeasureError(msg)
    ids, groups, vectors, _ = article_matrix(embeddings, paragraphs, articles, by=by)
    names = sorted(set(groups.tolist()))
    if len(names) < 2:
        msg = f"got {len(names)} group(s) in {by!r}, expected at least 2"
        raise MeasureError(msg)
    code_of = {n: i for i, n in enumerate(names)}
    codes = np.array([code_of[g] for g in groups])
    sizes = np.bincount(codes, minlength=len(names))
    observed = _pair_distances(_centroids(vectors, codes, len(names)), metric)
    iu = np.triu_indices(len(names), k=1)

    null = np.empty((n_perm, iu[0].size))
    rng = np.random.default_rng(seed)
    for b in range(n_perm):
        shuffled = permute_article_labels(codes, ids, rng=rng).astype(np.int64)
        null[b] = _pair_distances(_centroids(vectors, shuffled, len(names)), metric)[iu]

    obs = observed[iu]
    if n_perm:
        # Tolerance: a permutation that reproduces the observed labels must count as "as extreme".
        exceed = (null >= obs - 1e-12).sum(axis=0)
        perm_p = np.array([phipson_smyth(int(e), n_perm) for e in exceed])
        alpha = (1 - level) / 2
        low, high = np.quantile(null, [alpha, 1 - alpha], axis=0)
        base_mean, q = null.mean(axis=0), bh_fdr(perm_p)
    else:
        perm_p = base_mean = low = high = q = np.full(obs.size, np.nan)
    frame = pl.DataFrame(
        {
            "outlet_a": [names[i] for i in iu[0]],
            "outlet_b": [names[j] for j in iu[1]],
            "n_articles_a": sizes[iu[0]].astype(np.int64),
            "n_articles_b": sizes[iu[1]].astype(np.int64),
            "distance": obs,
            "perm_p": perm_p,
            "baseline_mean": base_mean,
            "baseline_low": low,
            "baseline_high": high,
            "q": q,
        }
    )
    return frame.with_columns(
        [pl.col(c).fill_nan(None) for c in ("perm_p", "baseline_mean", "baseline_low", "baseline_high", "q")]
        + [pl.lit(metric).alias("metric"), pl.lit(wire_policy).alias("wire_policy")]
    )
