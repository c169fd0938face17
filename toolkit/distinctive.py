"""Distinctive language between two groups of articles: Fightin' Words and G² keyness.

**Fightin' Words** (Monroe, Colaresi & Quinn 2008, *Political Analysis*
16(4): 372-403, the log-odds ratio with an informative Dirichlet prior). For a term ``w`` with counts ``y_a``, ``y_b`` in groups a and b
(totals ``n_a``, ``n_b``) and a Dirichlet prior ``alpha_w`` with
``alpha_0 = sum_w alpha_w``:

    delta_w = log((y_a + alpha_w) / (n_a + alpha_0 - y_a - alpha_w))
            - log((y_b + alpha_w) / (n_b + alpha_0 - y_b - alpha_w))
    sigma2_w ~= 1 / (y_a + alpha_w) + 1 / (y_b + alpha_w)
    z_w = delta_w / sqrt(sigma2_w)

The variance is the paper's two-term approximation: the exact large-sample
variance of a log-odds also has ``1/(n_a + alpha_0 - y_a - alpha_w)`` and
the same for b, which are negligible when a term is a small share of its
group. The **informative** prior is ``alpha_w = alpha0 * f_w`` with ``f_w``
the term's share of all tokens in the paragraphs passed (every group, not
only a and b: the whole corpus is the background); the **uniform** prior is
``alpha_w = alpha0 / V``.

**G² keyness** (Dunning 1993, log-likelihood ratio) on the 2x2 table
``[[y_a, y_b], [n_a - y_a, n_b - y_b]]``:

    G² = 2 * sum_ij O_ij * log(O_ij / E_ij),   E_ij = row_i * col_j / N

with all four cells (not Rayson's two-cell shortcut) and no Yates
continuity correction; equal to ``scipy.stats.chi2_contingency(table,
correction=False, lambda_="log-likelihood")``. ``p`` is from chi-squared
with 1 degree of freedom; the sign of ``signed_g2`` says which group uses
the term more (relative to its size).

Both statistics treat tokens as independent draws, which they are not: one
article that repeats a word ten times counts ten times. So Fightin' Words
keeps z as the **effect size** that ranks the terms, and takes its
``p_value`` and ``q_value`` from an **article-level permutation** of the
a/b labels (:func:`toolkit.engine.permutation_test`): with outlet labels
shuffled over real articles, the token-level normal p put terms at q < 0.05
in every table; the permutation p does not (see
``benchmarks/bench_calibration.py``). The token-level normal p is kept as
``p_token``, a ranking aid only. G² keeps its token-level ``p`` and ``q``
as a cross-check of the ranking; read them as a rough line, not as
inference.

Tokens are those of the c-TF-IDF labels (:mod:`toolkit.keywords`): lower
case, possessives stripped, numbers dropped, stop words removed by
default, n-grams only of adjacent non-stop words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from toolkit.engine import MeasureError, engine_columns
from toolkit.schema import require_columns

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

#: Default prior strength: the prior counts as this many pseudo-tokens.
DEFAULT_ALPHA0 = 1000.0
#: z (or G² signed root) beyond which a term is drawn in colour.
Z_CRITICAL = 1.959963984540054


@dataclass(frozen=True)
class _Counts:
    terms: list[str]
    count_a: np.ndarray
    count_b: np.ndarray
    count_all: np.ndarray  # over every group: the informative prior's background
    n_articles: tuple[int, int]
    n_paragraphs: tuple[int, int]
    group_b: str
    article_terms: Any = None  # sparse (articles of a and b) x terms counts, a's articles first
    article_tokens: Any = None  # tokens per article (all terms)
    n_a_articles: int = 0


def _require(frame: pl.DataFrame, name: str, columns: Iterable[str]) -> None:
    require_columns(frame, list(columns), name=name, error=MeasureError)


def _with_groups(paragraphs: pl.DataFrame, groups: pl.DataFrame | str, by: str) -> pl.DataFrame:
    """Paragraphs (article_id, text) with the group column ``by`` attached."""
    _require(paragraphs, "paragraphs", ("article_id", "text"))
    if isinstance(groups, str):
        _require(paragraphs, "paragraphs", (groups,))
        return paragraphs.select("article_id", "text", pl.col(groups).cast(pl.String).alias("_group"))
    _require(groups, "groups", ("article_id", by))
    return paragraphs.select("article_id", "text").join(
        groups.select("article_id", pl.col(by).cast(pl.String).alias("_group")).unique("article_id", keep="first"),
        on="article_id",
        how="inner",
        maintain_order="left",
    )


def _count_terms(
    paragraphs: pl.DataFrame,
    groups: pl.DataFrame | str,
    *,
    by: str,
    group_a: str,
    group_b: str | None,
    ngram: tuple[int, int],
    remove_stop_words: bool,
    extra_stop_words: Iterable[str],
) -> _Counts:
    from toolkit.keywords import _terms, stop_words

    lo, hi = ngram
    if not (1 <= lo <= hi):
        msg = f"got ngram={ngram}, expected (min, max) with 1 <= min <= max"
        raise MeasureError(msg)
    data = _with_groups(paragraphs, groups, by).filter(pl.col("_group").is_not_null())
    present = set(data["_group"].unique().to_list())
    for g in (group_a, group_b):
        if g is not None and g not in present:
            msg = f"got group {g!r}, expected one of {sorted(present)}"
            raise MeasureError(msg)
    if group_b is not None and group_b == group_a:
        msg = f"got group_a == group_b == {group_a!r}, expected two different groups"
        raise MeasureError(msg)
    stops = stop_words(extra_stop_words) if remove_stop_words else frozenset(w.lower() for w in extra_stop_words)

    bags = {"a": Counter(), "b": Counter(), "all": Counter()}
    per_article: dict[str, Counter] = {}
    side_of: dict[str, str] = {}
    for article, group, text in data.select("article_id", "_group", "text").iter_rows():
        terms = [k for k, _ in _terms(text or "", stops, hi) if k.count(" ") + 1 >= lo]
        bags["all"].update(terms)
        if group == group_a:
            side = "a"
        elif group_b is None or group == group_b:
            side = "b"
        else:
            continue
        bags[side].update(terms)
        per_article.setdefault(article, Counter()).update(terms)
        side_of[article] = side

    terms = sorted(bags["all"])
    side_a = pl.col("_group") == group_a
    side_b = (pl.col("_group") != group_a) if group_b is None else (pl.col("_group") == group_b)
    sizes = [(data.filter(s)["article_id"].n_unique(), data.filter(s).height) for s in (side_a, side_b)]
    # Article x term counts for the article-level permutation: a's articles first, then b's.
    from scipy.sparse import csr_matrix

    term_index = {t: i for i, t in enumerate(terms)}
    ordered = [a for a in per_article if side_of[a] == "a"] + [a for a in per_article if side_of[a] == "b"]
    rows, cols, vals = [], [], []
    for r, article in enumerate(ordered):
        for term, c in per_article[article].items():
            rows.append(r)
            cols.append(term_index[term])
            vals.append(c)
    matrix = csr_matrix((np.asarray(vals, dtype=float), (rows, cols)), shape=(len(ordered), len(terms)))
    return _Counts(
        terms=terms,
        count_a=np.array([bags["a"][t] for t in terms], dtype=np.int64),
        count_b=np.array([bags["b"][t] for t in terms], dtype=np.int64),
        count_all=np.array([bags["all"][t] for t in terms], dtype=np.int64),
        n_articles=(sizes[0][0], sizes[1][0]),
        n_paragraphs=(sizes[0][1], sizes[1][1]),
        group_b=group_b if group_b is not None else "(rest)",
        article_terms=matrix,
        article_tokens=np.asarray(matrix.sum(axis=1)).ravel(),
        n_a_articles=sum(1 for a in ordered if side_of[a] == "a"),
    )


def log_odds_dirichlet(count_a: Sequence[float], count_b: Sequence[float], alpha: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monroe et al. log-odds ratio with a Dirichlet prior, on count vectors.

    Parameters
    ----------
    count_a, count_b : sequence of float
        Term counts in the two groups (same vocabulary order).
    alpha : sequence of float
        Prior pseudo-counts per term; ``alpha_0`` is their sum.

    Returns
    -------
    (delta, variance, z) : tuple of numpy.ndarray
        See the module docstring for the formulas.
    """
    y_a = np.asarray(count_a, dtype=float)
    y_b = np.asarray(count_b, dtype=float)
    a = np.asarray(alpha, dtype=float)
    if not (y_a.shape == y_b.shape == a.shape):
        msg = f"got shapes {y_a.shape}, {y_b.shape}, {a.shape}, expected three equal shapes"
        raise MeasureError(msg)
    if np.any(a <= 0):
        msg = "got a prior pseudo-count <= 0, expected every alpha_w > 0"
        raise MeasureError(msg)
    a0, n_a, n_b = a.sum(), y_a.sum(), y_b.sum()
    delta = np.log((y_a + a) / (n_a + a0 - y_a - a)) - np.log((y_b + a) / (n_b + a0 - y_b - a))
    variance = 1.0 / (y_a + a) + 1.0 / (y_b + a)
    return delta, variance, delta / np.sqrt(variance)


