"""Same-event comparison: which points of an event does each outlet make that the others omit?

For one event, every paragraph is matched to its nearest paragraph (cosine
of the paragraph embeddings) in **each other outlet** covering the event.
A paragraph is a **unique point** of its outlet when no other outlet has a
paragraph at or above ``threshold``: nobody else says something close.

The threshold is a judgement, so :class:`EventComparison` also carries the
count of unique points per outlet at several thresholds
(``sensitivity``): read a point as unique only if it stays unique across
them. The default 0.6 was chosen on the seed event (the July 2025
chiefs-of-defence meeting, all-MiniLM-L6-v2): paragraphs reporting the
same fact in other words ("the three chiefs met in Seoul", the B-52H
drill over Jeju) match across outlets at 0.7-0.87, while points only one
outlet makes (CTV's Lavrov visit, CNA's "faithfully implementing" the
cost deal, Japan Forward's tariff paragraphs) reach at most 0.44-0.56
elsewhere. Between 0.55 and 0.65 calls are borderline: on the seeds 2
paragraphs of 35 are unique at 0.5, 7 at 0.6 and 14 at 0.7. It is
model-specific; recalibrate for another embedding model.

Nearest-neighbour alignment is asymmetric (a's best match in b need not
pick a back) and sees topic, not stance: two paragraphs on Trump's cost
demands match whether they endorse or criticise them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from toolkit.engine import MeasureError
from toolkit.schema import require_columns

#: Cosine similarity at or above which another outlet "makes the same point".
DEFAULT_THRESHOLD = 0.6
#: Thresholds reported in the sensitivity table.
DEFAULT_SENSITIVITY = (0.5, 0.6, 0.7)


@dataclass(frozen=True)
class EventComparison:
    """Result of :func:`compare_event`.

    Attributes
    ----------
    event_id : str
    threshold : float
    alignment : pl.DataFrame
        ``paragraph_id``, ``outlet``, ``other_outlet``, ``best_match_id``,
        ``similarity``: one row per paragraph and other outlet.
    unique_points : pl.DataFrame
        ``outlet``, ``paragraph_id``, ``text``,
        ``max_similarity_elsewhere``, ``nearest_outlet``: paragraphs no
        other outlet matches at ``threshold``, by outlet then position.
    coverage : pl.DataFrame
        Every paragraph: ``outlet``, ``paragraph_id``, ``text``,
        ``max_similarity_elsewhere``, ``nearest_outlet``,
        ``n_outlets_matching`` (other outlets at or above the threshold),
        ``n_other_outlets``.
    sensitivity : pl.DataFrame
        ``threshold``, ``outlet``, ``n_paragraphs``, ``n_unique``.
    wire_policy : str
    """

    event_id: str
    threshold: float
    alignment: pl.DataFrame
    unique_points: pl.DataFrame
    coverage: pl.DataFrame
    sensitivity: pl.DataFrame
    wire_policy: str


def _need(frame: pl.DataFrame, name: str, columns: Sequence[str]) -> None:
    require_columns(frame, columns, name=name, error=MeasureError)


def compare_event(
    event_id: str,
    events: pl.DataFrame,
    paragraphs: pl.DataFrame,
    articles: pl.DataFrame,
    embeddings: pl.DataFrame,
    *,
    by: str = "outlet",
    threshold: float = DEFAULT_THRESHOLD,
    thresholds: Sequence[float] = DEFAULT_SENSITIVITY,
    wire_policy: str | None = None,
) -> EventComparison:
    """Align one event's paragraphs across outlets and list each outlet's unique points.

    Parameters
    ----------
    event_id : str
        An ``event_id`` of ``events``.
    events : pl.DataFrame
        ``article_id``, ``event_id`` (from :func:`toolkit.group_events`).
    paragraphs : pl.DataFrame
        ``paragraph_id``, ``article_id``, ``text``, ideally
        ``analysis_paragraphs(articles, paragraphs)`` so same-outlet copies
        and subheads are left out; rows keep their order in the output.
    articles : pl.DataFrame
        ``article_id`` and ``by``, raw (the wire policy is applied here) or
        from :func:`toolkit.wire.apply_wire_policy` (its column is read):
        a syndicated copy in another outlet matches its original at ~1.0
        and would hide the point from both, so ``"merge"`` is the default.
    embeddings : pl.DataFrame
        ``paragraph_id``, ``embedding`` (unit vectors from :func:`toolkit.embed`;
        renormalised here all the same).
    by : str, default "outlet"
        What counts as one voice ("outlet", or "outlet_country").
    threshold : float, default 0.6
        Cosine at or above which another outlet makes the same point.
    thresholds : sequence of float
        Thresholds for the sensitivity table (``threshold`` is added).
    wire_policy : {"merge", "keep", "drop"}, optional
        None reads the articles' ``wire_policy`` column, or applies "merge"
        (:func:`toolkit.engine.resolve_wire`); the policy applied is recorded.

    Returns
    -------
    EventComparison

    Raises
    ------
    MeasureError
        Unknown event, missing columns, or fewer than two outlets.
    """
    _need(events, "events", ("article_id", "event_id"))
    _need(paragraphs, "paragraphs", ("paragraph_id", "article_id", "text"))
    _need(articles, "articles", ("article_id", by))
    _need(embeddings, "embeddings", ("paragraph_id", "embedding"))
    from toolkit.engine import resolve_wire

    articles, wire_policy = resolve_wire(articles, wire_policy)
    if not -1.0 <= threshold <= 1.0:
        msg = f"got threshold={threshold}, expected a cosine in [-1, 1]"
        raise MeasureError(msg)
    members = events.filter(pl.col("event_id") == event_id).select("article_id").unique(maintain_order=True)
    if members.height == 0:
        known = sorted(events["event_id"].unique().to_list())
        msg = f"got event_id={event_id!r}, expected one of {known[:20]}"
        raise MeasureError(msg)
    data = (
        paragraphs.select("paragraph_id", "article_id", "text")
        .join(members, on="article_id", how="semi", maintain_order="left")
        .join(articles.select("article_id", pl.col(by).cast(pl.String).alias("outlet")).unique("article_id", keep="first"), on="article_id", how="inner", maintain_order="left")
        .filter(pl.col("outlet").is_not_null())
        .join(embeddings.select("paragraph_id", "embedding"), on="paragraph_id", how="inner", maintain_order="left")
    )
    outlets = sorted(set(data["outlet"].to_list()))
    if len(outlets) < 2:
        msg = f"got {len(outlets)} {by} value(s) with embedded paragraphs in event {event_id!r}, expected at least 2 to compare"
        raise MeasureError(msg)

    x = np.asarray(data["embedding"].to_numpy(), dtype=float)
    x /= np.where((n := np.linalg.norm(x, axis=1, keepdims=True)) == 0, 1.0, n)
    sim = x @ x.T
    row_outlet = np.array(data["outlet"].to_list(), dtype=object)
    pids = data["paragraph_id"].to_list()
    masks = {o: np.flatnonzero(row_outlet == o) for o in outlets}

    align_rows = []
    best = np.full((data.height, len(outlets)), np.nan)  # best similarity per other outlet
    for i in range(data.height):
        for k, other in enumerate(outlets):
            if other == row_outlet[i]:
                continue
            cols = masks[other]
            j = cols[int(np.argmax(sim[i, cols]))]  # argmax takes the first on ties: input order
            best[i, k] = sim[i, j]
            align_rows.append((pids[i], row_outlet[i], other, pids[j], float(sim[i, j])))
    alignment = pl.DataFrame(align_rows, schema={"paragraph_id": pl.String, "outlet": pl.String, "other_outlet": pl.String,
                                                 "best_match_id": pl.String, "similarity": pl.Float64}, orient="row")

    max_else = np.nanmax(best, axis=1)
    nearest = [outlets[int(np.nanargmax(row))] for row in best]
    coverage = pl.DataFrame(
        {
            "outlet": data["outlet"],
            "paragraph_id": data["paragraph_id"],
            "text": data["text"],
            "max_similarity_elsewhere": max_else,
            "nearest_outlet": nearest,
            "n_outlets_matching": (np.nan_to_num(best, nan=-np.inf) >= threshold).sum(axis=1).astype(np.int64),
            "n_other_outlets": np.full(data.height, len(outlets) - 1, dtype=np.int64),
        }
    )
    unique_points = coverage.filter(pl.col("max_similarity_elsewhere") < threshold).select(
        "outlet", "paragraph_id", "text", "max_similarity_elsewhere", "nearest_outlet"
    ).sort("outlet", "paragraph_id")

    levels = sorted({float(t) for t in thresholds} | {float(threshold)})
    sens_rows = []
    for t in levels:
        for o in outlets:
            rows = masks[o]
            sens_rows.append((t, o, int(rows.size), int((max_else[rows] < t).sum())))
    sensitivity = pl.DataFrame(sens_rows, schema={"threshold": pl.Float64, "outlet": pl.String, "n_paragraphs": pl.Int64, "n_unique": pl.Int64}, orient="row")
    return EventComparison(event_id, float(threshold), alignment, unique_points, coverage, sensitivity, wire_policy)
