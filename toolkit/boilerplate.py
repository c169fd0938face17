"""Repeated boilerplate: short lines one outlet prints across many of its articles.

Site furniture that no rule file lists ("Get the Morning Brief in your
inbox", "Listen to this article", a standing credit line) is found from the
corpus itself, one outlet at a time. A body line is **repeated
boilerplate** when, within one outlet,

* it has at most ``max_words`` words (default :data:`MAX_WORDS`, 25):
  boilerplate is short, and a long paragraph that recurs is far more likely
  a syndicated or re-published story than site furniture;
* it occurs in at least ``min_articles`` distinct articles (default
  :data:`MIN_ARTICLES`, 5), so small outlets and the 20-article seed corpus
  are never affected; and
* those articles are at least ``min_share`` of the outlet's distinct
  articles (default :data:`MIN_SHARE`, 0.2).

Lines are compared whole (after whitespace and quote normalisation and case
folding), not sentence by sentence: a sentence repeated inside otherwise
different paragraphs is often stock background ("The two Koreas remain
technically at war"), which is content, while a whole line repeated verbatim
is almost always a template. Boilerplate glued inside a longer line is not
found here; write a chrome rule for it (``toolkit/data/chrome.csv``).

**Distinct articles, and why wire copies are safe.** Articles are counted
per *story*, not per row, independently of (and before) duplicate
detection, which needs the cleaned bodies this step produces. An article's
story key is the smallest 64-bit hash among its lines longer than
``max_words`` words (a one-permutation MinHash over its long paragraphs:
two versions of one story share it with probability equal to the Jaccard
similarity of their long paragraphs), or the hash of its whole body when it
has no long line. Exact copies and most re-published versions of one wire
story therefore count once, and the short paragraphs they share are kept;
boilerplate lines never enter the key (they are at most ``max_words``
words), so they cannot make different stories look alike. Within one
outlet only: the same line in many outlets' copies of a story is never
pooled. Known limits: a *long* line an outlet prints under many different
stories (a 40-word standing footer) enters their keys, and where its hash is
the smallest it merges those stories into one, so the counts of that outlet
shrink (detection there gets less sensitive, and shares can shift by a
little); an outlet whose articles have no line over ``max_words`` words is
keyed by whole bodies, so there only exact copies count once.

**Memory and order.** The decision needs a pass over every article of an
outlet, so :func:`toolkit.corpus.load_corpus` reads the input twice: a
first, cheap pass (no cleaning or sentence splitting) records, per article,
64-bit keys of its short lines and its story key in numpy arrays (about 20
bytes per short line, so about 160 MB for a million articles of eight short
lines each); the decision is a Polars group-by over those keys. Keys are
blake2b hashes (stable across processes and runs), counts are over sets, so
the result does not depend on input order or on ``n_jobs``.

Every line removed is marked ``chrome`` with the reason ``"repeated
boilerplate"`` in the line accounting and counted in the ingest report.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from toolkit.cleaning import normalise

#: Default share of an outlet's distinct articles a line must occur in.
MIN_SHARE = 0.2
#: Default minimum number of distinct articles of the outlet carrying the line.
MIN_ARTICLES = 5
#: Default longest line (in words) that can be boilerplate.
MAX_WORDS = 25
#: The reason recorded for every line removed.
REASON = "repeated boilerplate"


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def line_key(outlet: str, line: str) -> int:
    """64-bit key of a body line within its outlet: normalised, case-folded, stable across processes."""
    return _hash(f"{outlet}\x1f{normalise(line).casefold()}")


def is_short(line: str, max_words: int) -> bool:
    """Whether ``line`` has at most ``max_words`` words (whitespace-separated, as printed)."""
    return len(line.split()) <= max_words


@dataclass(frozen=True)
class Settings:
    """Thresholds of repeated-boilerplate detection (see the module docstring).

    ``min_share`` is a fraction in (0, 1]; ``min_articles`` and ``max_words``
    are positive integers.
    """

    min_share: float = MIN_SHARE
    min_articles: int = MIN_ARTICLES
    max_words: int = MAX_WORDS

    def __post_init__(self) -> None:
        if not 0 < self.min_share <= 1:
            msg = f"got boilerplate_min_share={self.min_share!r}, expected a fraction in (0, 1]"
            raise ValueError(msg)
        for name in ("min_articles", "max_words"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                msg = f"got boilerplate_{name}={value!r}, expected a positive integer"
                raise ValueError(msg)

    def as_report(self) -> dict[str, float | int]:
        return {"min_share": self.min_share, "min_articles": self.min_articles, "max_words": self.max_words}


@dataclass
class FileLines:
    """What the first pass keeps of one file: outlet codes, story keys and short-line keys, as compact arrays."""

    outlet_names: dict[str, int] = field(default_factory=dict)
    outlets: array = field(default_factory=lambda: array("I"))
    stories: array = field(default_factory=lambda: array("Q"))
    # per article, how many (deduplicated) short-line keys follow in ``keys``
    counts: array = field(default_factory=lambda: array("I"))
    keys: array = field(default_factory=lambda: array("Q"))

    def add(self, outlet: str | None, lines: Sequence[str], *, max_words: int) -> None:
        """Record one article's body lines (already stripped of chrome)."""
        if outlet is None or not lines:
            return  # an article with no outlet is not counted and never loses lines
        short: set[int] = set()
        long_min: int | None = None
        for line in lines:
            words = line.split()
            if not words:
                continue
            if len(words) <= max_words:  # is_short, without splitting twice
                short.add(line_key(outlet, line))
            else:
                # Long lines only key the story: whitespace-collapsed is enough, and
                # much cheaper than the full normalisation on long text.
                h = _hash(" ".join(words).casefold())
                long_min = h if long_min is None or h < long_min else long_min
        story = long_min if long_min is not None else _hash("\x1e".join(" ".join(line.split()).casefold() for line in lines))
        self.outlets.append(self.outlet_names.setdefault(outlet, len(self.outlet_names)))
        self.stories.append(story)
        self.counts.append(len(short))
        self.keys.extend(sorted(short))