def _base_frame(counts: _Counts, keep: np.ndarray) -> dict[str, Any]:
    return {
        "term": [t for t, k in zip(counts.terms, keep, strict=True) if k],
        "count_a": counts.count_a[keep],
        "count_b": counts.count_b[keep],
    }


def _meta_columns(frame: pl.DataFrame, counts: _Counts, group_a: str, wire_policy: str | None = None) -> pl.DataFrame:
    # Group sizes ride along as constant columns: Polars frames have no attrs.
    return frame.with_columns(
        pl.lit(group_a, pl.String).alias("group_a"),
        pl.lit(counts.group_b, pl.String).alias("group_b"),
        pl.lit(counts.n_articles[0], pl.Int64).alias("n_articles_a"),
        pl.lit(counts.n_articles[1], pl.Int64).alias("n_articles_b"),
        pl.lit(counts.n_paragraphs[0], pl.Int64).alias("n_paragraphs_a"),
        pl.lit(counts.n_paragraphs[1], pl.Int64).alias("n_paragraphs_b"),
        *([pl.lit(wire_policy, pl.String).alias("wire_policy")] if wire_policy is not None else []),
    )


def _fw_draw(counts: _Counts, alpha: np.ndarray, keep_idx: np.ndarray):
    """Permuted z of the reported terms: a/b labels shuffled over the two groups' articles."""
    matrix = counts.article_terms.tocsc()
    tokens = counts.article_tokens
    n_art, n_a = matrix.shape[0], counts.n_a_articles
    col_total = np.asarray(matrix.sum(axis=0)).ravel()
    all_tokens = float(tokens.sum())
    a0 = float(alpha.sum())
    base = np.zeros(n_art)
    base[:n_a] = 1.0

    sub: dict[str, Any] = {}

    def draw(rng: np.random.Generator, n: int, active: np.ndarray) -> np.ndarray:
        sel = rng.permuted(np.tile(base, (n, 1)), axis=1)
        cols = keep_idx[active]
        if sub.get("cols") is None or not np.array_equal(sub["cols"], cols):  # slice once per active set
            sub["cols"], sub["t"] = cols, matrix[:, cols].T.tocsr()
        y_a = np.asarray((sub["t"] @ sel.T).T)
        y_b = col_total[cols] - y_a
        n_a_tok = (sel @ tokens)[:, None]
        n_b_tok = all_tokens - n_a_tok
        a = alpha[cols]
        delta = np.log((y_a + a) / (n_a_tok + a0 - y_a - a)) - np.log((y_b + a) / (n_b_tok + a0 - y_b - a))
        return delta / np.sqrt(1.0 / (y_a + a) + 1.0 / (y_b + a))

    return draw


