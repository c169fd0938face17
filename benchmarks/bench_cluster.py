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

Part 0 (``--real``): reproducibility on real paragraphs. The paragraphs of
the shared validation set's 333 articles
(``../shared/validation/semeval2023-task3-en/articles.jsonl``, research use
only, read in place) are ingested, embedded with the toolkit's cached
``embed`` and clustered by each method in the same process:
``cluster_stability`` gives ARI between seeds (0, 1, 2), under 1e-6
Gaussian noise, and against three 80% article subsamples on the shared
paragraphs, plus Hennig's clusterwise Jaccard. Topic recovery: each
article's majority cluster against keyword-defined topics (8 topics, 210 of
333 articles; an article gets a topic when its keywords are at least 4 and
twice the runner-up), article-level ARI. The baseline is the default
(``method="hdbscan"``); targets are ARI >= 0.8 (seeds), >= 0.9 (noise),
>= 0.8 (subsample) and topic ARI at least the baseline's.

Part 2: time and peak RSS of clustering + a 2-D UMAP projection on
synthetic paragraphs (seed vectors recombined with noise, dim 384), each
size in a fresh subprocess; log-log slope of time and memory vs N.

    python benchmarks/bench_cluster.py                      # both parts, sizes 1000 10000 100000
    python benchmarks/bench_cluster.py --sizes 1000 10000   # smaller scaling run
    python benchmarks/bench_cluster.py --skip-bertopic
    nice -n 10 python benchmarks/bench_cluster.py --real --skip-bertopic --sizes   # part 0 only
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
# Real paragraphs: stability and topic recovery

VALIDATION = ROOT.parent / "shared" / "validation" / "semeval2023-task3-en" / "articles.jsonl"
TOPICS = {
    "las_vegas_shooting": ["las vegas", "paddock", "mandalay", "shooter", "massacre"],
    "kavanaugh": ["kavanaugh", "ford", "supreme court nominee", "judiciary committee"],
    "catholic_church": ["pope", "francis", "vatican", "cardinal", "bishop", "vigano", "vigan\u00f2", "church", "catholic"],
    "immigration": ["immigra", "migrant", "border", "illegal alien", "sanctuary", "asylum", "deport", " ice "],
    "islam_terror": ["muslim", "islam", "jihad", "isis", "sharia", "terror"],
    "epidemics": ["ebola", "plague", "pandemic", "outbreak", "virus", "vaccine", "world health"],
    "russia_probe": ["mueller", "comey", "fbi", "collusion", "russia", "strzok", "fisa"],
    "space": ["nasa", "asteroid", "planet", "space", "oumuamua", "galaxy"],
}


def keyword_topic(text: str) -> str | None:
    """A topic when its keywords clearly dominate the article, else None."""
    padded = f" {text.lower()} "
    counts = sorted(((sum(padded.count(w) for w in words), name) for name, words in TOPICS.items()), reverse=True)
    (c1, name), (c2, _) = counts[0], counts[1]
    return name if c1 >= 4 and c1 >= 2 * c2 else None


