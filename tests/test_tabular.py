"""User-supplied article tables (CSV, JSONL, Parquet)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# --------------------------------------------------------------------------- column mapping

MEDIA_CLOUD = [
    {"id": "mc-1", "title": "Chiefs meet", "source": "Korea Herald", "content_original": "The chiefs met on Friday in Seoul.",
     "date": "2025-07-11", "url": "https://example.org/1"},
    {"id": "mc-2", "title": "Ministers talk", "source": "The Korea Herald", "content_original": "The ministers talked for an hour.",
     "date": "2025-07-12", "url": "https://example.org/2"},
]
MAPPING = {"outlet": "source", "body": "content_original", "published": "date"}


def test_columns_map_an_export_onto_the_fields(tmp_path):
    path = tmp_path / "mc.csv"
    pl.DataFrame(MEDIA_CLOUD).write_csv(path)
    corpus = toolkit.load_corpus(path, columns=MAPPING)
    a = corpus.articles
    assert a["outlet"].to_list() == ["Korea Herald", "Korea Herald"]  # the registry's alias, not a guess
    assert a["published"].to_list() == [dt.date(2025, 7, 11), dt.date(2025, 7, 12)]
    assert a["body"].to_list() == ["The chiefs met on Friday in Seoul.", "The ministers talked for an hour."]
    assert corpus.report["files"][0]["columns"] == {"outlet": "source", "title": "title", "body": "content_original", "published": "date"}
    # field names are case-insensitive, column names too
    again = toolkit.load_corpus(path, columns={"Outlet": "SOURCE", "body": "Content_Original", "published": "date"})
    assert again.articles["article_id"].to_list() == a["article_id"].to_list()


def test_without_a_mapping_the_error_suggests_one_and_guesses_nothing(tmp_path):
    path = tmp_path / "mc.csv"
    pl.DataFrame(MEDIA_CLOUD).write_csv(path)
    with pytest.raises(toolkit.CorpusError) as err:
        toolkit.load_corpus(path)
    assert err.value.line == 1 and err.value.path == str(path)
    assert "missing ['outlet', 'body']" in err.value.problem
    assert "--columns outlet=source,body=content_original" in err.value.problem


def test_a_mapped_column_missing_from_one_file_names_that_file_and_its_columns(tmp_path):
    good = tmp_path / "a.csv"
    pl.DataFrame(MEDIA_CLOUD).write_csv(good)
    other = tmp_path / "b.jsonl"
    other.write_text(json.dumps({"title": "t", "outlet": "x", "content_original": "b", "date": "2025-07-01"}) + "\n", encoding="utf-8")
    with pytest.raises(toolkit.CorpusError) as err:
        toolkit.load_corpus(tmp_path, columns=MAPPING)
    assert err.value.path == str(other)
    assert err.value.problem == (
        "got columns ['title', 'outlet', 'content_original', 'date'], expected a column 'source' for outlet (from the column mapping)"
    )


@pytest.mark.parametrize(
    ("columns", "match"),
    [
        ({"author": "byline"}, r"got 'author' as a field in the column mapping, expected one of \['outlet', 'title', 'body', 'published', 'section'\]"),
        ({"outlet": ""}, "expected a column name"),
        ({"outlet": "source", "section": "Source"}, r"got column 'source' mapped to \['outlet', 'section'\]"),
    ],
)
def test_a_bad_mapping_fails_before_reading(tmp_path, columns, match):
    from toolkit.tabular import ColumnsError

    with pytest.raises(ColumnsError, match=match):
        toolkit.load_corpus(tmp_path / "does-not-exist.csv", columns=columns)


def test_parse_columns():
    from toolkit.tabular import ColumnsError, parse_columns

    assert parse_columns("outlet=source,body=content_original,published=date") == MAPPING
    assert parse_columns(["outlet=source", " body = content_original "]) == {"outlet": "source", "body": "content_original"}
    assert parse_columns("outlet=source|source_domain") == {"outlet": "source|source_domain"}
    with pytest.raises(ColumnsError, match=r"got column 'source' mapped to \['outlet', 'section'\]"):
        parse_columns("outlet=media|source,section=source")
    for bad in ("outlet", "outlet=", "outlet=a,outlet=b", "colour=c"):
        with pytest.raises(ColumnsError):
            parse_columns(bad)


# --------------------------------------------------------------------------- extra columns

def test_extra_columns_are_carried_whatever_each_file_holds(tmp_path):
    from .conftest import SEEDS

    pl.DataFrame(MEDIA_CLOUD).write_csv(tmp_path / "a.csv")
    rows = [
        {"source": "NHK", "title": "Typhoon nears", "content_original": "A typhoon neared the coast on Monday.", "date": "2025-07-14",
         "authors": ["Aiko Sato", "Ken Ito"], "id": 7, "meta": {"lang": "en"}, "__line": "user data"},
    ]
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    page = tmp_path / "c_page.txt"
    page.write_bytes((SEEDS / "001_6812afd88af436c7.txt").read_bytes())
    corpus = toolkit.load_corpus(tmp_path, columns=MAPPING)
    a = corpus.articles
    assert a.schema == schema.ARTICLES
    tables = a.filter(pl.col("layout") == "tabular")
    assert tables["extra"].to_list() == [
        [{"name": "id", "value": "mc-1"}, {"name": "url", "value": "https://example.org/1"}],
        [{"name": "id", "value": "mc-2"}, {"name": "url", "value": "https://example.org/2"}],
        [{"name": "authors", "value": '["Aiko Sato", "Ken Ito"]'}, {"name": "id", "value": "7"},
         {"name": "meta", "value": '{"lang": "en"}'}, {"name": "__line", "value": "user data"}],
    ]
    assert a.filter(pl.col("layout") != "tabular")["extra"].null_count() == a.height - 3  # pages carry none
    assert [f.get("extra_columns") for f in corpus.report["files"]] == [["id", "url"], ["authors", "id", "meta", "__line"], None]
    wide = toolkit.extra_columns(a)
    assert wide.columns == ["article_id", "id", "url", "authors", "meta", "__line"]
    assert wide.filter(pl.col("article_id") == tables["article_id"][2]).row(0)[1:] == ("7", None, '["Aiko Sato", "Ken Ito"]', '{"lang": "en"}', "user data")
    assert wide["id"].null_count() == a.height - 3


def test_an_input_article_id_is_kept_beside_the_toolkits(tmp_path):
    path = tmp_path / "ids.csv"
    pl.DataFrame({"article_id": ["db-1"], "outlet": ["CNA"], "title": ["T"], "body": ["Body text."]}).write_csv(path)
    a = toolkit.load_corpus(path).articles
    wide = toolkit.extra_columns(a)
    assert wide.columns == ["article_id", "input_article_id"] and wide.row(0) == (a["article_id"][0], "db-1")


def test_extra_columns_of_a_parquet_export_keep_their_values(tmp_path):
    frame = pl.DataFrame({
        "outlet": ["CNA"], "title": ["Talks end"], "body": ["The talks ended on Tuesday."],
        "story_id_src": [123456789012], "score": [0.5], "fetched": [dt.datetime(2025, 7, 15, 8, 0)], "tags": [["a", "b"]], "ok": [True],
    })
    frame.write_parquet(tmp_path / "e.parquet")
    extra = toolkit.load_corpus(tmp_path / "e.parquet").articles["extra"][0].to_list()
    assert extra == [{"name": "story_id_src", "value": "123456789012"}, {"name": "score", "value": "0.5"},
                     {"name": "fetched", "value": "2025-07-15T08:00:00"}, {"name": "tags", "value": '["a", "b"]'}, {"name": "ok", "value": "true"}]


def test_each_copy_keeps_its_own_extras_so_canonical_rows_carry_the_canonical_copy(tmp_path):
    body = "The chiefs met on Friday in Seoul and talked about costs. " * 3
    pl.DataFrame({"outlet": ["CNA", "CNA"], "title": ["Chiefs meet", "Chiefs meet"], "body": [body, body + "More detail here."],
                  "id": ["short", "long"]}).write_csv(tmp_path / "d.csv")
    corpus = toolkit.load_corpus(tmp_path / "d.csv")
    canonical = corpus.canonical()
    assert canonical.height == 1 and canonical["extra"][0].to_list() == [{"name": "id", "value": "long"}]
    copy = corpus.articles.filter(pl.col("duplicate_of").is_not_null())
    assert copy["extra"][0].to_list() == [{"name": "id", "value": "short"}]


def test_extra_survives_write_corpus_with_pages_first(tmp_path):
    from .conftest import SEEDS

    pl.DataFrame(MEDIA_CLOUD).write_csv(tmp_path / "z.csv")
    report = toolkit.write_corpus([SEEDS, tmp_path / "z.csv"], tmp_path / "out", columns=MAPPING, batch_files=2)
    assert report["files_read"] == 6
    a = pl.read_parquet(tmp_path / "out" / "articles.parquet")
    assert a.schema == schema.ARTICLES
    assert a["extra"].drop_nulls().to_list()[-1] == [{"name": "id", "value": "mc-2"}, {"name": "url", "value": "https://example.org/2"}]


# --------------------------------------------------------------------------- errors and dates

def test_a_user_column_named_line_is_data(tmp_path):
    path = tmp_path / "l.csv"
    pl.DataFrame({"__line": ["7"], "outlet": ["CNA"], "title": ["T"], "body": ["Some body text."]}).write_csv(path)
    a = toolkit.load_corpus(path).articles
    assert a["line_start"].to_list() == [2] and a["extra"][0].to_list() == [{"name": "__line", "value": "7"}]


@pytest.mark.parametrize(
    ("name", "write", "line", "problem"),
    [
        ("list.jsonl", lambda p: p.write_text('{"outlet": "x", "title": "t", "body": "b"}\n{"outlet": "x", "title": "t", "body": ["b", "c"]}\n'),
         2, "got a list in 'body' (column 'body'), expected text"),
        ("obj.json", lambda p: p.write_text('[\n  {"outlet": "x", "title": "t", "body": "b"},\n  {"outlet": {"name": "x"}, "title": "t", "body": "b"}\n]\n'),
         3, "got an object (struct) in 'outlet' (column 'outlet'), expected text"),
        ("list.parquet", lambda p: pl.DataFrame({"outlet": ["x", "y"], "title": [None, ["t"]], "body": ["b", "b"]}).write_parquet(p),
         2, "got a list in 'title' (column 'title'), expected text"),
        ("struct.parquet", lambda p: pl.DataFrame({"outlet": ["x"], "title": ["t"], "text": [{"a": 1}]}).write_parquet(p),
         1, "got an object (struct) in 'body' (column 'text'), expected text"),
        ("ctrl.tsv", lambda p: p.write_text("outlet\ttitle\tbody\nx\tt\tb\nx\tt\u0007\tb\n"),
         3, "got control character(s) U+0007 CONTROL in 'title' (column 'title'), expected plain text"),
        ("c1.jsonl", lambda p: p.write_text('{"outlet": "x", "title": "t", "body": "b"}\n{"outlet": "x", "title": "t", "body": "b\\u0085c"}\n'),
         2, "got control character(s) U+0085 CONTROL in 'body' (column 'body'), expected plain text"),
        ("semi.csv", lambda p: p.write_text("outlet;title;body\nx;t;b\n"),
         1, ("got one column 'outlet;title;body', which looks separated by semicolons (as some spreadsheet locales save CSV), "
             "expected comma-separated values: save the sheet as CSV with commas, or as tab-separated .tsv")),
        ("bad.csv", lambda p: p.write_bytes(b"outlet,title,body\nx,t,b\nx,t,caf\xe9\n"),
         3, "got byte 0xe9 that is not valid UTF-8, expected UTF-8 CSV text"),
    ],
)
def test_bad_values_name_file_and_line(tmp_path, name, write, line, problem):
    path = tmp_path / name
    write(path)
    kwargs = {"columns": {"body": "text"}} if name == "struct.parquet" else {}
    with pytest.raises(toolkit.CorpusError) as err:
        toolkit.load_corpus(path, **kwargs)
    assert (err.value.path, err.value.line, err.value.problem) == (str(path), line, problem)


def test_datetimes_with_and_without_zone_and_iso_times_give_the_date_as_recorded(tmp_path):
    seoul = pl.Series([dt.datetime(2025, 7, 22, 22, 30), dt.datetime(2025, 7, 23, 1, 0), None]).dt.replace_time_zone("UTC").dt.convert_time_zone("Asia/Seoul")
    frame = pl.DataFrame({
        "outlet": ["KBS", "KBS", "KBS"], "title": ["a", "b", "c"], "body": ["One.", "Two.", "Three."],
        "seoul": seoul,
        "utc": seoul.dt.convert_time_zone("UTC"),
        "naive": [dt.datetime(2025, 7, 23, 23, 59), None, dt.datetime(2025, 1, 1)],
        "day": [dt.date(2025, 7, 23), None, dt.date(2024, 2, 29)],
    })
    frame.write_parquet(tmp_path / "t.parquet")
    got = {
        col: toolkit.load_corpus(tmp_path / "t.parquet", columns={"published": col}).articles["published"].to_list()
        for col in ("seoul", "utc", "naive", "day")
    }
    assert got == {
        "seoul": [dt.date(2025, 7, 23), dt.date(2025, 7, 23), None],  # the local date in the column's own zone
        "utc": [dt.date(2025, 7, 22), dt.date(2025, 7, 23), None],
        "naive": [dt.date(2025, 7, 23), None, dt.date(2025, 1, 1)],
        "day": [dt.date(2025, 7, 23), None, dt.date(2024, 2, 29)],
    }
    text = toolkit.load_corpus(tmp_path / "t.parquet", columns={"published": "seoul"}).articles["date_text"].to_list()
    assert text == ["2025-07-23T07:30:00+09:00", "2025-07-23T10:00:00+09:00", None]
    path = _dated_csv(tmp_path / "iso.csv", ["2025-07-23T10:15:00Z", "2025-07-23 10:15:00+09:00", "2025-07-23T23:30:00-05:00", "2025-07-23T10:15:00.5"])
    assert set(toolkit.load_corpus(path).articles["published"].to_list()) == {dt.date(2025, 7, 23)}
    bad = _dated_csv(tmp_path / "bad.csv", ["2025-07-23T10:15:00Z", "2025-07-23T25:00"])
    with pytest.raises(toolkit.CorpusError, match="expected an ISO date-time") as err:
        toolkit.load_corpus(bad)
    assert err.value.line == 3


# --------------------------------------------------------------------------- real-shaped exports

EXPORTS = Path(__file__).parent / "data" / "exports"


def _rows(corpus, *cols):
    return corpus.articles.select(*cols).rows()


def test_media_cloud_style_csv_with_multiline_quoted_text():
    corpus = toolkit.load_corpus(EXPORTS / "mediacloud.csv", columns={"outlet": "media_name", "body": "text", "published": "publish_date"})
    assert _rows(corpus, "outlet", "published", "line_start", "line_end") == [
        ("Korea Herald", dt.date(2025, 7, 11), 2, 4),
        ("Japan Forward", dt.date(2025, 7, 14), 5, 5),
        ("CNA", None, 6, 6),
    ]
    a = corpus.articles
    assert a["n_paragraphs"].to_list() == [2, 1, 1]
    assert '"trilateral"' in a["body"][1]
    assert [p["name"] for p in a["extra"][0]] == ["id", "indexed_date", "language", "media_url", "url"]
    assert toolkit.extra_columns(a)["url"][2] == "https://www.channelnewsasia.com/asia/us-seoul-tokyo-ties"


def test_pandas_style_tsv_with_an_unnamed_index_and_offsets():
    corpus = toolkit.load_corpus(EXPORTS / "pandas_export.tsv", columns={"outlet": "source", "body": "text", "published": "date"})
    assert _rows(corpus, "outlet", "published", "date_text", "line_start", "line_end") == [
        ("NHK", dt.date(2025, 7, 14), "2025-07-14T10:15:00+09:00", 2, 2),
        ("Hans India", dt.date(2025, 7, 15), "2025-07-15 18:00:00+05:30", 3, 4),
    ]
    assert corpus.articles["extra"][1].to_list() == [{"name": "", "value": "1"}, {"name": "url", "value": "https://www.thehansindia.com/2"},
                                                     {"name": "authors", "value": None}]


def test_news_please_jsonl_a_folder_of_its_json_files_and_a_json_array_agree():
    mapping = {"outlet": "source_domain", "body": "maintext", "published": "date_publish"}
    lines = toolkit.load_corpus(EXPORTS / "newsplease.jsonl", columns=mapping)
    folder = toolkit.load_corpus(EXPORTS / "newsplease", columns=mapping)
    assert _rows(lines, "outlet", "published", "title") == [
        ("en.yna.co.kr", dt.date(2025, 7, 11), "Military chiefs of S. Korea, US meet"),
        ("www.scmp.com", dt.date(2025, 7, 15), "US calls for closer South Korea-Japan defence ties"),
    ]
    assert folder.articles.drop("source_file", "line_start", "line_end").equals(lines.articles.drop("source_file", "line_start", "line_end"))
    assert folder.articles["source_file"].to_list() == ["article_001.json", "article_002.json"]
    authors = toolkit.extra_columns(lines.articles)["authors"].to_list()
    assert authors == ['["Kim Eun-jung"]', "[]"]
    array = toolkit.load_corpus(EXPORTS / "array.json")
    assert _rows(array, "title", "line_start") == [("Allies meet in Seoul", 2), ("Talks continue", 3)]


def test_parquet_as_pandas_writes_it(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "source": ["Korea Herald", "CNA"],
        "headline": ["Chiefs meet", "Talks end"],
        "content": ["The chiefs met on Friday.", "The talks ended on Tuesday."],
        "date": pa.array([1752193800000000000, 1752570000000000000], type=pa.timestamp("ns", tz="UTC")),
        "word_count": pa.array([5, 5], type=pa.int64()),
    }).replace_schema_metadata({b"pandas": b'{"index_columns": [{"kind": "range", "start": 0, "stop": 2, "step": 1}], "columns": []}'})
    pq.write_table(table, tmp_path / "df.parquet")
    corpus = toolkit.load_corpus(tmp_path / "df.parquet", columns={"outlet": "source", "title": "headline", "body": "content", "published": "date"})
    assert _rows(corpus, "outlet", "title", "published", "line_start") == [
        ("Korea Herald", "Chiefs meet", dt.date(2025, 7, 11), 1), ("CNA", "Talks end", dt.date(2025, 7, 15), 2),
    ]
    assert corpus.articles["extra"].to_list() == [[{"name": "word_count", "value": "5"}]] * 2


def test_json_files_name_their_lines(tmp_path):
    bad = tmp_path / "a.json"
    bad.write_text('[\n  {"outlet": "x", "title": "t", "body": "b"},\n  "not an object"\n]\n', encoding="utf-8")
    with pytest.raises(toolkit.CorpusError, match="got a JSON str, expected an article object in the array") as err:
        toolkit.load_corpus(bad)
    assert err.value.line == 3
    bad.write_text('{"outlet": "x", "title": "t",\n "body": }\n', encoding="utf-8")
    with pytest.raises(toolkit.CorpusError, match="got invalid JSON") as err:
        toolkit.load_corpus(bad)
    assert err.value.line == 2
    bad.write_text("[]", encoding="utf-8")
    with pytest.raises(toolkit.CorpusError, match="empty JSON array"):
        toolkit.load_corpus(bad)


# --------------------------------------------------------------------------- titles

def test_titles_are_kept_exactly_as_given_and_ids_use_a_normalised_key(tmp_path):
    titles = [" East Asia faces uneasy alignments ", "Two  spaces\tand a tab", "Trailing newline\n", "\u201cQuoted\u201d title\u00a0"]
    frame = pl.DataFrame({"outlet": ["CNA"] * 4, "title": titles, "body": [f"Body number {k} of the test." for k in range(4)], "row": ["0", "1", "2", "3"]})
    for name, write in (("t.csv", frame.write_csv), ("t.parquet", frame.write_parquet)):
        write(tmp_path / name)
        a = toolkit.load_corpus(tmp_path / name).articles
        assert a["title"].to_list() == titles, name
        # re-joining the user's own table on the title finds every row
        assert frame.join(a.select("title", "article_id"), on="title", how="inner").height == 4
    stripped = frame.with_columns(pl.col("title").str.strip_chars())
    stripped.write_csv(tmp_path / "s.csv")
    assert toolkit.load_corpus(tmp_path / "s.csv").articles["article_id"].to_list() == a["article_id"].to_list()
    assert toolkit.load_corpus(EXPORTS / "mediacloud.csv", columns={"outlet": "media_name", "body": "text"}).articles["title"][1] == (
        " East Asia faces uneasy alignments "
    )


def test_a_title_byline_is_found_behind_leading_space(tmp_path):
    path = tmp_path / "c.csv"
    pl.DataFrame({"outlet": ["Korea Herald"], "title": ["  [Lee Byung-jong] Why alliances fray"], "body": ["Alliances fray when costs rise."]}).write_csv(path)
    row = toolkit.load_corpus(path).articles.row(0, named=True)
    assert (row["title"], row["byline"]) == ("  [Lee Byung-jong] Why alliances fray", "Lee Byung-jong")


def test_blank_csv_lines_are_counted_not_read_and_lines_stay_physical(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text('outlet,title,body\nCNA,One,"First body,\nover two lines."\n\nCNA,Two,Second body.\n\n', encoding="utf-8")
    corpus = toolkit.load_corpus(path)
    assert _rows(corpus, "title", "line_start", "line_end") == [("One", 2, 3), ("Two", 5, 5)]
    assert corpus.report["files"][0]["blank_rows"] == 2


def test_control_characters_are_found_in_long_tables_too(tmp_path):
    bodies = [f"Body of article {k}." for k in range(600)]
    bodies[549] = "Body with an escape \x1b[2J sequence."
    path = tmp_path / "long.csv"
    pl.DataFrame({"outlet": ["CNA"] * 600, "title": [f"T{k}" for k in range(600)], "body": bodies}).write_csv(path)
    with pytest.raises(toolkit.CorpusError, match="U\\+001B CONTROL in 'body'") as err:
        toolkit.load_corpus(path)
    assert err.value.line == 551


# --------------------------------------------------------------------------- properties

_name = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(
    lambda n: n.strip().lower() not in {"outlet", "title", "body", "published", "section"} and n == n.strip()
)
_value = st.one_of(st.none(), st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extras=st.dictionaries(_name, st.lists(_value, min_size=2, max_size=2), max_size=4), kind=st.sampled_from(["csv", "jsonl", "parquet"]),
       title=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(str.strip))
def test_extras_and_titles_come_back_exactly(tmp_path_factory, extras, kind, title):
    lower = [n.lower() for n in extras]
    if len(set(lower)) != len(lower):
        return  # names equal but for case are one column to a case-insensitive reader
    frame = pl.DataFrame({"outlet": ["CNA", "CNA"], "title": [title, "Second"], "body": ["First body.", "Second body."],
                          **{n: pl.Series(n, v, dtype=pl.String) for n, v in extras.items()}})
    path = tmp_path_factory.mktemp("x") / f"t.{kind}"
    if kind == "csv":
        frame.write_csv(path)
    elif kind == "parquet":
        frame.write_parquet(path)
    else:
        path.write_text("\n".join(json.dumps(r) for r in frame.to_dicts()) + "\n", encoding="utf-8")
    a = toolkit.load_corpus(path).articles
    assert a["title"].to_list() == [title, "Second"]
    expected = [[{"name": n, "value": v[k]} for n, v in extras.items()] for k in range(2)]
    assert a["extra"].to_list() == expected


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


def test_quoted_header_names_are_read_as_written(tmp_path):
    # Found by the property test above: Polars read a header of four quotes as two instead of one.
    path = tmp_path / "t.csv"
    pl.DataFrame({"outlet": ["CNA"], "title": ["T"], "body": ["A body."], '"': ["q"], 'say "hi"': ["h"]}).write_csv(path)
    a = toolkit.load_corpus(path).articles
    assert a["extra"].to_list() == [[{"name": '"', "value": "q"}, {"name": 'say "hi"', "value": "h"}]]
