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
