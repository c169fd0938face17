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
    with pytest.raises(toolkit.CorpusError, match="expected an ISO date"):
        toolkit.load_corpus(path)
