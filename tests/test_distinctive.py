"""Fightin' Words (Monroe et al. 2008) and G² keyness: hand-computed tables, seeds, plot bytes."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from toolkit.distinctive import MeasureError, fightin_words, g2_table, keyness_g2, log_odds_dirichlet, plot_fightin_words


def _toy() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Group A says tariff x10, drill x5, summit x5; group B tariff x4, drill x10, summit x6."""
    paragraphs = pl.DataFrame(
        {
            "article_id": ["a1", "a2", "b1"],
            "text": ["tariff " * 6 + "drill " * 5, "tariff " * 4 + "summit " * 5, "tariff " * 4 + "drill " * 10 + "summit " * 6],
        }
    )
    groups = pl.DataFrame(
        {"article_id": ["a1", "a2", "b1"], "outlet": ["A", "A", "B"], "story_id": ["a1", "a2", "b1"], "duplicate_of": [None] * 3},
        schema_overrides={"duplicate_of": pl.String},
    )
    return paragraphs, groups


def test_fightin_words_matches_hand_arithmetic_on_a_2x3_table():
    # counts:        tariff drill summit | n
    #   A              10     5     5    | 20
    #   B               4    10     6    | 20
    # informative prior, alpha0 = 40: alpha_w = 40 * corpus share = (14, 15, 11)
    # tariff: delta = ln((10+14)/(20+40-10-14)) - ln((4+14)/(20+40-4-14))
    #               = ln(24/36) - ln(18/42) = -0.405465 + 0.847298 = 0.441833
    #         var   = 1/24 + 1/18 = 0.097222 ;  z = 0.441833 / 0.311805 = 1.417018
    # drill:  delta = ln(20/40) - ln(25/35) = -0.693147 + 0.336472 = -0.356675
    #         var   = 1/20 + 1/25 = 0.09 ;      z = -0.356675 / 0.3 = -1.188916
    # summit: delta = ln(16/44) - ln(17/43) = -1.011601 + 0.927987 = -0.083614
    #         var   = 1/16 + 1/17 = 0.121324 ;  z = -0.083614 / 0.348315 = -0.240053
    hand = {
        "tariff": (math.log(24 / 36) - math.log(18 / 42), 1 / 24 + 1 / 18),
        "drill": (math.log(20 / 40) - math.log(25 / 35), 1 / 20 + 1 / 25),
        "summit": (math.log(16 / 44) - math.log(17 / 43), 1 / 16 + 1 / 17),
    }
    assert hand["tariff"][0] / math.sqrt(hand["tariff"][1]) == pytest.approx(1.417018, abs=1e-6)
    assert hand["drill"][0] / math.sqrt(hand["drill"][1]) == pytest.approx(-1.188916, abs=1e-6)
    assert hand["summit"][0] / math.sqrt(hand["summit"][1]) == pytest.approx(-0.240053, abs=1e-6)

    delta, var, z = log_odds_dirichlet([10, 5, 5], [4, 10, 6], [14, 15, 11])
    for i, term in enumerate(["tariff", "drill", "summit"]):
        assert delta[i] == pytest.approx(hand[term][0], abs=1e-12)
        assert var[i] == pytest.approx(hand[term][1], abs=1e-12)

    paragraphs, groups = _toy()
    result = fightin_words(paragraphs, groups, group_a="A", group_b="B", alpha0=40, min_count=1)
    assert result["term"].to_list() == ["tariff", "summit", "drill"]  # sorted by z
    for row in result.iter_rows(named=True):
        d, v = hand[row["term"]]
        assert (row["count_a"], row["count_b"]) == {"tariff": (10, 4), "drill": (5, 10), "summit": (5, 6)}[row["term"]]
        assert row["log_odds"] == pytest.approx(d, abs=1e-12)
        assert row["variance"] == pytest.approx(v, abs=1e-12)
        assert row["z"] == pytest.approx(d / math.sqrt(v), abs=1e-12)
        assert row["estimate"] == row["z"]
        assert row["p_token"] == pytest.approx(math.erfc(abs(row["z"]) / math.sqrt(2)), abs=1e-12)
    first = result.row(0, named=True)
    assert (first["n_articles_a"], first["n_paragraphs_a"], first["n_articles_b"], first["n_paragraphs_b"]) == (2, 2, 1, 1)
    assert (first["n_articles"], first["n_paragraphs"]) == (3, 3)
    assert first["group_b"] == "B" and first["wire_policy"] == "merge"
    # three articles, one of them b: the article-level permutation has 3 distinct labellings,
    # so p is at least 1/3 whatever the token counts say (token p for tariff: 0.156)
    assert (result["p_value"] >= 1 / 3 - 1e-9).all()
    # BH across the three terms: p sorted ascending, p_(i) * 3 / i, then running minimum from the top
    p = np.sort(result["p_value"].to_numpy())
    expected_q = np.minimum.accumulate((p * 3 / np.arange(1, 4))[::-1])[::-1]
    assert np.sort(result["q_value"].to_numpy()) == pytest.approx(np.minimum(expected_q, 1.0))


