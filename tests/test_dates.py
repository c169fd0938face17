"""Unit tests of toolkit.dates: date lines and their resolution against a crawl date."""

from __future__ import annotations

import datetime as dt

import pytest

from toolkit.dates import GLUED_TAIL, DateText, parse_date_text, resolve

D = dt.date


# -- absolute day-month-year ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10-07-2025", D(2025, 7, 10)),  # day first: 10 July, not 7 October
        ("07-10-2025", D(2025, 10, 7)),
        ("1-2-2025", D(2025, 2, 1)),
        ("01/02/2025", D(2025, 2, 1)),
        ("31.12.2024", D(2024, 12, 31)),
        ("29-02-2024", D(2024, 2, 29)),  # leap day
        ("  26-05-2025  ", D(2025, 5, 26)),  # surrounding blanks
    ],
)
def test_absolute_dates_are_day_month_year(text, expected):
    parsed = parse_date_text(text)
    assert parsed is not None
    assert parsed.basis == "absolute"
    assert parsed.value == expected
    assert parsed.offset is None
    assert parsed.text == text  # kept as given


@pytest.mark.parametrize(
    "text",
    [
        "31-02-2025",  # no 31 February
        "29-02-2025",  # 2025 is not a leap year
        "00-01-2025",
        "10-13-2025",  # month 13: proves day-month order, 13 is not a month
        "32-01-2025",
        "2025-07-10",  # year first is not the aggregator's format
        "10-07-25",  # two-digit year
        "10-07-2025 12:00",
        "on 10-07-2025",
    ],
)
def test_invalid_or_foreign_absolute_dates_are_not_date_lines(text):
    assert parse_date_text(text) is None


# -- relative forms ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("3 days ago", (3, "day")),
        ("1 day ago", (1, "day")),
        ("6 hours ago", (6, "hour")),
        ("an hour ago", (1, "hour")),
        ("a day ago", (1, "day")),
        ("2 weeks ago", (2, "week")),
        ("a month ago", (1, "month")),
        ("13 months ago", (13, "month")),
        ("a year ago", (1, "year")),
        ("two years ago", (2, "year")),
        ("ten days ago", (10, "day")),
        ("5 mins ago", (5, "minute")),
        ("30 secs ago", (30, "second")),
        ("2 hrs ago", (2, "hour")),
        ("3days ago", (3, "day")),
        ("3 Days Ago", (3, "day")),
        ("An Hour Ago", (1, "hour")),
        ("time3 days ago", (3, "day")),  # glued "time" label of the header layouts
        ("timea day ago", (1, "day")),
        ("time2 weeks ago", (2, "week")),
        ("time 4 days ago", (4, "day")),
        ("yesterday", (1, "day")),
        ("Yesterday", (1, "day")),
        ("today", (0, "day")),
        ("just now", (0, "day")),
        ("timeyesterday", (1, "day")),
    ],
)
def test_relative_forms(text, offset):
    parsed = parse_date_text(text)
    assert parsed is not None
    assert parsed.basis == "relative"
    assert parsed.offset == offset
    assert parsed.value is None
    assert parsed.text == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ago",
        "3 days",
        "days ago",
        "in 3 days",
        "3 days ago.",
        "3 days agoo",
        "about 3 days ago",
        "1000 days ago",  # more than three digits
        "Korea Herald6 days ago",  # glued outlet: a whole line is not a bare date
        "He left 3 days ago",
        "tomorrow",
        "3 fortnights ago",
    ],
)
def test_non_dates(text):
    assert parse_date_text(text) is None


# -- resolution ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "crawl", "expected"),
    [
        ("3 days ago", D(2025, 7, 15), D(2025, 7, 12)),
        ("time3 days ago", D(2025, 7, 15), D(2025, 7, 12)),
        ("6 days ago", D(2025, 7, 3), D(2025, 6, 27)),  # crosses a month
        ("2 days ago", D(2025, 1, 1), D(2024, 12, 30)),  # crosses a year
        ("2 weeks ago", D(2025, 3, 31), D(2025, 3, 17)),
        ("time2 weeks ago", D(2025, 3, 10), D(2025, 2, 24)),
        ("yesterday", D(2025, 3, 1), D(2025, 2, 28)),
        ("yesterday", D(2024, 3, 1), D(2024, 2, 29)),
        ("today", D(2025, 3, 1), D(2025, 3, 1)),
        ("just now", D(2025, 3, 1), D(2025, 3, 1)),
        # Less than a day resolves to the crawl date itself.
        ("an hour ago", D(2025, 8, 14), D(2025, 8, 14)),
        ("23 hours ago", D(2025, 8, 14), D(2025, 8, 14)),
        ("5 mins ago", D(2025, 8, 14), D(2025, 8, 14)),
        ("30 secs ago", D(2025, 8, 14), D(2025, 8, 14)),
        # Calendar-month arithmetic clamps the day to the month's length.
        ("a month ago", D(2025, 3, 31), D(2025, 2, 28)),
        ("a month ago", D(2024, 3, 31), D(2024, 2, 29)),
        ("a month ago", D(2025, 5, 31), D(2025, 4, 30)),
        ("a month ago", D(2025, 3, 15), D(2025, 2, 15)),
        ("a month ago", D(2025, 1, 15), D(2024, 12, 15)),
        ("3 months ago", D(2025, 5, 31), D(2025, 2, 28)),
        ("13 months ago", D(2025, 3, 31), D(2024, 2, 29)),
        ("12 months ago", D(2025, 1, 31), D(2024, 1, 31)),
        ("a year ago", D(2024, 2, 29), D(2023, 2, 28)),
        ("two years ago", D(2025, 7, 10), D(2023, 7, 10)),
    ],
)
def test_resolve_relative_against_crawl_date(text, crawl, expected):
    parsed = parse_date_text(text)
    assert parsed is not None
    assert resolve(parsed, crawl) == expected