def _groups_and_policy(paragraphs: pl.DataFrame, groups: pl.DataFrame | str, wire_policy: str | None) -> tuple[pl.DataFrame | str, str]:
    """Apply (or read) the wire policy of the groups frame; a column name carries no policy."""
    from toolkit.engine import NOT_APPLIED, resolve_wire

    if isinstance(groups, str):
        if "wire_policy" in paragraphs.columns:
            values = sorted(set(paragraphs["wire_policy"].drop_nulls().to_list()))
            if len(values) == 1 and wire_policy in (None, values[0]):
                return groups, values[0]
        if wire_policy is not None:
            msg = (f"got wire_policy={wire_policy!r} with groups given as a paragraph column, expected a groups frame "
                   "(articles) to apply it to, or paragraphs carrying the wire_policy column of apply_wire_policy")
            raise MeasureError(msg)
        return groups, NOT_APPLIED
    _require(groups, "groups", ("article_id",))
    return resolve_wire(groups, wire_policy)


def fightin_words(
    paragraphs: pl.DataFrame,
    groups: pl.DataFrame | str,
    *,
    group_a: str,
    group_b: str | None = None,
    by: str = "outlet",
    prior: str = "informative",
    alpha0: float = DEFAULT_ALPHA0,
    min_count: int = 2,
    ngram: tuple[int, int] = (1, 1),
    remove_stop_words: bool = True,
    extra_stop_words: Iterable[str] = (),
    wire_policy: str | None = None,
    n_perm: int | str = "auto",
    seed: int = 0,
    level: float = 0.95,
) -> pl.DataFrame:
    """Words that distinguish group a from group b (or from all other groups).

    Token z (Monroe et al.) is the effect size and ranks the terms; its p
    and q come from an **article-level permutation**: the a/b labels of the
    two groups' articles are shuffled (each group keeps its number of
    articles) and z recomputed, so a word that one article repeats ten times
    is as uncertain as that one article. ``p_value`` is two-sided on z,
    with as many permutations as the number of terms needs
    (:func:`toolkit.engine.permutation_test`); ``q_value`` is BH across the
    terms reported.

    Parameters
    ----------
    paragraphs : pl.DataFrame
        ``article_id`` and ``text`` (e.g. ``analysis_paragraphs(...)``).
    groups : pl.DataFrame or str
        A frame with ``article_id`` and the column ``by`` (the articles
        frame, raw or from :func:`toolkit.wire.apply_wire_policy`: the wire
        policy is applied or read, :func:`toolkit.engine.resolve_wire`), or
        the name of a group column already in ``paragraphs`` (then no policy
        is applied and ``wire_policy`` reads "not_applied", unless the
        paragraphs carry a ``wire_policy`` column).
    group_a : str
        The group of interest (positive z = used more by a).
    group_b : str, optional
        The comparison group; None compares a with every other group pooled.
    by : str, default "outlet"
        Group column of ``groups`` ("outlet", "outlet_country", ...).
    prior : {"informative", "uniform"}
        ``alpha_w = alpha0 * corpus share of w`` or ``alpha0 / V``.
    alpha0 : float, default 1000
        Prior strength in pseudo-tokens. Larger shrinks rare terms harder.
    min_count : int, default 2
        Terms seen fewer times in a and b together are not reported or
        tested (they still shape the prior).
    ngram : (int, int), default (1, 1)
        Shortest and longest n-gram (n-grams never span a stop word).
    remove_stop_words : bool, default True
        Drop :func:`toolkit.keywords.stop_words`; the prior already damps
        frequent words, so keeping them is a defensible choice too.
    extra_stop_words : iterable of str
        More words to drop.
    wire_policy : {"merge", "keep", "drop"}, optional
        None reads the groups frame's ``wire_policy`` column, or applies "merge".
    n_perm : int or "auto"
        Article-label permutations (0: no p, q or baseline).
    seed, level
        RNG seed; width of the baseline band of z.

    Returns
    -------
    pl.DataFrame
        One row per term, sorted by z descending then term: ``term``, the
        engine columns (``n_articles``/``n_paragraphs`` of a and b together,
        ``estimate`` = z, ``ci_low``/``ci_high`` NaN with their
        ``ci_reason``, ``baseline_*`` = the band of z under permutation,
        ``p_value``, ``q_value``, ``wire_policy``, ``n_perm``, ``seed``,
        ``method``), then ``count_a``, ``count_b`` (Int64), ``log_odds``,
        ``variance``, ``z``, ``p_token`` (the two-sided normal p of z, which
        treats tokens as independent: a ranking aid, not inference),
        ``group_a``, ``group_b`` ("(rest)" when None),
        ``n_articles_a/b``, ``n_paragraphs_a/b``.

    Raises
    ------
    MeasureError
        Missing columns, unknown group, bad prior or options, wire policy.
    """
    from scipy.special import ndtr

    from toolkit.engine import ENGINE_COLUMNS, method_text, permutation_test
    from toolkit.stats import bh_fdr

    if prior not in ("informative", "uniform"):
        msg = f"got prior={prior!r}, expected 'informative' or 'uniform'"
        raise MeasureError(msg)
    if not alpha0 > 0:
        msg = f"got alpha0={alpha0}, expected a positive number"
        raise MeasureError(msg)
    groups, policy = _groups_and_policy(paragraphs, groups, wire_policy)
    counts = _count_terms(paragraphs, groups, by=by, group_a=group_a, group_b=group_b, ngram=ngram,
                          remove_stop_words=remove_stop_words, extra_stop_words=extra_stop_words)
    vocab = len(counts.terms)
    if vocab == 0:
        msg = "got no terms in these paragraphs, expected some text"
        raise MeasureError(msg)
    if prior == "informative":
        alpha = alpha0 * counts.count_all / counts.count_all.sum()
    else:
        alpha = np.full(vocab, alpha0 / vocab)
    # Computed over the whole vocabulary (n_a, n_b, alpha_0 need every term),
    # reported for terms that pass min_count.
    delta, variance, z = log_odds_dirichlet(counts.count_a, counts.count_b, alpha)
    keep = (counts.count_a + counts.count_b) >= max(min_count, 1)
    keep_idx = np.flatnonzero(keep)
    m = keep_idx.size
    result = None
    if n_perm != 0 and m:
        result = permutation_test(z[keep], _fw_draw(counts, alpha, keep_idx), n_perm=n_perm, center=np.zeros(m), seed=seed, level=level)
        p, used, q = result.p_value, result.n_perm, bh_fdr(result.p_value)
        b_mean, b_low, b_high = result.baseline_mean, result.baseline_low, result.baseline_high
    else:
        p = q = b_mean = b_low = b_high = np.full(m, np.nan)
        used = np.zeros(m, dtype=np.int64)
    method = method_text("Monroe et al. log-odds z with a Dirichlet prior (effect size, ranks terms); two-sided", result)
    n_art = counts.n_articles[0] + counts.n_articles[1]
    n_par = counts.n_paragraphs[0] + counts.n_paragraphs[1]
    frame = pl.DataFrame(
        {
            "term": [counts.terms[i] for i in keep_idx],
            **engine_columns(
                n_articles=np.full(m, n_art, dtype=np.int64),
                n_paragraphs=np.full(m, n_par, dtype=np.int64),
                estimate=z[keep],
                ci_reason="no interval for a token z (a ranking effect size)",
                baseline=(b_mean, b_low, b_high),
                p_value=p,
                q_value=q,
                wire_policy=policy,
                n_perm=used,
                seed=seed,
                method=method,
            ),
            "count_a": counts.count_a[keep],
            "count_b": counts.count_b[keep],
            "log_odds": delta[keep],
            "variance": variance[keep],
            "z": z[keep],
            "p_token": 2.0 * ndtr(-np.abs(z[keep])),
        },
        schema_overrides={"term": pl.String, "ci_reason": pl.String, "wire_policy": pl.String, "method": pl.String,
                          "count_a": pl.Int64, "count_b": pl.Int64},
    )
    if result is None:
        frame = frame.with_columns([pl.col(c).fill_nan(None) for c in ("p_value", "q_value", "baseline_mean", "baseline_low", "baseline_high")])
    assert tuple(frame.columns[1 : 1 + len(ENGINE_COLUMNS)]) == ENGINE_COLUMNS
    return _meta_columns(frame, counts, group_a).sort(["z", "term"], descending=[True, False])


