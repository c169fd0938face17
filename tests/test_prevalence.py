"""Corrected prevalence (DSL): unbiased and covering where the classifier's own shares are not."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from toolkit.frames import FramingError
from toolkit.prevalence import corrected_shares, simulate_coverage, stamp_scorer


def test_dsl_covers_where_the_biased_classifier_does_not():
    sim = simulate_coverage(n_articles=800, n_coded=120, prevalence=0.3, false_positive=0.3, false_negative=0.2, n_sim=300, seed=0)
    assert sim["dsl_coverage"] >= 0.92 and abs(sim["dsl_bias"]) < 0.01
    assert sim["naive_coverage"] < 0.05 and sim["naive_bias"] > 0.1  # 0.3*0.8 + 0.7*0.3 = 0.45 vs 0.30


def test_null_a_perfect_classifier_needs_no_correction():
    sim = simulate_coverage(false_positive=0.0, false_negative=0.0, n_sim=50, seed=1)
    assert sim["dsl_bias"] == pytest.approx(sim["naive_bias"]) == pytest.approx(0.0)


def _world(seed=0, n=600, n_coded=150):
    rng = np.random.default_rng(seed)
    outlet = np.where(np.arange(n) < n // 2, "A", "B")
    truth = np.where(outlet == "A", 0.2, 0.5)
    y = (rng.random(n) < truth).astype(int)
    pred = np.clip(0.35 + 0.4 * y + rng.normal(0, 0.1, n), 0, 1)  # biased upward for both outlets
    ids = [f"x{i:04d}" for i in range(n)]
    coded = rng.choice(n, n_coded, replace=False)
    articles = pl.DataFrame({"article_id": ids, "outlet": outlet})
    predictions = pl.DataFrame({"article_id": ids, "frame": ["F"] * n, "probability": pred, "scorer": ["clf"] * n})
    gold = pl.DataFrame({"article_id": [ids[i] for i in coded], "frame": ["F"] * n_coded, "value": y[coded]})
    return articles, predictions, gold, y, outlet


def test_corrected_shares_table():
    articles, predictions, gold, y, outlet = _world()
    out = corrected_shares(predictions, gold, articles)
    assert out["outlet"].to_list() == ["A", "B"] and out["n_articles"].to_list() == [300, 300]
    for row, g in zip(out.iter_rows(named=True), ("A", "B"), strict=True):
        truth = y[outlet == g].mean()
        assert row["ci_low"] <= truth <= row["ci_high"]
        assert abs(row["naive_estimate"] - truth) > abs(row["estimate"] - truth)
    assert set(out["validation"]) == {"unvalidated"} and set(out["scorer"]) == {"clf"} and set(out["method"]) == {"dsl"}
    # sample design: with inclusion probabilities given, the same numbers when they are uniform
    uniform = pl.DataFrame({"article_id": gold["article_id"], "inclusion_prob": [150 / 600] * 150})
    assert corrected_shares(predictions, gold, articles, sample=uniform)["estimate"].to_list() == pytest.approx(out["estimate"].to_list())


def test_small_groups_get_no_interval_and_errors():
    articles, predictions, gold, _, _ = _world(n_coded=6)
    out = corrected_shares(predictions, gold, articles, min_coded=5)
    assert out.filter(pl.col("n_coded") < 5)["ci_low"].is_nan().all()
    assert out.filter(pl.col("n_coded") < 5)["note"].str.contains("no interval").all()
    with pytest.raises(FramingError, match="not among the articles counted"):
        corrected_shares(predictions, gold, articles.head(10))


def test_stamp_scorer_states_validation():
    table = pl.DataFrame({"outlet": ["A", "A"], "category": ["F", "G"], "share": [0.1, 0.2]})
    ev = pl.DataFrame({"frame": ["F"], "f1": [0.612], "f1_low": [0.5], "f1_high": [0.7], "n_articles": [200]})
    out = stamp_scorer(table, scorer="detector:hybrid", evaluation=ev, frame_column="category")
    assert out["validation"].to_list() == ["F1 0.61 [0.5, 0.7] on 200 coded articles", "unvalidated"]
    assert stamp_scorer(table, scorer="x", frame_column="category")["validation"].to_list() == ["unvalidated"] * 2
