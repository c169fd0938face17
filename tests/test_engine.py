"""The shared comparison engine: wire policy applied (not stamped), permutation counts, p-value validity."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from toolkit.engine import (
    ENGINE_COLUMNS,
    MeasureError,
    PermutationWarning,
    needed_permutations,
    permutation_test,
    resolve_wire,
)
from toolkit.wire import apply_wire_policy


def wire_toy() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Outlets X (x1, x2), Y (y1, y2) and Z (z1, z2); story s runs in full in X (x1) and as a copy in Y (y1).

    Every paragraph is one 2-D vector; x1 and y1 carry the same text and vector.
    """
    wire_text = "wire wire tariff summit"
    rows = [  # article, outlet, story_id, text, vector
        ("x1", "X", "x1", wire_text, (1.0, 0.0)),
        ("x2", "X", "x2", "drill drill navy", (0.0, 1.0)),
        ("y1", "Y", "x1", wire_text, (1.0, 0.0)),
        ("y2", "Y", "y2", "summit navy drill", (0.2, 1.0)),
        ("z1", "Z", "z1", "navy drill drill", (0.1, 1.0)),
        ("z2", "Z", "z2", "summit tariff navy", (0.9, 0.3)),
    ]
    articles = pl.DataFrame(
        {
            "article_id": [r[0] for r in rows],
            "outlet": [r[1] for r in rows],
            "outlet_country": ["KR", "KR", "JP", "JP", "CN", "CN"],
            "story_id": [r[2] for r in rows],
            "duplicate_of": [None] * len(rows),
            "body": [r[3] + (" extra" if r[0] == "x1" else "") for r in rows],  # x1 is the most complete copy
        },
        schema_overrides={"duplicate_of": pl.String},
    )
    paragraphs = pl.DataFrame(
        {"paragraph_id": [f"{r[0]}-p0" for r in rows], "article_id": [r[0] for r in rows], "text": [r[3] for r in rows]}
    )
    embeddings = pl.DataFrame({"paragraph_id": paragraphs["paragraph_id"], "embedding": [list(r[4]) for r in rows]}).with_columns(
        pl.col("embedding").cast(pl.Array(pl.Float32, 2))
    )
    return articles, paragraphs, embeddings


def test_resolve_wire_applies_reads_and_refuses_to_stamp():
    articles, _, _ = wire_toy()
    kept, policy = resolve_wire(articles)  # raw: merge applied here
    assert policy == "merge" and "y1" not in kept["article_id"].to_list() and kept.height == 5
    kept_keep, policy_keep = resolve_wire(articles, "keep")
    assert policy_keep == "keep" and kept_keep.height == 6
    merged = apply_wire_policy(articles, policy="drop")
    same, policy_drop = resolve_wire(merged)
    assert policy_drop == "drop" and same.equals(merged)
    with pytest.raises(MeasureError, match="for articles filtered with 'drop'"):
        resolve_wire(merged, "merge")
    with pytest.raises(MeasureError, match="expected ingested articles"):
        resolve_wire(articles.select("article_id", "outlet"), "merge")
    with pytest.raises(MeasureError, match="single policy"):
        resolve_wire(pl.concat([merged, apply_wire_policy(articles, policy="keep")]))


def test_a_wire_pair_is_counted_once_under_merge_in_every_measure():
    from toolkit.distances import outlet_distances
    from toolkit.distinctive import fightin_words
    from toolkit.semaxis import axis_by_outlet
    from toolkit.shares import outlet_shares

    articles, paragraphs, embeddings = wire_toy()
    assignments = paragraphs.select("paragraph_id", pl.when(pl.col("text").str.contains("wire")).then(pl.lit("W")).otherwise(pl.lit("O")).alias("frame"))
    scores = embeddings.select("paragraph_id", pl.lit("toy").alias("axis"), pl.col("embedding").arr.first().cast(pl.Float64).alias("score"))
    for policy, y_articles, wire_words in (("merge", 1, 2), ("keep", 2, 4)):
        shares = outlet_shares(assignments, paragraphs, articles, n_boot=20, n_perm=0, wire_policy=policy)
        y = shares.filter((pl.col("outlet") == "Y") & (pl.col("category") == "W"))
        assert y["n_articles"].item() == y_articles and set(shares["wire_policy"]) == {policy}
        assert y["n_in_category"].item() == y_articles - 1
        words = fightin_words(paragraphs, articles, group_a="X", n_perm=0, min_count=1, wire_policy=policy)
        wire = words.filter(pl.col("term") == "wire")
        assert wire["count_a"].item() + wire["count_b"].item() == wire_words
        dist = outlet_distances(embeddings, paragraphs, articles, n_perm=0, wire_policy=policy)
        xy = dist.filter((pl.col("outlet_a") == "X") & (pl.col("outlet_b") == "Y"))
        assert xy["n_articles_b"].item() == y_articles and set(dist["wire_policy"]) == {policy}
        axes = axis_by_outlet(scores, paragraphs, articles, n_boot=20, n_perm=0, wire_policy=policy)
        assert axes.filter(pl.col("outlet") == "Y")["n_articles"].item() == y_articles
    # merged once upstream: the measures read the column and agree with applying it themselves
    merged = apply_wire_policy(articles)
    assert outlet_shares(assignments, paragraphs, merged, n_boot=20, n_perm=0).equals(outlet_shares(assignments, paragraphs, articles, n_boot=20, n_perm=0))
    with pytest.raises(MeasureError, match="filtered with 'merge'"):
        outlet_distances(embeddings, paragraphs, merged, n_perm=0, wire_policy="keep")
    # a group column of the paragraphs carries no policy: it is not stamped, and a claimed one raises
    with_groups = paragraphs.join(articles.select("article_id", "outlet"), on="article_id")
    words = fightin_words(with_groups, "outlet", group_a="X", n_perm=0, min_count=1)
    assert set(words["wire_policy"]) == {"not_applied"}
    with pytest.raises(MeasureError, match="groups given as a paragraph column"):
        fightin_words(with_groups, "outlet", group_a="X", n_perm=0, wire_policy="merge")


