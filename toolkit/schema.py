"""Frame schemas: the single place where every table's columns are defined.

Every module builds its frames through these schemas (``empty`` and
``conform``), and the README's column reference is generated from
``COLUMN_DOCS`` by ``tests/test_schema.py`` checking that they agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

ARTICLES: pl.Schema = pl.Schema(
    {
        "article_id": pl.String,
        "source_file": pl.String,
        "line_start": pl.Int32,
        "line_end": pl.Int32,
        "page_tag": pl.String,
        "layout": pl.String,
        "placement": pl.String,
        "outlet": pl.String,
        "outlet_country": pl.String,
        "outlet_type": pl.String,
        "section": pl.String,
        "published": pl.Date,
        "date_text": pl.String,
        "date_basis": pl.String,
        "title": pl.String,
        "deck": pl.String,
        "byline": pl.String,
        "wire": pl.String,
        "dateline": pl.String,
        "captions": pl.List(pl.String),
        "body": pl.String,
        "n_paragraphs": pl.Int32,
        "duplicate_of": pl.String,
        "story_id": pl.String,
        "filled_from_canonical": pl.List(pl.String),
        "extra": pl.List(pl.Struct({"name": pl.String, "value": pl.String})),
    }
)

PARAGRAPHS: pl.Schema = pl.Schema(
    {
        "paragraph_id": pl.String,
        "article_id": pl.String,
        "position": pl.Int32,
        "text": pl.String,
        "kind": pl.String,
        "n_words": pl.Int32,
    }
)

def embeddings_schema(dim: int) -> pl.Schema:
    """Schema of an embeddings frame for vectors of ``dim`` dimensions."""
    return pl.Schema({"paragraph_id": pl.String, "embedding": pl.Array(pl.Float32, dim), "model_fingerprint": pl.String})


PLACEMENTS = ("lead", "listing", "related")
DATE_BASES = ("absolute", "relative", "unknown")
PARAGRAPH_KINDS = ("body", "subhead", "deck")
LAYOUTS = ("article", "listing", "listing_header", "article_header", "tabular", "html")

COLUMN_DOCS: dict[str, dict[str, str]] = {
    "articles": {
        "article_id": "Stable id: the first 16 hex digits of sha256 over outlet, title and cleaned body. Same content, same id, whatever the file or run.",
        "source_file": "File name the article was read from.",
        "line_start": "1-based line where the article's block starts in the source file.",
        "line_end": "1-based line where the article's block ends (inclusive).",
        "page_tag": "The listing's hashtag ('Latest news with #Tag'), or the manifest's tag; null on article pages without one.",
        "layout": "Page layout the block came from: article, listing, listing_header, article_header, tabular (a user table: CSV, TSV, JSONL, JSON, Parquet) or html (a saved web page, main text by trafilatura).",
        "placement": "lead (the page's own article), listing (a block of a tag listing) or related (a 'Related Articles' block).",
        "outlet": "Outlet as printed; filled from the canonical copy when the page omits it (see filled_from_canonical).",
        "outlet_country": "ISO 3166-1 alpha-2 country of the outlet from toolkit/data/outlets.csv; null for an outlet not in the registry.",
        "outlet_type": "newspaper, broadcaster, wire or magazine, from the registry; null when unknown.",
        "section": "Section bullet ('- Politics'), or null.",
        "published": "Publication date. Absolute dates are day-month-year; relative ones are resolved against the page's crawl date from the manifest; null when that is unknown.",
        "date_text": "The date exactly as printed ('10-07-2025', '3 days ago', 'time3 days ago').",
        "date_basis": "absolute, relative or unknown: how 'published' was obtained.",
        "title": "Headline exactly as printed (no quote or whitespace normalisation).",
        "deck": "Standfirst printed before the body (e.g. Korea Herald's summary line), or null.",
        "byline": "Author(s): 'Author: X', a trailing 'Name, The Associated Press', or a '[Name]' column title.",
        "wire": "Wire service credited: 'Yonhap', 'The Associated Press', ... or null.",
        "dateline": "Opening place dateline such as 'SEOUL', or null.",
        "captions": "Photo captions and credits removed from the body, in order.",
        "body": "Cleaned analysis text: chrome, captions, bylines, wire credits and datelines removed; curly quotes and whitespace normalised; paragraphs joined by blank lines.",
        "n_paragraphs": "Number of rows of this article in the paragraphs frame.",
        "duplicate_of": "article_id of the most complete copy of the same article from the same outlet, or null for a canonical article.",
        "story_id": "Shared by duplicates and by syndicated copies of one wire story in different outlets; equals the canonical article_id of the group.",
        "filled_from_canonical": "Names of the columns whose value was copied from the canonical copy because this copy lacked it.",
        "extra": "The input's own columns that map to no field (ids, authors, URLs, ...), in file order, as {name, value} text pairs (JSON for lists and objects); empty for a table without such columns; url, hostname and author for a saved web page; null for a text page. toolkit.extra_columns(articles) spreads them into columns.",
    },
    "paragraphs": {
        "paragraph_id": "article_id, '-', and the zero-padded position: stable and sortable.",
        "article_id": "The article the paragraph belongs to.",
        "position": "0-based order of the paragraph within its article (the deck, when there is one, is 0).",
        "text": "Cleaned paragraph text.",
        "kind": "body, subhead (an inline section heading) or deck (the standfirst).",
        "n_words": "Whitespace-separated word count of text.",
    },
    "embeddings": {
        "paragraph_id": "The paragraph embedded.",
        "embedding": "L2-normalised vector, Array[Float32, dim] (dim 384 for all-MiniLM-L6-v2); cosine similarity is the dot product.",
        "model_fingerprint": "First 16 hex digits of the sha256 over the model's weight, config and vocabulary files (for a backend other than sentence-transformers, over that sha256 and the backend, precision, quantisation and export recipe); the full provenance is in the Parquet metadata.",
    },
}


def require_columns(frame: pl.DataFrame, columns: Sequence[str], *, name: str, error: type[Exception] = ValueError) -> None:
    """Raise ``error`` naming the missing columns when ``frame`` lacks any of ``columns``.

    The one check every public function runs on the frames it is given, so
    the message reads the same everywhere.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{name} frame lacks {missing}: got columns {list(frame.columns)}, expected {list(columns)}"
        raise error(msg)


def model_fingerprints(embeddings: pl.DataFrame, *, error: type[Exception] = ValueError) -> list[str]:
    """The models that made ``embeddings`` (sorted); ``error`` when there is more than one.

    Vectors of two models, or of one model run by two backends (fp32, bf16,
    int8, static), are not comparable even at the same dimension, so every
    consumer of embeddings refuses a mix: the fingerprint covers the backend. A frame without a
    ``model_fingerprint`` column (vectors from elsewhere) gives ``[]``.
    """
    if "model_fingerprint" not in embeddings.columns:
        return []
    prints = sorted(str(p) for p in embeddings["model_fingerprint"].drop_nulls().unique().to_list())
    if len(prints) > 1:
        msg = f"got embeddings from {len(prints)} models {prints}, expected vectors from a single model"
        raise error(msg)
    return prints


def empty(schema: pl.Schema) -> pl.DataFrame:
    """Return an empty frame with ``schema``."""
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """Cast ``frame`` to ``schema``: same columns, same order, same dtypes.

    Raises
    ------
    ValueError
        If a column of the schema is missing from ``frame``.
    """
    missing = [name for name in schema if name not in frame.columns]
    if missing:
        msg = f"frame is missing columns {missing}, expected all of {list(schema)}"
        raise ValueError(msg)
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())