def g2_table(count_a: Sequence[float], count_b: Sequence[float], n_a: float, n_b: float) -> tuple[np.ndarray, np.ndarray]:
    """Dunning's G² for each term's 2x2 table, and its sign.

    Parameters
    ----------
    count_a, count_b : sequence of float
        Term counts in a and b.
    n_a, n_b : float
        Total tokens in a and b.

    Returns
    -------
    (g2, sign) : tuple of numpy.ndarray
        ``g2 >= 0``; ``sign`` is +1 when a uses the term more than b (per
        token), -1 when less, 0 when equal.
    """
    y_a = np.asarray(count_a, dtype=float)
    y_b = np.asarray(count_b, dtype=float)
    cells = np.stack([y_a, y_b, n_a - y_a, n_b - y_b])
    if np.any(cells < 0):
        msg = "got a term count above its group total, expected count <= n"
        raise MeasureError(msg)
    total = n_a + n_b
    rows = np.stack([y_a + y_b, y_a + y_b, total - y_a - y_b, total - y_a - y_b])
    cols = np.array([n_a, n_b, n_a, n_b])[:, None]
    expected = rows * cols / total
    with np.errstate(divide="ignore", invalid="ignore"):
        # 0 * log(0) = 0 by convention
        terms = np.where(cells > 0, cells * np.log(cells / expected), 0.0)
    g2 = np.maximum(2.0 * terms.sum(axis=0), 0.0)
    sign = np.sign(y_a / n_a - y_b / n_b) if n_a > 0 and n_b > 0 else np.zeros_like(y_a)
    return g2, sign