def test_compare_event_drops_the_wire_copy():
    from toolkit.compare import compare_event

    articles, paragraphs, embeddings = wire_toy()
    events = pl.DataFrame({"article_id": articles["article_id"], "event_id": ["E1"] * articles.height})
    merged = compare_event("E1", events, paragraphs, articles, embeddings)
    kept = compare_event("E1", events, paragraphs, articles, embeddings, wire_policy="keep")
    assert merged.wire_policy == "merge" and kept.wire_policy == "keep"
    assert "y1-p0" not in merged.coverage["paragraph_id"].to_list() and "y1-p0" in kept.coverage["paragraph_id"].to_list()
    # the copy hides x1's point under "keep" (similarity 1.0), not under "merge"
    assert kept.coverage.filter(pl.col("paragraph_id") == "x1-p0")["max_similarity_elsewhere"].item() == pytest.approx(1.0)
    assert merged.coverage.filter(pl.col("paragraph_id") == "x1-p0")["max_similarity_elsewhere"].item() < 0.99


def _shuffle_draw(values: np.ndarray, n_a: int):
    """Mean of a random n_a-subset of ``values`` (one test)."""

    def draw(rng, n, active):
        perm = rng.permuted(np.tile(values, (n, 1)), axis=1)
        return np.repeat(perm[:, :n_a].mean(axis=1, keepdims=True), active.size, axis=1)

    return draw


def test_adaptive_p_values_are_valid_and_resolve_small_p():
    rng = np.random.default_rng(0)
    p_null = []
    for rep in range(300):
        values = rng.normal(size=30)
        obs = values[:10].mean()
        res = permutation_test(np.array([obs]), _shuffle_draw(values, 10), center=np.array([values.mean()]), seed=rep, n_tests=1)
        p_null.append(res.p_value[0])
    p_null = np.array(p_null)
    # valid: P(p <= t) <= t (up to Monte Carlo noise over 300 draws)
    for t in (0.05, 0.1, 0.5):
        assert (p_null <= t).mean() <= t + 2.5 * np.sqrt(t * (1 - t) / 300)
    assert (p_null <= 0.5).mean() > 0.35  # not degenerate
    # a strong effect runs to the full planned count and gets the smallest p
    values = np.concatenate([np.full(10, 5.0), rng.normal(size=40)])
    res = permutation_test(np.array([values[:10].mean()]), _shuffle_draw(values, 10), center=np.array([values.mean()]), seed=1, n_tests=40)
    assert res.n_perm[0] == needed_permutations(40) == 7999
    assert res.p_value[0] == 1 / 8000 and 40 * res.p_value[0] <= 0.05 / 10
    assert res.adaptive and res.baseline_low[0] < values.mean() < res.baseline_high[0]


def test_fixed_count_warns_when_q_below_alpha_is_impossible():
    values = np.arange(20.0)
    draw = _shuffle_draw(values, 5)
    with pytest.warns(PermutationWarning, match="q < alpha is impossible"):
        permutation_test(np.array([1.0] * 61 * 5), lambda r, n, a: np.repeat(draw(r, n, a[:1]), a.size, axis=1), n_perm=999)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = permutation_test(np.array([1.0]), draw, n_perm=999)
    assert res.n_perm[0] == 999 and not res.adaptive
    assert needed_permutations(305) == 60999  # 61 outlets x 5 frames -> smallest q 305/61000 = 0.005
    with pytest.raises(MeasureError, match="expected 'auto'"):
        permutation_test(np.array([1.0]), draw, n_perm="many")


def test_engine_columns_are_the_documented_set():
    assert ENGINE_COLUMNS == ("n_articles", "n_paragraphs", "estimate", "ci_low", "ci_high", "ci_reason", "baseline_mean", "baseline_low",
                              "baseline_high", "p_value", "q_value", "wire_policy", "n_perm", "seed", "method")
