"""Saved HTML pages read through trafilatura, the field's standard main-text extractor.

Which files are HTML: every ``.html``, ``.htm`` or ``.xhtml`` file, and any
other non-table file whose first characters (after a byte-order mark and
blank space) are ``<!DOCTYPE html`` or ``<html``. Everything else that is
not a table goes to the aggregator layout parsers
(:mod:`toolkit.layouts`), as before: the seed pages are text, never HTML.

What is taken from a page (trafilatura 2.3.1, offline: it is given the
bytes and fetches nothing):

* ``title``: the page's headline (``og:title``, ``<title>`` or ``<h1>``),
  exactly as extracted; a first body line that repeats it is dropped;
* ``body``: the main text, which then goes through the same cleaning and
  segmentation as every other input;
* ``outlet``: the site name from the page's markup, else its host name;
  mapped through the outlet registry;
* ``published``: the date in the page's markup (meta tags, JSON-LD,
  ``<time>``), never guessed from the text, and never bounded by today's
  date, so a re-run gives the same result;
* ``section``: the first category in the markup (``article:section``), or null;
* ``byline``: the author in the markup when the body carries none;
* ``extra``: ``url`` (the canonical URL), ``hostname`` and ``author``.

Comments are left out. An empty or binary file, a page with no title or
no main text, and control characters in what is extracted are a
``CorpusError`` naming the file. A main text shorter than trafilatura's own
``MIN_EXTRACTED_SIZE`` (250 characters), which is what a menu or an index
page gives, is kept but gets a warning in the report naming the file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.dates import DateText
from toolkit.errors import CorpusError
from toolkit.layouts import RawArticle
from toolkit.reading import refuse_empty_or_binary
from toolkit.registry import OutletRegistry
from toolkit.safe import control_characters

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_SNIFF = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)
#: Dates from markup only (no search through the text); the upper bound is fixed so the result does not depend on the run date.
_DATE_PARAMS = {"original_date": True, "extensive_search": False, "max_date": "2099-12-31"}
TRAFILATURA_PIN = "trafilatura==2.3.1 lxml_html_clean==0.4.6"
#: trafilatura's MIN_EXTRACTED_SIZE: below it, its own extraction falls back to looser methods.
SHORT_TEXT = 250


def is_html(path: Path, data: bytes) -> bool:
    """Whether ``path`` (with bytes ``data``) is read as an HTML page."""
    return path.suffix.lower() in HTML_SUFFIXES or bool(_SNIFF.match(data[:512]))


@dataclass
class HtmlPage:
    """One page's raw article and what the report records of its extraction."""

    raw: RawArticle
    author: str | None
    stats: dict[str, Any]
    warnings: list[str]


def _extract(path: Path, data: bytes) -> Any:
    try:
        import trafilatura
    except ImportError:
        msg = f"got an HTML page but trafilatura is not installed, expected it to read HTML: pip install {TRAFILATURA_PIN}"
        raise CorpusError(path, None, msg) from None
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lxml element truth-testing notices inside trafilatura
        doc = trafilatura.bare_extraction(
            data, with_metadata=True, include_comments=False, date_extraction_params=dict(_DATE_PARAMS), output_format="python",
        )
    return doc, trafilatura.__version__


def read_html_page(path: str | Path, data: bytes, *, registry: OutletRegistry) -> HtmlPage:
    """Extract the article of one saved HTML page (``data`` are its bytes) as a raw block.

    Raises
    ------
    CorpusError
        For a page without a title or main text, or when trafilatura is not installed.
    """
    from toolkit.cleaning import title_key

    path = Path(path)
    refuse_empty_or_binary(data, path, empty="a saved web page", binary="a saved web page")
    doc, version = _extract(path, data)
    text = (doc.text or "").strip() if doc is not None else ""
    if not text:
        msg = "got an HTML page in which trafilatura found no main text, expected a news article page"
        raise CorpusError(path, None, msg)
    title = doc.title
    if not title or not title.strip():
        msg = "got an HTML page with no title (no og:title, <title> or <h1>), expected a news article page"
        raise CorpusError(path, None, msg)
    for what, value in (("title", title), ("main text", text)):
        bad = control_characters(value)
        if bad:
            msg = f"got control character(s) {', '.join(bad)} in the page's {what}, expected plain text"
            raise CorpusError(path, None, msg)
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and title_key(lines[0]) == title_key(title):
        lines = lines[1:]  # the headline printed again at the top of the main text
    if not lines:
        msg = "got an HTML page whose main text is only its title, expected body text"
        raise CorpusError(path, None, msg)
    date = None
    if doc.date:
        try:
            date = DateText(doc.date, "absolute", value=dt.date.fromisoformat(doc.date))
        except ValueError:
            date = None
    outlet = doc.sitename or doc.hostname
    raw = RawArticle(
        source_file=path.name,
        line_start=1,
        line_end=max(1, data.count(b"\n") + (0 if data.endswith(b"\n") else 1)),
        layout="html",
        placement="lead",
        page_tag=None,
        outlet=registry.canonical(outlet) if outlet else None,
        section=(doc.categories[0].strip() or None) if doc.categories else None,
        date=date,
        title=title,
        body_lines=lines,
        extra=[{"name": "url", "value": doc.url}, {"name": "hostname", "value": doc.hostname}, {"name": "author", "value": doc.author}],
    )
    stats = {
        "extractor": f"trafilatura {version}",
        "bytes": len(data),
        "extracted_chars": len(text),
        "extracted_lines": len(lines),
    }
    notes = []
    if len(text) < SHORT_TEXT:
        notes.append(f"{path.name}: trafilatura found only {len(text)} characters of main text; check that the page is an article")
    return HtmlPage(raw=raw, author=doc.author, stats=stats, warnings=notes)
