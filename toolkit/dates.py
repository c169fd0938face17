"""Date lines: absolute day-month-year dates and relative "3 days ago" forms.

Relative dates are resolved against the page's crawl date (from the seed
manifest), never against the file's modification time or today's date.
Offsets shorter than a day resolve to the crawl date itself, because the
crawl time of day is not known; months and years step back by calendar
month (the day is clamped to the month's length).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_UNIT = r"(?P<unit>second|sec|minute|min|hour|hr|day|week|month|year)s?"
_COUNT = r"(?P<n>\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten)"
RELATIVE_CORE = rf"{_COUNT}\s*{_UNIT}\s+ago"
_RELATIVE = re.compile(rf"^(?:time\s*)?{RELATIVE_CORE}$", re.IGNORECASE)
_SPECIAL = re.compile(r"^(?:time\s*)?(?P<word>just now|today|yesterday)$", re.IGNORECASE)
_ABSOLUTE = re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})$")
# A date glued to the end of another string: "Korea Herald6 days ago".
GLUED_TAIL = re.compile(
    rf"(?P<date>(?:{RELATIVE_CORE})|(?:\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{4}})|just now|yesterday)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateText:
    """A parsed date line.

    ``basis`` is "absolute" or "relative"; ``value`` is the date for an
    absolute date; ``offset`` is ``(count, unit)`` for a relative one.
    """

    text: str
    basis: str
    value: dt.date | None = None
    offset: tuple[int, str] | None = None


@lru_cache(maxsize=65536)
def parse_date_text(text: str) -> DateText | None:
    """Parse a whole line as a date, or return None if it is not one.

    Absolute dates are day-month-year (``10-07-2025`` is 10 July 2025). An
    impossible date such as ``31-02-2025`` is not a date line.
    """
    stripped = text.strip()
    if m := _ABSOLUTE.match(stripped):
        try:
            value = dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            return None
        return DateText(text, "absolute", value=value)
    if m := _RELATIVE.match(stripped):
        n_text = m["n"].lower()
        count = int(n_text) if n_text.isdigit() else _NUMBER_WORDS[n_text]
        unit = {"sec": "second", "min": "minute", "hr": "hour"}.get(m["unit"].lower(), m["unit"].lower())
        return DateText(text, "relative", offset=(count, unit))
    if m := _SPECIAL.match(stripped):
        word = m["word"].lower()
        return DateText(text, "relative", offset=(1 if word == "yesterday" else 0, "day"))
    return None


def _minus_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def resolve(date: DateText, crawl_date: dt.date | None) -> dt.date | None:
    """The calendar date of ``date``; None for a relative date with no crawl date."""
    if date.basis == "absolute":
        return date.value
    if crawl_date is None or date.offset is None:
        return None
    count, unit = date.offset
    if unit in {"second", "minute", "hour"}:
        return crawl_date
    if unit == "day":
        return crawl_date - dt.timedelta(days=count)
    if unit == "week":
        return crawl_date - dt.timedelta(weeks=count)
    if unit == "month":
        return _minus_months(crawl_date, count)
    return _minus_months(crawl_date, 12 * count)


# --------------------------------------------------------------------------- table columns

_ISO_DATE = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[T ][0-9:.+\-Z ]*)?$")
_NUMERIC_DATE = re.compile(r"^(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})$")
#: How to name the option in messages.
DATE_FORMAT_HINT = "date_format= of load_corpus/write_corpus, or --date-format on the command line"


class DateColumnError(ValueError):
    """A value of a date column that cannot be read without a guess; ``index`` is its row."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


