from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tests.conftest import seed_embedded
from toolkit.frames import FramingError
from toolkit.engine import ENGINE_COLUMNS, MeasureError, PermutationWarning
from toolkit.shares import outlet_shares
from toolkit.stats import bootstrap_articles, permute_article_labels


def toy(rows: list[tuple[str, str, str]]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(outlet, article, category) per paragraph -> assignments, paragraphs, articles."""
    pids = [f"{a}-{i:03d}" for i, (_, a, _) in enumerate(rows)]
    assignments = pl.DataFrame({"paragraph_id": pids, "frame": [c for *_, c in rows]})
    paragraphs = pl.DataFrame({"paragraph_id": pids, "article_id": [a for _, a, _ in rows]})
    seen = dict.fromkeys((o, a) for o, a, _ in rows)
    articles = pl.DataFrame(
        {
            "article_id": [a for _, a in seen],
            "outlet": [o for o, _ in seen],
            "outlet_country": ["KR" if o == "X" else "JP" for o, _ in seen],
            "story_id": [a for _, a in seen],
            "duplicate_of": [None] * len(seen),
        },
        schema_overrides={"duplicate_of": pl.String},
    )
    return assignments, paragraphs, articles


# X: x1 = A A B, x2 = B ; Y: y1 = A B ; Z: z1 = B B B, z2 = A
THREE = [("X", "x1", "A"), ("X", "x1", "A"), ("X", "x1", "B"), ("X", "x2", "B"), ("Y", "y1", "A"), ("Y", "y1", "B")]
THREE += [("Z", "z1", "B"), ("Z", "z1", "B"), ("Z", "z1", "B"), ("Z", "z2", "A")]


def test_three_outlet_toy_by_hand():
    with pytest.warns(PermutationWarning, match="q < alpha is impossible"):  # 6 tests, 99 permutations: q >= 0.06
        out = outlet_shares(*toy(THREE), n_boot=500, n_perm=99, seed=1, interval="bootstrap", min_ci_articles=2)
    assert out.columns[:2] == ["outlet", "category"] and out.height == 6
    assert tuple(out.columns[2:17]) == ENGINE_COLUMNS
    a = out.filter(pl.col("category") == "A")
    assert a["outlet"].to_list() == ["X", "Y", "Z"]
    assert a["estimate"].to_list() == pytest.approx([2 / 4, 1 / 2, 1 / 4])
    assert a["pooled_share"].to_list() == pytest.approx([0.4] * 3)
    assert a["n_articles"].to_list() == [2, 1, 2] and a["n_paragraphs"].to_list() == [4, 2, 4]
    # leave one article out: X without x1 -> 0/1, without x2 -> 2/3; Z: 1/1 and 0/3
    assert a["loao_min"].to_list()[0] == 0 and a["loao_max"].to_list()[0] == pytest.approx(2 / 3)
    assert a["loao_max"][2] == 1 and a["loao_min"][2] == 0 and a["loao_min"][1] is None
    # X resamples {x1,x1} 4/6, {x1,x2} 2/4, {x2,x2} 0: the 95% band spans 0 .. 2/3
    assert a["ci_low"][0] == 0 and a["ci_high"][0] == pytest.approx(2 / 3)
    assert np.isnan(a["ci_low"][1])  # one article: nothing to resample
    assert ((out["p_value"] > 0) & (out["p_value"] <= 1) & (out["q_value"] >= out["p_value"])).all()
    assert set(out["wire_policy"]) == {"merge"} and set(out["category_column"]) == {"frame"}
    assert set(out["n_perm"]) == {99} and set(out["seed"]) == {1}
    with pytest.warns(PermutationWarning):
        again = outlet_shares(*toy(THREE), n_boot=500, n_perm=99, seed=1, interval="bootstrap", min_ci_articles=2)
    assert again.equals(out)  # seeded, deterministic
    # at the default minimum (Wilson: 5 articles) none of these small outlets gets an interval
    default = outlet_shares(*toy(THREE), n_boot=500, n_perm=0, seed=1)
    assert default["ci_low"].is_nan().all() and default["ci_reason"].str.starts_with("fewer than 5 articles").all()


def test_bootstrap_resamples_articles_not_paragraphs():
    # two long articles of opposite frames: paragraph resampling would give ~[0.28, 0.72]
    rows = [("X", "a", "A") for _ in range(10)] + [("X", "b", "B") for _ in range(10)]
    rows += [("Y", "c", "A"), ("Y", "d", "B")]
    out = outlet_shares(*toy(rows), n_boot=2000, n_perm=0, interval="bootstrap", min_ci_articles=2).filter((pl.col("outlet") == "X") & (pl.col("category") == "A"))
    assert out["estimate"].item() == 0.5
    assert (out["ci_low"].item(), out["ci_high"].item()) == (0.0, 1.0)
    rng = np.random.default_rng(0)
    flags = np.array([1.0] * 10 + [0.0] * 10)
    para = np.quantile([rng.choice(flags, 20).mean() for _ in range(2000)], [0.025, 0.975])
    assert para[0] > 0.2 and para[1] < 0.8  # the narrower, wrong interval
    assert out["p_value"].item() is None and out["n_perm"].item() == 0


def test_same_draws_as_the_shared_helpers():
    rng = np.random.default_rng(7)
    rows = [("X", f"x{rng.integers(6)}", "AB"[rng.integers(2)]) for _ in range(40)] + [("Y", "y", "A")]
    assignments, paragraphs, articles = toy(rows)
    out = outlet_shares(assignments, paragraphs, articles, n_boot=300, n_perm=0, seed=3, interval="bootstrap", min_ci_articles=2)
    got = out.filter((pl.col("outlet") == "X") & (pl.col("category") == "A"))
    x = assignments.join(paragraphs, on="paragraph_id").filter(pl.col("article_id").str.starts_with("x"))
    is_a = (x["frame"] == "A").to_numpy().astype(float)
    est, low, high = bootstrap_articles(["X"] * x.height, x["article_id"].to_list(), lambda i: is_a[i].mean(), n_boot=300, seed=3)
    assert (got["estimate"].item(), got["ci_low"].item(), got["ci_high"].item()) == pytest.approx((est, low, high), abs=1e-12)
    # with one row per article, permute_article_labels is a plain permutation of the labels
    labels = np.array(["X", "X", "Y", "Z"], dtype=object)
    a = permute_article_labels(labels, ["1", "2", "3", "4"], rng=np.random.default_rng(5))
    assert a.tolist() == np.random.default_rng(5).permutation(labels).tolist()


def test_no_outlet_effect_gives_calibrated_p_values():
    # 20 synthetic corpora, 8 outlets x 6 articles x 1-6 paragraphs; an article's
    # paragraphs share a frame most of the time (clustered), outlets do not matter
    p_values, q_values = [], []
    for rep in range(20):
        rng = np.random.default_rng(100 + rep)
        rows = []
        for o in range(8):
            for a in range(6):
                main = "ABCD"[rng.integers(4)]
                for _ in range(rng.integers(1, 7)):
                    rows.append((f"o{o}", f"o{o}a{a}", main if rng.random() < 0.8 else "ABCD"[rng.integers(4)]))
        out = outlet_shares(*toy(rows), n_boot=20, seed=rep)
        p_values.extend(out["p_value"].to_list())
        q_values.extend(out["q_value"].to_list())
    p, q = np.array(p_values), np.array(q_values)
    assert p.size == 640
    assert 0.02 <= (p < 0.05).mean() <= 0.09
    assert (q < 0.05).mean() <= 0.02


def test_seed_outlet_frames():
    from tests.test_frames import seed_frames

    articles, paragraphs, _ = seed_embedded()
    frames = seed_frames()
    out = outlet_shares(frames, paragraphs, articles, n_boot=400)
    assert out["outlet"].n_unique() == 7 and out.height == 7 * out["category"].n_unique()
    assert np.allclose(out.group_by("outlet").agg(pl.col("estimate").sum())["estimate"], 1.0)
    kh = out.filter(pl.col("outlet") == "Korea Herald")
    assert kh["n_articles"][0] == 11  # 13 minus its same-outlet copy and its Yonhap copy
    hans = out.filter((pl.col("outlet") == "Hans India") & (pl.col("category") == "Security and defense"))
    assert hans["estimate"].item() == 1.0 and np.isnan(hans["ci_low"].item())
    keep = outlet_shares(frames, paragraphs, articles, n_boot=50, n_perm=0, wire_policy="keep")
    assert keep.filter(pl.col("outlet") == "Korea Herald")["n_articles"][0] == 12
    assert set(keep["wire_policy"]) == {"keep"}
    # 7 outlets, most with one article: nothing survives the FDR correction
    assert (out["q_value"] >= 0.05).all()
    country = outlet_shares(frames, paragraphs, articles, by="country", n_boot=50, n_perm=0)
    assert set(country["outlet_country"]) == {"KR", "IN", "JP", "HK", "CA", "SG"}


def test_bad_input():
    assignments, paragraphs, articles = toy(THREE)
    with pytest.raises(FramingError, match="more than one 'frame'"):
        outlet_shares(pl.concat([assignments, assignments]), paragraphs, articles)
    with pytest.raises(MeasureError, match="got by='site'"):  # one error type for every measure
        outlet_shares(assignments, paragraphs, articles, by="site")
    with pytest.raises(FramingError, match="lacks \\['cluster'\\]"):
        outlet_shares(assignments, paragraphs, articles, category="cluster")


def _power_corpus(seed: int, *, planted: float) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """20 outlets x 10 articles x 5 paragraphs, 5 categories; category "T" at 5% everywhere,
    at ``planted`` in outlet o00's articles."""
    rng = np.random.default_rng(seed)
    rows = []
    for o in range(20):
        for a in range(10):
            for _ in range(5):
                rate = planted if o == 0 else 0.05
                rows.append((f"o{o:02d}", f"o{o:02d}a{a}", "T" if rng.random() < rate else "ABCD"[rng.integers(4)]))
    return toy(rows)


def test_power_share_from_5_to_30_percent_in_a_10_article_outlet():
    # 100 tests (20 outlets x 5 categories): 999 fixed permutations cannot give q < 0.05
    # (smallest q 100/1000 = 0.1); the planned count (19,999) can.
    found = 0
    for seed in range(5):
        out = outlet_shares(*_power_corpus(seed, planted=0.30), n_boot=10, seed=seed)
        row = out.filter((pl.col("outlet") == "o00") & (pl.col("category") == "T"))
        found += row["q_value"].item() < 0.05
        assert row["n_perm"].item() == 19999
    assert found >= 4
    with pytest.warns(PermutationWarning, match="smallest attainable BH q of a lone effect is 0.1"):
        fixed = outlet_shares(*_power_corpus(0, planted=0.30), n_boot=10, n_perm=999, seed=0)
    assert fixed["q_value"].min() >= 0.1 - 1e-9


def test_wilson_interval_on_the_clustered_effective_size_by_hand():
    from scipy.stats import t as student

    # X: 8 one-paragraph articles, 2 of them "A" -> r = 0.25; clustered variance r(1-r)/(n-1) over the
    # binomial r(1-r)/n gives deff = n/(n-1), so n_eff = n - 1 = 7, with t on 7 df
    rows = [("X", f"x{i}", "A" if i < 2 else "B") for i in range(8)] + [("Y", f"y{i}", "AB"[i % 2]) for i in range(6)]
    out = outlet_shares(*toy(rows), n_perm=0).filter(pl.col("outlet") == "X")
    z, r, n_eff = student.ppf(0.975, 7), 0.25, 7.0
    centre = (r + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z * np.sqrt(r * (1 - r) / n_eff + z * z / (4 * n_eff**2)) / (1 + z * z / n_eff)
    a = out.filter(pl.col("category") == "A").row(0, named=True)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((centre - half, centre + half), abs=1e-12)
    assert "Wilson" in a["method"] and a["ci_reason"] is None
    # a category the outlet never uses still gets an honest, non-zero-width interval
    rows += [("Y", "y9", "C")]
    zero = outlet_shares(*toy(rows), n_perm=0).filter((pl.col("outlet") == "X") & (pl.col("category") == "C")).row(0, named=True)
    assert zero["estimate"] == 0 and zero["ci_low"] == 0 and zero["ci_high"] > 0.1
    with pytest.raises(MeasureError, match="got interval='exact'"):
        outlet_shares(*toy(rows), interval="exact")
