"""Near-duplicate and syndication detection."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.dedup import CONTAINMENT_THRESHOLD, DedupInput, containment, find_duplicates, shingles

STORY = (
    "The top military officers of South Korea and the United States met Thursday but avoided thorny issues. "
    "Adm. Kim Myung-soo and Gen. John Daniel Caine held a 40-minute meeting at Seoul's JCS headquarters. "
    "Their agenda focused on updates on North Korea's military and security cooperation between the allies. "
    "The meeting came amid heightened concerns in South Korea over the costs of stationing US troops."
)


def test_threshold_separates_true_and_unrelated_pairs_on_the_seeds(seed_corpus):
    rows = seed_corpus.articles.select("story_id", "body").rows()
    true, unrelated = [], []
    for (s1, b1), (s2, b2) in itertools.combinations(rows, 2):
        (true if s1 == s2 else unrelated).append(containment(shingles(b1), shingles(b2)))
    assert len(true) == 3
    # a wide margin on both sides of the documented threshold
    assert min(true) >= CONTAINMENT_THRESHOLD + 0.3
    assert max(unrelated) <= CONTAINMENT_THRESHOLD - 0.4


def test_truncated_copy_points_at_the_complete_one():
    truncated = STORY.split(". ", 1)[1]
    result = find_duplicates([DedupInput("short", 0, None, truncated), DedupInput("full", 1, "Korea Herald", STORY)])
    assert result.duplicate_of == {"short": "full", "full": None}
    assert result.story_id == {"short": "full", "full": "full"}


def test_syndicated_copies_share_a_story_but_are_not_duplicates():
    hans = "Seoul: " + STORY.replace("United States", "US") + " Yonhap news agency reported the talks."
    result = find_duplicates(
        [DedupInput("hans", 0, "Hans India", hans), DedupInput("kh", 1, "Korea Herald", STORY), DedupInput("kh2", 2, "Korea Herald", STORY)]
    )
    assert result.duplicate_of == {"hans": None, "kh": None, "kh2": "kh"}
    assert set(result.story_id.values()) == {"hans"}  # the longest copy is the story's canonical


def test_exact_copies_tie_break_on_input_order():
    result = find_duplicates([DedupInput("b", 0, "X", STORY), DedupInput("a", 1, "X", STORY)])
    assert result.duplicate_of == {"b": None, "a": "b"}
    assert result.pairs == [("b", "a", 1.0)]


def test_unrelated_texts_stay_apart():
    other = "Prime Minister nominee Kim Min-seok expressed hope for deeper ties with Japan during a meeting in Seoul on Monday with an adviser."
    result = find_duplicates([DedupInput("x", 0, "A", STORY), DedupInput("y", 1, "A", other)])
    assert result.duplicate_of == {"x": None, "y": None}
    assert result.story_id == {"x": "x", "y": "y"}


words = st.sampled_from("korea japan us talks defence cost troops china north seoul tokyo drill bomber said met".split())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(words, min_size=0, max_size=40).map(" ".join), min_size=1, max_size=8))
def test_every_article_gets_a_story_and_duplicates_point_inside_it(bodies):
    items = [DedupInput(f"id{i}", i, "Same Outlet", b) for i, b in enumerate(bodies)]
    result = find_duplicates(items)
    assert set(result.story_id) == {i.article_id for i in items}
    for art, canon in result.duplicate_of.items():
        if canon is not None:
            assert result.duplicate_of[canon] is None
            assert result.story_id[art] == result.story_id[canon]
