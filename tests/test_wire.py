from __future__ import annotations

import polars as pl
import pytest

from tests.conftest import seed_embedded
from toolkit.wire import WireError, apply_wire_policy, mark_wire_copies

HANS, KH_COPY = "041bcafb32a81fae", "97626fdcbf5c9ac1"  # the syndicated Yonhap story


def test_merge_keeps_one_copy_of_the_syndicated_story():
    articles = seed_embedded()[0]
    kept = apply_wire_policy(articles)
    story = kept.filter(pl.col("story_id") == HANS)
    # one voice: the story's canonical (most complete) copy, Hans India's here
    assert story["article_id"].to_list() == [HANS]
    assert KH_COPY not in kept["article_id"].to_list()
    assert kept["duplicate_of"].null_count() == kept.height  # same-outlet copies gone
    assert kept.height == 17
    assert set(kept["wire_policy"]) == {"merge"} and set(kept["canonical_policy"]) == {"canonical_only"}


def test_keep_and_drop_policies():
    articles = seed_embedded()[0]
    keep = apply_wire_policy(articles, policy="keep")
    assert {HANS, KH_COPY} <= set(keep["article_id"])
    assert keep.filter(pl.col("article_id") == KH_COPY)["wire_copy_of"].item() == HANS
    assert keep.height == 18
    drop = apply_wire_policy(articles, policy="drop")
    assert not {HANS, KH_COPY} & set(drop["article_id"]) and drop.height == 16
    everything = apply_wire_policy(articles, policy="keep", canonical_only=False)
    assert everything.height == 20 and everything["article_id"].to_list() == articles["article_id"].to_list()


def test_mark_wire_copies_flags_only_cross_outlet_stories():
    marked = mark_wire_copies(seed_embedded()[0])
    assert sorted(marked.filter("syndicated")["article_id"]) == sorted([HANS, KH_COPY])
    # the South China Morning Post story printed twice is a same-outlet copy, not syndication
    assert marked.filter(pl.col("outlet") == "South China Morning Post")["syndicated"].to_list() == [False]


def test_toy_tie_break_and_bad_policy():
    toy = pl.DataFrame(
        {
            "article_id": ["a", "b", "c"],
            "outlet": ["X", "Y", "Z"],
            "story_id": ["s", "s", "c"],  # story canonical "s" is not among the rows
            "duplicate_of": [None, None, None],
            "body": ["short", "a longer body", "other"],
        },
        schema_overrides={"duplicate_of": pl.String},
    )
    assert apply_wire_policy(toy)["article_id"].to_list() == ["b", "c"]  # longest body wins
    with pytest.raises(WireError, match="got wire policy 'nope'"):
        apply_wire_policy(toy, policy="nope")
