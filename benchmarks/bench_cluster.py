"""Clustering benchmark: toolkit vs BERTopic defaults on the seeds, and scaling.

Part 1 (needs the ``bench`` extras): the seed paragraphs that ``analyze``
clusters (101 body and deck paragraphs of canonical articles) and the same
embeddings go to ``toolkit.clustering.cluster_paragraphs`` (defaults) and
to ``BERTopic().fit_transform(docs, embeddings=...)`` (defaults; no
embedding model is loaded because the vectors are given; HF_HUB_OFFLINE=1
all the same). For each of 5 seeds: outlier share (before any
reassignment), number of clusters, wall time; stability is the mean and min
pairwise ARI across the seeds (BERTopic: ``umap_model=UMAP(..., random_state=s)``
with its default UMAP parameters).

Part 2: time and peak RSS of clustering + a 2-D UMAP projection on
synthetic paragraphs (seed vectors recombined with noise, dim 384), each
size in a fresh subprocess; log-log slope of time and memory vs N.

    python benchmarks/bench_cluster.py                      # both parts, sizes 1000 10000 100000
    python benchmarks/bench_cluster.py --sizes 1000 10000   # smaller scaling run
    python benchmarks/bench_cluster.py --skip-bertopic
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

SEEDS = (0, 1, 2, 3, 4)


def seed_inputs(corpus_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The paragraphs ``analyze`` clusters (canonical bodies and decks) and their embeddings."""
    from toolkit.analysis import analysis_paragraphs

    para, emb, art = (corpus_dir / f"{n}.parquet" for n in ("paragraphs", "embeddings", "articles"))
    if para.exists() and emb.exists() and art.exists():
        articles, paragraphs, embeddings = pl.read_parquet(art), pl.read_parquet(para), pl.read_parquet(emb)
    else:
        import toolkit

        corpus = toolkit.load_corpus(ROOT / "seeds")
        articles, paragraphs = corpus.articles, corpus.paragraphs
        embeddings = toolkit.embed(paragraphs, progress=False)
    chosen = analysis_paragraphs(articles, paragraphs)
    return chosen, embeddings.join(chosen.select("paragraph_id"), on="paragraph_id", how="semi", maintain_order="left")


def run_toolkit(paragraphs: pl.DataFrame, embeddings: pl.DataFrame) -> list[dict]:
    from toolkit.clustering import cluster_paragraphs_with_report

    runs = []
    for seed in SEEDS:
        start = time.perf_counter()
        frame, report = cluster_paragraphs_with_report(embeddings, paragraphs, random_state=seed)
        runs.append(
            {
                "seconds": time.perf_counter() - start,
                "labels": frame["cluster"].to_numpy(),
                "n_clusters": report.n_clusters,
                "outlier_share": report.outlier_share,
            }
        )
    return runs


def run_bertopic(paragraphs: pl.DataFrame, embeddings: pl.DataFrame) -> list[dict]:
    from bertopic import BERTopic
    from umap import UMAP

    docs = paragraphs["text"].to_list()
    vectors = paragraphs.select("paragraph_id").join(embeddings, on="paragraph_id", how="left", maintain_order="left")["embedding"].to_numpy()
    runs = []
    for seed in SEEDS:
        # BERTopic's own default UMAP, only seeded.
        umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", low_memory=False, random_state=seed)
        start = time.perf_counter()
        topics, _ = BERTopic(umap_model=umap_model).fit_transform(docs, embeddings=vectors)
        labels = np.asarray(topics)
        runs.append(
            {
                "seconds": time.perf_counter() - start,
                "labels": labels,
                "n_clusters": int(len(set(labels[labels >= 0].tolist()))),
                "outlier_share": float((labels < 0).mean()),
            }
        )
    return runs


def summarise(runs: list[dict]) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score

    aris = [adjusted_rand_score(a["labels"], b["labels"]) for a, b in itertools.combinations(runs, 2)]
    return {
        "outlier_share": float(np.mean([r["outlier_share"] for r in runs])),
        "n_clusters": float(np.mean([r["n_clusters"] for r in runs])),
        "ari_mean": float(np.mean(aris)),
        "ari_min": float(np.min(aris)),
        # The first run pays numba compilation; the median is the steady state.
        "seconds_first": runs[0]["seconds"],
        "seconds_median": float(np.median([r["seconds"] for r in runs])),
    }


