"""The comparison engine shared by the outlet measures.

:func:`toolkit.shares.outlet_shares`, :func:`toolkit.distances.outlet_distances`,
:func:`toolkit.semaxis.axis_by_outlet` and :func:`toolkit.distinctive.fightin_words`
use the pieces here, so they agree on four things:

**Wire policy, applied.** :func:`resolve_wire` reads the ``wire_policy``
column that :func:`toolkit.wire.apply_wire_policy` adds. Articles without
that column are raw: the measure applies the policy itself (``"merge"``
unless told otherwise) and records the policy it applied. Articles that
carry the column are used as they are, and asking for a different policy
raises :class:`MeasureError`. A policy is never written on a row that did
not go through it.

**Permutation p-values that can reach q < alpha.** :func:`permutation_test`
shuffles outlet labels over **articles** (never paragraphs). With
``n_perm="auto"`` (the default) it runs as many permutations as the family
of ``m`` tests needs for the smallest attainable Benjamini-Hochberg q of a
lone effect, ``m / (B + 1)``, to be at most ``alpha / 10``: ``B = ceil(10 m
/ alpha) - 1`` (capped at ``max_perm``). To keep that affordable the tests
stop adaptively (Besag & Clifford 1991): a test stops at the permutation
that brings its ``h``-th exceedance (``h = 20``) and gets ``p = h / L``;
a test that never reaches ``h`` gets ``(b + 1) / (B + 1)`` (Phipson & Smyth
2010). Both are valid p-values; only tests that look significant cost the
full ``B``. A fixed integer ``n_perm`` runs exactly that many for every
test, and a warning says when ``m / (n_perm + 1) > alpha`` (q < alpha then
cannot happen for a lone effect). The first 999 permutations (or all, if
fewer) are shared by every test and give the random-label band
``baseline_mean/low/high``.

**Intervals only where they cover.** Below a minimum number of articles an
interval under-covers (a percentile bootstrap badly: measured by
``benchmarks/bench_calibration.py``; see docs/framing_measures.md), so
:func:`guard_interval` blanks it (NaN) and says why in ``ci_reason``. Each
measure's minimum is the smallest group size at which its interval method
was measured to cover at least 0.90.

**One set of columns.** :data:`ENGINE_COLUMNS`, in that order after each
measure's key columns; each measure adds its own columns after them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from toolkit.errors import ToolkitError

#: Columns every outlet measure returns, in this order (after its key columns).
ENGINE_COLUMNS = (
    "n_articles",
    "n_paragraphs",
    "estimate",
    "ci_low",
    "ci_high",
    "ci_reason",
    "baseline_mean",
    "baseline_low",
    "baseline_high",
    "p_value",
    "q_value",
    "wire_policy",
    "n_perm",
    "seed",
    "method",
)
#: Significance level the automatic permutation count is planned for.
ALPHA = 0.05
#: Besag-Clifford stopping count: a test stops at its h-th exceedance.
STOP_AFTER = 20
#: Permutations shared by every test; they make the baseline band.
N_BASELINE = 999
#: Ceiling of the automatic permutation count (a warning says if it binds).
MAX_PERM = 400_000
#: Wire policy recorded when a measure is given no articles frame to apply one to.
NOT_APPLIED = "not_applied"
_CHUNK = 2048  # permutations per vectorised block (bounds memory)


class MeasureError(ToolkitError):
    """Bad input to an outlet measure (missing columns, unknown group, bad option, wire policy)."""


class PermutationWarning(UserWarning):
    """The permutation count cannot give q below alpha for a lone effect."""


def resolve_wire(articles: pl.DataFrame, wire_policy: str | None = None, *, canonical_only: bool = True) -> tuple[pl.DataFrame, str]:
    """Articles that count under a wire policy, and the policy applied.

    Parameters
    ----------
    articles : pl.DataFrame
        Either the output of :func:`toolkit.wire.apply_wire_policy` (has a
        ``wire_policy`` column: used as is), or raw articles with
        ``story_id`` and ``duplicate_of`` (the policy is applied here).
    wire_policy : {"merge", "keep", "drop"}, optional
        None: the column's policy, or ``"merge"`` for raw articles. A value
        that differs from the column's raises.
    canonical_only : bool, default True
        Passed to :func:`toolkit.wire.apply_wire_policy` for raw articles.

    Returns
    -------
    (articles, policy)

    Raises
    ------
    MeasureError
        Mixed or unknown policies in the column, a conflicting
        ``wire_policy``, or raw articles without ``story_id`` and
        ``duplicate_of`` (nothing to apply a policy with).
    """
    from toolkit.wire import WIRE_POLICIES, apply_wire_policy

    if "wire_policy" in articles.columns:
        values = sorted(set(articles["wire_policy"].drop_nulls().to_list()))
        if len(values) != 1 or values[0] not in WIRE_POLICIES or articles["wire_policy"].null_count():
            msg = f"got wire_policy values {values} in articles, expected the single policy written by apply_wire_policy"
            raise MeasureError(msg)
        if wire_policy is not None and wire_policy != values[0]:
            msg = f"got wire_policy={wire_policy!r} for articles filtered with {values[0]!r}, expected the same policy (or None)"
            raise MeasureError(msg)
        return articles, values[0]
    policy = "merge" if wire_policy is None else wire_policy
    if policy not in WIRE_POLICIES:
        msg = f"got wire_policy={policy!r}, expected one of {WIRE_POLICIES}"
        raise MeasureError(msg)
    missing = [c for c in ("article_id", "story_id", "duplicate_of") if c not in articles.columns]
    if missing:
        msg = (
            f"got raw articles without {missing} and no wire_policy column, expected ingested articles "
            "(story_id, duplicate_of) or the output of toolkit.wire.apply_wire_policy"
        )
        raise MeasureError(msg)
    return apply_wire_policy(articles, policy=policy, canonical_only=canonical_only), policy


def needed_permutations(n_tests: int, alpha: float = ALPHA) -> int:
    """Permutations for which a lone effect among ``n_tests`` can reach BH q <= alpha / 10."""
    return max(math.ceil(10 * max(n_tests, 1) / alpha) - 1, 1)


@dataclass(frozen=True)
class PermutationResult:
    """p-values, permutations used per test, and the random-label band of each test."""

    p_value: np.ndarray
    n_perm: np.ndarray
    baseline_mean: np.ndarray
    baseline_low: np.ndarray
    baseline_high: np.ndarray
    adaptive: bool


def permutation_test(
    observed: np.ndarray,
    draw: Callable[[np.random.Generator, int, np.ndarray], np.ndarray],
    *,
    n_perm: int | str = "auto",
    center: np.ndarray | None = None,
    seed: int = 0,
    alpha: float = ALPHA,
    n_tests: int | None = None,
    level: float = 0.95,
    max_perm: int = MAX_PERM,
    stop_after: int = STOP_AFTER,
    n_baseline: int = N_BASELINE,
    warn: bool = True,
) -> PermutationResult:
    """Monte Carlo permutation p-values for a family of tests sharing one label shuffle.

    Parameters
    ----------
    observed : numpy.ndarray, shape (m,)
        Observed statistic of each test.
    draw : callable
        ``draw(rng, n, active)`` returns the statistic of the tests
        ``active`` (indices) under ``n`` fresh label permutations, shape
        ``(n, active.size)``. It must consume ``rng`` the same way whatever
        ``active`` is, so a re-run gives the same tables.
    n_perm : int or "auto"
        See the module docstring. 0 skips the test (NaN everywhere).
    center : numpy.ndarray, optional
        Two-sided test: a permutation is as extreme when
        ``|perm - center| >= |observed - center|``. None: one-sided, larger
        is more extreme.
    seed : int
        RNG seed.
    alpha : float
        Level the automatic count is planned for (and warned about).
    n_tests : int, optional
        Size of the BH family when it is larger than ``m`` (a family tested
        one call at a time, e.g. outlet pairs).
    level : float
        Width of the baseline band.
    max_perm, stop_after, n_baseline
        Ceiling of the automatic count, Besag-Clifford ``h``, and the
        permutations shared by every test.
    warn : bool
        Emit :class:`PermutationWarning` when q < alpha is out of reach.

    Returns
    -------
    PermutationResult
    """
    obs = np.asarray(observed, dtype=float).ravel()
    m = obs.size
    family = max(n_tests or m, m)
    nan = np.full(m, np.nan)
    if isinstance(n_perm, str):
        if n_perm != "auto":
            msg = f"got n_perm={n_perm!r}, expected 'auto' or an integer >= 0"
            raise MeasureError(msg)
        target, adaptive = min(needed_permutations(family, alpha), max_perm), True
    else:
        if int(n_perm) < 0:
            msg = f"got n_perm={n_perm}, expected 'auto' or an integer >= 0"
            raise MeasureError(msg)
        target, adaptive = int(n_perm), False
    if target == 0 or m == 0:
        return PermutationResult(nan, np.zeros(m, dtype=np.int64), nan, nan, nan, adaptive)
    if warn and family / (target + 1) > alpha:
        msg = (
            f"{target} permutations for {family} tests: the smallest attainable BH q of a lone effect is "
            f"{family / (target + 1):.3g} > alpha={alpha}, so q < alpha is impossible; use n_perm='auto' "
            f"or at least {needed_permutations(family, alpha)}"
        )
        warnings.warn(msg, PermutationWarning, stacklevel=3)
    if center is None:
        c = np.zeros(m)
        obs_ext = obs
    else:
        c = np.broadcast_to(np.asarray(center, dtype=float).ravel(), (m,)).copy()
        obs_ext = np.abs(obs - c)
    rng = np.random.default_rng(seed)
    exceed = np.zeros(m, dtype=np.int64)
    used = np.zeros(m, dtype=np.int64)
    p = np.full(m, np.nan)
    active = np.arange(m)
    n_base = min(n_baseline, target)
    base_sum = np.zeros(m)
    base_values: list[np.ndarray] = []
    done = 0
    while done < target and active.size:
        in_base = done < n_base
        n = min(_CHUNK, (n_base if in_base else target) - done)
        raw = np.asarray(draw(rng, n, active), dtype=float).reshape(n, active.size)
        if in_base:
            base_values.append(raw)
            base_sum += raw.sum(axis=0)
        ext = raw if center is None else np.abs(raw - c[active])
        # tolerance: a permutation that reproduces the observed value counts as "as extreme"
        hits = ext >= obs_ext[active] - 1e-12
        if adaptive:
            running = exceed[active][None, :] + np.cumsum(hits, axis=0)
            reached = (running[-1] >= stop_after) & np.isnan(p[active])
            if reached.any():
                idx = np.flatnonzero(reached)
                first = np.argmax(running[:, idx] >= stop_after, axis=0)  # row of the h-th exceedance
                stopped = active[idx]
                used[stopped] = done + first + 1
                p[stopped] = stop_after / used[stopped]
        exceed[active] += hits.sum(axis=0)
        done += n
        if adaptive and done >= n_base:
            active = active[np.isnan(p[active])]
    rest = np.isnan(p)
    used[rest] = done
    p[rest] = (exceed[rest] + 1) / (done + 1)
    base = np.vstack(base_values)
    tail = (1 - level) / 2
    low, high = np.quantile(base, [tail, 1 - tail], axis=0)
    return PermutationResult(p, used, base_sum / base.shape[0], low, high, adaptive)


def guard_interval(
    n_articles: np.ndarray, low: np.ndarray, high: np.ndarray, *, min_articles: int, method: str = "bootstrap"
) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Blank intervals of groups with fewer than ``min_articles`` articles (NaN and a reason)."""
    n = np.asarray(n_articles)
    low = np.where(n < min_articles, np.nan, np.asarray(low, dtype=float))
    high = np.where(n < min_articles, np.nan, np.asarray(high, dtype=float))
    reason = [
        f"fewer than {min_articles} articles, the minimum for the {method} interval (coverage table in docs/framing_measures.md)"
        if k < min_articles
        else None
        for k in n.tolist()
    ]
    return low, high, reason


