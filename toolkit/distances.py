"""Distances between outlets in the original embedding space, with a permutation null.

Each **article** is the mean of its paragraph vectors and each outlet's
**centroid** is the mean of its article vectors, so a 26-paragraph feature
weighs as much as a 2-paragraph brief: the distance compares what outlets
publish, not how long they write. Distances are computed in the embedding
space itself (384-D for all-MiniLM-L6-v2), never on the UMAP map, whose
distances are not metric.

Is a distance larger than chance? For each pair, the two outlets'
articles are pooled and their labels shuffled (all rows of an article keep
one label; each outlet keeps its number of articles), and the distance is
recomputed. The null is "these two outlets publish exchangeable articles",
so an outlet far from everyone else does not widen or narrow another
pair's null, and two outlets with the same content but a wider spread than
the rest are not called different (the across-all-outlets shuffle used
before did, every time). ``p_value`` is a permutation p-value with as many
permutations as the number of pairs needs (:func:`toolkit.engine.permutation_test`);
``q_value`` is Benjamini-Yekutieli FDR across pairs (valid under any
dependence: pairs that share an outlet are strongly dependent, and plain BH
let 8 % of null tables report a pair at q < 0.05). Small outlets are far from everything
by noise alone: compare a distance with its ``baseline_*`` band, not with
other pairs' distances.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import polars as pl

from toolkit.engine import MeasureError, engine_columns
from toolkit.schema import model_fingerprints, require_columns

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


def _pair_draw(vectors: np.ndarray, n_a: int, metric: str) -> Callable[[np.random.Generator, int, np.ndarray], np.ndarray]:
    """Permuted distance of one pair: its own articles, relabelled with the pair's sizes kept.

    Every statistic is a function of the a-side sum ``S`` (the b side is the
    total minus ``S``), so a permutation needs ``|S|^2`` and ``S . T`` only:
    with the articles' Gram matrix that is one matrix product per block.
    """
    n = vectors.shape[0]
    n_b = n - n_a
    gram = vectors @ vectors.T
    total = vectors.sum(axis=0)
    gram_total = vectors @ total
    tt = float(total @ total)
    base = np.zeros(n)
    base[:n_a] = 1.0

    def draw(rng: np.random.Generator, k: int, active: np.ndarray) -> np.ndarray:
        sel = rng.permuted(np.tile(base, (k, 1)), axis=1)
        ss = np.einsum("ij,ij->i", sel @ gram, sel)  # |S_a|^2
        st = sel @ gram_total  # S_a . T
        sb = tt - 2 * st + ss  # |S_b|^2, S_b = T - S_a
        ab = st - ss  # S_a . S_b
        if metric == "cosine":
            d = 1.0 - ab / np.sqrt(np.maximum(ss * sb, 1e-300))
        else:
            d = np.sqrt(np.maximum(ss / n_a**2 + sb / n_b**2 - 2 * ab / (n_a * n_b), 0.0))
        return np.repeat(d[:, None], active.size, axis=1)

    return draw


def outlet_distances(
    embeddings: pl.DataFrame,
    paragraphs: pl.DataFrame,
    articles: pl.DataFrame,
    *,
    by: str = "outlet",
    metric: str = "cosine",
    n_perm: int | str = "auto",
    seed: int = 0,
    level: float = 0.95,
    wire_policy: str | None = None,
) -> pl.DataFrame:
    """Pairwise distances between outlet centroids, with a within-pair permutation null.

    Parameters
    ----------
    embeddings : pl.DataFrame
        ``paragraph_id``, ``embedding``.
    paragraphs : pl.DataFrame
        ``paragraph_id``, ``article_id``: the paragraphs to use (e.g.
        ``analysis_paragraphs(...)``).
    articles : pl.DataFrame
        ``article_id`` and ``by``, raw (the wire policy is applied here) or
        from :func:`toolkit.wire.apply_wire_policy`
        (:func:`toolkit.engine.resolve_wire`).
    by : str, default "outlet"
        Group column ("outlet", "outlet_country").
    metric : {"cosine", "euclidean"}
        Distance between centroids (cosine: ``1 - cos``).
    n_perm : int or "auto"
        Label permutations per pair ("auto": planned from the number of
        pairs and the Benjamini-Yekutieli factor, adaptive; 0 skips the
        null: p, q and baseline are null).
    seed : int
        RNG seed (pair ``k`` uses the stream ``[seed, k]``).
    level : float
        Width of the baseline band (quantiles of the permuted distances).
    wire_policy : {"merge", "keep", "drop"}, optional
        None reads the articles' ``wire_policy`` column, or applies "merge".

    Returns
    -------
    pl.DataFrame
        One row per unordered pair (``outlet_a`` < ``outlet_b``), sorted:
        ``outlet_a``, ``outlet_b``, the engine columns (``n_articles`` and
        ``n_paragraphs`` of the pair, ``estimate`` = the distance,
        ``ci_low``/``ci_high`` NaN with their ``ci_reason``,
        ``baseline_*``, ``p_value``, ``q_value``, ``wire_policy``,
        ``n_perm``, ``seed``, ``method``), then ``n_articles_a``,
        ``n_articles_b``, ``metric``.
    """
    from toolkit.engine import method_text, permutation_test, resolve_wire
    from toolkit.stats import by_factor, by_fdr

    if metric not in METRICS:
        msg = f"got metric={metric!r}, expected one of {METRICS}"
        raise MeasureError(msg)
    if not isinstance(n_perm, str) and n_perm < 0:
        msg = f"got n_perm={n_perm}, expected >= 0 or 'auto'"
        raise MeasureError(msg)
    require_columns(articles, ("article_id", by), name="articles", error=MeasureError)
    model_fingerprints(embeddings, error=MeasureError)
    kept, policy = resolve_wire(articles, wire_policy)
    _, groups, vectors, n_par = article_matrix(embeddings, paragraphs, kept, by=by)
    names = sorted(set(groups.tolist()))
    if len(names) < 2:
        msg = f"got {len(names)} group(s) in {by!r}, expected at least 2"
        raise MeasureError(msg)
    code_of = {n: i for i, n in enumerate(names)}
    codes = np.array([code_of[g] for g in groups])
    sizes = np.bincount(codes, minlength=len(names))
    par_sizes = np.bincount(codes, weights=n_par, minlength=len(names)).astype(np.int64)
    observed = _pair_distances(_centroids(vectors, codes, len(names)), metric)
    iu = np.triu_indices(len(names), k=1)
    n_pairs = iu[0].size
    obs = observed[iu]

    # Pairs that share an outlet are strongly dependent (one odd article in a small outlet moves all of
    # its pairs), and BH let 8 % of null tables through (benchmarks/bench_calibration.py): q is
    # Benjamini-Yekutieli, and the permutation count is planned for its larger family.
    family = math.ceil(by_factor(n_pairs) * n_pairs)
    p = np.full(n_pairs, np.nan)
    used = np.zeros(n_pairs, dtype=np.int64)
    base_mean, low, high = np.full(n_pairs, np.nan), np.full(n_pairs, np.nan), np.full(n_pairs, np.nan)
    result = None
    for k, (i, j) in enumerate(zip(*iu, strict=True)):
        if n_perm == 0:
            break
        # Null for this pair only: its two outlets' articles, labels shuffled between them.
        pair = np.concatenate([np.flatnonzero(codes == i), np.flatnonzero(codes == j)])
        draw = _pair_draw(vectors[pair], int(sizes[i]), metric)
        result = permutation_test(obs[k : k + 1], draw, n_perm=n_perm, seed=np.random.SeedSequence([seed, k]).generate_state(1)[0],
                                  n_tests=family, level=level, warn=k == 0)
        p[k], used[k] = result.p_value[0], result.n_perm[0]
        base_mean[k], low[k], high[k] = result.baseline_mean[0], result.baseline_low[0], result.baseline_high[0]
    q = by_fdr(p) if result is not None else p
    method = method_text(f"{metric} distance between centroids of article-mean vectors; one-sided, labels permuted within each pair", result)
    method = method.replace("BH q", "Benjamini-Yekutieli q (pairs sharing an outlet are dependent)")
    frame = pl.DataFrame(
        {
            "outlet_a": [names[i] for i in iu[0]],
            "outlet_b": [names[j] for j in iu[1]],
            **engine_columns(
                n_articles=(sizes[iu[0]] + sizes[iu[1]]).astype(np.int64),
                n_paragraphs=(par_sizes[iu[0]] + par_sizes[iu[1]]).astype(np.int64),
                estimate=obs,
                ci_reason="no interval for a distance (compare with the baseline band)",
                baseline=(base_mean, low, high),
                p_value=p,
                q_value=q,
                wire_policy=policy,
                n_perm=used,
                seed=seed,
                method=method,
            ),
            "n_articles_a": sizes[iu[0]].astype(np.int64),
            "n_articles_b": sizes[iu[1]].astype(np.int64),
            "metric": [metric] * n_pairs,
        },
        schema_overrides={"ci_reason": pl.String, "wire_policy": pl.String, "method": pl.String, "metric": pl.String},
    )
    return frame.with_columns([pl.col(c).fill_nan(None) for c in ("p_value", "baseline_mean", "baseline_low", "baseline_high", "q_value")])
