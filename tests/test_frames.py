from __future__ import annotations

import functools
import tempfile

import numpy as np
import polars as pl
import pytest

from tests.conftest import seed_embedded
from toolkit.analysis import analysis_paragraphs
from toolkit.codebook import load_codebook
from toolkit.frames import (
    FramingError,
    article_frames,
    lexicon_frames,
    load_frames,
    pooled_article_scores,
    score_frames,
    title_paragraphs,
)

POLICY_FRAMES = [
    "Economic",
    "Capacity and resources",
    "Morality",
    "Fairness and equality",
    "Legality, constitutionality and jurisprudence",
    "Policy prescription and evaluation",
    "Crime and punishment",
    "Security and defense",
    "Health and safety",
    "Quality of life",
    "Cultural identity",
    "Public opinion",
    "Political",
    "External regulation and reputation",
]
TYCOONS = "2024b02c83c77db1"  # Korea Herald, 'Korean tycoons to join Lee for Trump summit'
CHIEFS = ("041bcafb32a81fae", "97626fdcbf5c9ac1")  # 'Military chiefs ... vow to strengthen trilateral security ...'


@functools.cache
def cache_dir() -> str:
    """One private embedding cache per test process (prototypes and headlines)."""
    return tempfile.mkdtemp(prefix="toolkit-framing-cache-")


@functools.cache
def seed_frames() -> pl.DataFrame:
    articles, paragraphs, embeddings = seed_embedded()
    return score_frames(analysis_paragraphs(articles, paragraphs), embeddings, cache=cache_dir())


def test_frames_file_has_the_14_policy_frames_and_5_generic():
    protos = load_frames()
    policy = protos.filter(pl.col("typology") == "policy_frames")
    assert policy["frame"].unique(maintain_order=True).to_list() == POLICY_FRAMES
    assert policy["code"].unique(maintain_order=True).to_list() == list(range(1, 15))
    assert protos.filter(pl.col("typology") == "generic")["frame"].n_unique() == 5
    assert (protos["sentence"].str.len_chars() > 20).all()
    assert protos.group_by("frame", "typology").len()["len"].min() >= 3
    assert protos["prototype_id"].is_unique().all()


def test_bad_frames_file(tmp_path):
    path = tmp_path / "f.toml"
    path.write_text('[[frame]]\ntypology = "t"\ncode = 1\nname = "A"\nprototypes = []\n')
    with pytest.raises(FramingError, match="expected a non-empty list"):
        load_frames(path)
    with pytest.raises(FramingError, match="got typology 'nope'"):
        load_frames(typology="nope")


def test_seed_scores_shape_and_invariants():
    frames = seed_frames()
    articles, paragraphs, _ = seed_embedded()
    chosen = analysis_paragraphs(articles, paragraphs)
    assert frames.height == chosen.height * 14
    assert frames["paragraph_id"].unique(maintain_order=True).to_list() == chosen["paragraph_id"].to_list()
    per = frames.group_by("paragraph_id").agg(pl.col("score").sum(), pl.col("is_primary").sum(), pl.col("rank").min(), pl.col("is_member").sum())
    assert np.allclose(per["score"], 1.0)  # softmax: scores sum to one per paragraph
    assert (per["is_primary"] == 1).all() and (per["rank"] == 1).all()
    assert per["is_member"].is_between(1, 3).all()
    primary = frames.filter("is_primary")
    assert (primary["margin"] >= 0).all()
    assert (primary["ambiguous"] == (primary["margin"] < 0.01)).all()
    assert set(frames["calibration"]) == {"softmax"} and set(frames["typology"]) == {"policy_frames"}


def test_seed_primary_frames_robust_facts():
    frames = seed_frames()
    paragraphs = seed_embedded()[1]
    primary = frames.filter("is_primary").join(paragraphs.select("paragraph_id", "article_id"), on="paragraph_id")
    tycoons = primary.filter(pl.col("article_id") == TYCOONS)["frame"].to_list()
    assert tycoons.count("Economic") >= 3 and len(tycoons) == 4
    chiefs = primary.filter(pl.col("article_id").is_in(CHIEFS))["frame"].to_list()
    assert chiefs == ["Security and defense"] * 5
    # the two frames that dominate a diplomacy/defence corpus
    top2 = primary.group_by("frame").len().sort("len", descending=True)["frame"].head(2).to_list()
    assert set(top2) == {"External regulation and reputation", "Security and defense"}


