"""Group articles that cover the same event.

Each article is represented by the mean of its body paragraphs' unit
vectors, renormalised. Articles are merged bottom-up by **average linkage
on cosine distance** under a **date constraint**:

- two groups may merge only if some article of one was published within
  ``max_days`` of some article of the other (a chain, so coverage that
  runs a day before and three days after a meeting stays together), and
  the merged group spans at most ``max_span_days``;
- the average cosine distance over all article pairs across the two
  groups must be at most ``threshold``;
- an undated article (``published`` null) can join a group by similarity
  alone, but only under the stricter ``undated_threshold``.

Copies follow their original: an article with ``duplicate_of`` set takes
the event of that article, and syndicated copies sharing a ``story_id``
start in one group. The procedure is deterministic (ties broken by input
order). See ``docs/clustering.md`` for the choices made on the seeds.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from toolkit.errors import ToolkitError
from toolkit.keywords import class_labels
from toolkit.schema import require_columns

#: Average-linkage cosine distance below which two groups are one event.
#: Calibrated on all-MiniLM-L6-v2 article vectors (see docs/clustering.md).
DEFAULT_THRESHOLD = 0.25
#: Stricter cut for undated articles, which have no date evidence.
DEFAULT_UNDATED_THRESHOLD = 0.15

EVENT_SCHEMA = pl.Schema(
    {
        "article_id": pl.String,
        "event_id": pl.String,
        "event_label": pl.String,
        "event_start": pl.Date,
        "event_end": pl.Date,
        "n_articles": pl.UInt32,
    }
)


class EventError(ToolkitError):
    """Input that cannot be grouped into events (bad frames or options)."""


def article_vectors(articles: pl.DataFrame, paragraphs: pl.DataFrame, embeddings: pl.DataFrame) -> np.ndarray:
    """Unit article vectors: the renormalised mean of body paragraph vectors.

    Decks and subheads are left out (a deck repeats the body; a subhead is
    too short to carry meaning); an article with no body paragraph uses all
    its paragraphs, and one with none gets a zero vector (it joins nothing).

    Returns
    -------
    numpy.ndarray
        Shape (n_articles, dim), float64, rows in ``articles`` order.
    """
    for name, frame, needed in (
        ("articles", articles, ("article_id",)),
        ("paragraphs", paragraphs, ("paragraph_id", "article_id")),
        ("embeddings", embeddings, ("paragraph_id", "embedding")),
    ):
        require_columns(frame, needed, name=name, error=EventError)
    para = paragraphs.select("paragraph_id", "article_id", (pl.col("kind") == "body").alias("is_body") if "kind" in paragraphs.columns else pl.lit(True).alias("is_body"))
    joined = para.join(embeddings.select("paragraph_id", "embedding"), on="paragraph_id", how="inner", maintain_order="left")
    dim = embeddings.schema["embedding"].size if isinstance(embeddings.schema["embedding"], pl.Array) else None
    if joined.height == 0 or dim is None:
        msg = "got no paragraph with an embedding for these articles, expected embeddings from toolkit.embed"
        raise EventError(msg)
    vectors = np.asarray(joined["embedding"].to_numpy(), dtype=np.float64)
    vectors /= np.where((n := np.linalg.norm(vectors, axis=1, keepdims=True)) == 0, 1.0, n)
    index = {aid: i for i, aid in enumerate(articles["article_id"].to_list())}
    sums = np.zeros((articles.height, dim))
    body_sums = np.zeros((articles.height, dim))
    for (aid, is_body), vec in zip(joined.select("article_id", "is_body").iter_rows(), vectors, strict=True):
        i = index.get(aid)
        if i is None:
            continue
        sums[i] += vec
        if is_body:
            body_sums[i] += vec
    has_body = np.linalg.norm(body_sums, axis=1) > 0
    out = np.where(has_body[:, None], body_sums, sums)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1.0, norms)


def _day(value: date | None) -> float:
    return float(value.toordinal()) if value is not None else np.nan


def _merge(
    vectors: np.ndarray,
    days: np.ndarray,
    groups: list[list[int]],
    *,
    threshold: float,
    undated_threshold: float,
    max_days: int,
    max_span_days: int,
) -> list[list[int]]:
    """Constrained average-linkage agglomeration of ``groups`` (lists of row indices)."""
    dist = 1.0 - vectors @ vectors.T
    np.clip(dist, 0.0, 2.0, out=dist)
    # Rows with no vector (zero) are maximally distant from everything.
    empty = np.linalg.norm(vectors, axis=1) == 0
    dist[empty, :] = 2.0
    dist[:, empty] = 2.0
    groups = [sorted(g) for g in groups]
    size = np.array([len(g) for g in groups], dtype=np.float64)
    # Sum of pairwise distances between groups: average = sum / (n_a * n_b).
    m = len(groups)
    member = np.zeros((m, len(vectors)))
    for gi, g in enumerate(groups):
        member[gi, g] = 1.0
    sums = member @ dist @ member.T
    lo = np.array([np.nanmin(days[g]) if not np.isnan(days[g]).all() else np.nan for g in groups])
    hi = np.array([np.nanmax(days[g]) if not np.isnan(days[g]).all() else np.nan for g in groups])
    dated_days = [sorted(d for d in days[g] if not np.isnan(d)) for g in groups]
    alive = np.ones(m, dtype=bool)

    def allowed(a: int, b: int) -> float | None:
        """Cut that applies to merging a and b, or None if dates forbid it."""
        if np.isnan(lo[a]) or np.isnan(lo[b]):
            return undated_threshold
        if max(hi[a], hi[b]) - min(lo[a], lo[b]) > max_span_days:
            return None
        # Chain rule: some pair of dates within max_days.
        da, db = np.array(dated_days[a]), np.array(dated_days[b])
        idx = np.searchsorted(db, da)
        gap = np.minimum(np.abs(da - db[np.clip(idx, 0, len(db) - 1)]), np.abs(da - db[np.clip(idx - 1, 0, len(db) - 1)]))
        return threshold if gap.min() <= max_days else None

    # Candidate merges in a heap ordered as (distance, a, b), a < b, as a full
    # re-sort would order them. An entry is stale once a or b has changed
    # (version counters); a pair the dates forbid stays forbidden until one of
    # its groups changes, which pushes a fresh entry, so it is dropped.
    import heapq

    limit = max(threshold, undated_threshold)
    version = np.zeros(m, dtype=np.int64)
    avg = sums / np.outer(size, size)
    rows, cols = np.nonzero(np.triu(avg <= limit, 1))
    heap = [(float(avg[a, b]), int(a), int(b), 0, 0) for a, b in zip(rows.tolist(), cols.tolist(), strict=True)]
    heapq.heapify(heap)
    del avg
    while heap:
        value, a, b, va, vb = heapq.heappop(heap)
        if not (alive[a] and alive[b]) or version[a] != va or version[b] != vb:
            continue
        cut = allowed(a, b)
        if cut is None or value > cut:
            continue
        # Fold b into a: sums add up, sizes add up, dates widen.
        sums[a, :] += sums[b, :]
        sums[:, a] += sums[:, b]
        size[a] += size[b]
        groups[a] = sorted(groups[a] + groups[b])
        dated_days[a] = sorted(dated_days[a] + dated_days[b])
        lo[a] = np.nanmin([lo[a], lo[b]]) if not (np.isnan(lo[a]) and np.isnan(lo[b])) else np.nan
        hi[a] = np.nanmax([hi[a], hi[b]]) if not (np.isnan(hi[a]) and np.isnan(hi[b])) else np.nan
        alive[b] = False
        sums[b, :] = 0.0
        sums[:, b] = 0.0
        version[a] += 1
        # The merged group's distances to every other live group, as avg[min, max] would give them.
        others = np.flatnonzero(alive)
        others = others[others != a]
        low, high = np.minimum(others, a), np.maximum(others, a)
        values = sums[low, high] / (size[low] * size[high])
        for c, v in zip(others[values <= limit].tolist(), values[values <= limit].tolist(), strict=True):
            x, y = (c, a) if c < a else (a, c)
            heapq.heappush(heap, (v, x, y, int(version[x]), int(version[y])))
    return [groups[i] for i in range(m) if alive[i]]


def group_events(
    articles: pl.DataFrame,
    paragraphs: pl.DataFrame,
    embeddings: pl.DataFrame,
    *,
    max_days: int = 3,
    threshold: float = DEFAULT_THRESHOLD,
    undated_threshold: float = DEFAULT_UNDATED_THRESHOLD,
    max_span_days: int = 7,
    n_terms: int = 3,
) -> pl.DataFrame:
    """Assign every article to an event.

    Parameters
    ----------
    articles : pl.DataFrame
        ``article_id``, ``published`` (Date, may be null), ``title``,
        ``body``; ``duplicate_of`` and ``story_id`` when present.
    paragraphs : pl.DataFrame
        ``paragraph_id``, ``article_id`` and ``kind``.
    embeddings : pl.DataFrame
        ``paragraph_id`` and ``embedding`` (from :func:`toolkit.embed`).
    max_days : int
        Two groups can merge only if some pair of their articles was
        published at most this many days apart.
    threshold : float
        Largest average cosine distance between two groups that merge.
    undated_threshold : float
        The same for a group with no dated article (stricter).
    max_span_days : int
        Largest span from first to last publication date in one event.
    n_terms : int
        Keywords in ``event_label``.

    Returns
    -------
    pl.DataFrame
        In the articles' input order: ``article_id``, ``event_id`` ('E' and
        a zero-padded number, events ordered by earliest date, undated
        last, then first article in input order), ``event_label`` ("date
        range · keywords"), ``event_start``, ``event_end`` (Date) and
        ``n_articles`` (UInt32, copies included).

    Raises
    ------
    EventError
        Missing columns, a ``duplicate_of`` pointing outside the frame or
        options out of range.
    """
    for name, value in (("max_days", max_days), ("max_span_days", max_span_days)):
        if value < 0:
            msg = f"got {name}={value}, expected >= 0"
            raise EventError(msg)
    for name, value in (("threshold", threshold), ("undated_threshold", undated_threshold)):
        if not 0.0 <= value <= 2.0:
            msg = f"got {name}={value}, expected a cosine distance in [0, 2]"
            raise EventError(msg)
    require_columns(articles, ("article_id", "published", "title", "body"), name="articles", error=EventError)
    if articles["article_id"].is_duplicated().any():
        msg = "got repeated article_id values, expected one row per article"
        raise EventError(msg)
    if articles.height == 0:
        return pl.DataFrame(schema=EVENT_SCHEMA)

    ids = articles["article_id"].to_list()
    index = {aid: i for i, aid in enumerate(ids)}
    dup = articles["duplicate_of"].to_list() if "duplicate_of" in articles.columns else [None] * len(ids)
    story = articles["story_id"].to_list() if "story_id" in articles.columns else ids

    def root(i: int) -> int:
        # Follow duplicate_of to the canonical copy (chains are followed, loops refused).
        seen = set()
        while dup[i] is not None:
            if dup[i] not in index:
                msg = f"got duplicate_of={dup[i]!r} for article {ids[i]!r}, expected an article_id in the frame"
                raise EventError(msg)
            if i in seen:
                msg = f"got a duplicate_of loop through {ids[i]!r}, expected a canonical copy"
                raise EventError(msg)
            seen.add(i)
            i = index[dup[i]]
        return i

    canonical = sorted({root(i) for i in range(len(ids))})
    vectors_all = article_vectors(articles, paragraphs, embeddings)
    published = articles["published"].to_list()
    days_all = np.array([_day(d) for d in published])
    # Canonical articles are clustered; syndicated copies (same story_id) start together.
    start: dict[object, list[int]] = {}
    for pos, i in enumerate(canonical):
        start.setdefault(story[i] if story[i] is not None else ids[i], []).append(pos)
    groups = _merge(
        vectors_all[canonical],
        days_all[canonical],
        list(start.values()),
        threshold=threshold,
        undated_threshold=undated_threshold,
        max_days=max_days,
        max_span_days=max_span_days,
    )
    group_of = {canonical[pos]: g for g, members in enumerate(groups) for pos in members}
    assignment = [group_of[root(i)] for i in range(len(ids))]

    frame = articles.select("article_id", "published", "title", "body").with_columns(
        pl.Series("group", assignment, dtype=pl.Int64), pl.int_range(pl.len()).alias("row")
    )
    spans = (
        frame.group_by("group")
        .agg(
            pl.col("published").min().alias("event_start"),
            pl.col("published").max().alias("event_end"),
            pl.col("row").min().alias("first_row"),
            pl.len().alias("n_articles"),
        )
        .sort("event_start", "first_row", nulls_last=True)
    )
    width = max(3, len(str(spans.height)))
    spans = spans.with_columns(
        (pl.lit("E") + (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(width)).alias("event_id")
    )
    docs = frame.select("group", pl.concat_str([pl.col("title").fill_null(""), pl.col("body").fill_null("")], separator="\n").alias("text"))
    # Copies would count twice in the keyword counts: one text per canonical article.
    docs = docs.filter(pl.Series([dup[i] is None for i in range(len(ids))]))
    labels = class_labels(docs, by="group", n_terms=n_terms)
    spans = spans.join(labels, on="group", how="left").with_columns(
        pl.concat_str(
            [
                pl.when(pl.col("event_start").is_null())
                .then(pl.lit("undated"))
                .when(pl.col("event_start") == pl.col("event_end"))
                .then(pl.col("event_start").dt.to_string("%Y-%m-%d"))
                .otherwise(pl.col("event_start").dt.to_string("%Y-%m-%d") + pl.lit("–") + pl.col("event_end").dt.to_string("%Y-%m-%d")),
                pl.col("label").fill_null(""),
            ],
            separator=" · ",
        ).alias("event_label")
    )
    return (
        frame.select("article_id", "group")
        .join(spans, on="group", how="left", maintain_order="left")
        .select(EVENT_SCHEMA.names())
        .cast(dict(EVENT_SCHEMA))
    )