def permuted_labels(rng: np.random.Generator, labels: np.ndarray, n: int) -> np.ndarray:
    """``n`` independent shuffles of ``labels`` (one label per article), shape (n, len(labels))."""
    return rng.permuted(np.tile(np.asarray(labels), (n, 1)), axis=1)


def engine_columns(
    *,
    n_articles: Any,
    n_paragraphs: Any,
    estimate: Any,
    ci_low: Any = None,
    ci_high: Any = None,
    ci_reason: Any,
    baseline: tuple[Any, Any, Any],
    p_value: Any,
    q_value: Any,
    wire_policy: str,
    n_perm: Any,
    seed: int,
    method: str,
) -> dict[str, Any]:
    """The engine's columns (:data:`ENGINE_COLUMNS`, in order) for ``len(estimate)`` rows.

    Every measure builds its output from this, so the columns, their order
    and their types are the same everywhere. Scalars (a ``ci_reason`` string,
    the policy, the seed, the method) are repeated on every row; a missing
    interval is NaN.
    """
    m = len(estimate)
    reasons = [ci_reason] * m if isinstance(ci_reason, str) or ci_reason is None else list(ci_reason)
    columns = {
        "n_articles": n_articles,
        "n_paragraphs": n_paragraphs,
        "estimate": estimate,
        "ci_low": np.full(m, np.nan) if ci_low is None else ci_low,
        "ci_high": np.full(m, np.nan) if ci_high is None else ci_high,
        "ci_reason": pl.Series(reasons, dtype=pl.String),
        "baseline_mean": baseline[0],
        "baseline_low": baseline[1],
        "baseline_high": baseline[2],
        "p_value": p_value,
        "q_value": q_value,
        "wire_policy": pl.Series([wire_policy] * m, dtype=pl.String),
        "n_perm": np.asarray(n_perm, dtype=np.int64),
        "seed": np.full(m, seed, dtype=np.int64),
        "method": pl.Series([method] * m, dtype=pl.String),
    }
    assert tuple(columns) == ENGINE_COLUMNS
    return columns


def method_text(kind: str, result: PermutationResult | None, *, interval: str | None = None) -> str:
    """The ``method`` column: how the interval and the p-value were made."""
    parts = []
    if interval:
        parts.append(interval)
    if result is None:
        parts.append("no permutation test (n_perm=0)")
    elif result.adaptive:
        parts.append(f"{kind}; article-label permutation, adaptive (Besag-Clifford h={STOP_AFTER}, up to alpha/10 resolution); BH q")
    else:
        parts.append(f"{kind}; article-label permutation, fixed count; BH q")
    return "; ".join(parts)
