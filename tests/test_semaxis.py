"""SemAxis: toy vectors by hand, article-level bootstrap and permutation band, default axes on the seeds."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from toolkit.engine import MeasureError
from toolkit.semaxis import Axis, axis_by_outlet, axis_from_vectors, load_axes, project_axis


def _emb(ids, vectors) -> pl.DataFrame:
    dim = len(vectors[0])
    return pl.DataFrame({"paragraph_id": ids, "embedding": [list(map(float, v)) for v in vectors]}).with_columns(
        pl.col("embedding").cast(pl.Array(pl.Float32, dim))
    )


def test_axis_on_toy_2d_vectors():
    # poles: mean(+) = (1, 0.1), mean(-) = (-1, -0.1) -> axis v = (2, 0.2)
    axis = axis_from_vectors([[1, 0], [1, 0.2]], [[-1, 0], [-1, -0.2]], name="toy", positive_label="east", negative_label="west")
    assert axis.vector == pytest.approx([2.0, 0.2])
    scores = project_axis(axis, _emb(["p", "q", "r"], [[1, 0.1], [0, 1], [-3, -0.3]]))
    assert scores["axis"].to_list() == ["toy"] * 3
    # cos((1, .1), (2, .2)) = 1; cos((0, 1), (2, .2)) = 0.2 / sqrt(4.04); (-3, -.3) is the opposite direction
    assert scores["score"].to_list() == pytest.approx([1.0, 0.2 / math.sqrt(4.04), -1.0], abs=1e-6)
    with pytest.raises(MeasureError, match="expected two distinct poles"):
        axis_from_vectors([[1, 0]], [[1, 0]], name="flat")
    with pytest.raises(MeasureError, match="expected the embeddings' 2"):
        project_axis(Axis("bad", np.ones(3)), _emb(["p"], [[1, 0]]))


def _toy_scores():
    # Outlet X: x1 has 9 paragraphs scoring 1, x2 one paragraph scoring 0; x3 two paragraphs at 0.5.
    # Outlet Y: y1..y3 one or two paragraphs near -0.5.
    rows = [("x1", "X", 1.0)] * 9 + [("x2", "X", 0.0)] + [("x3", "X", 0.5)] * 2 + [("y1", "Y", -0.5), ("y2", "Y", -0.4), ("y2", "Y", -0.6), ("y3", "Y", -0.5)]
    pids = [f"{a}-{i:03d}" for i, (a, _, _) in enumerate(rows)]
    paragraphs = pl.DataFrame({"paragraph_id": pids, "article_id": [r[0] for r in rows]})
    ids = ["x1", "x2", "x3", "y1", "y2", "y3"]
    articles = pl.DataFrame({"article_id": ids, "outlet": ["X", "X", "X", "Y", "Y", "Y"], "story_id": ids, "duplicate_of": [None] * 6},
                            schema_overrides={"duplicate_of": pl.String})
    scores = pl.DataFrame({"paragraph_id": pids, "axis": ["toy"] * len(rows), "score": [r[2] for r in rows]})
    return scores, paragraphs, articles


def test_axis_by_outlet_weights_articles_and_resamples_them():
    scores, paragraphs, articles = _toy_scores()
    out = axis_by_outlet(scores, paragraphs, articles, n_boot=300, n_perm=199, seed=3, interval="bootstrap", min_ci_articles=2)
    x = out.filter(pl.col("outlet") == "X").row(0, named=True)
    # mean of article means (1 + 0 + 0.5) / 3, not the paragraph mean 10/12
    assert x["estimate"] == pytest.approx(0.5)
    assert (x["n_articles"], x["n_paragraphs"]) == (3, 12)
    # resampling whole articles: every bootstrap mean is a mean of three of {1, 0, 0.5}
    assert x["ci_low"] >= 0.0 and x["ci_high"] <= 1.0 and x["ci_low"] <= x["estimate"] <= x["ci_high"]
    y = out.filter(pl.col("outlet") == "Y").row(0, named=True)
    assert y["estimate"] == pytest.approx(-0.5)
    # the random-label band sits around the grand mean of article means (0)
    for row in (x, y):
        assert row["baseline_low"] < 0.0 < row["baseline_high"]
        assert row["p_value"] >= 1 / 200 and row["n_perm"] == 199 and row["seed"] == 3
    assert out["wire_policy"].to_list() == ["merge", "merge"]
    assert out.equals(axis_by_outlet(scores, paragraphs, articles, n_boot=300, n_perm=199, seed=3, interval="bootstrap", min_ci_articles=2))
    # the default t interval on article means: X's means 1, 0, 0.5 -> 0.5 +- t(2 df) * 0.5 / sqrt(3)
    t_int = axis_by_outlet(scores, paragraphs, articles, n_perm=0, min_ci_articles=3)
    x_t = t_int.filter(pl.col("outlet") == "X").row(0, named=True)
    half = 4.302652729911275 * 0.5 / math.sqrt(3)
    assert (x_t["ci_low"], x_t["ci_high"]) == pytest.approx((0.5 - half, 0.5 + half), abs=1e-9)
    # below the documented minimum (t: 5 articles) there is no interval, and the row says why
    default = axis_by_outlet(scores, paragraphs, articles, n_boot=300, n_perm=0, seed=3)
    assert default["ci_low"].is_nan().all() and default["ci_reason"].str.contains("fewer than 5 articles").all()
    assert default["p_value"].is_null().all() and (default["n_perm"] == 0).all()


def test_default_axes_file_is_complete():
    spec = load_axes()
    assert set(spec) == {"cooperation_confrontation", "deterrence_diplomacy"}
    for table in spec.values():
        assert 6 <= len(table["positive"]) <= 10 and 6 <= len(table["negative"]) <= 10
        assert table["positive_label"] and table["negative_label"]


def test_default_axes_on_the_seeds(tmp_path, monkeypatch):
    from tests.conftest import seed_embedded
    from toolkit.analysis import analysis_paragraphs
    from toolkit.semaxis import default_axes

    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path))
    articles, paragraphs, embeddings = seed_embedded()
    chosen = analysis_paragraphs(articles, paragraphs)
    axes = default_axes()
    assert [a.name for a in axes] == ["cooperation_confrontation", "deterrence_diplomacy"]
    scores = project_axis(axes, embeddings.join(chosen.select("paragraph_id"), on="paragraph_id", how="semi"))
    assert scores.height == 2 * chosen.height
    text = scores.join(chosen.select("paragraph_id", "text"), on="paragraph_id")
    deter = text.filter(pl.col("axis") == "deterrence_diplomacy").sort("score", descending=True)
    # the most "deterrence" paragraphs report the bomber drills; the most "diplomacy" ones phone calls and diplomats
    assert all("drill" in t or "B-52H" in t for t in deter.head(3)["text"])
    assert any("diplomat" in t for t in deter.tail(3)["text"])
    out = axis_by_outlet(scores, chosen, articles, n_boot=200, seed=0)
    kh = out.filter((pl.col("axis") == "deterrence_diplomacy") & (pl.col("outlet") == "Korea Herald")).row(0, named=True)
    # Korea Herald's 11 articles (merged; mostly diplomacy) sit below the random-label band on deterrence
    assert kh["n_articles"] == 11 and kh["estimate"] < kh["baseline_low"] and kh["p_value"] < 0.05
    assert kh["ci_low"] < kh["estimate"] < kh["ci_high"]  # 11 articles: at or above the minimum, an interval
    single = out.filter(pl.col("n_articles") == 1)
    assert single["ci_low"].is_nan().all()  # one article: nothing to resample


def test_project_axis_refuses_vectors_from_another_model_of_the_same_dimension():
    rng = np.random.default_rng(0)
    axis = axis_from_vectors(rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), name="coop", model_fingerprint="aaaa1111")
    frame = pl.DataFrame({"paragraph_id": ["p1", "p2"], "embedding": pl.Series(rng.standard_normal((2, 4)), dtype=pl.Array(pl.Float64, 4)),
                          "model_fingerprint": ["bbbb2222", "bbbb2222"]})
    with pytest.raises(MeasureError, match=r"model\(s\) \['bbbb2222'\], expected model aaaa1111"):
        project_axis(axis, frame)
    same = frame.with_columns(pl.lit("aaaa1111").alias("model_fingerprint"))
    assert project_axis(axis, same).height == 2
