"""Sentences and paragraphs.

Sentence boundaries come from syntok, which handles "Adm.", "Gen.",
"S. Korea", "U.S.", "Aug. 23", "(Jul 11)" and "No. 1". Bodies that arrive as
one long line are regrouped here into paragraphs of two to four sentences and
at most about 700 characters, never breaking inside an open quotation.

Inline headings (a short phrase glued to the sentence that follows, as in
"Closer, yet still divided Even as pressing ...") and the standfirst glued to
the start of a body are detected by a conservative rule: a capitalised
function or number word (``The``, ``Even``, ``For``, ``Eighty``) directly
after a lower-case word with no punctuation between them, within the first
few words of a sentence. Headings that start a sentence with a proper noun
("... opportunity Nam Ki-jeong said") cannot be told apart reliably and are
left in the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MAX_PARAGRAPH_CHARS = 700
MAX_SENTENCES = 4
# A quotation left open this long is a mis-detected quote, not a quotation.
_QUOTE_GIVE_UP_CHARS = 1500

_STARTERS = frozenset(
    """the a an in on at as for from with after before while when but and even this that these those
    it its his her their our we he she they there despite amid although though since during under over
    according meanwhile however yet still once if some many most more what why how who where
    one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty
    sixty seventy eighty ninety hundred""".split()
)
# A heading or standfirst does not end on one of these.
_NO_END = frozenset("to of in at for with by on from told said says the a an and or as than that".split())
_WORD = re.compile(r"\S+")
_QUOTES = "\"'\u2018\u2019\u201c\u201d"


@lru_cache(maxsize=65536)
def split_sentences(text: str) -> tuple[str, ...]:
    """Split ``text`` into sentences with syntok, keeping the original characters."""
    from syntok import segmenter

    out: list[str] = []
    for paragraph in segmenter.analyze(text):
        for sentence in paragraph:
            tokens = list(sentence)
            if not tokens:
                continue
            start = tokens[0].offset
            end = tokens[-1].offset + len(tokens[-1].value)
            piece = text[start:end].strip()
            if piece:
                out.append(piece)
    return tuple(out)


def split_heading(sentence: str, *, min_words: int, max_words: int) -> tuple[str, str] | None:
    """Split a glued heading off the front of ``sentence``.

    Returns ``(heading, rest)`` when the sentence starts with ``min_words`` to
    ``max_words`` words that end without punctuation and are followed by a
    capitalised function or number word; otherwise None.
    """
    words = list(_WORD.finditer(sentence))
    if len(words) <= min_words or not sentence[:1].isupper():
        return None
    for i in range(min_words, min(max_words, len(words) - 1) + 1):
        prev, nxt = words[i - 1].group(), words[i].group()
        if prev[0] in _QUOTES or prev[-1] in _QUOTES:
            return None  # headings carry no quotations
        if prev[-1] in ".,;:!?)(-\u2014" or prev.lower() in _NO_END:
            continue
        if nxt[:1].isupper() and not nxt.isupper() and nxt.lower().rstrip(",") in _STARTERS:
            return sentence[: words[i - 1].end()].strip(), sentence[words[i].start() :].strip()
    return None


def _quote_events(sentence: str) -> int:
    """Net change in quotation depth across ``sentence`` (straight quotes only)."""
    delta = 0
    for m in re.finditer(r"[\"']", sentence):
        i = m.start()
        before = sentence[i - 1] if i > 0 else " "
        after = sentence[i + 1] if i + 1 < len(sentence) else " "
        if before.isalnum() and after.isalnum():
            continue  # an apostrophe: Korea's, don't
        if before in " ([—-" or i == 0:
            delta += 1
        elif after in " .,;:!?)]—-" or i + 1 == len(sentence):
            delta -= 1
    return delta


@dataclass(frozen=True)
class Piece:
    """A paragraph-sized piece of text and its kind (body, subhead or deck)."""

    text: str
    kind: str


def group_sentences(sentences: list[str] | tuple[str, ...]) -> list[Piece]:
    """Group sentences into paragraphs, splitting off inline subheads."""
    pieces: list[Piece] = []
    current: list[str] = []
    length = 0
    depth = 0

    def flush() -> None:
        nonlocal current, length
        if current:
            pieces.append(Piece(" ".join(current), "body"))
        current, length = [], 0

    for sentence in sentences:
        if depth == 0 and (pieces or current):
            heading = split_heading(sentence, min_words=2, max_words=8) if depth == 0 else None
            if heading:
                flush()
                pieces.append(Piece(heading[0], "subhead"))
                sentence = heading[1]
        full = len(current) >= MAX_SENTENCES or (current and length + len(sentence) + 1 > MAX_PARAGRAPH_CHARS)
        if depth == 0 and full and len(current) >= 1:
            flush()
        current.append(sentence)
        length += len(sentence) + 1
        depth = max(0, depth + _quote_events(sentence))
        if depth and length > _QUOTE_GIVE_UP_CHARS:
            depth = 0
    flush()
    return pieces


@lru_cache(maxsize=16384)
def paragraphs_from_line(text: str, *, first: bool) -> tuple[Piece, ...]:
    """Paragraph pieces for one long line; the first line of a body may carry a deck."""
    sentences = list(split_sentences(text))
    pieces: list[Piece] = []
    if first and sentences:
        deck = split_heading(sentences[0], min_words=5, max_words=30)
        if deck:
            pieces.append(Piece(deck[0], "deck"))
            sentences[0] = deck[1]
    return tuple(pieces + group_sentences(sentences))
