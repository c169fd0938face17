"""Event grouping on the seeds (the July 2025 trilateral chiefs meeting) and on hand-made articles."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from tests.conftest import seed_embedded as seed_data
from toolkit import events as te

TRILATERAL = {
    "f355e886b2c5665b": "Korea Herald: S. Korea, US, Japan stress security partnership",
    "25366b9d9f2f7094": "South China Morning Post",
    "df18831d195b3523": "South China Morning Post (second copy)",
    "3be20c2cc5204235": "NHK",
    "101ee64085693ab8": "CTV News",
    "4de3bf0e9efb7a79": "CNA",
    "05bfdc351ac56b9b": "Japan Forward: East Asia Faces Uneasy Alignments",
}
# The 10 July Kim-Caine bilateral, held as day one of the same Tri-CHOD visit (both copies).
EVE_BILATERAL = {"bd0848b4fd213104", "161ac7b15ce70277"}
UNRELATED = {
    "2024b02c83c77db1": "Korean tycoons to join Lee for Trump summit",
    "3a6d9d67d135db0c": "PM nominee stresses stronger Seoul-Tokyo ties",
    "041bcafb32a81fae": "Hans India: 21 May video talks (Yonhap)",
}


@pytest.fixture(scope="module")
def seed_events():
    articles, paragraphs, embeddings = seed_data()
    return articles, te.group_events(articles, paragraphs, embeddings)


def test_trilateral_meeting_is_one_event(seed_events):
    articles, events = seed_events
    ev = dict(events.select("article_id", "event_id").iter_rows())
    trilateral = {ev[a] for a in TRILATERAL}
    assert len(trilateral) == 1, {TRILATERAL[a]: ev[a] for a in TRILATERAL}
    (event,) = trilateral
    assert {ev[a] for a in EVE_BILATERAL} == {event}
    for aid, title in UNRELATED.items():
        assert ev[aid] != event, title
    members = events.filter(pl.col("event_id") == event)
    assert set(members["article_id"]) == set(TRILATERAL) | EVE_BILATERAL
    label = members["event_label"][0]
    assert label.startswith("2025-07-10–2025-07-14 · ")
    assert members["n_articles"][0] == 9


def test_frame_shape_and_order(seed_events):
    articles, events = seed_events
    assert events.schema == te.EVENT_SCHEMA
    assert events["article_id"].to_list() == articles["article_id"].to_list()
    # Ids follow the earliest date: E001 is the 21 May video talks (Hans India + Korea Herald syndicated copy).
    first = events.filter(pl.col("event_id") == "E001")["article_id"].to_list()
    assert set(first) == {"041bcafb32a81fae", "97626fdcbf5c9ac1"}
    starts = events.unique("event_id").sort("event_id")["event_start"].to_list()
    assert starts == sorted(starts)
    # Duplicates sit with their canonical copy.
    ev = dict(events.select("article_id", "event_id").iter_rows())
    for aid, dup in articles.select("article_id", "duplicate_of").iter_rows():
        if dup is not None:
            assert ev[aid] == ev[dup]


def test_deterministic(seed_events):
    articles, paragraphs, embeddings = seed_data()
    assert te.group_events(articles, paragraphs, embeddings).equals(seed_events[1])


def _hand_made(dates: list[dt.date | None], directions: list[int], dim: int = 8):
    n = len(dates)
    ids = [f"a{i}" for i in range(n)]
    rng = np.random.default_rng(1)
    vec = np.eye(dim)[directions] + 0.02 * rng.standard_normal((n, dim))
    topics = ["missile launch", "tariff talks", "flood rescue", "election count"]
    articles = pl.DataFrame(
        {
            "article_id": ids,
            "published": pl.Series(dates, dtype=pl.Date),
            "title": [f"Story {topics[d % 4]}" for d in directions],
            "body": [f"A {topics[d % 4]} report." for d in directions],
            "duplicate_of": pl.Series([None] * n, dtype=pl.String),
        }
    )
    paragraphs = pl.DataFrame({"paragraph_id": [f"{a}-000" for a in ids], "article_id": ids, "kind": ["body"] * n})
    embeddings = pl.DataFrame({"paragraph_id": paragraphs["paragraph_id"], "embedding": vec.astype(np.float32)}).with_columns(
        pl.col("embedding").cast(pl.Array(pl.Float32, dim))
    )
    return articles, paragraphs, embeddings


def test_same_topic_far_apart_in_time_is_two_events():
    d = dt.date(2025, 7, 1)
    articles, paragraphs, embeddings = _hand_made([d, d + dt.timedelta(1), d + dt.timedelta(20), d + dt.timedelta(21)], [0, 0, 0, 0])
    events = te.group_events(articles, paragraphs, embeddings)
    assert events["event_id"].to_list() == ["E001", "E001", "E002", "E002"]
    assert events["event_label"][0].startswith("2025-07-01–2025-07-02 · ")


def test_same_day_different_topics_stay_apart():
    d = dt.date(2025, 7, 1)
    articles, paragraphs, embeddings = _hand_made([d, d, d], [0, 1, 0])
    events = te.group_events(articles, paragraphs, embeddings)
    assert events["event_id"].to_list() == ["E001", "E002", "E001"]


def test_undated_articles_join_only_when_very_similar():
    d = dt.date(2025, 7, 1)
    articles, paragraphs, embeddings = _hand_made([d, None, None], [0, 0, 2])
    events = te.group_events(articles, paragraphs, embeddings)
    ids = events["event_id"].to_list()
    assert ids[0] == ids[1] != ids[2]
    assert events["event_label"][2].startswith("undated · ")
    # A looser threshold does not loosen the undated rule.
    mid = embeddings.with_columns(
        pl.Series("embedding", [[1, 0, 0, 0, 0, 0, 0, 0], [0.75, 0.66, 0, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0, 0]], dtype=pl.Array(pl.Float32, 8))
    )
    loose = te.group_events(articles, paragraphs, mid, threshold=0.5)
    assert loose["event_id"][0] != loose["event_id"][1]


def test_duplicates_follow_canonical_even_when_dated_elsewhere():
    d = dt.date(2025, 7, 1)
    articles, paragraphs, embeddings = _hand_made([d, d + dt.timedelta(30)], [0, 1])
    articles = articles.with_columns(pl.Series("duplicate_of", [None, "a0"], dtype=pl.String))
    events = te.group_events(articles, paragraphs, embeddings)
    assert events["event_id"].to_list() == ["E001", "E001"]
    assert events["n_articles"].to_list() == [2, 2]


def test_errors():
    d = dt.date(2025, 7, 1)
    articles, paragraphs, embeddings = _hand_made([d], [0])
    with pytest.raises(te.EventError, match="max_days=-1"):
        te.group_events(articles, paragraphs, embeddings, max_days=-1)
    with pytest.raises(te.EventError, match=r"articles frame lacks \['published'\]"):
        te.group_events(articles.drop("published"), paragraphs, embeddings)
    with pytest.raises(te.EventError, match="duplicate_of='zz'"):
        te.group_events(articles.with_columns(pl.lit("zz").alias("duplicate_of")), paragraphs, embeddings)
    single = te.group_events(articles, paragraphs, embeddings)
    assert single["event_id"].to_list() == ["E001"]
    assert te.group_events(articles.head(0), paragraphs, embeddings).height == 0


# The merge loop as first written: every step re-sorts all candidate pairs (cubic time).
# The heap version must choose exactly the same merges.
def _reference_merge(
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

    while True:
        avg = sums / np.outer(size, size)
        best: tuple[float, int, int] | None = None
        # Candidates in order of distance, then input order: deterministic.
        cand = np.argwhere(np.triu(np.ones((m, m), dtype=bool), 1) & alive[:, None] & alive[None, :] & (avg <= max(threshold, undated_threshold)))
        order = sorted(((avg[a, b], a, b) for a, b in cand.tolist()))
        for value, a, b in order:
            cut = allowed(a, b)
            if cut is not None and value <= cut:
                best = (value, a, b)
                break
        if best is None:
            break
        _, a, b = best
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
    return [groups[i] for i in range(m) if alive[i]]


@pytest.mark.parametrize("seed", range(12))
def test_heap_merge_chooses_the_same_merges_as_the_full_resort(seed):
    from toolkit.events import _merge

    rng = np.random.default_rng(seed)
    n, dim = int(rng.integers(5, 60)), 8
    centres = rng.standard_normal((4, dim))
    vectors = centres[rng.integers(0, 4, n)] + rng.normal(0, 0.4, (n, dim))
    vectors[rng.random(n) < 0.05] = 0.0  # articles with no vector
    vectors /= np.where((norm := np.linalg.norm(vectors, axis=1, keepdims=True)) == 0, 1.0, norm)
    days = rng.integers(0, 20, n).astype(float)
    days[rng.random(n) < 0.2] = np.nan  # undated
    groups = [[i] for i in range(n)]
    options = dict(threshold=float(rng.uniform(0.1, 0.6)), undated_threshold=float(rng.uniform(0.05, 0.3)), max_days=int(rng.integers(0, 4)),
                   max_span_days=int(rng.integers(2, 10)))
    got = _merge(vectors, days, [list(g) for g in groups], **options)
    want = _reference_merge(vectors, days, [list(g) for g in groups], **options)
    assert got == want
