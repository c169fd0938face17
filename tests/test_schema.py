"""One place for schemas, and every column documented in the README."""

from __future__ import annotations

import polars as pl
import pytest

from toolkit import schema

from .conftest import ROOT


@pytest.mark.parametrize(
    ("name", "sch"), [("articles", schema.ARTICLES), ("paragraphs", schema.PARAGRAPHS), ("embeddings", schema.embeddings_schema(384))]
)
def test_every_column_has_docs_and_readme_entry(name, sch):
    docs = schema.COLUMN_DOCS[name]
    assert list(docs) == list(sch)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for column in sch:
        assert f"| `{column}` |" in readme, column


def test_conform_orders_casts_and_names_missing_columns():
    frame = pl.DataFrame({"n_words": [3], "text": ["a b c"], "paragraph_id": ["x-000"], "article_id": ["x"], "position": [0], "kind": ["body"], "extra": [1]})
    out = schema.conform(frame, schema.PARAGRAPHS)
    assert out.schema == schema.PARAGRAPHS
    with pytest.raises(ValueError, match=r"missing columns \['kind'\]"):
        schema.conform(frame.drop("kind"), schema.PARAGRAPHS)


def test_enumerations_match_the_seed_frames(seed_corpus):
    a, p = seed_corpus.articles, seed_corpus.paragraphs
    assert set(a["placement"]) <= set(schema.PLACEMENTS)
    assert set(a["date_basis"]) <= set(schema.DATE_BASES)
    assert set(a["layout"]) <= set(schema.LAYOUTS)
    assert set(p["kind"]) == set(schema.PARAGRAPH_KINDS)


def test_every_public_name_resolves():
    import toolkit

    for name in toolkit.__all__:
        assert getattr(toolkit, name) is not None, name
