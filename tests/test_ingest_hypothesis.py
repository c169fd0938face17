"""On arbitrary text, ingest returns frames whose accounting adds up, or raises CorpusError."""

from __future__ import annotations

import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolkit
from toolkit.layouts import LINE_FATES

from .conftest import SEEDS

SEED_LINES = sorted({line for p in SEEDS.glob("*.txt") for line in p.read_text(encoding="utf-8").splitlines()})
line = st.one_of(
    st.sampled_from(SEED_LINES),
    st.text(max_size=60),
    st.sampled_from(["", "  \u2022 Politics", "\t- Korea Herald", "time3 days ago", "an hour ago", "Foo Post2 weeks ago", "logo", "#", "Related Articles"]),
)
endings = st.sampled_from(["\n", "\r\n", "\r"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lines=st.lists(line, max_size=40), eol=endings, bom=st.booleans(), raw_bytes=st.binary(max_size=30), use_bytes=st.booleans())
def test_ingest_accounts_for_every_line_or_raises_corpus_error(tmp_path_factory, lines, eol, bom, raw_bytes, use_bytes):
    path = tmp_path_factory.mktemp("h") / "page.txt"
    data = (b"\xef\xbb\xbf" if bom else b"") + eol.join(lines).encode("utf-8")
    path.write_bytes(data + raw_bytes if use_bytes else data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            corpus = toolkit.load_corpus(path)
    except toolkit.CorpusError as exc:
        assert exc.path == str(path)
        assert exc.line is None or exc.line >= 1
        return
    _assert_accounted(corpus)


def _assert_accounted(corpus) -> None:
    """Every line has a fate, and the frames agree with each other and with the report."""
    lines = corpus.report["lines"]
    assert lines["non_blank"] == lines["accounted"] == sum(lines[f] for f in LINE_FATES)
    articles, paragraphs = corpus.articles, corpus.paragraphs
    assert articles.height >= 1
    assert articles["article_id"].n_unique() == articles.height
    assert (articles["title"].str.strip_chars().str.len_chars() > 0).all()
    # Paragraphs belong to articles, are non-blank, and each article's count matches.
    assert set(paragraphs["article_id"]) <= set(articles["article_id"])
    assert (paragraphs["text"].str.strip_chars().str.len_chars() > 0).all()
    counts = dict(paragraphs.group_by("article_id").len().iter_rows())
    assert [counts.get(a, 0) for a in articles["article_id"]] == articles["n_paragraphs"].to_list()


cell = st.one_of(st.text(max_size=40), st.sampled_from(["", " ", "Korea Herald", "2025-07-11", "11-07-2025", "=SUM(A1)", "a\nb", "\x1b[2J"]))
row = st.fixed_dictionaries({"outlet": cell, "title": cell, "body": cell}, optional={"published": cell, "section": cell, "url": cell})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(row, min_size=0, max_size=8), kind=st.sampled_from(["csv", "jsonl", "parquet"]), garbage=st.binary(max_size=12))
def test_tables_give_accounted_frames_or_a_corpus_error_naming_file_and_line(tmp_path_factory, rows, kind, garbage):
    import json

    import polars as pl

    path = tmp_path_factory.mktemp("t") / f"table.{kind}"
    columns = sorted({k for r in rows for k in r}) or ["outlet", "title", "body"]
    frame = pl.DataFrame([{c: r.get(c) for c in columns} for r in rows], schema=dict.fromkeys(columns, pl.String))
    if kind == "csv":
        frame.write_csv(path)
    elif kind == "parquet":
        frame.write_parquet(path)
    else:
        path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in frame.to_dicts()) + garbage)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            corpus = toolkit.load_corpus(path)
    except toolkit.CorpusError as exc:
        assert exc.path == str(path)
        assert exc.line is None or 1 <= exc.line <= len(rows) + 2 + garbage.count(b"\n")
        return
    assert corpus.articles.height == len(rows) >= 1
    assert (corpus.articles["title"].str.strip_chars().str.len_chars() > 0).all()
    assert set(corpus.paragraphs["article_id"]) <= set(corpus.articles["article_id"])
