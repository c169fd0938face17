"""Resampling and multiple-comparison tools shared by the framing measures.

Everything here resamples or permutes **articles**, never paragraphs:
paragraphs of one article are not independent, so treating them as the unit
would make intervals too narrow and p-values too small. Every function takes
an explicit seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def article_index(article_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Map rows to articles: ``(unique_articles, row_to_article)`` in first-seen order."""
    uniq, _, row_article = _article_groups(article_ids)
    return uniq, row_article


def _article_groups(article_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique articles (first-seen order), the first row of each, and each row's article."""
    ids = np.asarray(article_ids, dtype=object)
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    # np.unique sorts; renumber by first appearance so results follow input order
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return ids[first[order]], first[order], rank[inverse]


def _rows_by_article(row_article: np.ndarray, n_articles: int) -> list[np.ndarray]:
    """Row indices of each article, in one pass (not one scan per article)."""
    order = np.argsort(row_article, kind="stable")
    bounds = np.searchsorted(row_article[order], np.arange(n_articles + 1))
    return [order[bounds[a] : bounds[a + 1]] for a in range(n_articles)]


def bootstrap_articles(
    groups: Sequence[str],
    articles: Sequence[str],
    statistic: Callable[[np.ndarray], float],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Percentile bootstrap CI of ``statistic`` resampling articles within each group.

    Parameters
    ----------
    groups : sequence of str
        Group (e.g. outlet) of each row.
    articles : sequence of str
        Article of each row; rows of one article are drawn together.
    statistic : callable
        Receives the array of row indices of a (re)sample and returns a number.
    n_boot, seed, level
        Number of resamples, RNG seed, confidence level.

    Returns
    -------
    (estimate, low, high)
        ``low``/``high`` are NaN when every group has a single article (no
        variability to resample).
    """
    rng = np.random.default_rng(seed)
    groups = np.asarray(groups, dtype=object)
    uniq, _, row_article = _article_groups(articles)
    rows_of = _rows_by_article(row_article, uniq.size)
    group_of_article = np.array([groups[r[0]] for r in rows_of], dtype=object)
    strata = [np.flatnonzero(group_of_article == g) for g in dict.fromkeys(group_of_article)]
    estimate = float(statistic(np.arange(groups.size)))
    if all(s.size < 2 for s in strata):
        return estimate, float("nan"), float("nan")
    values = np.empty(n_boot)
    for b in range(n_boot):
        picked = np.concatenate([rng.choice(s, size=s.size, replace=True) for s in strata])
        values[b] = statistic(np.concatenate([rows_of[a] for a in picked]))
    alpha = (1 - level) / 2
    low, high = np.nanquantile(values, [alpha, 1 - alpha])
    return estimate, float(low), float(high)


def permute_article_labels(labels: Sequence[str], articles: Sequence[str], *, rng: np.random.Generator) -> np.ndarray:
    """Shuffle group labels across articles; all rows of an article keep one label."""
    labels = np.asarray(labels, dtype=object)
    _, first_row, row_article = _article_groups(articles)
    article_labels = labels[first_row]
    return rng.permutation(article_labels)[row_article]


def phipson_smyth(exceed: int, n_perm: int) -> float:
    """Permutation p-value (b + 1) / (m + 1), never zero (Phipson & Smyth 2010)."""
    return (exceed + 1) / (n_perm + 1)


def bh_fdr(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input order."""
    p = np.asarray(p_values, dtype=float)
    n = p.size
    if n == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


def by_fdr(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini-Yekutieli adjusted p-values: BH times ``sum_{i<=m} 1/i``, valid under any dependence."""
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    return np.minimum(bh_fdr(p) * by_factor(p.size), 1.0)


def by_factor(m: int) -> float:
    """``sum_{i=1..m} 1/i``: how much more Benjamini-Yekutieli asks than BH of m tests."""
    return float(np.sum(1.0 / np.arange(1, max(m, 1) + 1)))
