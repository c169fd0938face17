"""User-supplied article tables (CSV, JSONL, Parquet)."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

import toolkit
from toolkit import schema

ROWS = [
    {"Outlet": "Korea Herald", "title": "Chiefs meet", "body": "SEOUL: The chiefs met on Friday. (Yonhap)", "published": "2025-07-11", "section": "Politics"},
    {"Outlet": "Foo Gazette", "title": "A \u201cnew\u201d page", "body": "First paragraph here.\nSecond paragraph here.", "published": "", "section": ""},
]


def test_csv_jsonl_parquet_load_into_the_same_schema(tmp_path):
    pl.DataFrame(ROWS).write_csv(tmp_path / "a.csv")
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")
    pl.DataFrame(ROWS).write_parquet(tmp_path / "c.parquet")
    for name in ("a.csv", "b.jsonl", "c.parquet"):
        corpus = toolkit.load_corpus(tmp_path / name)
        a = corpus.articles
        assert a.schema == schema.ARTICLES
        first, second = a.rows(named=True)
        assert (first["outlet"], first["outlet_country"], first["published"], first["wire"], first["dateline"]) == (
            "Korea Herald", "KR", dt.date(2025, 7, 11), "Yonhap", "SEOUL",
        )
        assert first["layout"] == "tabular" and first["section"] == "Politics"
        assert (second["outlet"], second["outlet_country"], second["published"]) == ("Foo Gazette", None, None)
        assert second["title"] == "A \u201cnew\u201d page"  # as printed
        assert second["n_paragraphs"] == 2
    # the three files hold the same articles: one story each, copies detected across files
    both = toolkit.load_corpus(tmp_path)
    assert both.articles.height == 6
    assert both.articles["duplicate_of"].null_count() == 2


def test_missing_column_is_named(tmp_path):
    path = tmp_path / "bad.csv"
    pl.DataFrame({"outlet": ["x"], "headline": ["t"], "text": ["b"]}).write_csv(path)
    with pytest.raises(toolkit.CorpusError) as err:
        toolkit.load_corpus(path)
    assert err.value.path == str(path) and err.value.line == 1
    assert "missing ['title', 'body']" in str(err.value)


def test_empty_body_names_the_csv_line(tmp_path):
    path = tmp_path / "bad.csv"
    pl.DataFrame({"outlet": ["x", "y"], "title": ["t", "u"], "body": ["fine text", "  "]}).write_csv(path)
    with pytest.raises(toolkit.CorpusError) as err:
        toolkit.load_corpus(path)
    assert err.value.line == 3 and "empty 'body'" in err.value.problem


def test_bad_jsonl_line_and_bad_date(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"outlet": "x", "title": "t", "body": "b"}\n{not json}\n', encoding="utf-8")
    with pytest.raises(toolkit.CorpusError) as err:
        toolkit.load_corpus(path)
    assert err.value.line == 2
    path.write_text('{"outlet": "x", "title": "t", "body": "b", "published": "11/07/2025"}\n', encoding="utf-8")
    with pytest.raises(toolkit.CorpusError, match="ambiguous.*date_format") as err:
        toolkit.load_corpus(path)
    assert err.value.line == 1


def _dated_csv(path, dates):
    rows = [{"outlet": "Foo Gazette", "title": f"Story {k}", "body": f"Paragraph number {k} here.", "published": d} for k, d in enumerate(dates)]
    pl.DataFrame(rows).write_csv(path)
    return path


def test_us_dates_need_the_column_format_and_then_read(tmp_path):
    """Issue 15: '7/23/17' stopped the whole file; now the error names file, line and option, and the option reads it."""
    path = _dated_csv(tmp_path / "us.csv", ["2017-07-21", "", "7/23/17", "12/1/17"])
    with pytest.raises(toolkit.CorpusError) as err:
        toolkit.load_corpus(path)
    assert err.value.line == 4 and "us.csv" in str(err.value)
    assert "two-digit year" in err.value.problem and "date_format" in err.value.problem and "--date-format" in err.value.problem
    corpus = toolkit.load_corpus(path, date_format="%m/%d/%y")
    got = dict(zip(corpus.articles["title"], corpus.articles["published"]))
    assert got == {"Story 0": dt.date(2017, 7, 21), "Story 1": None, "Story 2": dt.date(2017, 7, 23), "Story 3": dt.date(2017, 12, 1)}
    bad = _dated_csv(tmp_path / "bad.csv", ["7/23/17", "23/7/17"])
    with pytest.raises(toolkit.CorpusError, match="date_format '%m/%d/%y'") as err:
        toolkit.load_corpus(bad, date_format="%m/%d/%y")
    assert err.value.line == 3


def test_day_month_year_column_is_read_when_unambiguous(tmp_path):
    path = _dated_csv(tmp_path / "dm.csv", ["23/07/2025", "11/07/2025", "01.02.2025", "2025-07-11T09:30:00+09:00"])
    corpus = toolkit.load_corpus(path)
    assert corpus.articles.sort("title")["published"].to_list() == [
        dt.date(2025, 7, 23), dt.date(2025, 7, 11), dt.date(2025, 2, 1), dt.date(2025, 7, 11)
    ]


def test_one_bad_date_is_reported_not_silently_dropped(tmp_path):
    good = _dated_csv(tmp_path / "a_good.csv", ["2025-07-11"])
    bad = _dated_csv(tmp_path / "b_bad.csv", ["2025-07-11", "23/07/2025", "7/23/2025"])
    with pytest.raises(toolkit.CorpusError, match="month-day-year.*value 2") as err:
        toolkit.load_corpus([good, bad])
    assert err.value.line == 4
    report = toolkit.write_corpus([good, bad], tmp_path / "out", skip_invalid=True)
    assert [(s["file"].rsplit("/", 1)[-1], s["line"]) for s in report["skipped_files"]] == [("b_bad.csv", 4)]
    assert "date_format" in report["skipped_files"][0]["error"]


def _furniture_rows():
    news = [
        "Officials met on Friday to discuss the border, the ministry said in a statement.",
        "The talks ended without agreement, and a new round is planned for next month.",
    ]
    return [
        {"outlet": "Politico", "title": "Border talks", "body": "\n".join([news[0], "Story Continued Below", "Advertisement", news[1]])},
        {"outlet": "NPR", "title": "Talks end", "body": "\n".join(["toggle caption", news[1], "Sign up for our politics newsletter to get the latest news.",
                                                                    "Read more: How the talks began", "WATCH: The ministers arrive", news[0]])},
        {"outlet": "CNN", "title": "Summit", "body": "\n".join([news[0], "Internal memo leaked", news[1]])},
    ]


def test_default_chrome_rules_clean_table_bodies_and_are_counted(tmp_path):
    """Issue 13: site furniture stayed in table bodies ('Story Continued Below' 24 times in 300 articles)."""
    path = tmp_path / "export.csv"
    pl.DataFrame(_furniture_rows()).write_csv(path)
    corpus = toolkit.load_corpus(path)
    bodies = dict(zip(corpus.articles["outlet"], corpus.articles["body"], strict=True))
    for outlet in ("Politico", "NPR"):
        assert bodies[outlet].split("\n\n") == [
            *(["Officials met on Friday to discuss the border, the ministry said in a statement."] if outlet == "Politico" else []),
            "The talks ended without agreement, and a new round is planned for next month.",
            *(["Officials met on Friday to discuss the border, the ministry said in a statement."] if outlet == "NPR" else []),
        ]
    assert "Internal memo leaked" in bodies["CNN"]
    report = corpus.report
    assert report["chrome_reasons"] == {"advertisement": 2, "caption control": 1, "newsletter prompt": 1, "read-more link": 1, "video prompt": 1}
    assert report["table_body_lines"] == {
        "total": 13, "text": 7, "metadata": 0, "chrome": 6, "caption": 0, "duplicate_title": 0, "unplaced": 0,
    }
    assert report["files"][0]["body_lines"] == report["table_body_lines"]
    assert "lines" not in report["files"][0]  # page line counts stay pages-only


def test_user_chrome_rules_apply_to_tables(tmp_path):
    """Issue 13: a user chrome= rules file removed nothing from tables."""
    path = tmp_path / "export.csv"
    pl.DataFrame(_furniture_rows()).write_csv(path)
    rules = tmp_path / "my_chrome.csv"
    rules.write_text('match,pattern,reason\nexact,internal memo leaked,house teaser\nregex,"^watch:.{0,150}$",video\n', encoding="utf-8")
    corpus = toolkit.load_corpus(path, chrome=rules)
    bodies = dict(zip(corpus.articles["outlet"], corpus.articles["body"], strict=True))
    assert "Internal memo leaked" not in bodies["CNN"]
    # the user's file replaces the defaults: "Story Continued Below" is text again
    assert "Story Continued Below" in bodies["Politico"] and "WATCH" not in bodies["NPR"]
    # "Advertisement" alone on a line is taken by the body cleaning itself, whatever the rules file
    assert corpus.report["chrome_reasons"] == {"advertisement": 1, "house teaser": 1, "video": 1}
    # each line accounted for: table lines = text + chrome + metadata/captions
    lines = corpus.report["table_body_lines"]
    assert lines["total"] == sum(v for k, v in lines.items() if k != "total") == 13
    assert lines["chrome"] == 3


def test_caption_and_credit_lines_of_a_table_are_accounted(tmp_path):
    path = tmp_path / "export.jsonl"
    row = {"outlet": "Korea Herald", "title": "T", "body": "SEOUL: The talks began.\nLeaders meet in Tokyo on June 16. (AP Photo/Eugene Hoshiko)\nThey ended.\n(Yonhap)"}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    corpus = toolkit.load_corpus(path)
    a = corpus.articles.row(0, named=True)
    assert (a["dateline"], a["wire"], a["body"]) == ("SEOUL", "Yonhap", "The talks began.\n\nThey ended.")
    assert corpus.report["table_body_lines"] == {
        "total": 4, "text": 2, "metadata": 1, "chrome": 0, "caption": 1, "duplicate_title": 0, "unplaced": 0,
    }


def test_a_row_of_furniture_only_keeps_its_article_row(tmp_path):
    """The row stays (empty body, no paragraphs); its lines are accounted as chrome, not lost."""
    path = tmp_path / "export.csv"
    pl.DataFrame([{"outlet": "X", "title": "Only furniture", "body": "Story Continued Below\nAdvertisement"},
                  {"outlet": "X", "title": "Real", "body": "A real line of news here."}]).write_csv(path)
    corpus = toolkit.load_corpus(path)
    assert corpus.articles.select("title", "body", "n_paragraphs").rows() == [("Only furniture", "", 0), ("Real", "A real line of news here.", 1)]
    assert corpus.report["table_body_lines"]["chrome"] == 2 and corpus.report["chrome_reasons"] == {"advertisement": 2}
