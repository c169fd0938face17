"""Untrusted text stays data: Markdown/HTML escaping, CSV cells, terminal output."""

from __future__ import annotations

from html.parser import HTMLParser

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

import toolkit
from toolkit.safe import control_characters, neutralise_csv, neutralise_csv_cell, printable

PAYLOADS = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    'Title "</script><script>alert(2)</script>',
    "[click me](javascript:alert(3))",
    "<javascript:alert(4)>",
    "<a href='javascript:alert(5)'>x</a>",
    "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==)",
    "**bold** _it_ # heading `code` | a | b |",
)


class _Elements(HTMLParser):
    """Collects every element and attribute the rendered HTML builds."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.tags


def test_escaped_payloads_build_no_element_and_print_as_typed():
    for payload in PAYLOADS:
        html = toolkit.prose(f"Outlet **{toolkit.escape_markdown(payload)}** said").html
        # Only the template's own <p> and <strong>: no element, attribute or link from the data.
        assert _elements(html) == [("p", []), ("strong", [])], (payload, html)
        text = html.replace("<p>", "").replace("</p>", "").replace("<strong>", "").replace("</strong>", "")
        import html as html_module

        assert html_module.unescape(text).strip() == f"Outlet {payload} said".strip()


def test_prose_itself_refuses_raw_html_and_unsafe_links_even_unescaped():
    # Defence in depth: a value a notebook forgot to escape still cannot run script.
    for payload in PAYLOADS:
        html = toolkit.prose(f"Outlet {payload}").html
        for tag, attrs in _elements(html):
            assert tag not in {"script", "img", "iframe", "object"} or (tag == "img" and not any(k.startswith("on") for k, _ in attrs))
            for key, value in attrs:
                assert not key.startswith("on"), html
                assert not (value or "").strip().lower().startswith(("javascript:", "vbscript:", "data:text")), html


def test_prose_displays_as_html_only():
    shown = toolkit.prose("**a**")
    assert shown._repr_html_() == "<p><strong>a</strong></p>\n"
    assert not hasattr(shown, "_repr_markdown_")  # nbconvert would render markdown with raw HTML allowed


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_escaped_text_renders_literally(text):
    html = toolkit.prose(f"x {toolkit.escape_markdown(text)} y").html
    assert [tag for tag, _ in _elements(html)] == ["p"]


def test_csv_cells_that_spreadsheets_would_run_are_neutralised():
    assert neutralise_csv_cell('=HYPERLINK("http://evil","x")') == '\'=HYPERLINK("http://evil","x")'
    for cell in ("+1+2", "-2+3", "@SUM(A1)", "\tx", "\r=x"):
        assert neutralise_csv_cell(cell) == "'" + cell
    for cell in ("plain", "a=b", "", None, "1-2"):
        assert neutralise_csv_cell(cell) == cell
    frame = pl.DataFrame({"title": ["=cmd|' /C calc'!A0", "fine"], "n": [-1, 2]})
    out = neutralise_csv(frame)
    assert out["title"].to_list() == ["'=cmd|' /C calc'!A0", "fine"]
    assert out["n"].to_list() == [-1, 2]  # numbers are not formulas


def test_printable_escapes_terminal_controls():
    assert printable("Korea\x1b[2J Herald\x07") == "Korea\\x1b[2J Herald\\x07"
    assert printable("tab\tand\nnewline") == "tab\tand\nnewline"
    assert control_characters("a\x1bb\x00\r\n\t") == ["U+0000 CONTROL", "U+001B CONTROL"]
