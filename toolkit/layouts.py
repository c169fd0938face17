"""Page layouts of the news aggregator, parsed into raw article blocks.

Four layouts occur (see the README for examples):

* ``article``: a title line, body lines, then site chrome and related blocks;
* ``listing``: "Latest news with #Tag", then dated blocks
  (outlet, date, "- Section", "- Outlet", title, body);
* ``listing_header``: "logo"/"#" first, blocks that print the title twice
  before the outlet, a glued "time3 days ago" and "• Section" bullets;
* ``article_header``: "logo", the title twice, "Korea Herald6 days ago",
  body lines, "Orange background" and the chrome of ``article``.

Every non-blank line is given a fate in a :class:`Ledger`: article text,
metadata, chrome (with the rule's reason), caption, duplicate title, or
unplaced (listed in the report). Nothing is dropped without a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.cleaning import title_key
from toolkit.dates import GLUED_TAIL, DateText, parse_date_text
from toolkit.errors import CorpusError
from toolkit.reading import PageText
from toolkit.registry import ChromeRules, OutletRegistry

LINE_FATES = ("text", "metadata", "chrome", "caption", "duplicate_title", "unplaced")

_LISTING = re.compile(r"^Latest news with #(?P<tag>\S.*)$", re.IGNORECASE)
_BULLET = re.compile(r"^[-\u2022\u00b7\u25aa*\u2013]\s*(?P<value>\S.*)$")
_HEADER_CHROME = frozenset({"site logo", "site header", "advertisement"})
#: Chrome reasons (toolkit/data/chrome.csv) for lines that appear inside article bodies.
_INLINE_CHROME = frozenset(
    {"site navigation", "advertisement", "image placeholder", "app store badges", "caption control", "newsletter prompt", "read-more link",
     "video prompt"}
)
_MAX_OUTLET_CHARS = 80
_DATE_SHAPE = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$")
# Every glued outlet+date line ends like one of these (cheap pre-check).
_GLUED_ENDINGS = ("ago", "AGO", "Ago", "now", "Now", "yesterday", "Yesterday", *"0123456789")
_MAX_OUTLET_WORDS = 8


@dataclass
class Ledger:
    """The fate of every line of one file (None for blank lines)."""

    path: Path
    fates: list[str | None]
    reasons: list[str | None]

    @classmethod
    def for_lines(cls, path: Path, n: int) -> Ledger:
        return cls(path, [None] * n, [None] * n)

    def mark(self, index: int, fate: str, reason: str | None = None) -> None:
        self.fates[index] = fate
        self.reasons[index] = reason


@dataclass
class RawArticle:
    """One article block as printed, before cleaning."""

    source_file: str
    line_start: int
    line_end: int
    layout: str
    placement: str
    page_tag: str | None
    outlet: str | None
    section: str | None
    date: DateText | None
    title: str
    body_lines: list[str]
    body_line_indices: list[int] = field(default_factory=list)
    #: The input's own fields that map to no column ({"name", "value"} pairs); None for a text page.
    extra: list[dict[str, str | None]] | None = None


@dataclass
class _Anchor:
    outlet_pos: int  # position in the region's line list
    date_pos: int
    outlet: str | None
    date: DateText
    title_pos: int = -1
    section: str | None = None


def _glued(text: str, registry: OutletRegistry) -> tuple[str, DateText] | None:
    """Split "Korea Herald6 days ago" into outlet and date, or None."""
    if len(text) > _MAX_OUTLET_CHARS + 30 or not text.endswith(_GLUED_ENDINGS):
        return None  # a body line, not a header: skip the searches
    known = registry.split_prefix(text)
    if known and (date := parse_date_text(known[1])):
        return known[0], date
    m = GLUED_TAIL.search(text)
    if not m or m.start() == 0:
        return None
    prefix = text[: m.start()]
    # An unknown outlet must be glued (no space) and short, or a body
    # sentence ending in "3 days ago" would pass for a block header.
    if prefix.endswith(" ") or len(prefix.split()) > 5 or prefix[-1] in ".,;:!?":
        return None
    if prefix.strip().lower() == "time":
        return None
    date = parse_date_text(m["date"])
    return (prefix.strip(), date) if date else None


def _looks_like_outlet(text: str) -> bool:
    return len(text) <= _MAX_OUTLET_CHARS and len(text.split()) <= _MAX_OUTLET_WORDS and text[-1] not in ".!?,;:"


class PageParser:
    """Parse one decoded page into raw articles and a line ledger.

    Parameters
    ----------
    registry : OutletRegistry
        Known outlets, used to split glued outlet/date lines.
    chrome : ChromeRules
        Whole-line site chrome.
    """

    def __init__(self, registry: OutletRegistry, chrome: ChromeRules) -> None:
        self.registry = registry
        self.chrome = chrome

    def parse(self, page: PageText, *, page_tag: str | None = None) -> tuple[list[RawArticle], Ledger, str, str | None]:
        """Return ``(articles, ledger, layout, page_tag)`` for ``page``."""
        path = page.path
        raw = [line.rstrip() for line in page.lines]
        text = [line.replace("\ufeff", "").replace("\u00a0", " ").strip() for line in raw]
        ledger = Ledger.for_lines(path, len(text))
        nonblank = [i for i, t in enumerate(text) if t]

        chrome_at: dict[int, str] = {}
        for i in nonblank:
            why = self.chrome.reason(text[i])
            if why:
                chrome_at[i] = why
                ledger.mark(i, "chrome", why)

        listing_at = next((i for i in nonblank if _LISTING.match(text[i])), None)
        header = bool(nonblank) and chrome_at.get(nonblank[0]) == "site logo"
        if listing_at is not None:
            layout = "listing_header" if header else "listing"
            ledger.mark(listing_at, "metadata", "page tag")
            page_tag = page_tag or _LISTING.match(text[listing_at])["tag"].strip()
            region = [i for i in nonblank if i > listing_at and i not in chrome_at]
            for i in nonblank:
                if i < listing_at and i not in chrome_at:
                    ledger.mark(i, "unplaced", "before the listing header")
            articles = self._blocks(path, raw, text, region, ledger, layout=layout, placement="listing", page_tag=page_tag)
            if not articles:
                msg = "got a listing with no dated article blocks, expected outlet/date/title/body blocks"
                raise CorpusError(path, listing_at + 1, msg)
            return articles, ledger, layout, page_tag

        # Article pages: the lead runs up to the first footer chrome line. Chrome that also
        # sits inside bodies ("Share", "Read more", an advertisement marker) is dropped
        # where it stands and does not end the article.
        # A page with no other chrome ends at its first inline chrome line, as before.
        footer = next((i for i in nonblank if i in chrome_at and chrome_at[i] not in _HEADER_CHROME | _INLINE_CHROME), None)
        if footer is None:
            footer = next((i for i in nonblank if i in chrome_at and chrome_at[i] not in _HEADER_CHROME), None)
        lead_region = [i for i in nonblank if (footer is None or i < footer) and i not in chrome_at]
        glued_lead = any(_glued(text[i], self.registry) or parse_date_text(text[i]) for i in lead_region[:4])
        if footer is None and not glued_lead:
            first = nonblank[0] + 1 if nonblank else None
            msg = (
                "got a page in no known layout (no 'Latest news with #' header, no dated blocks, "
                "no article chrome such as 'Related Articles'), expected an aggregator article or listing page"
            )
            raise CorpusError(path, first, msg)
        layout = "article_header" if header else "article"
        lead = self._lead(path, raw, text, lead_region, ledger, layout=layout, page_tag=page_tag)
        rest = [i for i in nonblank if footer is not None and i > footer and i not in chrome_at]
        related = self._blocks(path, raw, text, rest, ledger, layout=layout, placement="related", page_tag=page_tag)
        return [lead, *related], ledger, layout, page_tag

    # -- lead article -------------------------------------------------------
    def _lead(self, path: Path, raw: list[str], text: list[str], region: list[int], ledger: Ledger, *, layout: str, page_tag: str | None) -> RawArticle:
        if not region:
            msg = "got an article page with no title or body before its chrome, expected a title line and body lines"
            raise CorpusError(path, None, msg)
        outlet: str | None = None
        date: DateText | None = None
        body_from = 1
        for pos, i in enumerate(region[:4]):
            glued = _glued(text[i], self.registry)
            alone = parse_date_text(text[i])
            if glued:
                outlet, date = glued
                ledger.mark(i, "metadata", "outlet and date")
                body_from = pos + 1
                header_lines = region[:pos]
                break
            if alone and pos >= 1:
                date = alone
                ledger.mark(i, "metadata", "date")
                header_lines = region[:pos]
                if pos >= 2 and _looks_like_outlet(text[region[pos - 1]]) and title_key(text[region[pos - 1]]) != title_key(text[region[0]]):
                    outlet = text[region[pos - 1]]
                    ledger.mark(region[pos - 1], "metadata", "outlet")
                    header_lines = region[: pos - 1]
                body_from = pos + 1
                break
        else:
            # No date line: the title, and any repeats of it, open the page.
            key = title_key(text[region[0]])
            n = 1
            while n < len(region) and len(text[region[n]]) <= 2 * len(text[region[0]]) + 10 and title_key(text[region[n]]) == key:
                n += 1
            header_lines, body_from = region[:n], n
        title_i = header_lines[0] if header_lines else region[0]
        ledger.mark(title_i, "text", "title")
        for i in header_lines[1:]:
            if title_key(text[i]) == title_key(text[title_i]):
                ledger.mark(i, "duplicate_title", "title printed again")
            else:
                ledger.mark(i, "unplaced", "between title and date")
        body = region[body_from:]
        if not body:
            msg = f"got an article cut off before its body (title {text[title_i][:60]!r}), expected body lines after it"
            raise CorpusError(path, title_i + 1, msg)
        for i in body:
            ledger.mark(i, "text", "body")
        return RawArticle(
            source_file=path.name,
            line_start=region[0] + 1,
            line_end=body[-1] + 1,
            layout=layout,
            placement="lead",
            page_tag=page_tag,
            outlet=self.registry.canonical(outlet) if outlet else None,
            section=None,
            date=date,
            title=raw[title_i].strip(),
            body_lines=[raw[i] for i in body],
            body_line_indices=body,
        )

    # -- dated blocks ---------------------------------------------------------
    def _anchors(self, path: Path, text: list[str], region: list[int], ledger: Ledger) -> list[_Anchor]:
        anchors: list[_Anchor] = []
        claimed = -1  # last region position used by a block header
        for pos, i in enumerate(region):
            if pos <= claimed:
                continue
            glued = _glued(text[i], self.registry)
            if glued:
                anchor = _Anchor(pos, pos, glued[0], glued[1])
                ledger.mark(i, "metadata", "outlet and date")
            elif _DATE_SHAPE.match(text[i]) and parse_date_text(text[i]) is None:
                # Looks like a block's date but is no real day: losing the block
                # into the previous body would be silent, so say so.
                msg = f"got an impossible date {text[i]!r}, expected a real day-month-year date such as 10-07-2025"
                raise CorpusError(path, i + 1, msg)
            elif date := parse_date_text(text[i]):
                prev = region[pos - 1] if pos >= 1 and pos - 1 > claimed else None
                if prev is None or not _looks_like_outlet(text[prev]) or (anchors and anchors[-1].title_pos == pos - 1):
                    msg = f"got a date line {text[i]!r} with no outlet line before it, expected 'Outlet' then the date"
                    raise CorpusError(path, i + 1, msg)
                anchor = _Anchor(pos - 1, pos, text[prev], date)
                ledger.mark(prev, "metadata", "outlet")
                ledger.mark(i, "metadata", "date")
            else:
                continue
            # Bullets: sections, then the outlet repeated.
            nxt = pos + 1
            sections: list[str] = []
            while nxt < len(region) and (m := _BULLET.match(text[region[nxt]])):
                value = m["value"].strip()
                same_outlet = anchor.outlet and self.registry.canonical(value).casefold() == self.registry.canonical(anchor.outlet).casefold()
                if same_outlet:
                    ledger.mark(region[nxt], "metadata", "outlet bullet")
                else:
                    sections.append(value)
                    ledger.mark(region[nxt], "metadata", "section")
                nxt += 1
            anchor.section = " / ".join(sections) or None
            if nxt >= len(region) or parse_date_text(text[region[nxt]]) or _glued(text[region[nxt]], self.registry):
                msg = f"got a block cut off before its title (outlet {anchor.outlet!r}), expected a title and a body"
                raise CorpusError(path, region[min(nxt, len(region)) - 1] + 1, msg)
            anchor.title_pos = nxt
            claimed = nxt
            anchors.append(anchor)
        return anchors

    def _blocks(self, path: Path, raw: list[str], text: list[str], region: list[int], ledger: Ledger, *, layout: str, placement: str, page_tag: str | None) -> list[RawArticle]:
        anchors = self._anchors(path, text, region, ledger)
        if not anchors:
            for i in region:
                ledger.mark(i, "unplaced", "no dated block around it")
            return []
        # Titles printed again just before a block's outlet line belong to that block.
        starts: list[int] = []
        for anchor in anchors:
            title = text[region[anchor.title_pos]]
            key = title_key(title)
            start = anchor.outlet_pos
            # the length guard keeps long body lines out of the normalisation
            while start - 1 >= 0 and len(text[region[start - 1]]) <= 2 * len(title) + 10 and title_key(text[region[start - 1]]) == key:
                start -= 1
                ledger.mark(region[start], "duplicate_title", "title printed again")
            starts.append(start)
        for pos in range(starts[0]):
            ledger.mark(region[pos], "unplaced", "before the first block")
        articles: list[RawArticle] = []
        for k, anchor in enumerate(anchors):
            end = starts[k + 1] if k + 1 < len(anchors) else len(region)
            title_i = region[anchor.title_pos]
            ledger.mark(title_i, "text", "title")
            body = region[anchor.title_pos + 1 : end]
            if not body:
                msg = f"got a block cut off before its body (title {text[title_i][:60]!r}), expected a body line after the title"
                raise CorpusError(path, title_i + 1, msg)
            for i in body:
                ledger.mark(i, "text", "body")
            articles.append(
                RawArticle(
                    source_file=path.name,
                    line_start=region[starts[k]] + 1,
                    line_end=body[-1] + 1,
                    layout=layout,
                    placement=placement,
                    page_tag=page_tag,
                    outlet=self.registry.canonical(anchor.outlet) if anchor.outlet else None,
                    section=anchor.section,
                    date=anchor.date,
                    title=raw[title_i].strip(),
                    body_lines=[raw[i] for i in body],
                    body_line_indices=body,
                )
            )
        return articles
