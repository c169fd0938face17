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
