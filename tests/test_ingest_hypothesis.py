"""On arbitrary text, ingest returns frames whose accounting adds up, or raises CorpusError."""

from __future__ import annotations

import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolkit

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
    report = corpus.report["lines"]
    assert report["non_blank"] == report["accounted"]
    assert corpus.articles.height >= 1
    assert corpus.articles["body"].str.len_chars().min() > 0 or corpus.articles["n_paragraphs"].min() >= 0