def test_article_frames_with_headlines():
    articles, paragraphs, embeddings = seed_embedded()
    import toolkit

    chosen = analysis_paragraphs(articles, paragraphs)
    titles = title_paragraphs(articles.filter(pl.col("duplicate_of").is_null()))
    title_emb = toolkit.embed(titles, cache=cache_dir(), progress=False)
    frames = score_frames(
        pl.concat([chosen.select("paragraph_id"), titles.select("paragraph_id")]), pl.concat([embeddings, title_emb]), cache=cache_dir()
    )
    per = pooled_article_scores(frames, chosen, articles)
    with pytest.warns(PendingDeprecationWarning, match="old pooled-softmax call"):
        assert article_frames(frames, chosen, articles).equals(per)
    assert per["article_id"].n_unique() == 18
    primary = dict(per.filter("is_primary").select("article_id", "primary_frame").iter_rows())
    assert primary[TYCOONS] == "Economic"
    assert primary[CHIEFS[0]] == primary[CHIEFS[1]] == "Security and defense"
    assert np.allclose(per.group_by("article_id").agg(pl.col("score").sum())["score"], 1.0)
    assert per.filter(pl.col("article_id") == TYCOONS)["has_title"].all()


def test_article_weights_by_hand():
    frames = pl.DataFrame(
        {
            "paragraph_id": ["a-title", "a-title", "a-000", "a-000", "a-001", "a-001"],
            "frame": ["X", "Y"] * 3,
            "score": [1.0, 0.0, 0.0, 1.0, 0.0, 1.0],
        }
    )
    paragraphs = pl.DataFrame({"paragraph_id": ["a-000", "a-001"], "article_id": ["a", "a"], "position": [0, 1]})
    articles = pl.DataFrame({"article_id": ["a"]})
    per = pooled_article_scores(frames, paragraphs, articles, headline_weight=2.0, lead_weight=1.5)
    # X: 2*1 / (2 + 1.5 + 1) ; Y: (1.5 + 1) / 4.5
    assert per["frame"].to_list() == ["Y", "X"]
    assert per["score"].to_list() == pytest.approx([2.5 / 4.5, 2 / 4.5])
    assert per["primary_frame"].to_list() == ["Y", "Y"] and per["n_paragraphs"][0] == 2


def test_zscore_and_generic_and_max():
    articles, paragraphs, embeddings = seed_embedded()
    chosen = analysis_paragraphs(articles, paragraphs)
    z = score_frames(chosen, embeddings, calibration="zscore", cache=cache_dir())
    means = z.group_by("frame").agg(pl.col("score").mean(), pl.col("score").std(ddof=0).alias("sd"))
    assert np.allclose(means["score"], 0, atol=1e-9) and np.allclose(means["sd"], 1)
    generic = score_frames(chosen, embeddings, typology="generic", aggregate="max", cache=cache_dir())
    assert generic["frame"].n_unique() == 5 and generic.height == chosen.height * 5


def test_model_mismatch_is_a_clear_error():
    articles, paragraphs, embeddings = seed_embedded()
    chosen = analysis_paragraphs(articles, paragraphs)
    wrong = embeddings.with_columns(pl.lit("0123456789abcdef").alias("model_fingerprint"))
    with pytest.raises(FramingError, match=r"got embeddings from model 0123456789abcdef, expected the same model as the prototypes [0-9a-f]{16}"):
        score_frames(chosen, wrong, cache=cache_dir())
    with pytest.raises(FramingError, match="without an embedding"):
        score_frames(chosen, embeddings.head(3), cache=cache_dir())
    with pytest.raises(FramingError, match="got calibration='x'"):
        score_frames(chosen, embeddings, calibration="x")


# --- codebooks, lexicon and independent detectors ---------------------------


def test_lexicon_counts_by_hand():
    articles = pl.DataFrame({"article_id": ["a", "b"], "title": ["Tariffs hit the economy", None]})
    paragraphs = pl.DataFrame(
        {
            "paragraph_id": ["a-1", "a-2", "b-1"],
            "article_id": ["a", "a", "b"],
            "position": [0, 1, 0],
            "text": ["Economic costs rose.", "Troops stayed home.", "Nothing to see here at all"],
        }
    )
    lex = lexicon_frames(articles, paragraphs)
    econ = dict(lex.filter(pl.col("frame") == "Economic").select("article_id", "hits").iter_rows())
    # a: tariffs, economy, economic, costs (4 hits in 10 words); b: none
    assert econ == {"a": 4, "b": 0}
    row = lex.filter((pl.col("article_id") == "a") & (pl.col("frame") == "Economic")).row(0, named=True)
    assert row["n_words"] == 10 and row["score"] == pytest.approx(40.0) and row["detected"]
    assert lex["article_id"].to_list()[:14] == ["a"] * 14 and lex["frame"].to_list()[:14] == POLICY_FRAMES


def _fake_prototypes(monkeypatch, names, vectors):
    import toolkit.frames as frames_module

    owner = np.arange(len(names))
    monkeypatch.setattr(frames_module, "prototype_embeddings", lambda *a, **k: (names, owner, np.asarray(vectors, dtype=float)))


