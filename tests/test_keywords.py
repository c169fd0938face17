"""c-TF-IDF keywords: the BERTopic formula, stop words, bigrams, readable labels."""

from __future__ import annotations

import math

import polars as pl
import pytest

from toolkit import keywords as kw


def test_formula_matches_bertopic_definition():
    docs = pl.DataFrame({"c": [0, 0, 1], "text": ["missile missile launch", "missile", "tariff launch"]})
    scores = kw.class_tfidf(docs, by="c", ngram_max=1)
    # Class 0: missile x3, launch x1 (4 words); class 1: tariff, launch (2 words); A = int(6 / 2) = 3.
    got = {(c, t): s for c, t, s in scores.select("c", "term", "score").iter_rows()}
    assert got[(0, "missile")] == pytest.approx(3 / 4 * math.log(1 + 3 / 3))
    assert got[(0, "launch")] == pytest.approx(1 / 4 * math.log(1 + 3 / 2))
    assert got[(1, "tariff")] == pytest.approx(1 / 2 * math.log(1 + 3 / 1))
    assert scores.filter(pl.col("c") == 0)["term"].to_list() == ["missile", "launch"]
    assert scores["rank"].to_list() == [1, 2, 1, 2]


def test_stop_words_numbers_and_boilerplate_are_dropped():
    docs = pl.DataFrame({"c": ["a"], "text": ["He said on Thursday that 28,500 troops, according to officials, says the 3rd report."]})
    terms = kw.class_tfidf(docs, by="c")["term"].to_list()
    assert "troops" in terms and "officials" in terms
    assert not {"said", "says", "thursday", "according", "the", "report", "28", "500", "3rd"} & set(terms)


def test_bigrams_only_from_adjacent_content_words():
    docs = pl.DataFrame({"c": [1], "text": ["North Korea's chiefs of staff met. It was an opportunity. Nam spoke."]})
    terms = set(kw.class_tfidf(docs, by="c", top_n=50)["term"].to_list())
    assert "north korea" in terms
    assert "chiefs staff" not in terms  # "of" sits between them
    assert "opportunity nam" not in terms  # a full stop sits between them


def test_display_keeps_common_spelling():
    docs = pl.DataFrame({"c": [1, 1, 2], "text": ["Caine met Caine", "caine", "tariffs rise"]})
    scores = kw.class_tfidf(docs, by="c")
    assert scores.filter(pl.col("term") == "caine")["display"][0] == "Caine"


def test_readable_label_merges_unigrams_into_bigrams():
    assert kw.readable_label(["North", "Korea", "Caine", "North Korea", "chiefs"], n=3) == "North Korea, Caine, chiefs"
    assert kw.readable_label(["north korea", "north", "korea", "caine"], n=4) == "north korea, caine"
    assert kw.readable_label([], n=3) == ""


def test_class_labels_one_row_per_class():
    docs = pl.DataFrame(
        {
            "cluster": [0, 0, 1, 1, 2],
            "text": [
                "Military chiefs met in Seoul for trilateral talks.",
                "The trilateral chiefs meeting stressed deterrence.",
                "Tariffs on exports from Japan rose.",
                "Exporters fear new tariffs.",
                "",
            ],
        }
    )
    labels = kw.class_labels(docs, by="cluster", n_terms=3)
    assert labels["cluster"].to_list() == [0, 1, 2]
    assert "trilateral" in labels["label"][0] and "chiefs" in labels["label"][0]
    assert "tariffs" in labels["label"][1].lower()
    assert labels["label"][2] == ""


def test_errors():
    with pytest.raises(kw.KeywordError, match="expected a 'text' column"):
        kw.class_tfidf(pl.DataFrame({"c": [1]}), by="c")
    with pytest.raises(kw.KeywordError, match="top_n=0"):
        kw.class_tfidf(pl.DataFrame({"c": [1], "text": ["a"]}), by="c", top_n=0)
    empty = kw.class_tfidf(pl.DataFrame(schema={"c": pl.Int32, "text": pl.String}), by="c")
    assert empty.height == 0 and empty.schema["c"] == pl.Int32