class LineCounter:
    """Counts short lines per outlet over distinct stories; :meth:`repeated` decides.

    Feed it every file's :class:`FileLines` (in any order), then call
    :meth:`repeated`.
    """

    def __init__(self) -> None:
        self._outlet_codes: dict[str, int] = {}
        self._outlet: list[np.ndarray] = []
        self._story: list[np.ndarray] = []
        self._key: list[np.ndarray] = []
        self._article_outlet: list[np.ndarray] = []
        self._article_story: list[np.ndarray] = []

    def add(self, found: FileLines) -> None:
        if not found.outlets:
            return
        # this file's outlet codes -> the counter's
        remap = np.zeros(len(found.outlet_names), dtype=np.uint32)
        for name, local in found.outlet_names.items():
            remap[local] = self._outlet_codes.setdefault(name, len(self._outlet_codes))
        codes = remap[np.frombuffer(found.outlets, dtype=np.uint32)]
        stories = np.frombuffer(found.stories, dtype=np.uint64).copy()
        counts = np.frombuffer(found.counts, dtype=np.uint32).astype(np.int64)
        self._article_outlet.append(codes)
        self._article_story.append(stories)
        self._outlet.append(np.repeat(codes, counts))
        self._story.append(np.repeat(stories, counts))
        self._key.append(np.frombuffer(found.keys, dtype=np.uint64).copy())

    def repeated(self, settings: Settings) -> frozenset[int]:
        """Keys (see :func:`line_key`) of the lines that are repeated boilerplate in their outlet."""
        import polars as pl

        if not self._key:
            return frozenset()
        stories = pl.DataFrame(
            {"outlet": np.concatenate(self._article_outlet), "story": np.concatenate(self._article_story)}
        ).group_by("outlet").agg(pl.col("story").n_unique().alias("n_outlet"))
        lines = pl.DataFrame({"outlet": np.concatenate(self._outlet), "story": np.concatenate(self._story), "key": np.concatenate(self._key)})
        found = (
            lines.group_by("outlet", "key")
            .agg(pl.col("story").n_unique().alias("n"))
            .filter(pl.col("n") >= settings.min_articles)
            .join(stories, on="outlet", how="left")
            # n / n_outlet >= min_share, in integers-and-floats that cannot round a 20 % line below 0.2
            .filter(pl.col("n") >= settings.min_share * pl.col("n_outlet") - 1e-9)
        )
        return frozenset(int(k) for k in found["key"].to_list())


def find_repeated(articles: Iterable[tuple[str | None, Sequence[str]]], settings: Settings | None = None) -> frozenset[int]:
    """Keys of repeated-boilerplate lines among ``(outlet, body lines)`` pairs (one pass, in memory).

    A convenience over :class:`FileLines` and :class:`LineCounter` for
    articles already in memory; :func:`toolkit.corpus.load_corpus` streams
    files through those instead.
    """
    settings = settings or Settings()
    found = FileLines()
    for outlet, lines in articles:
        found.add(outlet, lines, max_words=settings.max_words)
    counter = LineCounter()
    counter.add(found)
    return counter.repeated(settings)
