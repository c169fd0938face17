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


def _synthetic_corpus(seed_corpus, *, seed: int = 0):
    """Distinct articles of 400-800 words from seed sentences (20 % of words substituted),
    then truncated copies (their first 30-60 %) and lightly edited copies (2 % of words changed)."""
    import random
    import re

    rng = random.Random(seed)
    sentences = [s.split() for body in seed_corpus.articles["body"] for s in re.split(r"(?<=[.!?])\s+", body) if len(s.split()) >= 4]
    vocab = sorted({w for s in sentences for w in s} | {f"w{k}" for k in range(5000)})
    originals = []
    for _ in range(240):
        words: list[str] = []
        target = rng.randint(400, 800)
        while len(words) < target:
            words.extend(rng.choice(sentences))
        originals.append([rng.choice(vocab) if rng.random() < 0.2 else w for w in words[:target]])
    truncated = [(k, o[: int(len(o) * rng.uniform(0.3, 0.6))]) for k, o in enumerate(originals[:30])]
    edited = [(k, [rng.choice(vocab) if rng.random() < 0.02 else w for w in o]) for k, o in enumerate(originals[30:60], start=30)]
    return [" ".join(o) for o in originals], [(k, " ".join(w)) for k, w in truncated], [(k, " ".join(w)) for k, w in edited]


def test_truncated_and_edited_copies_are_grouped_and_unrelated_ones_are_not(seed_corpus):
    originals, truncated, edited = _synthetic_corpus(seed_corpus)
    items = [DedupInput(f"o{k}", k, "Outlet A", body) for k, body in enumerate(originals)]
    n = len(items)
    items += [DedupInput(f"t{k}", n + i, "Outlet A", body) for i, (k, body) in enumerate(truncated)]
    items += [DedupInput(f"e{k}", n + len(truncated) + i, "Outlet B", body) for i, (k, body) in enumerate(edited)]
    # the generator makes what the test claims: copies above the threshold, unrelated articles far below it
    assert all(containment(shingles(originals[k]), shingles(b)) >= 0.9 for k, b in truncated)
    assert all(containment(shingles(originals[k]), shingles(b)) >= CONTAINMENT_THRESHOLD for k, b in edited)
    sample = [shingles(b) for b in originals[:60]]
    assert max(containment(a, b) for a, b in itertools.combinations(sample, 2)) < 0.3
    result = find_duplicates(items)
    story = result.story_id
    truncated_found = sum(story[f"t{k}"] == story[f"o{k}"] for k, _ in truncated)
    edited_found = sum(story[f"e{k}"] == story[f"o{k}"] for k, _ in edited)
    # measured: 30 of 30 and 30 of 30; the bound leaves room for MinHash's variance
    assert truncated_found >= 28
    assert edited_found >= 28
    # a truncated copy in the same outlet points at its original; an edit in another outlet is wire copy
    assert sum(result.duplicate_of[f"t{k}"] == f"o{k}" for k, _ in truncated) == truncated_found
    assert all(result.duplicate_of[f"e{k}"] is None for k, _ in edited)
    # no unrelated originals share a story
    assert len({story[f"o{k}"] for k in range(len(originals))}) == len(originals)


def test_index_spills_to_a_private_directory_it_removes():
    import stat

    from toolkit.dedup import DuplicateIndex

    index = DuplicateIndex()
    folder = index._dir
    index.add("A", STORY)
    index.add("B", STORY.upper())
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    found = index.resolve_positions()
    assert found.n_exact == 1 and found.duplicate_of.tolist() == [-1, -1] and found.story.tolist() == [0, 0]
    index.close()
    assert not folder.exists()
