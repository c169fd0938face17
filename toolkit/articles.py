"""From a raw block to article and paragraph rows (cleaning and segmentation)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from toolkit.cleaning import CleanBody, byline_from_title, clean_body, normalise
from toolkit.dates import resolve
from toolkit.layouts import Ledger, RawArticle
from toolkit.registry import OutletRegistry
from toolkit.segment import MAX_PARAGRAPH_CHARS, Piece, paragraphs_from_line

# A printed line longer than this is regrouped even in a multi-line body.
_LONG_LINE = 2 * MAX_PARAGRAPH_CHARS


@lru_cache(maxsize=65536)
def content_id(outlet: str | None, title: str, body: str) -> str:
    """First 16 hex digits of sha256 over outlet, title and cleaned body."""
    payload = "\x1f".join((outlet or "", normalise(title), body)).encode("utf-8")
    return hashlib.sha256(payload).hexdigest()[:16]


@dataclass
class BuiltArticle:
    """Article row (without ids resolved) and its paragraph pieces."""

    row: dict[str, Any]
    pieces: list[Piece]


def _pieces(lines: list[str]) -> list[Piece]:
    if len(lines) == 1:
        return list(paragraphs_from_line(lines[0], first=True))
    pieces: list[Piece] = []
    for k, line in enumerate(lines):
        if len(line) > _LONG_LINE or k == 0:
            found = list(paragraphs_from_line(line, first=k == 0))
            # The source's own line breaks win: a short first line stays whole
            # unless it carries a standfirst.
            if len(line) <= _LONG_LINE and not any(p.kind == "deck" for p in found):
                found = [Piece(line, "body")]
            pieces.extend(found)
        else:
            pieces.append(Piece(line, "body"))
    return pieces


@dataclass(frozen=True)
class _Cleaned:
    clean: CleanBody
    pieces: list[Piece]
    deck: str | None
    body: str


@lru_cache(maxsize=4096)
def _clean_and_split(lines: tuple[str, ...], registry: OutletRegistry) -> _Cleaned:
    """Cleaning and segmentation depend on the printed lines only: repeats are served from cache.

    The same body string object comes back for a repeat, so later hashing of
    it (content ids, shingles) is cached by Python too. Callers must not
    mutate the result.
    """
    clean = clean_body(list(lines), registry)
    pieces = _pieces(clean.lines)
    deck = next((p.text for p in pieces if p.kind == "deck"), None)
    body = "\n\n".join(p.text for p in pieces if p.kind != "deck")
    return _Cleaned(clean, pieces, deck, body)


def build_article(
    raw: RawArticle,
    *,
    crawl_date: dt.date | None,
    registry: OutletRegistry,
    ledger: Ledger | None,
    removed: Counter[str],
) -> BuiltArticle:
    """Clean one raw block into an article row and paragraph pieces.

    Whole lines that cleaning takes out are re-marked in ``ledger``; removed
    spans are counted in ``removed``.
    """
    cleaned = _clean_and_split(tuple(raw.body_lines), registry)
    clean, pieces, deck, body = cleaned.clean, cleaned.pieces, cleaned.deck, cleaned.body
    removed.update({k: v for k, v in clean.removed.items() if v})
    if ledger is not None:
        for k, (fate, reason) in clean.line_fates.items():
            ledger.mark(raw.body_line_indices[k], fate, reason)
    if deck:
        removed["deck"] += 1
    byline = clean.byline or byline_from_title(raw.title.strip())
    if byline and not clean.byline:
        removed["byline_in_title"] += 1
    date = raw.date
    if date is None:
        published, basis, date_text = None, "unknown", None
    else:
        published, basis, date_text = resolve(date, crawl_date), date.basis, date.text
    row = {
        "source_file": raw.source_file,
        "line_start": raw.line_start,
        "line_end": raw.line_end,
        "page_tag": raw.page_tag,
        "layout": raw.layout,
        "placement": raw.placement,
        "outlet": raw.outlet,
        "section": raw.section,
        "published": published,
        "date_text": date_text,
        "date_basis": basis,
        "title": raw.title,
        "deck": deck,
        "byline": byline,
        "wire": clean.wire,
        "dateline": clean.dateline,
        "captions": list(clean.captions),
        "body": body,
        "extra": raw.extra,
    }
    return BuiltArticle(row=row, pieces=pieces)