def keyness_g2(
    paragraphs: pl.DataFrame,
    groups: pl.DataFrame | str,
    *,
    group_a: str,
    group_b: str | None = None,
    by: str = "outlet",
    min_count: int = 2,
    ngram: tuple[int, int] = (1, 1),
    remove_stop_words: bool = True,
    extra_stop_words: Iterable[str] = (),
    wire_policy: str | None = None,
) -> pl.DataFrame:
    """G² keyness (Dunning log-likelihood) of each term, a vs b: a cross-check on :func:`fightin_words`.

    Parameters
    ----------
    paragraphs, groups, group_a, group_b, by, min_count, ngram, remove_stop_words, extra_stop_words, wire_policy
        As in :func:`fightin_words`.

    Returns
    -------
    pl.DataFrame
        ``term``, ``count_a``, ``count_b``, ``g2`` (>= 0), ``signed_g2``
        (negative when b uses the term more), ``p`` (chi-squared, 1 df),
        ``q`` (BH-FDR across terms), and the same constant columns as
        :func:`fightin_words`; sorted by ``signed_g2`` descending then term.
    """
    from scipy.stats import chi2

    from toolkit.stats import bh_fdr

    groups, policy = _groups_and_policy(paragraphs, groups, wire_policy)
    counts = _count_terms(paragraphs, groups, by=by, group_a=group_a, group_b=group_b, ngram=ngram,
                          remove_stop_words=remove_stop_words, extra_stop_words=extra_stop_words)
    if not counts.terms:
        msg = "got no terms in these paragraphs, expected some text"
        raise MeasureError(msg)
    g2, sign = g2_table(counts.count_a, counts.count_b, float(counts.count_a.sum()), float(counts.count_b.sum()))
    keep = (counts.count_a + counts.count_b) >= max(min_count, 1)
    p = chi2.sf(g2[keep], df=1)
    frame = pl.DataFrame(_base_frame(counts, keep), schema={"term": pl.String, "count_a": pl.Int64, "count_b": pl.Int64})
    frame = frame.with_columns(
        pl.Series("g2", g2[keep], pl.Float64),
        pl.Series("signed_g2", sign[keep] * g2[keep], pl.Float64),
        pl.Series("p", p, pl.Float64),
        pl.Series("q", bh_fdr(p), pl.Float64),
    )
    return _meta_columns(frame, counts, group_a, policy).sort(["signed_g2", "term"], descending=[True, False])


