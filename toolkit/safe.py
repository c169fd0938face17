"""Untrusted text stays data: escaping for Markdown, HTML, CSV cells and terminals.

Scraped outlet names, titles and bodies are attacker-controlled. Every path
by which they reach a rendered page, a spreadsheet or a terminal goes
through one of these functions:

* :func:`prose` renders notebook prose. It is a CommonMark renderer with
  raw HTML switched off and unsafe link schemes (``javascript:``,
  ``vbscript:``, ``file:``, ``data:``) refused, so even an unescaped value
  cannot become markup that runs.
* :func:`escape_markdown` makes a value print literally inside Markdown
  (no stray emphasis, links or headings built from data).
* :func:`neutralise_csv_cell` follows OWASP's CSV-injection advice.
* :func:`printable` escapes control characters before text reaches a
  terminal.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import polars as pl

__all__ = ["Prose", "escape_markdown", "neutralise_csv", "neutralise_csv_cell", "printable", "prose"]

# CommonMark lets every ASCII punctuation character be backslash-escaped, and an
# escaped "<" or "&" starts no tag and no entity, whether raw HTML is on or off.
_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
# OWASP: cells starting with these are read as formulas by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# C0 and C1 controls other than tab and newline, plus DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_markdown(value: Any) -> str:
    """``str(value)`` escaped so that it renders literally inside Markdown.

    Every ASCII punctuation character is backslash-escaped (CommonMark's
    rule), so a title such as ``<img onerror=…>`` or ``[click](javascript:…)``
    shows as typed and builds no element, entity or link. Newlines become
    spaces, so a value cannot start a heading or a quote.

    Parameters
    ----------
    value : object
        Anything; it is converted with ``str``.

    Returns
    -------
    str
    """
    text = re.sub(r"[\r\n]+", " ", str(value))
    return _MD_SPECIAL.sub(r"\\\1", text)


@lru_cache(maxsize=1)
def _renderer() -> Any:
    from markdown_it import MarkdownIt

    # html=False: raw HTML in the source is shown as text, never parsed.
    # linkify stays off; markdown-it's validateLink refuses javascript:, vbscript:, file: and data: links.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


class Prose:
    """Notebook prose rendered safely; displays as HTML in Jupyter and in nbconvert exports.

    Parameters
    ----------
    markdown : str
        CommonMark source (the notebook's own template with data values
        interpolated, ideally through :func:`escape_markdown`).
    """

    def __init__(self, markdown: str) -> None:
        self.markdown = markdown

    @property
    def html(self) -> str:
        """The rendered HTML (raw HTML in the source is escaped, unsafe links are dropped)."""
        return str(_renderer().render(self.markdown))

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.markdown

    def __str__(self) -> str:
        return self.markdown


def prose(markdown: str) -> Prose:
    """Wrap notebook prose for safe display: ``display(toolkit.prose(f"…"))``.

    Parameters
    ----------
    markdown : str
        CommonMark text. Raw HTML in it is shown as text and links with unsafe
        schemes are not made, so data interpolated into it cannot run script.

    Returns
    -------
    Prose
        An object that IPython displays as HTML.
    """
    if not isinstance(markdown, str):
        msg = f"got {type(markdown).__name__}, expected a Markdown string"
        raise TypeError(msg)
    return Prose(markdown)


def neutralise_csv_cell(value: str | None) -> str | None:
    """Prefix a cell that a spreadsheet would run as a formula with ``'`` (OWASP).

    Parameters
    ----------
    value : str or None

    Returns
    -------
    str or None
        ``value`` unchanged unless it starts with ``=``, ``+``, ``-``, ``@``,
        a tab or a carriage return.
    """
    if value is None or not value.startswith(_FORMULA_START):
        return value
    return "'" + value


def neutralise_csv(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every String cell passed through :func:`neutralise_csv_cell`.

    Numeric columns are left alone (a negative number is not a formula);
    only text that a spreadsheet would evaluate is changed.
    """
    starts = "^[" + re.escape("".join(_FORMULA_START)) + "]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(starts)).then(pl.lit("'") + pl.col(name)).otherwise(pl.col(name)).alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


def printable(value: Any) -> str:
    """``str(value)`` with control characters shown as ``\\xNN`` escapes, for terminals.

    Terminal escape sequences in scraped text (``\\x1b[2J`` and the like)
    would otherwise act on the user's terminal.
    """
    text = str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def control_characters(text: str) -> list[str]:
    """The distinct control characters in ``text`` (tab, newline and CR excepted), as ``U+XXXX`` names."""
    found = sorted({m.group() for m in _CONTROL.finditer(text.replace("\r", ""))})
    return [f"U+{ord(c):04X} {unicodedata.name(c, 'CONTROL')}" for c in found]
