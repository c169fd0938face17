"""Golden tests on the five seed pages."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from toolkit import schema

from .conftest import SEEDS


def _by_title(articles: pl.DataFrame, fragment: str) -> pl.DataFrame:
    return articles.filter(pl.col("title").str.contains(fragment, literal=True))


def test_counts_and_schema(seed_corpus):
    a, p = seed_corpus.articles, seed_corpus.paragraphs
    assert a.schema == schema.ARTICLES
    assert p.schema == schema.PARAGRAPHS
    assert a.height == 20
    assert a.group_by("source_file").len().sort("source_file")["len"].to_list() == [4, 5, 2, 5, 4]
    assert a["placement"].value_counts().sort("placement").rows() == [("lead", 2), ("listing", 12), ("related", 6)]
    assert a["article_id"].n_unique() == a.height
    assert p["paragraph_id"].n_unique() == p.height
    # n_paragraphs agrees with the paragraphs frame
    counts = p.group_by("article_id").len()
    joined = a.join(counts, on="article_id")
    assert (joined["n_paragraphs"] == joined["len"]).all()


def test_input_order_is_kept(seed_corpus):
    a = seed_corpus.articles
    keys = list(zip(a["source_file"], a["line_start"], strict=True))
    assert keys == sorted(keys)


def test_layouts_detected(seed_corpus):
    files = {f["file"][:3]: f["layout"] for f in seed_corpus.report["files"]}
    assert files == {"000": "article", "001": "listing", "002": "listing", "003": "listing_header", "004": "article_header"}


def test_outlets_and_countries(seed_corpus):
    a = seed_corpus.articles
    got = dict(a.select("outlet", "outlet_country").unique().sort("outlet").iter_rows())
    assert got == {
        "CNA": "SG",
        "CTV News": "CA",
        "Hans India": "IN",
        "Japan Forward": "JP",
        "Korea Herald": "KR",
        "NHK": "JP",
        "South China Morning Post": "HK",
    }


@pytest.mark.parametrize(
    ("fragment", "published", "date_text", "basis"),
    [
        ("avoid thorny issues", dt.date(2025, 7, 10), "10-07-2025", "absolute"),
        ("Lee, Ishiba back 3-way", dt.date(2025, 6, 9), "09-06-2025", "absolute"),
        ("East Asia Faces Uneasy", dt.date(2025, 7, 14), "3 days ago", "relative"),
        ("stress security partnership", dt.date(2025, 7, 11), "6 days ago", "relative"),
        ("Defense chiefs of Japan, US", dt.date(2025, 7, 11), "time4 days ago", "relative"),
        ("PM nominee stresses", dt.date(2025, 6, 16), "6 days ago", "relative"),
        ("social media messages", dt.date(2025, 6, 21), "timea day ago", "relative"),
        ("Liberation Day speech", dt.date(2025, 8, 14), "6 hours ago", "relative"),
    ],
)
def test_dates(seed_corpus, fragment, published, date_text, basis):
    row = _by_title(seed_corpus.canonical(), fragment).row(0, named=True)
    assert (row["published"], row["date_text"], row["date_basis"]) == (published, date_text, basis)


def test_relative_dates_match_the_event_they_report(seed_corpus):
    """The 11 July meeting reports, dated relative to three different crawls, land on 11 July."""
    a = seed_corpus.articles.filter(pl.col("source_file").str.starts_with("003"), pl.col("outlet") != "South China Morning Post")
    assert a["published"].unique().to_list() == [dt.date(2025, 7, 11)]


def test_truncated_lead_is_a_duplicate_filled_from_canonical(seed_corpus):
    a = seed_corpus.articles
    lead = a.filter(pl.col("source_file").str.starts_with("000"), pl.col("placement") == "lead").row(0, named=True)
    original = a.filter(pl.col("source_file").str.starts_with("001"), pl.col("title").str.contains("avoid thorny")).row(0, named=True)
    assert lead["duplicate_of"] == original["article_id"]
    assert lead["story_id"] == original["article_id"]
    assert original["duplicate_of"] is None
    assert (lead["outlet"], lead["published"], lead["date_text"]) == ("Korea Herald", dt.date(2025, 7, 10), None)
    assert set(lead["filled_from_canonical"]) >= {"outlet", "published"}


def test_scmp_printed_twice_is_one_article(seed_corpus):
    scmp = seed_corpus.articles.filter(pl.col("outlet") == "South China Morning Post").sort("line_start")
    assert scmp.height == 2
    first, second = scmp.rows(named=True)
    assert first["title"] != second["title"]  # slightly different headlines
    assert first["duplicate_of"] is None and second["duplicate_of"] == first["article_id"]
    assert first["body"] == second["body"]  # "Advertisement" removed from the second copy


def test_syndicated_yonhap_story_shares_story_id_but_is_not_a_duplicate(seed_corpus):
    a = seed_corpus.articles.filter(pl.col("title").str.contains("vow to strengthen trilateral"))
    assert sorted(a["outlet"].to_list()) == ["Hans India", "Korea Herald"]
    assert a["story_id"].n_unique() == 1
    assert a["duplicate_of"].null_count() == 2
    report = seed_corpus.report["articles"]
    assert (report["duplicates"], report["syndicated_stories"]) == (2, 1)


def test_unrelated_coverage_of_one_event_is_not_merged(seed_corpus):
    event = seed_corpus.articles.filter(pl.col("published") == dt.date(2025, 7, 11))
    assert event.height >= 4
    assert event["story_id"].n_unique() == event.height


def test_bylines_wires_datelines(seed_corpus):
    a = seed_corpus.articles
    def get(fragment, col):
        return _by_title(a, fragment)[col].to_list()
    assert get("East Asia Faces Uneasy", "byline") == ["Kenji Yoshida"]
    assert get("hold aerial drill", "byline") == ["Hyung-jin Kim"]
    assert get("hold aerial drill", "wire") == ["The Associated Press"]
    assert get("hold aerial drill", "dateline") == ["SEOUL, South Korea"]
    assert get("top military chiefs meet in Seoul", "dateline") == ["SEOUL"]
    assert get("[Lee Byung-jong]", "byline") == ["Lee Byung-jong"]
    assert get("social media messages", "wire") == ["Yonhap"]
    assert sorted(a["wire"].drop_nulls().to_list()) == ["The Associated Press", "Yonhap", "Yonhap", "Yonhap", "Yonhap"]
    body = get("East Asia Faces Uneasy", "body")[0]
    assert "Author:" not in body and not body.rstrip().endswith("Kenji Yoshida")
    assert not any(b.rstrip().endswith("(Yonhap)") for b in a["body"])


def test_captions_are_moved_out_of_bodies(seed_corpus):
    a = seed_corpus.articles
    jf = _by_title(a, "East Asia Faces Uneasy").row(0, named=True)
    assert len(jf["captions"]) == 4
    assert all("(©" in c for c in jf["captions"])
    ctv = _by_title(a, "hold aerial drill").row(0, named=True)
    assert ctv["captions"][0].startswith("Gen, Yoshihide Yoshida, 1st right")
    assert ctv["captions"][0].endswith("(AP Photo/Ahn Young-joon, Pool)")
    assert ctv["body"].startswith("Top South Korean, U.S. and Japanese military officers")
    scmp = a.filter(pl.col("outlet") == "South China Morning Post")
    assert all(caps[0].endswith("Photo: AFP") for caps in scmp["captions"])
    for body in a["body"]:
        assert "(©" not in body and "AP Photo" not in body and "Photo: AFP" not in body


CHROME = ["Try Our AI Features", "Daily8", "No comments yet", "Related Articles", "Advertisement", "Orange background", "DOWNLOAD THE APP", "app-store", "logo"]


def test_no_chrome_left_in_any_body_or_paragraph(seed_corpus):
    texts = seed_corpus.articles["body"].to_list() + seed_corpus.paragraphs["text"].to_list()
    for text in texts:
        for chrome in CHROME:
            assert chrome not in text, (chrome, text[:80])


def test_text_is_normalised_but_titles_are_kept_as_printed(seed_corpus):
    a = seed_corpus.articles
    assert not a["body"].str.contains("[\u2018\u2019\u201c\u201d]").any()
    assert not a["body"].str.contains("  ").any()
    assert _by_title(a, "unprecedented").height == 2
    assert _by_title(a, "\u2018unprecedented'").height == 2  # curly opening quote survives in the title


def test_decks_and_subheads(seed_corpus):
    p = seed_corpus.paragraphs
    assert sorted(p.filter(pl.col("kind") == "subhead")["text"].to_list()) == ["Closer, yet still divided", "Time for a new joint declaration"]
    decks = seed_corpus.articles["deck"].drop_nulls().to_list()
    assert sorted(decks) == [
        "Calls grow for fresh Korea-Japan declaration to tackle shared challenges absent from 1998 agreement",
        "Top military chiefs of Korea, US and Japan meet in Seoul for first trilateral talks held in Korea",
    ]
    assert (p.filter(pl.col("kind") == "deck")["position"] == 0).all()


def test_paragraphs_keep_line_breaks_and_regroup_long_lines(seed_corpus):
    a, p = seed_corpus.articles, seed_corpus.paragraphs
    lead = a.filter(pl.col("placement") == "lead", pl.col("source_file").str.starts_with("004")).row(0, named=True)
    assert lead["n_paragraphs"] == 4  # four printed lines, four paragraphs
    body = p.filter(pl.col("kind") == "body")
    # about 700 characters at most; a paragraph runs longer only to keep a quotation whole
    assert body["text"].str.len_chars().max() <= 900
    long_feature = _by_title(a, "Nowhere to turn").row(0, named=True)
    assert long_feature["n_paragraphs"] >= 20


def test_line_accounting_adds_up(seed_corpus):
    lines = seed_corpus.report["lines"]
    assert lines["non_blank"] == lines["accounted"] == 158
    assert lines["unplaced"] == 0
    assert lines["chrome"] == 22 and lines["duplicate_title"] == 17
    for f in seed_corpus.report["files"]:
        assert f["lines_total"] - f["lines_blank"] == sum(f["lines"].values())


def test_removed_spans_are_counted(seed_corpus):
    assert seed_corpus.report["removed_spans"] == {
        "advertisement": 2,
        "byline": 2,
        "byline_in_title": 1,
        "caption": 7,
        "dateline": 3,
        "deck": 2,
        "wire_credit": 4,
    }


def test_seeds_are_byte_identical_to_the_shared_originals_and_manifest():
    import csv
    import hashlib

    shared = SEEDS.parents[1] / "shared" / "seeds"
    rows = list(csv.DictReader((SEEDS / "manifest.csv").open(encoding="utf-8")))
    assert [r["file_name"] for r in rows] == sorted(p.name for p in SEEDS.glob("*.txt"))
    for row in rows:
        data = (SEEDS / row["file_name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        if shared.is_dir():
            assert data == (shared / row["file_name"]).read_bytes()
        assert row["crawl_date_evidence"]


def test_rerun_gives_identical_frames():
    import toolkit

    again = toolkit.load_corpus(SEEDS)
    first = toolkit.load_corpus(SEEDS)
    assert again.articles.equals(first.articles) and again.paragraphs.equals(first.paragraphs)