def test_resolve_relative_without_crawl_date_is_none():
    for text in ("3 days ago", "a month ago", "yesterday", "an hour ago", "time3 days ago"):
        parsed = parse_date_text(text)
        assert parsed is not None
        assert resolve(parsed, None) is None


def test_resolve_absolute_ignores_crawl_date():
    parsed = parse_date_text("10-07-2025")
    assert resolve(parsed, None) == D(2025, 7, 10)
    assert resolve(parsed, D(2030, 1, 1)) == D(2025, 7, 10)


def test_resolve_hand_built_datetexts():
    assert resolve(DateText("x", "relative", offset=(4, "week")), D(2025, 3, 1)) == D(2025, 2, 1)
    assert resolve(DateText("x", "relative", offset=None), D(2025, 3, 1)) is None


# -- glued tails -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("Korea Herald6 days ago", "6 days ago"),
        ("Foo Gazette3 days ago", "3 days ago"),
        ("Foo Gazettean hour ago", "an hour ago"),
        ("Foo Gazettea month ago", "a month ago"),
        ("Foo Gazette13 days ago", "13 days ago"),
        ("Foo Gazette10-07-2025", "10-07-2025"),
        ("Channel 410-07-2025", "10-07-2025"),
        ("Foo Gazetteyesterday", "yesterday"),
    ],
)
def test_glued_tail_finds_the_date_at_the_end(line, date):
    m = GLUED_TAIL.search(line)
    assert m is not None
    assert m["date"] == date
    assert parse_date_text(m["date"]) is not None


def test_glued_tail_needs_the_date_at_the_very_end():
    assert GLUED_TAIL.search("Foo Gazette3 days ago, officials said") is None
    assert GLUED_TAIL.search("Foo Gazette") is None



@pytest.mark.parametrize(
    ("values", "fmt", "expected"),
    [
        (["2025-07-11", None, " "], None, [dt.date(2025, 7, 11), None, None]),
        (["23-07-2025", "01/02/2025"], None, [dt.date(2025, 7, 23), dt.date(2025, 2, 1)]),
        (["05/05/2025"], None, [dt.date(2025, 5, 5)]),  # day = month: the same either way
        (["7/23/17", "1/2/70", "2017-07-24"], "%m/%d/%y", [dt.date(2017, 7, 23), dt.date(1970, 1, 2), dt.date(2017, 7, 24)]),
        (["11/07/2025"], "%d/%m/%Y", [dt.date(2025, 7, 11)]),
        (["11/07/2025"], "%m/%d/%Y", [dt.date(2025, 11, 7)]),
    ],
)
def test_date_column_reads_unambiguous_values(values, fmt, expected):
    from toolkit.dates import parse_date_column

    assert parse_date_column(values, date_format=fmt) == expected


@pytest.mark.parametrize(
    ("values", "index", "needle"),
    [
        (["11/07/2025", "03/04/2025"], 0, "ambiguous"),
        (["2025-07-11", "7/23/2025"], 1, "month-day-year"),
        (["23/07/2025", "7/23/2025"], 1, "value 1"),
        (["7/23/17"], 0, "two-digit year"),
        (["July 23, 2017"], 0, "expected ISO"),
        (["2025-02-31"], 0, "real calendar date"),
        (["31/02/2025", "13/01/2025"], 0, "real calendar date"),
    ],
)
def test_date_column_refuses_to_guess(values, index, needle):
    from toolkit.dates import DateColumnError, parse_date_column

    with pytest.raises(DateColumnError) as err:
        parse_date_column(values)
    assert err.value.index == index and needle in err.value.message
    assert "date_format" in err.value.message or "calendar" in err.value.message
