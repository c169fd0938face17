"""Class-based TF-IDF (c-TF-IDF) keywords for clusters and events.

The weighting is BERTopic's: all documents of a class are pooled into one
bag of words, the term frequency is normalised by the class's total word
count, and the inverse frequency is ``log(1 + A / f_t)`` where ``A`` is the
average number of words per class and ``f_t`` the term's count over all
classes. Terms are unigrams and bigrams of adjacent non-stop words, so a
label can read "North Korea" but never "chiefs staff" (from "chiefs *of*
staff").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import polars as pl

from toolkit.errors import ToolkitError

# News boilerplate that carries no topic: reporting verbs, weekdays, months,
# units and wire furniture. Numbers never become tokens (see _TOKEN).
NEWS_STOP_WORDS: frozenset[str] = frozenset(
    """
    said says say saying told tells according reported reports report reporting added adding
    also would could might may must one two three four five six seven eight nine ten
    monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    today yesterday tomorrow week weeks month months year years day days time times
    percent per cent mr mrs ms dr including like just new news local via yet still
    earlier later last next recent recently many much well even though however since
    """.split()
)

# Letters, with inner apostrophes or hyphens ("pyongyang's", "self-defense").
_TOKEN = re.compile(r"[^\W\d_](?:[\w'\-]*[^\W\d_])?", re.UNICODE)
_POSSESSIVE = re.compile(r"'s$")
# Punctuation that ends a phrase: no bigram spans "opportunity. Nam".
_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]\"\u2014\u2013]|\s-\s|--")


class KeywordError(ToolkitError):
    """Bad input to the keyword functions (missing columns, no text)."""


def stop_words(extra: Iterable[str] = ()) -> frozenset[str]:
    """Return scikit-learn's English stop words plus :data:`NEWS_STOP_WORDS` and ``extra``.

    Parameters
    ----------
    extra : iterable of str
        More words to drop (compared in lower case).

    Returns
    -------
    frozenset of str
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | NEWS_STOP_WORDS | {w.lower() for w in extra}