def real_inputs(tmp: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    import toolkit
    from toolkit.analysis import analysis_paragraphs

    rows = [json.loads(line) for line in VALIDATION.open(encoding="utf-8")]
    table = tmp / "semeval.csv"
    pl.DataFrame([{"outlet": "SemEval", "title": r["title"] or "(untitled)", "body": r["body"]} for r in rows]).write_csv(table)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = toolkit.load_corpus(table)
    chosen = analysis_paragraphs(corpus.articles, corpus.paragraphs)
    embeddings = toolkit.embed(chosen, progress=False)
    titles = dict(zip(corpus.articles["article_id"], corpus.articles["title"]))
    return chosen.with_columns(pl.col("article_id").replace_strict(titles).alias("title")), embeddings


def topic_ari(paragraphs: pl.DataFrame, labels: np.ndarray) -> tuple[float, int]:
    from sklearn.metrics import adjusted_rand_score

    frame = paragraphs.select("article_id", "title", "text").with_columns(pl.Series("cluster", labels))
    per_article = frame.group_by("article_id", maintain_order=True).agg(
        (pl.col("title").first() + " " + pl.col("text").str.join(" ")).alias("all_text"),
        pl.col("cluster").mode().min().alias("cluster"),
    )
    truth = [keyword_topic(t) for t in per_article["all_text"].to_list()]
    keep = [i for i, t in enumerate(truth) if t]
    return float(adjusted_rand_score([truth[i] for i in keep], per_article["cluster"].gather(keep).to_list())), len(keep)


def real(methods: list[str]) -> None:
    import tempfile

    from toolkit.clustering import cluster_paragraphs_with_report, cluster_stability

    if not VALIDATION.exists():
        print(f"\n== real paragraphs: {VALIDATION} not found, skipped ==")
        return
    with tempfile.TemporaryDirectory() as tmp:
        paragraphs, embeddings = real_inputs(Path(tmp))
    print(f"\n== real paragraphs: {paragraphs.height} paragraphs of {paragraphs['article_id'].n_unique()} articles (SemEval-2023 task 3, en) ==")
    header = f"{'method':<10}{'k':>4}{'seed ARI':>10}{'(min)':>8}{'noise ARI':>11}{'subs ARI':>10}{'(min)':>8}{'Hennig J':>10}{'topic ARI':>11}{'s/run':>8}"
    print(header)
    results = {}
    for method in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            frame, report = cluster_paragraphs_with_report(embeddings, paragraphs, method=method)
            seconds = time.perf_counter() - start
            stab = cluster_stability(embeddings, paragraphs, seeds=(0, 1, 2), n_subsamples=3, method=method)
        overall = dict(stab.filter(pl.col("level") == "overall").select("metric", "value").iter_rows())
        hennig = stab.filter(pl.col("metric") == "subsample_jaccard_mean")["value"].mean()
        topic, n_topic = topic_ari(paragraphs, frame["cluster"].to_numpy())
        results[method] = {**overall, "hennig": hennig, "topic": topic, "k": report.n_clusters, "seconds": seconds}
        print(f"{method:<10}{report.n_clusters:>4}{overall['ari_mean']:>10.3f}{overall['ari_min']:>8.3f}{overall['noise_ari']:>11.3f}"
              f"{overall['subsample_ari_mean']:>10.3f}{overall['subsample_ari_min']:>8.3f}{hennig:>10.3f}{topic:>11.3f}{seconds:>8.1f}", flush=True)
    base = results.get("hdbscan")
    if base:
        for method, r in results.items():
            if method == "hdbscan":
                continue
            print(f"{method} / hdbscan: seed ARI x{r['ari_mean'] / base['ari_mean']:.2f}, subsample ARI x{r['subsample_ari_mean'] / base['subsample_ari_mean']:.2f}, "
                  f"topic ARI x{r['topic'] / base['topic']:.2f} (topics on {n_topic} articles), time x{r['seconds'] / base['seconds']:.2f}")
    for method, r in results.items():
        met = [r["ari_mean"] >= 0.8, r["noise_ari"] >= 0.9, r["subsample_ari_mean"] >= 0.8, (not base) or r["topic"] >= base["topic"]]
        print(f"targets {method}: seeds {'met' if met[0] else 'MISSED'}, noise {'met' if met[1] else 'MISSED'}, "
              f"subsample {'met' if met[2] else 'MISSED'}, topics {'met' if met[3] else 'MISSED'}")


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
    parser.add_argument("--real", action="store_true", help="stability and topic recovery on the shared validation set's paragraphs")
    parser.add_argument("--methods", nargs="+", default=["hdbscan", "kmeans"], help="methods for --real; hdbscan is the baseline")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.corpus)
        return
    if args.real:
        real(args.methods)
    if not args.skip_bertopic:
        compare(args.corpus)
    if args.sizes:
        scaling(args.sizes, args.corpus, args.timeout)


if __name__ == "__main__":
    main()
