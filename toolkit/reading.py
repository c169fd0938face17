"""Decoding page files into lines, with clear errors for unreadable input.

Decoding policy (documented in the README):

* a UTF-8 byte-order mark is dropped, and CRLF, CR and LF all end a line;
* text must be UTF-8; when it is not, but every byte decodes as Windows-1252
  (a superset of printable Latin-1), fewer than 10% of the bytes are
  non-ASCII, and no two non-ASCII characters stand side by side (single
  accented letters and curly quotes do; mojibake and UTF-16 marks do not), it
  is decoded as cp1252 and a warning naming the file and the first offending
  line is recorded in the ingest report;
* anything else (a NUL byte, bytes that fit neither) raises ``CorpusError``
  naming the file and line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import CorpusError

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"
# Control characters other than tab/newline/CR mark binary data.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_NON_ASCII_FOR_CP1252 = 0.10
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")


@dataclass
class PageText:
    """Decoded lines of one file and what decoding had to say about it."""

    path: Path
    lines: list[str]
    encoding: str
    warnings: list[str] = field(default_factory=list)
    #: sha256 of exactly the bytes decoded (never a second read of the file).
    sha256: str = ""


def _line_of_offset(data: bytes, offset: int) -> int:
    """1-based line number of byte ``offset``, counting CRLF/CR/LF breaks."""
    head = data[:offset]
    return len(_LINE_BREAK.findall(head.decode("latin-1"))) + 1


def refuse_empty_or_binary(data: bytes, path: str | Path, *, empty: str, binary: str) -> None:
    """Raise a :class:`CorpusError` for a file with no text or with a NUL byte (naming its line)."""
    if not data.strip():
        msg = f"got an empty file, expected {empty}"
        raise CorpusError(path, None, msg)
    nul = data.find(b"\x00")
    if nul >= 0:
        msg = f"got binary data (NUL byte at byte {nul}), expected {binary}"
        raise CorpusError(path, _line_of_offset(data, nul), msg)


def decode_lines(data: bytes, path: str | Path) -> PageText:
    """Decode ``data`` (the bytes of ``path``) into lines.

    Parameters
    ----------
    data : bytes
        File content.
    path : str or Path
        Used in messages only.

    Returns
    -------
    PageText

    Raises
    ------
    CorpusError
        For an empty or binary file, or bytes that are neither UTF-8 nor cp1252.
    """
    path = Path(path)
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    refuse_empty_or_binary(data, path, empty="a scraped page with at least a title and a body", binary="a text page")
    warnings: list[str] = []
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as exc:
        line = _line_of_offset(data, exc.start)
        non_ascii = sum(b >= 0x80 for b in data) / len(data)
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = None
        if text is None or non_ascii > _MAX_NON_ASCII_FOR_CP1252 or _NON_ASCII_RUN.search(text):
            msg = f"got byte 0x{data[exc.start]:02x} that is not valid UTF-8, expected UTF-8 text"
            raise CorpusError(path, line, msg) from None
        encoding = "cp1252"
        warnings.append(f"{path.name}:{line}: not valid UTF-8; decoded as cp1252 (Windows Latin-1)")
    control = _CONTROL.search(text)
    if control:
        line = len(_LINE_BREAK.findall(text[: control.start()])) + 1
        msg = f"got control character {control.group()!r}, expected a text page"
        raise CorpusError(path, line, msg)
    # A byte-order mark past the start is an invisible zero-width character: drop it.
    lines = _LINE_BREAK.split(text.replace("\ufeff", ""))
    if lines and lines[-1] == "":
        lines.pop()  # a final newline ends the last line, it does not start one
    return PageText(path=path, lines=lines, encoding=encoding, warnings=warnings, sha256=digest)


def read_bytes(path: str | Path, *, what: str = "text page") -> bytes:
    """The bytes of ``path``, read once; a ``CorpusError`` naming the file if it cannot be read.

    Everything recorded about a file (its sha256, its text) comes from these
    bytes, so a file replaced during ingest cannot give a hash of other bytes.
    """
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        msg = f"got an unreadable file ({exc.strerror}), expected a readable {what}"
        raise CorpusError(path, None, msg) from None


def read_lines(path: str | Path) -> PageText:
    """Read and decode the file at ``path``; see :func:`decode_lines`."""
    return decode_lines(read_bytes(path), path)