def test_uniform_prior_and_one_vs_rest():
    paragraphs, groups = _toy()
    # uniform: alpha_w = 30 / 3 = 10 for every term
    result = fightin_words(paragraphs, groups, group_a="B", prior="uniform", alpha0=30, min_count=1)
    tariff = result.filter(pl.col("term") == "tariff").row(0, named=True)
    d = math.log(14 / (20 + 30 - 14)) - math.log(20 / (20 + 30 - 20))
    assert tariff["log_odds"] == pytest.approx(d) and tariff["group_b"] == "(rest)"
    assert tariff["count_a"] == 4 and tariff["count_b"] == 10


def test_g2_equals_scipy_log_likelihood_without_yates():
    from scipy.stats import chi2_contingency

    # term: 10 of 20 tokens in A, 4 of 20 in B
    g2, sign = g2_table([10], [4], 20, 20)
    stat, p, dof, _ = chi2_contingency(np.array([[10, 4], [10, 16]]), correction=False, lambda_="log-likelihood")
    assert dof == 1 and g2[0] == pytest.approx(stat, rel=1e-12) and sign[0] == 1
    # by hand: E = (7, 7, 13, 13); G2 = 2 * (10 ln(10/7) + 4 ln(4/7) + 10 ln(10/13) + 16 ln(16/13))
    hand = 2 * (10 * math.log(10 / 7) + 4 * math.log(4 / 7) + 10 * math.log(10 / 13) + 16 * math.log(16 / 13))
    assert g2[0] == pytest.approx(hand, rel=1e-12)
    # a zero cell is fine (0 log 0 = 0) and still agrees with scipy
    g2z, _ = g2_table([0], [5], 30, 25)
    assert g2z[0] == pytest.approx(chi2_contingency(np.array([[0, 5], [30, 20]]), correction=False, lambda_="log-likelihood")[0])

    paragraphs, groups = _toy()
    key = keyness_g2(paragraphs, groups, group_a="A", group_b="B", min_count=1)
    assert key.filter(pl.col("term") == "tariff")["g2"][0] == pytest.approx(stat)
    assert key.filter(pl.col("term") == "tariff")["p"][0] == pytest.approx(p)
    assert key.filter(pl.col("term") == "drill")["signed_g2"][0] < 0


@pytest.fixture(scope="module")
def seeds():
    from tests.conftest import seed_embedded
    from toolkit.analysis import analysis_paragraphs

    articles, paragraphs, _ = seed_embedded()
    return articles, analysis_paragraphs(articles, paragraphs)


def test_seed_korea_herald_vs_rest_and_agreement_with_g2(seeds):
    from scipy.stats import spearmanr

    articles, paragraphs = seeds
    fw = fightin_words(paragraphs, articles, group_a="Korea Herald")
    key = keyness_g2(paragraphs, articles, group_a="Korea Herald")
    row = fw.row(0, named=True)
    # merged: Korea Herald's copy of the Yonhap story is not counted (11 articles, not 12)
    assert (row["n_articles_a"], row["n_articles_b"], row["n_paragraphs_a"], row["n_paragraphs_b"]) == (11, 6, 72, 27)
    # Token z still ranks "north" (the other outlets' July coverage is the military meeting) far down,
    # but 17 articles cannot carry a term through FDR at the article level.
    assert fw.filter(pl.col("term") == "north")["z"][0] < -4
    assert fw["q_value"].min() >= 0.05 and fw["p_token"].min() < 1e-4
    assert fw["term"][0] == "lee"  # Korea Herald writes about President Lee
    both = fw.join(key, on="term")
    assert both.height == fw.height
    rho = spearmanr(both["z"], both["signed_g2"]).statistic
    assert rho > 0.95
    top_fw = set(fw.sort("z", descending=True).head(20)["term"])
    top_g2 = set(key.sort("signed_g2", descending=True).head(20)["term"])
    assert len(top_fw & top_g2) >= 15
    assert fw.equals(fightin_words(paragraphs, articles, group_a="Korea Herald"))