def _tokens(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into (lower-case key, surface form) pairs, possessives stripped."""
    out = []
    for match in _TOKEN.finditer(text.replace("\u2019", "'")):
        surface = _POSSESSIVE.sub("", match.group(0)).strip("'-")
        if len(surface) < 2:
            continue
        out.append((surface.lower(), surface))
    return out


def _terms(text: str, stops: frozenset[str], ngram_max: int) -> list[tuple[str, str]]:
    """Unigrams and n-grams of *adjacent* non-stop tokens, as (key, surface) pairs."""
    terms: list[tuple[str, str]] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        for n in range(1, ngram_max + 1):
            for i in range(len(run) - n + 1):
                window = run[i : i + n]
                terms.append((" ".join(k for k, _ in window), " ".join(s for _, s in window)))
        run.clear()

    for phrase in _PHRASE_BREAK.split(text):
        for key, surface in _tokens(phrase):
            # A stop word breaks the run: no bigram spans it.
            if key in stops:
                flush()
            else:
                run.append((key, surface))
        flush()
    return terms


def class_tfidf(
    docs: pl.DataFrame,
    *,
    by: str,
    text: str = "text",
    top_n: int = 10,
    ngram_max: int = 2,
    extra_stop_words: Iterable[str] = (),
    min_count: int = 1,
) -> pl.DataFrame:
    """Score terms per class with c-TF-IDF.

    Parameters
    ----------
    docs : pl.DataFrame
        One row per document, with the class column ``by`` and a ``text``
        column. Null texts count as empty.
    by : str
        Column holding the class (cluster, event, outlet ...).
    text : str
        Column holding the text.
    top_n : int
        Terms kept per class, best first.
    ngram_max : int
        Longest n-gram (1 = unigrams only, 2 = also bigrams).
    extra_stop_words : iterable of str
        Words dropped on top of :func:`stop_words`.
    min_count : int
        Terms seen fewer times over all classes are ignored.

    Returns
    -------
    pl.DataFrame
        ``by`` (its dtype), ``rank`` (Int32, 1 = best), ``term`` (lower
        case key), ``display`` (the term's most frequent spelling, e.g.
        "Caine", "North Korea"), ``count`` (Int64, in the class) and
        ``score`` (Float64). Sorted by class then rank; ties are broken by
        term so the result is deterministic.

    Raises
    ------
    KeywordError
        If a column is missing or ``top_n``/``ngram_max`` is below 1.
    """
    for column in (by, text):
        if column not in docs.columns:
            msg = f"got columns {docs.columns}, expected a {column!r} column"
            raise KeywordError(msg)
    if top_n < 1 or ngram_max < 1:
        msg = f"got top_n={top_n}, ngram_max={ngram_max}, expected both >= 1"
        raise KeywordError(msg)
    stops = stop_words(extra_stop_words)
    dtype = docs.schema[by]

    counts: dict[object, Counter[str]] = {}
    spellings: dict[str, Counter[str]] = {}
    for cls, body in docs.select(by, text).iter_rows():
        bag = counts.setdefault(cls, Counter())
        for key, surface in _terms(body or "", stops, ngram_max):
            bag[key] += 1
            spellings.setdefault(key, Counter())[surface] += 1

    total: Counter[str] = Counter()
    for bag in counts.values():
        total.update(bag)
    if not counts:
        return pl.DataFrame(schema=_schema(by, dtype))
    # BERTopic takes the integer part of the average class size.
    avg_words = int(sum(sum(bag.values()) for bag in counts.values()) / len(counts))

    rows = []
    for cls, bag in counts.items():
        size = sum(bag.values())
        scored = [
            (count / size * math.log(1 + avg_words / total[term]), term, count)
            for term, count in bag.items()
            if total[term] >= min_count
        ]
        scored.sort(key=lambda item: (-item[0], item[1]))
        for rank, (score, term, count) in enumerate(scored[:top_n], start=1):
            rows.append((cls, rank, term, _display(spellings[term]), count, score))
    frame = pl.DataFrame(rows, schema=_schema(by, dtype), orient="row")
    return frame.sort(by, "rank", nulls_last=True)


def _schema(by: str, dtype: pl.DataType) -> dict[str, pl.DataType]:
    return {
        by: dtype,
        "rank": pl.Int32,
        "term": pl.String,
        "display": pl.String,
        "count": pl.Int64,
        "score": pl.Float64,
    }


def _display(spellings: Counter[str]) -> str:
    """Most frequent spelling; ties go to the capitalised one, then alphabetical."""
    return min(spellings.items(), key=lambda item: (-item[1], item[0].islower(), item[0]))[0]


def readable_label(terms: Sequence[str], *, n: int = 4, sep: str = ", ") -> str:
    """Join the best ``n`` terms, skipping words already said by a longer term.

    A unigram is dropped when a chosen bigram contains it, and a bigram
    replaces a chosen unigram it contains, so "north korea, north, korea"
    reads "north korea".

    Parameters
    ----------
    terms : sequence of str
        Terms best first (display spellings).
    n : int
        Terms in the label at most.
    sep : str
        Separator.

    Returns
    -------
    str
    """
    chosen: list[str] = []
    for term in terms:
        words = set(term.lower().split())
        inside = [c for c in chosen if len(words) > 1 and set(c.lower().split()) <= words]
        if inside:
            # The longer term takes the place of the first shorter one it covers.
            at = chosen.index(inside[0])
            chosen = [c for c in chosen if c not in inside]
            chosen.insert(at, term)
            continue
        covered = set().union(*(set(c.lower().split()) for c in chosen)) if chosen else set()
        if words <= covered:
            continue
        if len(chosen) < n:
            chosen.append(term)
    return sep.join(chosen[:n])


def class_labels(
    docs: pl.DataFrame,
    *,
    by: str,
    text: str = "text",
    n_terms: int = 4,
    **kwargs: object,
) -> pl.DataFrame:
    """One readable keyword label per class.

    Parameters
    ----------
    docs : pl.DataFrame
        Documents with ``by`` and ``text`` columns.
    by, text : str
        Class and text columns.
    n_terms : int
        Terms in each label (3-4 reads best).
    **kwargs
        Passed to :func:`class_tfidf` (``ngram_max``, ``extra_stop_words``,
        ``min_count``).

    Returns
    -------
    pl.DataFrame
        ``by`` and ``label`` (String; "" for a class with no usable word),
        one row per class, sorted by class.
    """
    scores = class_tfidf(docs, by=by, text=text, top_n=max(3 * n_terms, 10), **kwargs)  # type: ignore[arg-type]
    classes = docs.select(pl.col(by).unique()).sort(by, nulls_last=True)
    labels = scores.group_by(by, maintain_order=True).agg(pl.col("display")).with_columns(
        pl.col("display").map_elements(lambda d: readable_label(list(d), n=n_terms), return_dtype=pl.String).alias("label")
    )
    return (
        classes.join(labels.select(by, "label"), on=by, how="left", nulls_equal=True)
        .with_columns(pl.col("label").fill_null(""))
        .sort(by, nulls_last=True)
    )
