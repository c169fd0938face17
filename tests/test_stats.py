"""Resampling by article, label permutation, Phipson–Smyth and BH-FDR."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.stats import article_index, bh_fdr, bootstrap_articles, permute_article_labels, phipson_smyth


def test_article_index_keeps_first_seen_order():
    uniq, rows = article_index(["b", "b", "a", "c", "a"])
    assert uniq.tolist() == ["b", "a", "c"] and rows.tolist() == [0, 0, 1, 2, 1]


def test_bootstrap_resamples_whole_articles():
    # Outlet X: article x1 has 9 paragraphs of value 1, article x2 one paragraph of value 0.
    groups = ["X"] * 10
    articles = ["x1"] * 9 + ["x2"]
    values = np.array([1.0] * 9 + [0.0])
    seen = []

    def mean(idx):
        seen.append(idx)
        return float(values[idx].mean())

    est, low, high = bootstrap_articles(groups, articles, mean, n_boot=300, seed=1)
    assert est == pytest.approx(0.9)
    # Drawing articles (not paragraphs) gives only three possible resamples:
    # {x1,x1} -> 1.0, {x2,x2} -> 0.0, {x1,x2} -> 0.9
    assert {round(float(values[i].mean()), 3) for i in seen[1:]} <= {1.0, 0.0, 0.9}
    assert low == 0.0 and high == 1.0
    # every resample has the rows of an article together
    for idx in seen[1:]:
        n_x1 = int((idx < 9).sum())
        assert n_x1 % 9 == 0


def test_single_article_groups_have_no_interval():
    est, low, high = bootstrap_articles(["A", "B"], ["a", "b"], lambda idx: float(len(idx)), n_boot=10)
    assert est == 2.0 and np.isnan(low) and np.isnan(high)


def test_permutation_keeps_articles_whole_and_label_counts():
    rng = np.random.default_rng(0)
    labels = ["A"] * 3 + ["B"] * 2 + ["C"]
    articles = ["a1", "a1", "a1", "b1", "b1", "c1"]
    for _ in range(20):
        out = permute_article_labels(labels, articles, rng=rng)
        assert len(set(out[:3])) == 1 and len(set(out[3:5])) == 1
        assert sorted([out[0], out[3], out[5]]) == ["A", "B", "C"]


def test_phipson_smyth_is_never_zero():
    assert phipson_smyth(0, 999) == pytest.approx(0.001)
    assert phipson_smyth(999, 999) == 1.0


def test_bh_fdr_matches_a_hand_computed_example():
    p = [0.01, 0.04, 0.03, 0.20]
    # sorted: 0.01*4/1=0.04, 0.03*4/2=0.06, 0.04*4/3=0.0533, 0.20*4/4=0.2 -> monotone: 0.04, 0.0533, 0.0533, 0.2
    assert bh_fdr(p) == pytest.approx([0.04, 0.05333333, 0.05333333, 0.2])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=30))
def test_bh_fdr_is_bounded_and_monotone(p):
    q = bh_fdr(p)
    assert ((q >= np.asarray(p) - 1e-12) & (q <= 1)).all()
    order = np.argsort(p, kind="stable")
    assert (np.diff(q[order]) >= -1e-12).all()


def test_benjamini_yekutieli_is_bh_times_the_harmonic_sum():
    from toolkit.stats import bh_fdr, by_factor, by_fdr

    p = np.array([0.001, 0.02, 0.03, 0.5])
    assert by_factor(4) == pytest.approx(1 + 1 / 2 + 1 / 3 + 1 / 4)
    assert by_fdr(p) == pytest.approx(np.minimum(bh_fdr(p) * (25 / 12), 1.0))
    # by hand: BH gives 0.004, 0.04, 0.04, 0.5 -> times 25/12
    assert by_fdr(p) == pytest.approx([0.004 * 25 / 12, 0.04 * 25 / 12, 0.04 * 25 / 12, 1.0])  # capped at 1
    assert by_fdr([]).size == 0