def test_country_grouping_and_errors(seeds):
    articles, paragraphs = seeds
    kr_jp = fightin_words(paragraphs, articles, group_a="KR", group_b="JP", by="outlet_country")
    assert kr_jp["n_articles_b"][0] == 2 and kr_jp["group_b"][0] == "JP"
    with pytest.raises(MeasureError, match="got group 'Nowhere'"):
        fightin_words(paragraphs, articles, group_a="Nowhere")
    with pytest.raises(MeasureError, match="expected two different groups"):
        fightin_words(paragraphs, articles, group_a="NHK", group_b="NHK")
    with pytest.raises(MeasureError, match="expected 'informative' or 'uniform'"):
        fightin_words(paragraphs, articles, group_a="NHK", prior="flat")


def test_plot_is_byte_identical(seeds, tmp_path):
    articles, paragraphs = seeds
    fw = fightin_words(paragraphs, articles, group_a="Korea Herald")
    plot_fightin_words(fw, path=tmp_path / "one")
    plot_fightin_words(fw, path=tmp_path / "two")
    for ext in ("png", "svg"):
        one, two = ((tmp_path / f"{n}.{ext}").read_bytes() for n in ("one", "two"))
        assert one == two and len(one) > 1000


def _clustered_corpus(seed: int, *, plant: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """6 outlets x 8 articles; each article repeats a few topic words many times (tokens are not independent).

    Outlet labels are assigned to articles at random: there is no outlet effect unless ``plant``
    is given, in which case every article of outlet "o0" uses that word three times.
    """
    rng = np.random.default_rng(seed)
    vocab = [f"zq{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(120)]  # letters only: the tokeniser drops numbers
    weights = 1.0 / np.arange(1, 121)
    weights /= weights.sum()
    ids, texts, outlets = [], [], []
    for a in range(48):
        topic = rng.choice(vocab, size=4, replace=False, p=weights)
        words = list(rng.choice(vocab, size=30, p=weights)) + [t for t in topic for _ in range(rng.integers(8, 20))]
        outlet = f"o{a % 6}"
        if plant and outlet == "o0":
            words += [plant] * 3
        ids.append(f"a{a:02d}")
        texts.append(" ".join(rng.permutation(words)))
        outlets.append(outlet)
    outlets = list(rng.permutation(outlets)) if not plant else outlets
    paragraphs = pl.DataFrame({"article_id": ids, "text": texts})
    groups = pl.DataFrame({"article_id": ids, "outlet": outlets, "story_id": ids, "duplicate_of": [None] * len(ids)},
                          schema_overrides={"duplicate_of": pl.String})
    return paragraphs, groups


def test_null_tables_rarely_report_any_term_at_q_below_005():
    # Outlet labels shuffled over articles: no real effect. Token-level p fires in most tables;
    # the article-level permutation keeps the share of tables with any q < 0.05 near alpha.
    from toolkit.stats import bh_fdr

    any_q, any_token_q, p_all = [], [], []
    for rep in range(30):
        paragraphs, groups = _clustered_corpus(rep)
        fw = fightin_words(paragraphs, groups, group_a="o0", seed=rep)
        any_q.append(bool((fw["q_value"] < 0.05).any()))
        any_token_q.append(bool((bh_fdr(fw["p_token"].to_numpy()) < 0.05).any()))
        p_all.extend(fw["p_value"].to_list())
    assert sum(any_q) <= 4  # expected about 1.5 of 30 at alpha 0.05
    assert sum(any_token_q) >= 20  # the old, token-level q
    p = np.array(p_all)
    assert 0.02 <= (p < 0.05).mean() <= 0.08


def test_a_planted_word_is_found():
    for seed in range(3):
        paragraphs, groups = _clustered_corpus(seed, plant="tariffs")
        fw = fightin_words(paragraphs, groups, group_a="o0", seed=seed)
        hit = fw.filter(pl.col("q_value") < 0.05)["term"].to_list()
        assert hit == ["tariffs"]
        # it runs the full planned count and reaches q = alpha / 10, although token z may rank a
        # word that a few articles repeat above it (z is an effect size, not a test)
        best = fw.sort("p_value").row(0, named=True)
        assert best["term"] == "tariffs" and best["n_perm"] == fw["n_perm"].max() and best["q_value"] <= 0.005 + 1e-9