def plot_fightin_words(
    result: pl.DataFrame,
    *,
    path: str | Path | None = None,
    label_top: int = 15,
    title: str | None = None,
) -> Figure:
    """Monroe-style plot: total frequency (log scale) against z, top terms labelled.

    Terms with ``|z| < 1.96`` are grey; the rest are coloured by the group
    that uses them more. The ``label_top`` terms with the largest ``|z|``
    on each side are labelled.

    Parameters
    ----------
    result : pl.DataFrame
        From :func:`fightin_words`.
    path : str or Path, optional
        ``.png``/``.svg`` writes that file, any other suffix both; the same
        result always gives the same bytes.
    label_top : int, default 15
        Labelled terms per side.
    title : str, optional
        Defaults to "<group_a> vs <group_b>".

    Returns
    -------
    matplotlib.figure.Figure
    """
    from toolkit.maps import (
        _mpl,
        _static_rc,
        new_figure,
        place_point_labels,
        save_static,
    )

    _require(result, "result", ("term", "count_a", "count_b", "z"))
    mpl = _mpl()
    total = (result["count_a"] + result["count_b"]).to_numpy().astype(float)
    z = result["z"].to_numpy()
    terms = result["term"].to_list()
    group_a = result["group_a"][0] if "group_a" in result.columns and result.height else "a"
    group_b = result["group_b"][0] if "group_b" in result.columns and result.height else "b"
    strong_a = z >= Z_CRITICAL
    strong_b = z <= -Z_CRITICAL
    weak = ~(strong_a | strong_b)
    with mpl.rc_context(_static_rc()):
        fig = new_figure(figsize=(8.0, 6.0), layout="constrained")  # shows as a PNG in notebooks
        ax = fig.add_subplot()
        ax.scatter(total[weak], z[weak], s=10, color="#bdbdbd", linewidths=0, label=f"|z| < {Z_CRITICAL:.2f}")
        ax.scatter(total[strong_a], z[strong_a], s=14, color="#d95f02", linewidths=0, label=f"more in {group_a}")
        ax.scatter(total[strong_b], z[strong_b], s=14, color="#1b9e77", linewidths=0, label=f"more in {group_b}")
        ax.set_xscale("log")
        for bound in (Z_CRITICAL, -Z_CRITICAL):
            ax.axhline(bound, color="#969696", linewidth=0.6, linestyle="--")
        ax.axhline(0.0, color="#636363", linewidth=0.6)
        ax.set_xlabel("frequency in both groups (log scale)")
        ax.set_ylabel("z (log-odds with informative Dirichlet prior)")
        ax.set_title(title if title is not None else f"{group_a} vs {group_b}")
        ax.legend(loc="best", frameon=False, fontsize=8)
        # Label the strongest terms per side; order by |z| then term so ties are stable.
        # Terms on the same point share one label; labels go where they overprint nothing.
        items: dict[tuple[float, float], list[str]] = {}
        for side in (np.flatnonzero(strong_a), np.flatnonzero(strong_b)):
            for i in sorted(side.tolist(), key=lambda i: (-abs(z[i]), terms[i]))[:label_top]:
                items.setdefault((float(total[i]), float(z[i])), []).append(terms[i])
        fig.labels = place_point_labels(  # type: ignore[attr-defined]
            fig, ax, [(x, y, ", ".join(names)) for (x, y), names in items.items()], fontsize=7)
    if path is not None:
        save_static(fig, path)
    return fig

