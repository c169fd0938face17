"""Article tables a user brings (CSV, JSONL, Parquet) read into raw blocks.

Required columns: ``outlet``, ``title``, ``body``. Optional: ``published``
(ISO ``YYYY-MM-DD``, unambiguous day-month-year ``DD-MM-YYYY``, a Date
column, or any format named by ``date_format``, e.g. ``"%m/%d/%y"`` for US
``7/23/17``; an ambiguous date is an error naming the file, the line and the
option), ``section``. Column names are matched
case-insensitively. Errors name the file and the line (CSV: the header is
line 1; JSONL: one object per line; Parquet: row number + 1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import polars as pl

from toolkit.dates import DateColumnError, DateText, parse_date_column
from toolkit.errors import CorpusError
from toolkit.layouts import RawArticle
from toolkit.reading import read_bytes
from toolkit.registry import OutletRegistry
from toolkit.safe import control_characters

REQUIRED = ("outlet", "title", "body")
OPTIONAL = ("published", "section")


def _read_frame(path: Path, data: bytes) -> tuple[pl.DataFrame, int]:
    """The table (``data``, the bytes of ``path``) as strings, and the line offset of its first row."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pl.read_csv(io.BytesIO(data), infer_schema=False), 2
        if suffix == ".parquet":
            return pl.read_parquet(io.BytesIO(data)), 1
    except (pl.exceptions.PolarsError, OSError) as exc:
        msg = f"got an unreadable {suffix[1:]} table ({str(exc).splitlines()[0]}), expected a valid file"
        raise CorpusError(path, None, msg) from None
    rows = []
    for line_no, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            msg = f"got byte 0x{raw[exc.start]:02x} that is not valid UTF-8, expected UTF-8 JSON"
            raise CorpusError(path, line_no, msg) from None
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            msg = f"got invalid JSON ({exc.msg}), expected one JSON object per line"
            raise CorpusError(path, line_no, msg) from None
        if not isinstance(obj, dict):
            msg = f"got a JSON {type(obj).__name__}, expected an object per line"
            raise CorpusError(path, line_no, msg)
        rows.append({**{k: None if v is None else str(v) for k, v in obj.items()}, "__line": line_no})
    if not rows:
        msg = "got an empty JSONL file, expected one article object per line"
        raise CorpusError(path, None, msg)
    return pl.DataFrame(rows, infer_schema_length=None), 0


def _dates(frame: pl.DataFrame, lower: dict[str, str], path: Path, lines: list[int], date_format: str | None) -> list[dt.date | None]:
    """The ``published`` column read as a whole (see :func:`toolkit.dates.parse_date_column`)."""
    if "published" not in lower:
        return [None] * frame.height
    column = frame[lower["published"]]
    if column.dtype == pl.Datetime or column.dtype == pl.Date:
        return [None if v is None else (v.date() if isinstance(v, dt.datetime) else v) for v in column.to_list()]
    try:
        return parse_date_column(column.cast(pl.String).to_list(), date_format=date_format)
    except DateColumnError as exc:
        raise CorpusError(path, lines[exc.index], exc.message) from None


def read_article_table(
    path: str | Path, *, registry: OutletRegistry, date_format: str | None = None
) -> tuple[list[RawArticle], str]:
    """Validate a user's article table; one raw block per row, and the sha256 of the bytes parsed.

    ``date_format`` (a ``strptime`` format such as ``"%m/%d/%y"``) says how
    the ``published`` column is written; without it the column must be ISO
    or unambiguous day-month-year (:func:`toolkit.dates.parse_date_column`).
    """
    path = Path(path)
    data = read_bytes(path, what="article table")
    frame, offset = _read_frame(path, data)
    if frame.height == 0:
        msg = "got a table with no rows, expected at least one article"
        raise CorpusError(path, None, msg)
    lower = {c.lower(): c for c in frame.columns}
    missing = [c for c in REQUIRED if c not in lower]
    if missing:
        shown = [c for c in frame.columns if c != "__line"]
        msg = f"got columns {shown}, expected at least {list(REQUIRED)} (missing {missing})"
        raise CorpusError(path, 1 if offset else None, msg)
    lines = frame["__line"].to_list() if "__line" in frame.columns else [k + offset for k in range(frame.height)]
    dates = _dates(frame, lower, path, lines, date_format)
    out: list[RawArticle] = []
    for k, row in enumerate(frame.iter_rows(named=True)):
        line = lines[k]
        values = {c: row[lower[c]] for c in (*REQUIRED, *OPTIONAL) if c in lower}
        for col in REQUIRED:
            value = values[col]
            if value is None or not str(value).strip():
                msg = f"got an empty {col!r}, expected text in every row"
                raise CorpusError(path, line, msg)
        for col, value in values.items():
            bad = control_characters(value) if isinstance(value, str) else []
            if bad:
                msg = f"got control character(s) {', '.join(bad)} in {col!r}, expected plain text"
                raise CorpusError(path, line, msg)
        published = values.get("published")
        date = None
        if published is not None and dates[k] is not None:
            date = DateText(str(published), "absolute", value=dates[k])
        body_lines = [b for b in str(values["body"]).splitlines() if b.strip()]
        out.append(
            RawArticle(
                source_file=path.name,
                line_start=line,
                line_end=line,
                layout="tabular",
                placement="lead",
                page_tag=None,
                outlet=registry.canonical(str(values["outlet"])),
                section=(str(values["section"]).strip() or None) if values.get("section") else None,
                date=date,
                title=str(values["title"]).strip(),
                body_lines=body_lines,
            )
        )
    return out, hashlib.sha256(data).hexdigest()