def test_top_k_pooling_and_headline_by_hand(monkeypatch):
    from toolkit.frames import prototype_scores

    _fake_prototypes(monkeypatch, ["X", "Y"], [[1, 0], [0, 1]])
    paragraphs = pl.DataFrame({"paragraph_id": ["a-0", "a-1", "a-2"], "article_id": ["a"] * 3})
    emb = pl.DataFrame(
        {"paragraph_id": ["a-0", "a-1", "a-2", "a-title"], "embedding": [[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [1.0, 0.0]], "model_fingerprint": ["m"] * 4}
    )
    articles = pl.DataFrame({"article_id": ["a"], "title": ["T"]})
    out = prototype_scores(articles, paragraphs, emb, codebook="generic", top_k=2, headline_weight=0.25)
    x, y = out.row(0, named=True), out.row(1, named=True)
    # X: top-2 of (1, 0.6, 0) = 0.8, headline 1 -> 0.75*0.8 + 0.25*1; Y: top-2 of (0, 0.8, 1) = 0.9, headline 0
    assert x["score"] == pytest.approx(0.85) and y["score"] == pytest.approx(0.675)
    assert x["n_paragraphs"] == 3
    no_title = prototype_scores(articles.drop("title"), paragraphs, emb, codebook="generic", top_k=5)
    assert no_title["score"].to_list() == pytest.approx([1.6 / 3, 1.8 / 3])  # fewer than k: all paragraphs


def test_detectors_on_the_seeds():
    articles, paragraphs, embeddings = seed_embedded()
    canonical = articles.filter(pl.col("duplicate_of").is_null())
    chosen = analysis_paragraphs(articles, paragraphs)
    out = article_frames(canonical, chosen, embeddings, cache=cache_dir())
    assert out.columns[:4] == ["article_id", "frame", "score", "detected"]
    assert out.height == canonical.height * 14
    assert out["article_id"].unique(maintain_order=True).to_list() == canonical["article_id"].to_list()
    detected = {(r["article_id"], r["frame"]) for r in out.filter("detected").iter_rows(named=True)}
    assert (CHIEFS[0], "Security and defense") in detected and (CHIEFS[1], "Security and defense") in detected
    assert (TYCOONS, "Economic") in detected and (TYCOONS, "Security and defense") not in detected
    # independent detectors: several frames per article, some articles none of a frame
    per = out.group_by("article_id").agg(pl.col("detected").sum())
    assert per["detected"].max() >= 2
    assert set(out["scorer"]) == {"detector:hybrid"} and out["codebook_sha256"][0] == load_codebook().sha256
    assert (out.filter("detected")["z"] >= 0).all() and (out.filter(~pl.col("detected"))["z"] < 0).all()
    # a frame's prototype score does not depend on the other frames of the codebook
    proto = article_frames(canonical, chosen, embeddings, method="prototype", cache=cache_dir())
    assert proto["score"].to_list() == out["prototype_score"].to_list()
    lex = article_frames(canonical, chosen, embeddings, method="lexicon", cache=cache_dir())
    assert lex["score"].to_list() == out["lexicon_score"].to_list()
    # absolute per-frame thresholds
    cut = dict.fromkeys(POLICY_FRAMES, 0.3)
    fixed = article_frames(canonical, chosen, embeddings, method="prototype", threshold=cut, cache=cache_dir())
    assert (fixed["detected"] == (fixed["score"] >= 0.3)).all()
    with pytest.raises(FramingError, match="expected exactly the codebook's frames"):
        article_frames(canonical, chosen, embeddings, threshold={"Economic": 0.2}, cache=cache_dir())
    # headlines are embedded when missing and scored
    assert out.filter(pl.col("article_id") == TYCOONS)["title_score"].is_not_null().all()
    generic = article_frames(canonical, chosen, embeddings, codebook="generic", cache=cache_dir())
    assert generic["frame"].unique(maintain_order=True).to_list() == load_codebook("generic").frame_names


def test_detector_model_mismatch_and_bad_options():
    articles, paragraphs, embeddings = seed_embedded()
    chosen = analysis_paragraphs(articles, paragraphs)
    wrong = embeddings.with_columns(pl.lit("0123456789abcdef").alias("model_fingerprint"))
    with pytest.raises(FramingError, match="got embeddings from model 0123456789abcdef"):
        article_frames(articles, chosen, wrong, cache=cache_dir())
    with pytest.raises(FramingError, match="got method='softmax'"):
        article_frames(articles, chosen, embeddings, method="softmax", cache=cache_dir())
    with pytest.raises(FramingError, match="got unexpected keyword arguments"):
        article_frames(articles, chosen, embeddings, lead_weight=2.0, cache=cache_dir())


def test_one_article_has_no_relative_detection():
    articles, paragraphs, embeddings = seed_embedded()
    one = articles.filter(pl.col("article_id") == TYCOONS)
    chosen = analysis_paragraphs(articles, paragraphs)
    with pytest.warns(UserWarning, match="no spread of scores"):
        out = article_frames(one, chosen, embeddings, cache=cache_dir())
    assert out["z"].is_null().all() and not out["detected"].any()
    fixed = article_frames(one, chosen, embeddings, method="prototype", threshold=dict.fromkeys(POLICY_FRAMES, 0.25), cache=cache_dir())
    assert fixed.filter(pl.col("frame") == "Economic")["detected"].item()
