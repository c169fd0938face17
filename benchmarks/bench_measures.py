"""Cost of the uncertainty machinery in the framing measures, on synthetic data.

10,000 synthetic paragraphs (2,000 articles of 5 paragraphs) across 20
outlets, 384-D unit vectors and short texts drawn from a 2,000-word
vocabulary. Each measure is timed next to a named baseline run in the same
process on the same data:

* Fightin' Words (informative prior, z, article-level permutation p,
  BH-FDR) vs a plain log-odds ratio with add-0.5 smoothing and no prior,
  variance or test (counts taken from the same tokeniser, so both pay the
  tokenising);
* outlet distances with within-pair label permutations vs plain centroid
  distances (``n_perm=0``);
* SemAxis projection + per-outlet t interval and permutation band vs the
  projection and plain per-outlet means.

``--n-perm auto`` (the default) is the toolkit's default: as many
permutations as the number of tests needs, stopping early for tests that
are clearly not significant (no group effect is simulated, so most stop
early).

    python benchmarks/bench_measures.py            # n_perm=auto
    python benchmarks/bench_measures.py --n-perm 999
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402


def synthetic(n_paragraphs: int = 10_000, n_outlets: int = 20, per_article: int = 5, dim: int = 384, seed: int = 0):
    rng = np.random.default_rng(seed)
    n_articles = n_paragraphs // per_article
    vocab = [f"w{chr(97 + i % 26)}{chr(97 + (i // 26) % 26)}{chr(97 + (i // 676) % 26)}" for i in range(2000)]
    zipf = 1.0 / np.arange(1, len(vocab) + 1)
    zipf /= zipf.sum()
    article_ids = [f"a{i:05d}" for i in range(n_articles)]
    outlets = [f"outlet{i % n_outlets:02d}" for i in range(n_articles)]
    common = rng.normal(size=dim)
    topics = common + rng.normal(size=(n_articles, dim))
    x = np.repeat(topics, per_article, axis=0) + 0.5 * rng.normal(size=(n_paragraphs, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    words = rng.choice(len(vocab), size=(n_paragraphs, 40), p=zipf)
    texts = [" ".join(vocab[w] for w in row) for row in words]
    pids = [f"{article_ids[i // per_article]}-{i % per_article:03d}" for i in range(n_paragraphs)]
    paragraphs = pl.DataFrame({"paragraph_id": pids, "article_id": [article_ids[i // per_article] for i in range(n_paragraphs)], "text": texts})
    # Marked by the wire policy as ingestion would leave them (no syndication here): the measures read the column.
    articles = pl.DataFrame({"article_id": article_ids, "outlet": outlets, "wire_policy": "merge"})
    embeddings = pl.DataFrame({"paragraph_id": pids, "embedding": x.astype(np.float32)}).with_columns(pl.col("embedding").cast(pl.Array(pl.Float32, dim)))
    return articles, paragraphs, embeddings


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def plain_log_odds(paragraphs: pl.DataFrame, articles: pl.DataFrame, group: str) -> dict[str, float]:
    """Baseline: log((y_a + .5)/(n_a - y_a + .5)) - log((y_b + .5)/(n_b - y_b + .5)); no prior, no variance, no FDR."""
    from toolkit.keywords import _terms, stop_words

    stops = stop_words()
    a, b = Counter(), Counter()
    data = paragraphs.join(articles, on="article_id")
    for outlet, text in data.select("outlet", "text").iter_rows():
        (a if outlet == group else b).update(k for k, _ in _terms(text, stops, 1))
    n_a, n_b = sum(a.values()), sum(b.values())
    return {t: math.log((a[t] + 0.5) / (n_a - a[t] + 0.5)) - math.log((b[t] + 0.5) / (n_b - b[t] + 0.5)) for t in set(a) | set(b)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-perm", type=lambda v: v if v == "auto" else int(v), default="auto")
    parser.add_argument("--n-boot", type=int, default=1000)
    args = parser.parse_args()

    from toolkit.distances import outlet_distances
    from toolkit.distinctive import fightin_words
    from toolkit.semaxis import axis_by_outlet, axis_from_vectors, project_axis

    articles, paragraphs, embeddings = synthetic()
    print(f"data: {paragraphs.height} paragraphs, {articles.height} articles, {articles['outlet'].n_unique()} outlets, dim 384")
    rows = []

    # Warm-up: imports (scikit-learn stop words, scipy) are paid before any timing.
    fightin_words(paragraphs.head(50), articles, group_a="outlet00")
    t_base, _ = timed(lambda: plain_log_odds(paragraphs, articles, "outlet00"))
    t_fw, fw = timed(lambda: fightin_words(paragraphs, articles, group_a="outlet00", n_perm=args.n_perm))
    rows.append((f"fightin_words (outlet00 vs rest), n_perm={args.n_perm}", t_fw, "plain add-0.5 log-odds", t_base))

    t_base, _ = timed(lambda: outlet_distances(embeddings, paragraphs, articles, n_perm=0))
    t_dist, dist = timed(lambda: outlet_distances(embeddings, paragraphs, articles, n_perm=args.n_perm, seed=0))
    rows.append((f"outlet_distances, n_perm={args.n_perm} (190 pairs)", t_dist, "centroid distances, n_perm=0", t_base))

    rng = np.random.default_rng(1)
    axis = axis_from_vectors(rng.normal(size=(8, 384)), rng.normal(size=(8, 384)), name="synthetic")

    def plain_axis():
        scores = project_axis(axis, embeddings)
        return scores.join(paragraphs.select("paragraph_id", "article_id"), on="paragraph_id").join(articles, on="article_id").group_by("outlet").agg(pl.col("score").mean())

    t_base, _ = timed(plain_axis)
    t_ax, ax = timed(lambda: axis_by_outlet(project_axis(axis, embeddings), paragraphs, articles, n_boot=args.n_boot, n_perm=args.n_perm, seed=0))
    rows.append((f"semaxis: project + axis_by_outlet (t interval, n_perm={args.n_perm})", t_ax, "project + group_by mean", t_base))

    print(f"\n{'measure':<70} {'time s':>8}  {'baseline':<32} {'base s':>8} {'ratio':>8}")
    for name, t, base_name, base in rows:
        print(f"{name:<70} {t:8.2f}  {base_name:<32} {base:8.3f} {t / base:8.1f}")
    print(f"\nsanity: fightin_words terms={fw.height}, q<0.05: {(fw['q_value'] < 0.05).sum()}, permutations used max {fw['n_perm'].max()}; "
          f"distances q<0.05: {(dist['q_value'] < 0.05).sum()} of {dist.height}; semaxis q<0.05: {(ax['q_value'] < 0.05).sum()} of {ax.height} "
          "(no group effect was simulated)")


if __name__ == "__main__":
    main()
