"""Saved HTML pages through trafilatura (toolkit.htmlpages): offline, cleaned, counted, routed apart from the seed layouts."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket

import polars as pl
import pytest

import toolkit
from toolkit import schema
from toolkit.cli import main
from toolkit.htmlpages import is_html

from .conftest import ROOT, SEEDS

HTML = ROOT / "tests" / "data" / "html"
NEWS = "yonhap_chiefs.html"
BLOG = "blog_no_meta.htm"


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access during ingest")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_a_news_page_gives_its_article_and_leaves_the_site_furniture(no_network):
    corpus = toolkit.load_corpus(HTML / NEWS)
    a = corpus.articles
    assert a.schema == schema.ARTICLES and a.height == 1
    row = a.row(0, named=True)
    assert (row["layout"], row["placement"], row["outlet"], row["outlet_country"], row["section"]) == ("html", "lead", "Yonhap", "KR", "National")
    assert row["title"] == "Military chiefs of S. Korea, US meet but avoid thorny issues"
    assert (row["published"], row["date_basis"], row["byline"]) == (dt.date(2025, 7, 11), "absolute", "Kim Eun-jung")
    assert row["extra"] == [
        {"name": "url", "value": "https://en.yna.co.kr/view/AEN20250711001234315"},
        {"name": "hostname", "value": "yna.co.kr"},
        {"name": "author", "value": "Kim Eun-jung"},
    ]
    body = row["body"]
    # The Yonhap dateline is cleaned as on any other input: metadata, not body.
    assert (row["dateline"], row["wire"]) == ("SEOUL, July 11", "Yonhap")
    assert body.startswith("The top military officers")
    assert "ramped up calls for Seoul to shoulder more of the costs" in body
    for furniture in ("cookies", "North Korea fires cruise missiles", "Most Viewed", "Copyright", "Privacy policy", "Copy link", "Economy"):
        assert furniture not in body, furniture
    assert not body.startswith("Military chiefs")  # the headline is not repeated as a paragraph
    (entry,) = corpus.report["files"]
    assert entry["kind"] == "html" and entry["extractor"] == "trafilatura 2.3.1"
    assert entry["bytes"] == (HTML / NEWS).stat().st_size and entry["extracted_chars"] > 600
    # "By Kim Eun-jung" and the "SEOUL, July 11 (Yonhap) --" dateline went through the toolkit's cleaning
    assert entry["removed_spans"] == {"byline": 1, "dateline": 1, "wire_credit": 1}
    assert corpus.paragraphs.height == row["n_paragraphs"] == 5


def test_a_page_without_metadata_gets_nothing_guessed(no_network):
    row = toolkit.load_corpus(HTML / BLOG).articles.row(0, named=True)
    assert (row["outlet"], row["published"], row["date_basis"], row["section"]) == (None, None, "unknown", None)  # "Posted on 12 July 2025" is text, not markup
    assert row["title"] == "Why the alliance talks stalled"
    assert "Negotiators from Seoul and Washington" in row["body"] and "Archives" not in row["body"]


def test_routing_html_by_suffix_or_first_bytes_and_text_pages_by_layout(tmp_path, no_network):
    assert is_html(tmp_path / "a.HTM", b"anything")
    assert is_html(tmp_path / "saved.txt", b"\xef\xbb\xbf\n  <!doctype HTML>\n<html>")
    assert is_html(tmp_path / "noext", b"<html lang='en'><body>")
    assert not is_html(tmp_path / "page.txt", (SEEDS / "001_6812afd88af436c7.txt").read_bytes())
    assert not is_html(tmp_path / "page.txt", b"<b>bold</b> is not a page")
    folder = tmp_path / "mixed"
    shutil.copytree(SEEDS, folder)
    shutil.copy(HTML / NEWS, folder / "zz_saved.txt")  # HTML saved under a .txt name
    corpus = toolkit.load_corpus(folder)
    layouts = {f["file"]: f["layout"] for f in corpus.report["files"]}
    assert layouts == {
        "000_a4237c6056cf66bd.txt": "article", "001_6812afd88af436c7.txt": "listing", "002_9a750392667d04fb.txt": "listing",
        "003_d2c62d2fb7868943.txt": "listing_header", "004_bf77b3c7868a6ff0.txt": "article_header", "zz_saved.txt": "html",
    }
    seeds_alone = toolkit.load_corpus(SEEDS).articles
    assert corpus.articles.filter(pl.col("layout") != "html").drop("extra").equals(seeds_alone.drop("extra"))
    # the seed pages' accounting of lines is unchanged by the HTML page beside them, which adds its body lines
    alone = toolkit.load_corpus(SEEDS).report["lines"]
    (html_entry,) = [f for f in corpus.report["files"] if f["kind"] == "html"]
    body = html_entry["body_lines"]
    assert corpus.report["lines"] == {**alone, "total": alone["total"] + body["total"], "non_blank": alone["non_blank"] + body["total"],
                                      "accounted": alone["accounted"] + body["total"],
                                      **{fate: alone[fate] + body[fate] for fate in body if fate != "total"}}


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        (b"<html><head><title>Empty</title></head><body><script>var x = 1;</script></body></html>", "trafilatura found no main text"),
        (b"<html><body><p>" + b"A paragraph of text with no headline anywhere on the page at all. " * 4 + b"</p></body></html>", "no title"),
        (b"", "got an empty file"),
        (b"<html>\n\x00\x01\x02", "got binary data"),
    ],
)
def test_a_page_without_text_or_title_is_named(tmp_path, html, problem, capsys):
    path = tmp_path / "bad.html"
    path.write_bytes(html)
    with pytest.raises(toolkit.CorpusError, match=problem) as err:
        toolkit.load_corpus(path)
    assert err.value.path == str(path)
    shutil.copy(HTML / NEWS, tmp_path / NEWS)
    assert main(["ingest", str(tmp_path), "--out", str(tmp_path / "out"), "--skip-invalid"]) == 0
    line = capsys.readouterr().out
    assert "1 articles" in line and "skipped 1 invalid file(s): " in line and "bad.html" in line


def test_control_characters_in_a_page_do_not_reach_the_text(tmp_path):
    from toolkit.safe import control_characters

    path = tmp_path / "ctrl.html"
    sentence = "A sentence with an escape \x1b[2J, a bell \x07 and a C1 \u0085 inside it, long enough to be text. "
    path.write_bytes(f"<html><head><meta charset='utf-8'><title>Bell \x07 title</title></head><body><article><p>{sentence * 4}</p></article></body></html>".encode())
    row = toolkit.load_corpus(path).articles.row(0, named=True)
    assert "long enough to be text" in row["body"]
    assert control_characters(row["body"]) == [] and control_characters(row["title"]) == []


def test_a_menu_page_is_kept_with_a_warning(tmp_path):
    path = tmp_path / "index.html"
    path.write_bytes(b"<html><head><title>Index</title></head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></body></html>")
    with pytest.warns(UserWarning, match=r"index.html: trafilatura found only \d+ characters of main text"):
        corpus = toolkit.load_corpus(path)
    assert corpus.articles.height == 1 and len(corpus.report["warnings"]) == 1


def test_html_ingest_is_byte_identical_on_rerun(tmp_path, no_network):
    for run in ("a", "b"):
        toolkit.write_corpus(HTML, tmp_path / run)
    for name in ("articles.parquet", "paragraphs.parquet", "ingest_report.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    report = json.loads((tmp_path / "a" / "ingest_report.json").read_text())
    assert [f["file"] for f in report["files"]] == [BLOG, NEWS]


def test_pages_html_and_tables_mixed_give_the_same_result_with_workers(tmp_path):
    import warnings

    exports = ROOT / "tests" / "data" / "exports"
    paths = [SEEDS, HTML, exports / "newsplease", exports / "array.json"]
    mapping = {"outlet": "source_domain", "body": "maintext", "published": "date_publish"}
    # array.json names its fields as the toolkit does, so the mapping is checked per file: it fails there
    with pytest.raises(toolkit.CorpusError, match="expected a column 'source_domain' for outlet"):
        toolkit.load_corpus(paths, columns=mapping)
    # alternatives: in each file the first column it has
    mapping = {"outlet": "source_domain|outlet", "body": ["maintext", "body"], "published": "date_publish|published"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = toolkit.load_corpus(paths, columns=mapping)
        two = toolkit.load_corpus(paths, columns=mapping, n_jobs=2)
    assert one.articles.equals(two.articles) and one.paragraphs.equals(two.paragraphs)
    assert one.articles["layout"].value_counts().sort("layout").rows() == [
        ("article", 4), ("article_header", 4), ("html", 2), ("listing", 7), ("listing_header", 5), ("tabular", 4),
    ]
    used = {f["file"]: f["columns"]["outlet"] for f in one.report["files"] if f["kind"] == "table"}
    assert used == {"article_001.json": "source_domain", "article_002.json": "source_domain", "array.json": "outlet"}