def parse_date_column(values: list[str | None], *, date_format: str | None = None, column: str = "published") -> list[dt.date | None]:
    """Read a table's date column, refusing to guess.

    Parameters
    ----------
    values : list of str or None
        The column as text; blank and None are missing dates.
    date_format : str, optional
        A :func:`datetime.datetime.strptime` format for the whole column,
        e.g. ``"%m/%d/%y"`` for US dates such as ``7/23/17`` (two-digit
        years: 00-68 are 2000-2068, 69-99 are 1969-1999, as in Python).
        ISO ``YYYY-MM-DD`` values are accepted whatever the format.
    column : str
        Column name for messages.

    Returns
    -------
    list of datetime.date or None
        One per value.

    Notes
    -----
    Without ``date_format`` the column may hold ISO dates (``2025-07-11``,
    optionally followed by an ISO time, ``T10:15:00Z`` or ``10:15:00+09:00``;
    the date is the one written, never shifted to UTC) and day-month-year dates with a
    four-digit year (``23-07-2025``, ``23/07/2025``, ``23.07.2025``), the
    convention documented for pages. The column is read as a whole:
    day-month-year is accepted when some value has a day above 12 (or
    every value has day = month), so ``11/07/2025`` alone is ambiguous
    (11 July or November 7) and raises. A value whose second field is
    above 12 (``7/23/2025``) is month-day-year and raises; so does a
    two-digit year. Every error names the row and the option to set.

    Raises
    ------
    DateColumnError
        At the first value that cannot be read without a guess.
    """
    out: list[dt.date | None] = [None] * len(values)
    numeric: list[tuple[int, int, int, int, str]] = []  # index, a, b, year, text
    for i, raw in enumerate(values):
        text = "" if raw is None else str(raw).strip()
        if not text:
            continue
        if m := _ISO_DATE.match(text):
            try:
                out[i] = dt.date.fromisoformat(m["date"])
            except ValueError:
                msg = f"got {column} {text!r}, expected a real calendar date (YYYY-MM-DD)"
                raise DateColumnError(i, msg) from None
            if len(text) > len(m["date"]):
                # A time is checked, then dropped: the date is the one written, in the value's own offset.
                try:
                    dt.datetime.fromisoformat(text)
                except ValueError:
                    msg = f"got {column} {text!r}, expected an ISO date-time such as 2025-07-23T10:15:00Z or 2025-07-23 10:15:00+09:00"
                    raise DateColumnError(i, msg) from None
            continue
        if date_format is not None:
            try:
                out[i] = dt.datetime.strptime(text, date_format).date()
            except ValueError:
                msg = f"got {column} {text!r}, expected a date in the column's date_format {date_format!r} or ISO YYYY-MM-DD"
                raise DateColumnError(i, msg) from None
            continue
        m = _NUMERIC_DATE.match(text)
        if not m:
            msg = (f"got {column} {text!r}, expected ISO YYYY-MM-DD or day-month-year DD-MM-YYYY; "
                   f"for another format set the column's format with {DATE_FORMAT_HINT} (e.g. '%m/%d/%y')")
            raise DateColumnError(i, msg)
        if len(m["y"]) == 2:
            msg = (f"got {column} {text!r} with a two-digit year, expected a four-digit year unless the format is given: "
                   f"set {DATE_FORMAT_HINT}, e.g. '%m/%d/%y' (month/day/year) or '%d/%m/%y' (day/month/year)")
            raise DateColumnError(i, msg)
        numeric.append((i, int(m["a"]), int(m["b"]), int(m["y"]), text))
    if not numeric:
        return out
    day_first = next((row for row in numeric if row[1] > 12), None)
    month_first = next((row for row in numeric if row[2] > 12), None)
    sep_hint = "'%m/%d/%Y'"
    if month_first is not None:
        i, _, _, _, text = month_first
        also = f" while the column's value {day_first[0] + 1}, {day_first[4]!r}, is day-month-year" if day_first else ""
        msg = (f"got {column} {text!r}, a month-day-year date{also}; dates are read as day-month-year "
               f"unless the column's format is set: {DATE_FORMAT_HINT} (e.g. {sep_hint})")
        raise DateColumnError(i, msg)
    if day_first is None:
        ambiguous = next((row for row in numeric if row[1] != row[2]), None)
        if ambiguous is not None:
            i, a, b, y, text = ambiguous
            msg = (f"got {column} {text!r}, ambiguous: no date in the column has a day above 12, so it may be "
                   f"{a} {calendar.month_name[b] if 1 <= b <= 12 else b} {y} or {calendar.month_name[a] if 1 <= a <= 12 else a} {b} {y}; "
                   f"set the column's format with {DATE_FORMAT_HINT} ('%d/%m/%Y' or '%m/%d/%Y')")
            raise DateColumnError(i, msg)
    for i, a, b, y, text in numeric:
        try:
            out[i] = dt.date(y, b, a)
        except ValueError:
            msg = f"got {column} {text!r}, expected a real calendar date (day-month-year)"
            raise DateColumnError(i, msg) from None
    return out
