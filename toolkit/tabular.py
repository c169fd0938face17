"""Article tables a user brings (CSV, TSV, JSONL, JSON, Parquet) read into raw blocks.

Fields: ``outlet``, ``title``, ``body`` (required) and ``published``,
``section`` (optional). A file's columns are matched to them by name,
case-insensitively, or through an explicit mapping ``columns={"outlet":
"source", "body": "content_original"}`` (``--columns
outlet=source,body=content_original`` on the command line). Nothing is
renamed by guessing: when a field is missing, the error suggests a mapping
from the columns the file has.

``published`` may be a Date or Datetime column (with or without a time
zone), or text: ISO ``YYYY-MM-DD`` optionally followed by a time
(``2025-07-23T10:15:00Z``, ``2025-07-23 10:15:00+09:00``), unambiguous
day-month-year ``DD-MM-YYYY``, or any format named by ``date_format``
(e.g. ``"%m/%d/%y"`` for US ``7/23/17``). A value with a time becomes the
calendar date *as recorded*, in its own time zone or offset, never converted
to UTC: ``2025-07-23T23:30:00-05:00`` is 23 July.

Columns that are not mapped to a field (ids, authors, URLs, anything) are
kept, in file order, as the article's ``extra`` list of ``{name, value}``
pairs, values as text (JSON for lists and objects).

Errors name the file and the line: CSV/TSV count physical lines with the
header as line 1 (a quoted body spanning lines is counted as such); JSONL
one object per line; a ``.json`` file the line where its object starts;
Parquet the row number + 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.dates import DateColumnError, DateText, parse_date_column
from toolkit.errors import CorpusError, ToolkitError
from toolkit.layouts import RawArticle
from toolkit.reading import read_bytes
from toolkit.registry import OutletRegistry
from toolkit.safe import control_characters

REQUIRED = ("outlet", "title", "body")
OPTIONAL = ("published", "section")
FIELDS = (*REQUIRED, *OPTIONAL)
#: File suffixes read as article tables.
TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet")
#: Names real exports (Media Cloud, GDELT, scrapers, pandas) give the fields.
#: Used only to suggest a ``columns`` mapping in an error, never applied silently.
ALIASES: dict[str, tuple[str, ...]] = {
    "outlet": ("source", "media_name", "media", "publisher", "site_name", "sitename", "source_name", "domain", "outlet_name"),
    "title": ("headline", "heading", "title_original"),
    "body": ("text", "content", "content_original", "full_text", "fulltext", "maintext", "article", "article_text", "story_text"),
    "published": ("date", "publish_date", "published_at", "publication_date", "pub_date", "pubdate", "date_published", "datetime", "timestamp"),
    "section": ("category", "desk", "topic"),
}


class ColumnsError(ToolkitError, ValueError):
    """A ``columns`` mapping that cannot be applied (unknown field, empty or repeated column)."""


def parse_columns(spec: str | Iterable[str]) -> dict[str, str]:
    """Read ``"outlet=source,body=content"`` (or several such strings) into ``{"outlet": "source", ...}``.

    A field may list alternatives, ``outlet=source|source_domain``, for a
    corpus whose files name it differently (see :func:`check_columns`).

    Raises
    ------
    ColumnsError
        For a part without ``=``, an empty name, a field named twice, or
        anything :func:`check_columns` refuses.
    """
    parts = [spec] if isinstance(spec, str) else list(spec)
    out: dict[str, str] = {}
    for part in (p for chunk in parts for p in chunk.split(",")):
        if not part.strip():
            continue
        target, sep, source = part.partition("=")
        if not sep or not target.strip() or not source.strip():
            msg = f"got {part!r} in the column mapping, expected FIELD=COLUMN pairs such as outlet=source,body=content"
            raise ColumnsError(msg)
        key = target.strip().lower()
        if key in out:
            msg = f"got field {key!r} twice in the column mapping, expected each field mapped once (list alternatives as {key}=a|b)"
            raise ColumnsError(msg)
        out[key] = source.strip()
    check_columns(out)
    return out


def check_columns(columns: Mapping[str, str | Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    """Validate a ``{field: column}`` mapping into ``{field: (column, ...)}``; field names are lower-cased.

    A column may be given as alternatives, ``"source|source_domain"`` or
    ``["source", "source_domain"]``: in each file the first of them that the
    file has is used, so one mapping serves a corpus of differently named
    exports.

    Raises
    ------
    ColumnsError
        For a field the toolkit does not have, an empty column name, or one
        column mapped to two fields.
    """
    if not columns:
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for target, source in columns.items():
        key = str(target).strip().lower()
        if key not in FIELDS:
            msg = f"got {target!r} as a field in the column mapping, expected one of {list(FIELDS)}"
            raise ColumnsError(msg)
        names = source.split("|") if isinstance(source, str) else list(source) if isinstance(source, Sequence) else [source]
        if not names or not all(isinstance(n, str) and n.strip() for n in names):
            msg = f"got {source!r} as the column for {key}, expected a column name"
            raise ColumnsError(msg)
        out[key] = tuple(n.strip() for n in names)
    by_source: dict[str, list[str]] = {}
    for key, alternatives in out.items():
        for name in dict.fromkeys(n.lower() for n in alternatives):
            by_source.setdefault(name, []).append(key)
    twice = {s: ks for s, ks in by_source.items() if len(ks) > 1}
    if twice:
        source, keys = next(iter(twice.items()))
        msg = f"got column {source!r} mapped to {keys}, expected one field per column"
        raise ColumnsError(msg)
    return out


@dataclass
class _Table:
    """A table as read: column names in file order, values per column, and where each row sits."""

    names: list[str]
    columns: dict[str, list[Any]]
    lines: list[tuple[int, int]]
    #: Line that names the columns (CSV/TSV header), for errors about columns.
    header_line: int | None
    blank_rows: int = 0

    @property
    def height(self) -> int:
        return len(self.lines)


def _decode(path: Path, data: bytes, what: str) -> str:
    """``data`` as UTF-8 text (a byte-order mark dropped); a CorpusError naming the line otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        msg = f"got byte 0x{data[exc.start]:02x} that is not valid UTF-8, expected UTF-8 {what}"
        raise CorpusError(path, line, msg) from None


