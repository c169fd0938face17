"""Wire copy policy: which articles count as an outlet's own voice.

Ingestion keeps every copy and links them (see the README, "Duplicates and
syndication"): a same-outlet copy has ``duplicate_of`` set; syndicated copies
of one wire story in *different* outlets share ``story_id`` with
``duplicate_of`` null. Outlet comparisons must decide what to do with them,
and every result says what was decided (``wire_policy`` and
``canonical_policy`` columns). The outlet measures read the ``wire_policy``
column that :func:`apply_wire_policy` adds, and apply the policy themselves
to raw articles (:func:`toolkit.engine.resolve_wire`): a policy is recorded
only where it was applied.

Policies for syndicated stories (applied after same-outlet copies are
dropped, when ``canonical_only``):

* ``"merge"`` (default): one story, one voice. The copy kept is the story's
  canonical article (``article_id == story_id``: the most complete copy, as
  chosen by ingestion); when that article is not among the canonical ones,
  the longest body, then input order. The other copies are dropped and
  recorded in ``wire_copy_of``. Rule of thumb it encodes: the copy an outlet
  printed in full is the best witness of the wire text; attributing the
  story to a synthetic "wire" outlet would invent a voice no reader saw.
* ``"keep"``: every outlet's copy counts (each outlet chose to run it).
* ``"drop"``: syndicated stories are left out altogether (only each outlet's
  own reporting is compared).
"""

from __future__ import annotations

import polars as pl

from toolkit.engine import MeasureError
from toolkit.schema import require_columns

WIRE_POLICIES = ("merge", "keep", "drop")


class WireError(MeasureError):
    """Bad wire policy or articles frame (a :class:`toolkit.engine.MeasureError`)."""


def mark_wire_copies(articles: pl.DataFrame) -> pl.DataFrame:
    """Add ``n_outlets_in_story``, ``syndicated`` and ``wire_copy_of`` to canonical articles.

    Only canonical articles (``duplicate_of`` null) are considered and
    returned, in input order. ``syndicated`` is true when the article's
    ``story_id`` spans two or more outlets; ``wire_copy_of`` is the
    ``article_id`` of the copy kept by ``"merge"`` for the other copies, and
    null for the kept one and for stories in a single outlet.
    """
    require_columns(articles, ("article_id", "outlet", "story_id", "duplicate_of"), name="articles", error=WireError)
    length = pl.col("body").str.len_chars() if "body" in articles.columns else pl.lit(0)
    canon = articles.filter(pl.col("duplicate_of").is_null()).with_row_index("_order").with_columns(
        pl.col("story_id").fill_null(pl.col("article_id")).alias("_story"), length.fill_null(0).alias("_len")
    )
    keeper = (
        canon.sort([(pl.col("article_id") != pl.col("_story")), pl.col("_len"), pl.col("_order")], descending=[False, True, False])
        .group_by("_story", maintain_order=True)
        .agg(pl.col("article_id").first().alias("_keeper"), pl.col("outlet").n_unique().alias("n_outlets_in_story"))
    )
    return (
        canon.join(keeper, on="_story", how="left")
        .sort("_order")
        .with_columns(
            pl.col("n_outlets_in_story").cast(pl.Int32),
            (pl.col("n_outlets_in_story") > 1).alias("syndicated"),
        )
        .with_columns(
            pl.when(pl.col("syndicated") & (pl.col("article_id") != pl.col("_keeper"))).then(pl.col("_keeper")).alias("wire_copy_of")
        )
        .drop("_order", "_story", "_len", "_keeper")
    )


def apply_wire_policy(articles: pl.DataFrame, *, policy: str = "merge", canonical_only: bool = True) -> pl.DataFrame:
    """Articles that count for outlet comparisons under a wire policy.

    Parameters
    ----------
    articles : pl.DataFrame
        The articles frame (``article_id``, ``outlet``, ``story_id``,
        ``duplicate_of``; ``body`` used to break ties).
    policy : {"merge", "keep", "drop"}
        See the module docstring.
    canonical_only : bool, default True
        Drop same-outlet copies (``duplicate_of`` set) first. With False they
        stay (a story printed twice weighs twice) and the wire policy is
        applied to the canonical articles only.

    Returns
    -------
    pl.DataFrame
        The kept articles in input order, with ``syndicated``,
        ``n_outlets_in_story``, ``wire_copy_of`` (null for every kept row
        under ``merge``; set on non-kept copies under ``keep``),
        ``wire_policy`` and ``canonical_policy`` ("canonical_only" or
        "all_copies").
    """
    if policy not in WIRE_POLICIES:
        msg = f"got wire policy {policy!r}, expected one of {WIRE_POLICIES}"
        raise WireError(msg)
    marked = mark_wire_copies(articles)
    if policy == "merge":
        marked = marked.filter(pl.col("wire_copy_of").is_null())
    elif policy == "drop":
        marked = marked.filter(~pl.col("syndicated"))
    if not canonical_only:
        copies = articles.filter(pl.col("duplicate_of").is_not_null()).join(
            marked.select(pl.col("article_id").alias("duplicate_of"), "syndicated", "n_outlets_in_story"), on="duplicate_of", how="inner"
        ).with_columns(pl.lit(None, dtype=pl.String).alias("wire_copy_of"))
        order = articles.select("article_id").with_row_index("_order")
        marked = pl.concat([marked, copies.select(marked.columns)]).join(order, on="article_id").sort("_order").drop("_order")
    return marked.with_columns(
        pl.lit(policy).alias("wire_policy"), pl.lit("canonical_only" if canonical_only else "all_copies").alias("canonical_policy")
    )
