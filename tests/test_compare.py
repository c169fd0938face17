"""Same-event comparison on the seeds' July 2025 chiefs-of-defence event."""

from __future__ import annotations

import polars as pl
import pytest

from toolkit.distinctive import MeasureError


@pytest.fixture(scope="module")
def event():
    from tests.conftest import seed_embedded
    from toolkit.analysis import analysis_paragraphs
    from toolkit.compare import compare_event
    from toolkit.events import group_events

    articles, paragraphs, embeddings = seed_embedded()
    events = group_events(articles, paragraphs, embeddings)
    chosen = analysis_paragraphs(articles, paragraphs)
    event_id = events.filter(pl.col("article_id") == "4de3bf0e9efb7a79")["event_id"][0]  # CNA's report
    result = compare_event(event_id, events, chosen, articles, embeddings)
    return result, (event_id, events, chosen, articles, embeddings)


def _text_of(result, outlet):
    return result.unique_points.filter(pl.col("outlet") == outlet)["text"].to_list()


def test_alignment_shape(event):
    result, _ = event
    outlets = result.coverage["outlet"].unique().to_list()
    assert sorted(outlets) == ["CNA", "CTV News", "Japan Forward", "Korea Herald", "NHK", "South China Morning Post"]
    # every paragraph gets one best match in each of the five other outlets, never its own outlet
    assert result.alignment.height == result.coverage.height * 5
    assert (result.alignment["outlet"] != result.alignment["other_outlet"]).all()
    assert result.alignment["similarity"].is_between(-1, 1.0001).all()


def test_points_only_one_outlet_makes(event):
    result, _ = event
    assert result.threshold == 0.6
    # CTV alone reports Lavrov's trip to Pyongyang; CNA alone quotes Seoul "faithfully implementing" the cost deal;
    # Japan Forward alone spells out the tariff rates.
    assert any(t.startswith("Lavrov") for t in _text_of(result, "CTV News"))
    assert any("faithfully implementing" in t for t in _text_of(result, "CNA"))
    assert any("10% rate" in t for t in _text_of(result, "Japan Forward"))
    # the agency-style reports (NHK, SCMP) make no point nobody else makes
    assert _text_of(result, "NHK") == [] and _text_of(result, "South China Morning Post") == []
    # Trump's cost-sharing pressure is a shared point: Korea Herald's paragraph is matched by several outlets
    cost = result.coverage.filter(pl.col("text").str.contains("shoulder more of the costs")).row(0, named=True)
    assert cost["outlet"] == "Korea Herald" and cost["n_outlets_matching"] >= 2


def test_threshold_sensitivity(event):
    result, _ = event
    totals = result.sensitivity.group_by("threshold").agg(pl.col("n_unique").sum()).sort("threshold")
    assert totals["threshold"].to_list() == [0.5, 0.6, 0.7]
    assert totals["n_unique"].to_list() == [2, 7, 14]  # monotone: a stricter bar makes more points "unique"
    lavrov = result.coverage.filter(pl.col("text").str.starts_with("Lavrov")).row(0, named=True)
    assert 0.5 < lavrov["max_similarity_elsewhere"] < 0.6


def test_deterministic_and_errors(event):
    from toolkit.compare import compare_event

    result, (event_id, events, chosen, articles, embeddings) = event
    again = compare_event(event_id, events, chosen, articles, embeddings)
    assert again.alignment.equals(result.alignment) and again.unique_points.equals(result.unique_points)
    with pytest.raises(MeasureError, match="got event_id='E999'"):
        compare_event("E999", events, chosen, articles, embeddings)
    solo = events.filter(pl.col("article_id") == "2024b02c83c77db1")["event_id"][0]  # one Korea Herald article
    with pytest.raises(MeasureError, match="expected at least 2"):
        compare_event(solo, events, chosen, articles, embeddings)
