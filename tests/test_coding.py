"""Coding workflow: stratified sample, coding sheets, several coders read back, adjudication."""

from __future__ import annotations

import polars as pl
import pytest

from tests.conftest import seed_embedded
from toolkit.codebook import load_codebook
from toolkit.coding import adjudicate, coding_sample, read_codings, write_coding_sheet
from toolkit.frames import FramingError


def _articles(n_per_outlet=(30, 6, 2)):
    rows = []
    for k, n in enumerate(n_per_outlet):
        for i in range(n):
            rows.append({"article_id": f"o{k}-{i:02d}", "outlet": f"Outlet {k}", "published": f"2025-0{1 + i % 2}-15"})
    return pl.DataFrame(rows)


def test_sample_is_stratified_seeded_and_records_inclusion():
    articles = _articles()
    sample = coding_sample(articles, 12, seed=3)
    assert sample.height == 12 and sample["article_id"].is_unique().all()
    assert sample.equals(coding_sample(articles, 12, seed=3))
    assert not sample.equals(coding_sample(articles, 12, seed=4))
    # every outlet x month stratum (3 x 2) gets at least one article, even the 2-article outlet
    assert sample["stratum"].n_unique() == 6
    small = sample.filter(pl.col("stratum").str.starts_with("Outlet 2"))
    assert small.height == 2 and (small["inclusion_prob"] == 1.0).all()
    # inclusion probabilities are the realised stratum fractions
    check = sample.group_by("stratum").agg(pl.len(), pl.col("stratum_size").first(), pl.col("inclusion_prob").first())
    assert (check["len"] / check["stratum_size"] - check["inclusion_prob"]).abs().max() < 1e-12
    assert sorted(sample["coding_order"].to_list()) == list(range(12))
    with pytest.raises(FramingError, match="got n=100"):
        coding_sample(articles, 100)


def test_sample_by_score_band_and_warning_for_empty_strata():
    articles = _articles((20,))
    scores = pl.DataFrame({"article_id": articles["article_id"], "frame": ["F"] * 20, "z": [float(i) for i in range(20)]})
    sample = coding_sample(articles, 9, scores=scores, date_column=None)
    assert sample["stratum"].n_unique() == 3 and sample.group_by("stratum").len()["len"].to_list() == [3, 3, 3]
    with pytest.warns(UserWarning, match="strata get no coded article"):
        coding_sample(_articles(), 3)


def test_sheet_round_trip_with_two_coders(tmp_path):
    articles, paragraphs, _ = seed_embedded()
    canonical = articles.filter(pl.col("duplicate_of").is_null())
    sample = coding_sample(canonical, 5, by=None, date_column=None, seed=0)
    book = load_codebook("generic")
    paths = []
    for coder, flip in (("ann", 0), ("bob", 1)):
        path = write_coding_sheet(sample, articles, paragraphs, tmp_path / f"{coder}.csv", codebook=book, coder=coder)
        sheet = pl.read_csv(path, infer_schema=False)
        assert sheet["article_id"].to_list() == sample["article_id"].to_list()
        assert set(book.frame_names) <= set(sheet.columns) and (sheet["codebook_sha256"] == book.sha256).all()
        assert sheet["text"].str.len_chars().min() > 100
        # a coder fills the sheet: Conflict 1 for the first two articles, 0 otherwise; bob disagrees on the first
        filled = sheet.with_columns(
            pl.Series("Conflict", ["1", "1", "0", "0", "0"] if not flip else ["0", "1", "0", "0", "0"]),
            pl.Series("Morality", ["yes", "", "", "no", ""]),
        )
        filled.write_csv(path)
        paths.append(path)
    assert (tmp_path / "ann.codebook.csv").exists()
    codings = read_codings(paths)
    assert set(codings["coder"]) == {"ann", "bob"}
    assert codings.filter(pl.col("frame") == "Conflict").height == 10 and codings.filter(pl.col("frame") == "Morality").height == 4
    gold = adjudicate(codings)
    first = sample["article_id"][0]
    conflict = gold.filter((pl.col("frame") == "Conflict") & (pl.col("article_id") == first)).row(0, named=True)
    assert conflict["value"] is None and conflict["source"] == "unresolved"  # one coder each way
    decided = adjudicate(codings, decisions=pl.DataFrame({"article_id": [first], "frame": ["Conflict"], "value": [1]}))
    assert decided.filter((pl.col("frame") == "Conflict") & (pl.col("article_id") == first))["source"][0] == "adjudicated"
    assert adjudicate(codings, rule="any").filter((pl.col("frame") == "Conflict") & (pl.col("article_id") == first))["value"][0] == 1
    assert adjudicate(codings, rule="all").filter((pl.col("frame") == "Conflict") & (pl.col("article_id") == first))["value"][0] == 0


def test_sheet_neutralises_formulas_and_bad_cells_are_located(tmp_path):
    articles = pl.DataFrame({"article_id": ["a"], "outlet": ["X"], "title": ["=HYPERLINK(\"http://evil\")"]})
    paragraphs = pl.DataFrame({"paragraph_id": ["a-0"], "article_id": ["a"], "position": [0], "text": ["+1 shocking"]})
    sample = pl.DataFrame({"article_id": ["a"]})
    path = write_coding_sheet(sample, articles, paragraphs, tmp_path / "s.csv", codebook="generic", coder="c")
    sheet = pl.read_csv(path, infer_schema=False)
    assert sheet["title"][0].startswith("'=") and sheet["text"][0].startswith("'+")
    sheet.with_columns(pl.lit("maybe").alias("Conflict")).write_csv(path)
    with pytest.raises(FramingError, match=r"line 2, column 'Conflict': got 'maybe'"):
        read_codings(path)
    sheet.with_columns(pl.lit("deadbeef").alias("codebook_sha256")).write_csv(path)
    with pytest.raises(FramingError, match="written with codebook deadbeef"):
        read_codings(path)


def test_allocation_keeps_one_per_stratum_and_fills_n():
    # strata of 1, 1 and 40 articles, n = 5: the two small strata keep their article, the large one takes the rest
    articles = pl.DataFrame({"article_id": [f"a{i:02d}" for i in range(42)], "outlet": ["S1", "S2"] + ["L"] * 40})
    sample = coding_sample(articles, 5, date_column=None)
    counts = dict(sample.group_by("stratum").len().iter_rows())
    assert counts == {"S1": 1, "S2": 1, "L": 3}
    assert coding_sample(articles, 42, date_column=None).height == 42  # every article when n = N