def compare(corpus_dir: Path) -> None:
    paragraphs, embeddings = seed_inputs(corpus_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = summarise(run_toolkit(paragraphs, embeddings))
        theirs = summarise(run_bertopic(paragraphs, embeddings))
    print(f"\n== seeds: {paragraphs.height} paragraphs, same embeddings, seeds {SEEDS} ==")
    print(f"{'metric':<34}{'toolkit':>12}{'BERTopic':>12}{'ratio':>10}")
    names = {
        "outlier_share": "outlier share (mean, before reassign)",
        "n_clusters": "clusters (mean)",
        "ari_mean": "stability ARI mean (10 pairs)",
        "ari_min": "stability ARI min",
        "seconds_first": "wall time first run (s)",
        "seconds_median": "wall time median run (s)",
    }
    for key, name in names.items():
        a, b = ours[key], theirs[key]
        ratio = f"{a / b:.3f}" if b else "n/a"
        print(f"{name:<34}{a:>12.4f}{b:>12.4f}{ratio:>10}")
    print("(ratio = toolkit / BERTopic; BERTopic keeps its outliers as topic -1, the toolkit reassigns them by default)")


# ---------------------------------------------------------------------------
# Scaling


def synthetic(n: int, corpus_dir: Path, seed: int = 0) -> pl.DataFrame:
    """``n`` paragraphs: random pairs of seed vectors mixed, plus noise, renormalised."""
    _, embeddings = seed_inputs(corpus_dir)
    base = embeddings["embedding"].to_numpy().astype(np.float32)
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, len(base), n), rng.integers(0, len(base), n)
    w = rng.uniform(0.6, 1.0, (n, 1)).astype(np.float32)
    vec = w * base[i] + (1 - w) * base[j] + 0.03 * rng.standard_normal((n, base.shape[1])).astype(np.float32)
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    return pl.DataFrame({"paragraph_id": [f"s{k:07d}" for k in range(n)], "embedding": vec}).with_columns(
        pl.col("embedding").cast(pl.Array(pl.Float32, base.shape[1])), pl.lit("synthetic paragraph text").alias("text")
    )


def child(n: int, corpus_dir: Path) -> None:
    """One size in this process; prints a JSON line."""
    from toolkit.clustering import cluster_paragraphs_with_report
    from toolkit.projection import project

    import tracemalloc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Warm-up on 300 rows: numba compiles UMAP's kernels once per process
        # (~15 s); that fixed cost is reported separately, not as scaling.
        warm = synthetic(300, corpus_dir, seed=1)
        start = time.perf_counter()
        cluster_paragraphs_with_report(warm.select("paragraph_id", "embedding"), warm.select("paragraph_id", "text"))
        project(warm.select("paragraph_id", "embedding"))
        t_warm = time.perf_counter() - start
    frame = synthetic(n, corpus_dir)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        _, report = cluster_paragraphs_with_report(frame.select("paragraph_id", "embedding"), frame.select("paragraph_id", "text"))
        t_cluster = time.perf_counter() - start
        start = time.perf_counter()
        project(frame.select("paragraph_id", "embedding"))
        t_project = time.perf_counter() - start
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "n": n,
                "cluster_s": t_cluster,
                "project_s": t_project,
                "peak_rss_mb": rss / 1024,
                "rss_before_mb": rss_before / 1024,
                "traced_peak_mb": traced_peak / 2**20,
                "warmup_s": t_warm,
                "n_clusters": report.n_clusters,
                "outlier_share": report.outlier_share,
            }
        )
    )



def scaling(sizes: list[int], corpus_dir: Path, timeout: float) -> None:
    print("\n== scaling: clustering (UMAP 5-d + HDBSCAN + labels) and a 2-D UMAP map, dim 384, one subprocess per size ==")
    print(f"{'N':>8}{'cluster s':>12}{'map s':>10}{'total s':>10}{'peak RSS MB':>13}{'traced MB':>11}{'clusters':>10}{'outliers':>10}")
    rows = []
    for n in sizes:
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(n), "--corpus", str(corpus_dir)],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=True,
            )
        except subprocess.TimeoutExpired:
            print(f"{n:>8}  exceeded the {timeout:.0f} s limit; larger sizes skipped")
            break
        except subprocess.CalledProcessError as err:
            print(f"{n:>8}  failed: {err.stderr.strip().splitlines()[-1] if err.stderr else err}")
            break
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        total = row["cluster_s"] + row["project_s"]
        print(
            f"{n:>8}{row['cluster_s']:>12.1f}{row['project_s']:>10.1f}{total:>10.1f}{row['peak_rss_mb']:>13.0f}{row['traced_peak_mb']:>11.0f}"
            f"{row['n_clusters']:>10}{row['outlier_share']:>10.3f}"
        )
    if len(rows) >= 2:
        n = np.log([r["n"] for r in rows])
        t = np.log([r["cluster_s"] + r["project_s"] for r in rows])
        m = np.log([r["peak_rss_mb"] for r in rows])
        tm = np.log([r["traced_peak_mb"] for r in rows])
        print(f"numba warm-up (once per process, not in the times above): {rows[0]['warmup_s']:.1f} s")
        print(
            f"log-log slope over N = {[r['n'] for r in rows]}: time {np.polyfit(n, t, 1)[0]:.2f}, "
            f"peak RSS {np.polyfit(n, m, 1)[0]:.2f}, traced allocations {np.polyfit(n, tm, 1)[0]:.2f}"
        )
        for a, b in itertools.pairwise(rows):
            ratio = b["n"] / a["n"]
            tt = (b["cluster_s"] + b["project_s"]) / (a["cluster_s"] + a["project_s"])
            print(f"  {a['n']} -> {b['n']} (x{ratio:.0f}): time x{tt:.1f} (slope {math.log(tt) / math.log(ratio):.2f}), RSS x{b['peak_rss_mb'] / a['peak_rss_mb']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000, 100_000])
    parser.add_argument("--corpus", type=Path, default=ROOT / "build" / "corpus")
    parser.add_argument("--skip-bertopic", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per size")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.corpus)
        return
    if not args.skip_bertopic:
        compare(args.corpus)
    if args.sizes:
        scaling(args.sizes, args.corpus, args.timeout)


if __name__ == "__main__":
    main()