def _from_frame(frame: pl.DataFrame, lines: list[tuple[int, int]], header_line: int | None) -> _Table:
    return _Table(
        names=list(frame.columns),
        columns={c: frame[c].to_list() for c in frame.columns},
        lines=lines,
        header_line=header_line,
    )


def _csv_record_lines(text: str, separator: str) -> list[tuple[int, int]] | None:
    """First and last physical line of every record after the header (quoted fields may span lines).

    None when Python's reading of the quoting disagrees with the row count (the caller falls back to one line per row).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"', strict=False)
    out: list[tuple[int, int]] = []
    previous = 0
    try:
        for k, _record in enumerate(reader):
            if k:
                out.append((previous + 1, reader.line_num))
            previous = reader.line_num
    except csv.Error:
        return None
    return out


def _read_delimited(path: Path, data: bytes, separator: str) -> _Table:
    kind = "TSV" if separator == "\t" else "CSV"
    text = _decode(path, data, f"{kind} text")
    if not text.strip():
        msg = f"got an empty {kind} file, expected a header line and one article per row"
        raise CorpusError(path, None, msg)
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, separator=separator)
    except (pl.exceptions.PolarsError, OSError) as exc:
        msg = f"got an unreadable {kind} table ({str(exc).splitlines()[0]}), expected a valid file"
        raise CorpusError(path, None, msg) from None
    # Polars unescapes doubled quotes in header names wrongly ('""""' gives '""'); the csv module reads them as RFC 4180 says.
    header = next(csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"', strict=False), None)
    if header is not None and len(header) == frame.width and header != frame.columns and len(set(header)) == len(header):
        frame.columns = header
    if frame.width == 1 and separator == "," and ";" in frame.columns[0]:
        msg = (f"got one column {frame.columns[0]!r}, which looks separated by semicolons (as some spreadsheet locales save CSV), "
               "expected comma-separated values: save the sheet as CSV with commas, or as tab-separated .tsv")
        raise CorpusError(path, 1, msg)
    lines: list[tuple[int, int]] | None = None
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if physical != frame.height + 1:  # some quoted field spans lines: find where each record starts
        lines = _csv_record_lines(text, separator)
        if lines is not None and len(lines) != frame.height:
            lines = None
    if lines is None:
        lines = [(k + 2, k + 2) for k in range(frame.height)]
    return _from_frame(frame, lines, 1)


def _json_rows(path: Path, rows: list[tuple[int, Any]], what: str) -> _Table:
    names: dict[str, None] = {}
    for line, obj in rows:
        if not isinstance(obj, dict):
            msg = f"got a JSON {type(obj).__name__}, expected {what}"
            raise CorpusError(path, line, msg)
        names.update(dict.fromkeys(obj))
    columns = {name: [obj.get(name) for _, obj in rows] for name in names}
    return _Table(names=list(names), columns=columns, lines=[(line, line) for line, _ in rows], header_line=None)


def _read_jsonl(path: Path, data: bytes) -> _Table:
    rows: list[tuple[int, Any]] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
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
        rows.append((line_no, obj))
    if not rows:
        msg = "got an empty JSONL file, expected one article object per line"
        raise CorpusError(path, None, msg)
    return _json_rows(path, rows, "an object per line")


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _read_json(path: Path, data: bytes) -> _Table:
    """A ``.json`` file: one article object, or an array of article objects."""
    text = _decode(path, data, "JSON")
    decoder = json.JSONDecoder()
    start = len(text) - len(text.lstrip())
    if start == len(text):
        msg = "got an empty JSON file, expected an article object or an array of them"
        raise CorpusError(path, None, msg)

    def value_at(i: int) -> tuple[Any, int]:
        try:
            return decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            msg = f"got invalid JSON ({exc.msg}), expected an article object or an array of them"
            raise CorpusError(path, exc.lineno, msg) from None

    def skip_space(i: int) -> int:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i

    rows: list[tuple[int, Any]] = []
    if text[start] != "[":
        obj, end = value_at(start)
        if skip_space(end) != len(text):
            msg = "got data after the JSON value, expected one article object or one array per .json file"
            raise CorpusError(path, _line_at(text, skip_space(end)), msg)
        rows.append((_line_at(text, start), obj))
        return _json_rows(path, rows, "an article object (or an array of them) in a .json file")
    # An array: each element's own line, read element by element.
    i = skip_space(start + 1)
    if i < len(text) and text[i] == "]":
        msg = "got an empty JSON array, expected article objects"
        raise CorpusError(path, _line_at(text, i), msg)
    while True:
        obj, end = value_at(i)
        rows.append((_line_at(text, i), obj))
        i = skip_space(end)
        if i < len(text) and text[i] == ",":
            i = skip_space(i + 1)
            continue
        if i < len(text) and text[i] == "]" and skip_space(i + 1) == len(text):
            break
        msg = "got invalid JSON (expected ',' or a closing ']'), expected an array of article objects"
        raise CorpusError(path, _line_at(text, min(i, len(text) - 1)), msg)
    return _json_rows(path, rows, "an article object in the array")


def _read_table(path: Path, data: bytes) -> _Table:
    """The table in ``data`` (the bytes of ``path``), by suffix."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return _read_delimited(path, data, "\t" if suffix == ".tsv" else ",")
    if suffix == ".parquet":
        try:
            frame = pl.read_parquet(io.BytesIO(data))
        except (pl.exceptions.PolarsError, OSError) as exc:
            msg = f"got an unreadable parquet table ({str(exc).splitlines()[0]}), expected a valid file"
            raise CorpusError(path, None, msg) from None
        return _from_frame(frame, [(k + 1, k + 1) for k in range(frame.height)], None)
    if suffix == ".json":
        return _read_json(path, data)
    return _read_jsonl(path, data)


def _drop_blank_rows(table: _Table) -> _Table:
    """Rows with no value at all (a blank CSV line) are not articles; they are counted, not read."""
    if not table.names or not table.height:
        return table
    keep = [k for k in range(table.height) if any(table.columns[c][k] is not None for c in table.names)]
    if len(keep) == table.height:
        return table
    return _Table(
        names=table.names,
        columns={c: [v[k] for k in keep] for c, v in table.columns.items()},
        lines=[table.lines[k] for k in keep],
        header_line=table.header_line,
        blank_rows=table.height - len(keep),
    )


def _suggest(names: list[str], missing: list[str]) -> str:
    lower = {n.lower(): n for n in names}
    pairs = []
    for target in missing:
        hit = next((lower[a] for a in ALIASES.get(target, ()) if a in lower), None)
        if hit is not None:
            pairs.append(f"{target}={hit}")
    if not pairs:
        return "; name the columns to use with columns={'field': 'column'} (--columns field=column,...)"
    mapping = ",".join(pairs)
    return f"; if these are the columns to use, say so: --columns {mapping} (columns={{{', '.join(repr(p.split('=')[0]) + ': ' + repr(p.split('=')[1]) for p in pairs)}}})"


def _resolve_fields(table: _Table, path: Path, columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """``{field: column name in the file}`` for the fields the file has; errors for the ones it must have."""
    by_lower: dict[str, list[str]] = {}
    for name in table.names:
        by_lower.setdefault(name.lower(), []).append(name)
    found: dict[str, str] = {}
    missing: list[str] = []
    for target in FIELDS:
        candidates = columns.get(target, (target,))
        for wanted in candidates:
            hits = by_lower.get(wanted.lower(), [])
            if len(hits) > 1:
                msg = f"got columns {hits} that differ only in case, expected one column {wanted!r} for {target}"
                raise CorpusError(path, table.header_line, msg)
            if hits:
                found[target] = hits[0]
                break
        else:
            if target in columns:
                wanted = " or ".join(repr(c) for c in candidates)
                msg = f"got columns {table.names}, expected a column {wanted} for {target} (from the column mapping)"
                raise CorpusError(path, table.header_line, msg)
            if target in REQUIRED:
                missing.append(target)
    if missing:
        msg = f"got columns {table.names}, expected at least {list(REQUIRED)} (missing {missing})" + _suggest(table.names, missing)
        raise CorpusError(path, table.header_line, msg)
    return found


def _text(value: Any, target: str, column: str, path: Path, line: int) -> str | None:
    """A field's value as text; lists, objects and bytes are refused, numbers written out."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, dict, bytes, bytearray, pl.Series)):
        kind = "an object (struct)" if isinstance(value, dict) else "binary data" if isinstance(value, (bytes, bytearray)) else "a list"
        msg = f"got {kind} in {target!r} (column {column!r}), expected text"
        raise CorpusError(path, line, msg)
    return str(value)


def _extra_text(value: Any) -> str | None:
    """An extra column's value as text: strings as they are, dates ISO, numbers and booleans, lists and objects as JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, pl.Series):
        value = value.to_list()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return json.dumps(value, ensure_ascii=False, default=str)


def extra_columns(articles: pl.DataFrame) -> pl.DataFrame:
    """``article_id`` and one String column per name in the ``extra`` lists, in order of first appearance.

    An article whose input had no such column gets null there. The frame
    holds only ``article_id`` and the extras, so names that are also
    columns of the articles frame are kept as they are, except an input
    column ``article_id``, which becomes ``input_article_id``.

    Parameters
    ----------
    articles : pl.DataFrame
        An articles frame (``corpus.articles`` or ``articles.parquet``).

    Returns
    -------
    pl.DataFrame
        One row per article, in the frame's order.
    """
    from toolkit.schema import require_columns

    require_columns(articles, ["article_id", "extra"], name="articles")
    names: dict[str, None] = {}
    for pairs in articles["extra"].drop_nulls().to_list():
        names.update(dict.fromkeys(p["name"] for p in pairs))
    values: dict[str, list[str | None]] = {n: [] for n in names}
    for pairs in articles["extra"].to_list():
        row = {p["name"]: p["value"] for p in pairs or []}
        for n in names:
            values[n].append(row.get(n))
    out = {("input_article_id" if n == "article_id" else n): v for n, v in values.items()}
    return pl.DataFrame({"article_id": articles["article_id"], **{n: pl.Series(n, v, dtype=pl.String) for n, v in out.items()}})


def _dates(table: _Table, fields: dict[str, str], path: Path, date_format: str | None) -> tuple[list[dt.date | None], list[str | None]]:
    """The ``published`` column read as a whole, and each value as text (see :func:`toolkit.dates.parse_date_column`)."""
    if "published" not in fields:
        return [None] * table.height, [None] * table.height
    column = fields["published"]
    values = table.columns[column]
    texts: list[str | None] = []
    dates: list[dt.date | None] = []
    to_parse: list[str | None] = []
    for k, v in enumerate(values):
        if isinstance(v, dt.datetime):
            # The calendar date as recorded, in the value's own zone: never shifted to UTC.
            texts.append(v.isoformat())
            dates.append(v.date())
            to_parse.append(None)
        elif isinstance(v, dt.date):
            texts.append(v.isoformat())
            dates.append(v)
            to_parse.append(None)
        else:
            text = _text(v, "published", column, path, table.lines[k][0])
            texts.append(text)
            dates.append(None)
            to_parse.append(text)
    if any(t is not None and t.strip() for t in to_parse):
        try:
            parsed = parse_date_column(to_parse, date_format=date_format)
        except DateColumnError as exc:
            raise CorpusError(path, table.lines[exc.index][0], exc.message) from None
        dates = [d if p is None else p for d, p in zip(dates, parsed, strict=True)]
    return dates, texts


# The characters toolkit.safe.control_characters names (tab, newline and CR allowed), as one regex over a whole column.
_CONTROL_CLASS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"


_CONTROL_RE = re.compile(_CONTROL_CLASS)
# Below this many rows Python's regex beats the set-up cost of a Polars scan (one-article .json files).
_SCAN_IN_POLARS = 512


def _first_control_row(texts: dict[str, list[str | None]]) -> int | None:
    """The first row with a control character in any field (one vectorised scan per column), or None."""
    rows = []
    for values in texts.values():
        if len(values) < _SCAN_IN_POLARS:
            hit = next((k for k, v in enumerate(values) if v is not None and _CONTROL_RE.search(v)), None)
            if hit is not None:
                rows.append(hit)
            continue
        hits = pl.Series(values, dtype=pl.String).str.contains(_CONTROL_CLASS).arg_true()
        if hits.len():
            rows.append(int(hits[0]))
    return min(rows) if rows else None


def read_article_table(
    path: str | Path,
    *,
    registry: OutletRegistry,
    date_format: str | None = None,
    columns: Mapping[str, str | Sequence[str]] | None = None,
) -> tuple[list[RawArticle], str]:
    """Validate a user's article table; one raw block per row, and the sha256 of the bytes parsed.

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.tsv``, ``.jsonl``/``.ndjson``, ``.json`` or ``.parquet`` file.
    registry : OutletRegistry
        Gives the canonical outlet names.
    date_format : str, optional
        A ``strptime`` format such as ``"%m/%d/%y"`` for the ``published``
        column; without it the column must be ISO or unambiguous
        day-month-year (:func:`toolkit.dates.parse_date_column`).
    columns : mapping, optional
        ``{field: column}`` for fields the file names differently, e.g.
        ``{"outlet": "source", "body": "content_original"}``; a column may
        be alternatives, ``"source|source_domain"`` (see :func:`check_columns`).

    Raises
    ------
    CorpusError
        Naming the file and, where the problem sits on one, the line.
    """
    raws, sha, _ = read_table_with_stats(path, registry=registry, date_format=date_format, columns=columns)
    return raws, sha


def read_table_with_stats(
    path: str | Path,
    *,
    registry: OutletRegistry,
    date_format: str | None = None,
    columns: Mapping[str, str | Sequence[str]] | None = None,
) -> tuple[list[RawArticle], str, dict[str, Any]]:
    """:func:`read_article_table`, plus what the ingest report records of the file."""
    path = Path(path)
    mapping = check_columns(columns)
    data = read_bytes(path, what="article table")
    table = _drop_blank_rows(_read_table(path, data))
    if table.height == 0:
        msg = "got a table with no rows, expected at least one article"
        raise CorpusError(path, None, msg)
    fields = _resolve_fields(table, path, mapping)
    dates, date_texts = _dates(table, fields, path, date_format)
    used = set(fields.values())
    extra_names = [c for c in table.names if c not in used]
    extra_values = [[_extra_text(v) for v in table.columns[c]] for c in extra_names]
    texts: dict[str, list[str | None]] = {}
    for target, column in fields.items():
        if target == "published":
            texts[target] = date_texts
            continue
        texts[target] = [_text(v, target, column, path, table.lines[k][0]) for k, v in enumerate(table.columns[column])]
    first_control = _first_control_row(texts)
    out: list[RawArticle] = []
    for k in range(table.height):
        start, end = table.lines[k]
        values = {target: texts[target][k] for target in fields}
        for target in REQUIRED:
            value = values[target]
            if value is None or not value.strip():
                msg = f"got an empty {target!r} (column {fields[target]!r}), expected text in every row"
                raise CorpusError(path, start, msg)
        if k == first_control:
            for target, value in values.items():
                bad = control_characters(value) if value is not None else []
                if bad:
                    msg = f"got control character(s) {', '.join(bad)} in {target!r} (column {fields[target]!r}), expected plain text"
                    raise CorpusError(path, start, msg)
        published = values.get("published")
        date = None
        if published is not None and dates[k] is not None:
            date = DateText(published, "absolute", value=dates[k])
        section = values.get("section")
        outlet, title, body = (str(values[t]) for t in REQUIRED)  # checked non-empty above
        out.append(
            RawArticle(
                source_file=path.name,
                line_start=start,
                line_end=end,
                layout="tabular",
                placement="lead",
                page_tag=None,
                outlet=registry.canonical(outlet),
                section=(section.strip() or None) if section else None,
                date=date,
                title=title,  # exactly as given: users join back on it
                body_lines=[b for b in body.splitlines() if b.strip()],
                extra=[{"name": n, "value": vs[k]} for n, vs in zip(extra_names, extra_values, strict=True)],
            )
        )
    stats = {"rows": table.height, "blank_rows": table.blank_rows, "columns": dict(fields), "extra_columns": extra_names}
    return out, hashlib.sha256(data).hexdigest(), stats
