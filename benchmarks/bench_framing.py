"""Framing benchmark: frame scoring and outlet x frame shares with honest uncertainty.

10,000 synthetic paragraphs (seed vectors recombined with noise, unit
length, dim 384) in 2,000 synthetic articles of 5 paragraphs across 20
outlets. Timed, in one process:

1. ``score_frames`` (prototype embedding served from the cache after a
   warm-up call; cosine, softmax calibration, ranks, margins);
2. ``outlet_shares`` on the primary frames: article bootstrap (2000),
   999 label permutations, BH-FDR, leave-one-article-out;
3. baseline: ``naive_shares``, a paragraph-level Polars group-by share with
   no uncertainty at all.

The ratio (2) / (3) is the price of honest uncertainty.

    python benchmarks/bench_framing.py
    python benchmarks/bench_framing.py --paragraphs 10000 --outlets 20 --n-boot 2000 --n-perm auto
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402


def synthetic(n_paragraphs: int, n_outlets: int, per_article: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Articles, paragraphs and embeddings recombined from the seed vectors."""
    import toolkit

    corpus = toolkit.load_corpus(ROOT / "seeds")
    base = toolkit.embed(corpus.paragraphs, progress=False)
    vectors = base["embedding"].to_numpy().astype(np.float32)
    fingerprint = base["model_fingerprint"][0]
    rng = np.random.default_rng(seed)
    n_articles = n_paragraphs // per_article
    # each synthetic article draws its paragraphs around one seed article's vectors
    picks = rng.integers(0, vectors.shape[0], size=n_paragraphs)
    mixed = 0.7 * vectors[picks] + 0.3 * vectors[rng.integers(0, vectors.shape[0], size=n_paragraphs)]
    mixed += rng.normal(0, 0.02, size=mixed.shape).astype(np.float32)
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
    article_ids = [f"a{i:05d}" for i in range(n_articles)]
    pids = [f"{article_ids[i // per_article]}-{i % per_article:03d}" for i in range(n_paragraphs)]
    paragraphs = pl.DataFrame(
        {
            "paragraph_id": pids,
            "article_id": [article_ids[i // per_article] for i in range(n_paragraphs)],
            "position": [i % per_article for i in range(n_paragraphs)],
        },
        schema_overrides={"position": pl.Int32},
    )
    embeddings = pl.DataFrame({"paragraph_id": pids, "embedding": mixed, "model_fingerprint": [fingerprint] * n_paragraphs}).with_columns(
        pl.col("embedding").cast(pl.Array(pl.Float32, vectors.shape[1]))
    )
    articles = pl.DataFrame(
        {
            "article_id": article_ids,
            "outlet": [f"outlet{rng.integers(n_outlets):02d}" for _ in range(n_articles)],
            "story_id": article_ids,
            "duplicate_of": [None] * n_articles,
        },
        schema_overrides={"duplicate_of": pl.String},
    )
    return articles, paragraphs, embeddings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=10_000)
    parser.add_argument("--outlets", type=int, default=20)
    parser.add_argument("--per-article", type=int, default=5)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--n-perm", type=lambda v: v if v == "auto" else int(v), default="auto",
                        help="permutations: an int, or 'auto' (the default: planned from the number of tests)")
    args = parser.parse_args()

    os.environ.setdefault("TOOLKIT_CACHE_DIR", tempfile.mkdtemp(prefix="bench-framing-cache-"))
    from toolkit.frames import score_frames
    from toolkit.shares import naive_shares, outlet_shares

    articles, paragraphs, embeddings = synthetic(args.paragraphs, args.outlets, args.per_article)
    score_frames(paragraphs.head(10), embeddings.head(10))  # warm-up: prototypes embedded and cached

    t0 = time.perf_counter()
    frames = score_frames(paragraphs, embeddings)
    t_score = time.perf_counter() - t0

    t0 = time.perf_counter()
    shares = outlet_shares(frames, paragraphs, articles, n_boot=args.n_boot, n_perm=args.n_perm, seed=0)
    t_shares = time.perf_counter() - t0

    primary = frames.filter("is_primary")
    t0 = time.perf_counter()
    repeats = 20
    for _ in range(repeats):
        naive = naive_shares(primary, paragraphs, articles)
    t_naive = (time.perf_counter() - t0) / repeats

    print(f"{args.paragraphs} paragraphs, {articles.height} articles, {args.outlets} outlets, {frames['frame'].n_unique()} frames")
    print(f"score_frames:                  {t_score:8.3f} s  ({args.paragraphs / t_score:,.0f} paragraphs/s)")
    print(f"outlet_shares (boot {args.n_boot}, perm {args.n_perm}): {t_shares:8.3f} s  ({shares.height} outlet x frame rows)")
    print(f"baseline naive_shares (paragraph group-by, no uncertainty): {t_naive * 1000:8.2f} ms  ({naive.height} rows)")
    print(f"ratio outlet_shares / naive_shares: {t_shares / t_naive:,.0f}x")
    print(f"ratio (score_frames + outlet_shares) / naive_shares: {(t_score + t_shares) / t_naive:,.0f}x")
    print(f"rows with q < 0.05 (no outlet effect built in): {(shares['q_value'] < 0.05).sum()} of {shares.height}")


if __name__ == "__main__":
    main()
