"""Cleaning body text: advertisements, photo captions, bylines, wire credits, datelines.

Everything taken out of a body is returned, never dropped: captions go to
``captions``, credits to ``byline``/``wire``/``dateline``, and every removed
span is counted by reason for the ingest report.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from toolkit.registry import OutletRegistry
from toolkit.segment import split_sentences

_QUOTE_MAP = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u200b": "", "\ufeff": "", "\t": " ",
    }
)
_SPACES = re.compile(r"\s+")

# "Advertisement" between sentences (or at either end of a line).
_ADVERT = re.compile(r"(?:(?<=^)|(?<=[.!?'\")\]]))\s*\bAdvertisement\b\s*(?=$|[A-Z'\"(])")
# Photo credits: "(©ROK JCS)", "(AP Photo/Ahn Young-joon, Pool)", "Photo: AFP".
_CREDIT = re.compile(
    r"\((?:\u00a9|©)[^()]*\)"
    r"|\((?:[A-Z][\w.&'-]*\s){0,3}Photos?\b[^()]*\)"
    r"|\bPhotos?:\s+[A-Z][\w.&'-]*(?:\s*/\s*[A-Z][\w.&'-]*)*(?:\s+[A-Z]{2,}\b)*"
)
_MAX_CAPTION_CHARS = 500
# Characters split to find the sentence before a credit (4 x the longest caption).
_SPLIT_WINDOW = 2000
# How far before a cut a credit could start once the text around it has joined.
_CREDIT_LOOKBACK = 1000
_AUTHOR = re.compile(r"\s*\bAuthor:\s*(?P<name>[^.!?\n]{2,80}?)\s*$")
_BY_LINE = re.compile(r"^By\s+(?P<name>[A-Z][\w'.-]+(?:\s+[A-Z][\w'.-]+){0,3})$")
# A dateline: an upper-case place ("SEOUL", "WASHINGTON", "NEW YORK"), optionally a
# region ("SEOUL, South Korea"), a date ("SEOUL, July 23") and a wire credit
# ("TOKYO (AP)"), then ":", "--" or a dash. A capitalised word such as "Seoul:"
# counts only when it is a known place (KNOWN_PLACES): "Trump: ..." or
# "Analysis: ..." opening a body is text, not a dateline.
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATELINE = re.compile(
    r"^(?P<place>(?:[A-Z][A-Z.'-]+(?:\s[A-Z][A-Z.'-]+){0,2}|[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)"
    r"(?:,\s+[A-Z][\w.'-]+(?:\s[A-Z][\w.'-]+){0,2})?"
    rf"(?:,\s+{_MONTH}\s+\d{{1,2}})?)"
    r"(?:\s*\((?P<credit>[A-Z][\w.&' -]{0,40})\))?"
    r"\s*(?::|\s[\u2014\u2013]|\s--?)\s+(?=[A-Z\"'])"
)
_NOT_DATELINES = frozenset(
    {"update", "note", "editor's note", "correction", "photo", "author", "source", "watch", "read", "also read", "video",
     "analysis", "opinion", "exclusive", "breaking", "explainer", "factbox", "editorial", "commentary", "live", "photos",
     "read more", "related", "advertisement", "listen", "breaking news", "live updates", "fact check", "just in", "developing",
     "developing story", "news analysis", "first on", "q&a", "interview", "podcast", "graphic", "map", "timeline"}
)
#: Capitalised (not upper-case) datelines are taken only for these places, case-folded:
#: national capitals and large news cities, kept short on purpose (a name missing here
#: leaves "City:" in the body, which is harmless; a wrong entry would cut text).
#: Add to it with care: a name that also opens bodies as a person or a label (a surname
#: quoted as "Name: ...") would cut text. Upper-case datelines need no list.
KNOWN_PLACES = frozenset(
    {
        "seoul", "pyongyang", "busan", "incheon", "tokyo", "osaka", "beijing", "shanghai", "hong kong", "taipei",
        "singapore", "manila", "hanoi", "bangkok", "jakarta", "kuala lumpur", "new delhi", "delhi", "mumbai", "kolkata",
        "chennai", "bengaluru", "hyderabad", "islamabad", "karachi", "lahore", "dhaka", "kathmandu", "colombo", "kabul",
        "tehran", "baghdad", "damascus", "beirut", "amman", "jerusalem", "tel aviv", "gaza", "cairo", "riyadh", "doha",
        "dubai", "abu dhabi", "ankara", "istanbul", "moscow", "kyiv", "kiev", "minsk", "warsaw", "berlin", "paris",
        "london", "brussels", "amsterdam", "geneva", "zurich", "vienna", "rome", "madrid", "lisbon", "athens",
        "stockholm", "oslo", "copenhagen", "helsinki", "dublin", "prague", "budapest", "bucharest", "belgrade",
        "washington", "new york", "los angeles", "chicago", "ottawa", "toronto", "montreal", "vancouver", "havana",
        "caracas", "bogota", "lima", "santiago", "canberra", "sydney", "melbourne", "wellington", "auckland", "nairobi",
        "lagos", "abuja", "johannesburg", "pretoria", "kinshasa", "khartoum", "tripoli", "tunis", "algiers", "rabat",
    }
)


# "[Lee Byung-jong] Title": a column title carrying its author's name (2-4 capitalised words).
_TITLE_BYLINE = re.compile(r"^\[(?P<name>[A-Z][\w'.-]+(?:\s[A-Z][\w'.-]+){1,3})\]")


def _is_place(place: str) -> bool:
    """Whether a dateline candidate names a place: upper-case, or a known capitalised place."""
    name = place.split(",", 1)[0].strip()
    if name.casefold() in _NOT_DATELINES:
        return False
    if name.isupper():
        return True
    return name.casefold() in KNOWN_PLACES


def normalise(text: str) -> str:
    """Straighten curly quotes and collapse whitespace (analysis text only)."""
    return _SPACES.sub(" ", text.translate(_QUOTE_MAP)).strip()


@lru_cache(maxsize=65536)
def title_key(text: str) -> str:
    """Comparison key for titles: normalised and case-folded."""
    return normalise(text).casefold()


@lru_cache(maxsize=8)
def _wire_patterns(wires: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    names = "|".join(re.escape(w) for w in wires)
    credit = re.compile(rf"\s*\((?P<wire>{names})\)\s*$")
    signed = re.compile(
        rf"(?:^|(?<=[.!?'\")]\s))(?P<name>[A-Z][\w'.-]+(?:[ -][A-Z][\w'.-]+){{0,3}}),\s+(?P<wire>{names})\s*$"
    )
    return credit, signed


@dataclass
class CleanBody:
    """A cleaned body: its lines, what was taken out, and why."""

    lines: list[str]
    captions: list[str] = field(default_factory=list)
    byline: str | None = None
    wire: str | None = None
    dateline: str | None = None
    removed: Counter[str] = field(default_factory=Counter)
    # index into the input lines -> (category, reason) when a whole line went
    line_fates: dict[int, tuple[str, str]] = field(default_factory=dict)


def _last_sentence(before: str) -> str:
    """The last sentence of ``before``, split from its tail only.

    A caption is at most :data:`_MAX_CAPTION_CHARS` long and syntok decides a
    boundary from the tokens around it, so splitting the last
    :data:`_SPLIT_WINDOW` characters (cut at a space) finds the same last
    sentence as splitting the whole prefix whenever it can be a caption;
    when the window holds a single sentence, that sentence is longer than
    any caption either way.
    """
    if len(before) > _SPLIT_WINDOW:
        cut = before.find(" ", len(before) - _SPLIT_WINDOW)
        if cut >= 0:
            before = before[cut + 1 :]
    sentences = split_sentences(before)
    return sentences[-1] if sentences else ""


def _take_captions(line: str, captions: list[str], removed: Counter[str]) -> str:
    """Remove photo captions (the sentence before a credit) and the credits.

    Linear in the line: each credit costs one sentence split of a bounded
    window and one regex search that starts just before the last cut (a
    gallery line of 200 credits used to re-split its whole prefix twice per
    credit).
    """
    pos = 0
    while True:
        m = _CREDIT.search(line, pos)
        if not m:
            return line
        before = line[: m.start()].rstrip()
        start = m.start()
        if before:
            last = _last_sentence(before)
            if last and len(last) <= _MAX_CAPTION_CHARS and before.endswith(last):
                start = len(before) - len(last)
        caption = normalise(line[start : m.end()])
        captions.append(caption)
        removed["caption"] += 1
        head = line[:start].rstrip()
        line = (head + " " + line[m.end() :].lstrip()).strip()
        # Text before the cut held no credit; one that now spans the cut
        # starts at most a credit's length before it.
        pos = max(0, min(len(head), len(line)) - _CREDIT_LOOKBACK)


def clean_body(raw_lines: list[str], registry: OutletRegistry) -> CleanBody:
    """Clean the printed body lines of one article.

    Parameters
    ----------
    raw_lines : list of str
        Body lines as printed, in order.
    registry : OutletRegistry
        Supplies the wire-service names for credits.

    Returns
    -------
    CleanBody
    """
    out = CleanBody(lines=[])
    credit_re, signed_re = _wire_patterns(tuple(registry.wires()))
    kept: list[tuple[int, str]] = []
    for i, raw in enumerate(raw_lines):
        line = normalise(raw)
        line, n_ads = _ADVERT.subn(" ", line)
        out.removed["advertisement"] += n_ads
        line = _SPACES.sub(" ", line).strip()
        n_captions = len(out.captions)
        line = _take_captions(line, out.captions, out.removed)
        took_byline = False
        if out.byline is None and (m := _BY_LINE.match(line)):
            out.byline, line, took_byline = m["name"], "", True
            out.removed["byline"] += 1
        if not line:
            if len(out.captions) > n_captions:
                out.line_fates[i] = ("caption", "photo caption")
            elif took_byline:
                out.line_fates[i] = ("metadata", "byline")
            else:
                out.line_fates[i] = ("chrome", "advertisement")
            continue
        kept.append((i, line))

    # Trailing credits sit at the end of the last line.
    while kept:
        i, last = kept[-1]
        changed = False
        if out.byline is None and (m := _AUTHOR.search(last)):
            out.byline, last, changed = m["name"].strip(), last[: m.start()].rstrip(), True
            out.removed["byline"] += 1
        if out.wire is None and (m := credit_re.search(last)):
            out.wire, last, changed = registry.canonical(m["wire"]), last[: m.start()].rstrip(), True
            out.removed["wire_credit"] += 1
        if out.byline is None and (m := signed_re.search(last)):
            out.byline, out.wire = m["name"], registry.canonical(m["wire"])
            last, changed = last[: m.start()].rstrip(), True
            out.removed["byline"] += 1
        if last:
            kept[-1] = (i, last)
            if not changed:
                break
        else:
            out.line_fates[i] = ("metadata", "byline or wire credit")
            kept.pop()

    if kept:
        i, first = kept[0]
        m = _DATELINE.match(first)
        if m and _is_place(m["place"]):
            out.dateline = m["place"]
            out.removed["dateline"] += 1
            credit = m["credit"]
            known = registry.lookup(credit) if credit else None
            if known is not None and known.type == "wire":
                # "TOKYO (AP) —": the wire credit of the dateline (a trailing credit, read first, wins)
                if out.wire is None:
                    out.wire = known.name
                out.removed["wire_credit"] += 1
            elif credit:
                out.dateline = f"{m['place']} ({credit})"  # kept whole, nothing lost
            kept[0] = (i, first[m.end() :])
    out.lines = [line for _, line in kept]
    return out


def byline_from_title(title: str) -> str | None:
    """The columnist in a "[Name] Title" headline, or None."""
    m = _TITLE_BYLINE.match(title.strip())
    return m["name"].strip() if m else None
