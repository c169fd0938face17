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

Part 0b (``--agreement``, issue 12 item 4): the large-corpus paths
against the exact ones on the same real paragraphs, forced by lowering
the thresholds to a 20% sample (as 20k of 100k): ARI of the sampled
k-means against the exact k-means (target >= 0.8), and for the map
trustworthiness@10 and kNN@10 overlap with the exact UMAP map, beside two
exact maps with different seeds as the yardstick.

Part 2: time (wall and CPU) and peak RSS of clustering + a 2-D UMAP
projection (+ the analyze stability check with ``--stability``) on
synthetic paragraphs (seed vectors recombined with noise, dim 384), each
size and pipeline in a fresh subprocess; ``--pipelines``: ``toolkit``
(default paths, sampled above 20k paragraphs), ``exact`` (the exact paths
at every size, commit 63c9f62), ``hdbscan`` (UMAP + HDBSCAN + full map,
before 63c9f62), ``bertopic`` (BERTopic defaults on the same vectors);
the ratio toolkit / other per size, and log-log slopes with an
extrapolation to 10^6. Numba compilation is paid in a warm-up and
reported apart. On a shared machine read the CPU seconds (single-threaded
with OMP_NUM_THREADS=1, so close to the wall time of an idle machine).

    python benchmarks/bench_cluster.py                      # both parts, sizes 1000 10000 100000
    python benchmarks/bench_cluster.py --sizes 1000 10000   # smaller scaling run
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_cluster.py --skip-bertopic --sizes 100000 --pipelines toolkit exact bertopic
    nice -n 10 python benchmarks/bench_cluster.py --agreement --skip-bertopic --sizes
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
# Sampled (large-corpus) paths against the exact ones, on real paragraphs

AGREEMENT_SAMPLE_SHARE = 0.2  # 20k of 100k; the real set is smaller, so the share is kept, not the size


def _knn(points: np.ndarray, k: int = 10, metric: str = "euclidean") -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    return NearestNeighbors(n_neighbors=k + 1, metric=metric).fit(points).kneighbors(points, return_distance=False)[:, 1:]


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([len(set(x) & set(y)) / len(x) for x, y in zip(a.tolist(), b.tolist())]))


def agreement() -> None:
    """ARI of the sampled k-means path, and kNN@10 / trustworthiness of the sampled map, against the exact paths."""
    import tempfile

    from sklearn.manifold import trustworthiness
    from sklearn.metrics import adjusted_rand_score

    import toolkit.clustering as tc
    import toolkit.projection as tp

    if not VALIDATION.exists():
        print(f"\n== agreement: {VALIDATION} not found, skipped ==")
        return
    with tempfile.TemporaryDirectory() as tmp:
        paragraphs, embeddings = real_inputs(Path(tmp))
    n = paragraphs.height
    sample = round(AGREEMENT_SAMPLE_SHARE * n)
    print(f"\n== agreement on real paragraphs: {n} paragraphs (SemEval-2023 task 3, en); sampled paths forced with a "
          f"{sample}-paragraph sample ({AGREEMENT_SAMPLE_SHARE:.0%}, as 20k of 100k) ==", flush=True)
    emb = paragraphs.select("paragraph_id").join(embeddings, on="paragraph_id", how="left", maintain_order="left")
    exact_max = (tc.EXACT_MAX_N, tp.EXACT_MAX_N, tc.FIT_SAMPLE, tp.MAP_SAMPLE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in (0, 1):
            mark = _clock()
            exact, rep_e = tc.cluster_paragraphs_with_report(emb, paragraphs, random_state=seed)
            t_exact = _since(mark)[1]
            tc.EXACT_MAX_N, tc.FIT_SAMPLE = sample - 1, sample
            mark = _clock()
            sampled, rep_s = tc.cluster_paragraphs_with_report(emb, paragraphs, random_state=seed)
            t_sampled = _since(mark)[1]
            tc.EXACT_MAX_N, tc.FIT_SAMPLE = exact_max[0], exact_max[2]
            ari = adjusted_rand_score(exact["cluster"].to_numpy(), sampled["cluster"].to_numpy())
            print(f"clusters, seed {seed}: exact k={rep_e.n_clusters}, sampled k={rep_s.n_clusters}; ARI sampled vs exact {ari:.3f} "
                  f"(target >= 0.8: {'met' if ari >= 0.8 else 'MISSED'}); CPU s {t_exact:.1f} exact, {t_sampled:.1f} sampled", flush=True)
        unit = emb["embedding"].to_numpy().astype(np.float32)
        unit /= np.linalg.norm(unit, axis=1, keepdims=True)
        high = _knn(unit, metric="cosine")
        maps = {}
        for name, seed, sampled_path in (("exact seed 0", 0, False), ("exact seed 1", 1, False), ("sampled seed 0", 0, True), ("sampled seed 1", 1, True)):
            if sampled_path:
                tp.EXACT_MAX_N, tp.MAP_SAMPLE = sample - 1, sample
            mark = _clock()
            maps[name] = tp.project(emb, random_state=seed).select("x", "y").to_numpy()
            cpu = _since(mark)[1]
            tp.EXACT_MAX_N, tp.MAP_SAMPLE = exact_max[1], exact_max[3]
            trust = trustworthiness(unit, maps[name], n_neighbors=10, metric="cosine")
            print(f"map {name:<15}: trustworthiness@10 {trust:.3f}, kNN@10 kept from 384-d {_overlap(_knn(maps[name]), high):.3f}, CPU s {cpu:.1f}", flush=True)
        ref = _knn(maps["exact seed 0"])
        for name in ("exact seed 1", "sampled seed 0", "sampled seed 1"):
            print(f"map kNN@10 overlap with the exact seed-0 map: {name} {_overlap(_knn(maps[name]), ref):.3f}")
        print("(two exact UMAP runs with different seeds are the yardstick: a sampled map that agrees with the exact one as well as another seed does is as faithful)")


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


PIPELINES = ("toolkit", "exact", "hdbscan", "bertopic")
PIPELINE_NOTES = {
    "toolkit": "default: sampled k-means fit + sampled UMAP above 20k paragraphs, exact below",
    "exact": "commit 63c9f62: k-means best of 100 starts on all paragraphs, UMAP on all paragraphs",
    "hdbscan": "before 63c9f62: UMAP 5-d + HDBSCAN, UMAP 2-d map on all paragraphs",
    "bertopic": "BERTopic() defaults, fit_transform(docs, embeddings=...) (its own UMAP 5-d + HDBSCAN + c-TF-IDF; no map)",
}


def _clock() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), usage.ru_utime + usage.ru_stime


def _since(mark: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _clock()
    return wall - mark[0], cpu - mark[1]


def child(n: int, corpus_dir: Path, pipeline: str, stability: bool) -> None:
    """One size and pipeline in this process; prints a JSON line."""
    import toolkit.clustering as tc
    import toolkit.projection as tp
    from toolkit.analysis import stability_paragraphs
    from toolkit.clustering import cluster_paragraphs_with_report, cluster_stability
    from toolkit.projection import project

    if pipeline in ("exact", "hdbscan"):
        tc.EXACT_MAX_N = tp.EXACT_MAX_N = 10**12
    method = "hdbscan" if pipeline == "hdbscan" else "kmeans"
    frame = synthetic(n, corpus_dir)
    # Articles of 20 paragraphs, for the stability check's article draws.
    paragraphs = frame.select("paragraph_id", "text", (pl.int_range(pl.len()) // 20).cast(pl.String).alias("article_id"))
    vectors = frame.select("paragraph_id", "embedding")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Warm-up on 300 rows: numba compiles UMAP's kernels once per process
        # (~15 s); that fixed cost is reported separately, not as scaling.
        warm = synthetic(300, corpus_dir, seed=1)
        mark = _clock()
        if pipeline == "bertopic":
            _bertopic(warm)
        else:
            cluster_paragraphs_with_report(warm.select("paragraph_id", "embedding"), warm.select("paragraph_id", "text"), method=method)
            project(warm.select("paragraph_id", "embedding"))
            if pipeline == "toolkit":
                # The sampled map compiles pynndescent's search and UMAP's transform kernels too.
                saved = tp.EXACT_MAX_N, tp.MAP_SAMPLE
                tp.EXACT_MAX_N, tp.MAP_SAMPLE = 3000, 3000
                project(synthetic(6000, corpus_dir, seed=1).select("paragraph_id", "embedding"))
                tp.EXACT_MAX_N, tp.MAP_SAMPLE = saved
        t_warm = _since(mark)[0]
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        row: dict = {"n": n, "pipeline": pipeline, "warmup_s": t_warm, "rss_before_mb": rss_before / 1024}
        if pipeline == "bertopic":
            mark = _clock()
            labels = _bertopic(frame)
            row["cluster_s"], row["cluster_cpu_s"] = _since(mark)
            row["project_s"] = row["project_cpu_s"] = 0.0
            row["n_clusters"] = int(len(set(labels[labels >= 0].tolist())))
            row["outlier_share"] = float((labels < 0).mean())
        else:
            mark = _clock()
            _, report = cluster_paragraphs_with_report(vectors, paragraphs, method=method)
            row["cluster_s"], row["cluster_cpu_s"] = _since(mark)
            row["rss_cluster_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            mark = _clock()
            project(vectors)
            row["project_s"], row["project_cpu_s"] = _since(mark)
            row["n_clusters"], row["outlier_share"] = report.n_clusters, report.outlier_share
            if stability:
                mark = _clock()
                on, _ = stability_paragraphs(paragraphs) if pipeline == "toolkit" else (paragraphs, None)
                cluster_stability(vectors.join(on.select("paragraph_id"), on="paragraph_id", how="semi", maintain_order="left"), on,
                                  seeds=[0, 1, 2, 3, 4], method=method)
                row["stability_s"], row["stability_cpu_s"] = _since(mark)
                row["stability_n"] = on.height
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(row))


def _bertopic(frame: pl.DataFrame) -> np.ndarray:
    from bertopic import BERTopic

    words = np.array(["trade", "tariff", "missile", "election", "flood", "court", "vaccine", "border", "summit", "budget"])
    rng = np.random.default_rng(0)
    docs = [" ".join(words[rng.integers(0, len(words), 8)]) for _ in range(frame.height)]
    topics, _ = BERTopic().fit_transform(docs, embeddings=frame["embedding"].to_numpy())
    return np.asarray(topics)


def scaling(sizes: list[int], corpus_dir: Path, timeout: float, pipelines: list[str], stability: bool) -> None:
    print("\n== scaling: clustering + 2-D map (+ stability), synthetic 384-d paragraphs, one subprocess per size and pipeline ==")
    for name in pipelines:
        print(f"  {name}: {PIPELINE_NOTES[name]}")
    print(f"{'N':>8} {'pipeline':<9}{'cluster s':>10}{'(cpu)':>8}{'map s':>8}{'(cpu)':>8}{'stab s':>8}{'(on N)':>8}{'total s':>9}{'(cpu)':>8}"
          f"{'peak MB':>9}{'k':>4}{'outl.':>7}", flush=True)
    rows: dict[str, list[dict]] = {name: [] for name in pipelines}
    for n in sizes:
        for name in pipelines:
            if rows[name] and rows[name][-1] is None:
                continue
            cmd = [sys.executable, __file__, "--child", str(n), "--pipeline", name, "--corpus", str(corpus_dir)]
            if stability:
                cmd.append("--stability")
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
            except subprocess.TimeoutExpired:
                print(f"{n:>8} {name:<9} exceeded the {timeout:.0f} s limit; larger sizes skipped", flush=True)
                rows[name].append(None)
                continue
            except subprocess.CalledProcessError as err:
                print(f"{n:>8} {name:<9} failed: {err.stderr.strip().splitlines()[-1] if err.stderr else err}", flush=True)
                rows[name].append(None)
                continue
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row["total_s"] = row["cluster_s"] + row["project_s"] + row.get("stability_s", 0.0)
            row["total_cpu_s"] = row["cluster_cpu_s"] + row["project_cpu_s"] + row.get("stability_cpu_s", 0.0)
            rows[name].append(row)
            stab = f"{row['stability_s']:>8.1f}{row['stability_n']:>8}" if "stability_s" in row else f"{'-':>8}{'-':>8}"
            print(f"{n:>8} {name:<9}{row['cluster_s']:>10.1f}{row['cluster_cpu_s']:>8.1f}{row['project_s']:>8.1f}{row['project_cpu_s']:>8.1f}{stab}"
                  f"{row['total_s']:>9.1f}{row['total_cpu_s']:>8.1f}{row['peak_rss_mb']:>9.0f}{row['n_clusters']:>4}{row['outlier_share']:>7.3f}", flush=True)
        base = rows.get("toolkit", [])
        if base and base[-1] is not None and base[-1]["n"] == n:
            for name in pipelines:
                other = rows[name][-1] if rows[name] else None
                if name != "toolkit" and other is not None and other["n"] == n:
                    print(f"{n:>8} toolkit / {name}: time x{base[-1]['total_s'] / other['total_s']:.3f} (CPU x{base[-1]['total_cpu_s'] / other['total_cpu_s']:.3f}), "
                          f"peak RSS x{base[-1]['peak_rss_mb'] / other['peak_rss_mb']:.3f}", flush=True)
    for name, got in rows.items():
        got = [r for r in got if r is not None]
        if len(got) >= 2:
            n = np.log([r["n"] for r in got])
            t = np.log([r["cluster_s"] + r["project_s"] for r in got])
            c = np.log([r["cluster_cpu_s"] + r["project_cpu_s"] for r in got])
            m = np.log([r["peak_rss_mb"] for r in got])
            slope_t, slope_c, slope_m = np.polyfit(n, t, 1)[0], np.polyfit(n, c, 1)[0], np.polyfit(n, m, 1)[0]
            last = got[-1]
            scale = 1_000_000 / last["n"]
            print(f"{name}: log-log slope over N = {[r['n'] for r in got]} (cluster + map): time {slope_t:.2f}, CPU {slope_c:.2f}, peak RSS {slope_m:.2f}; "
                  f"extrapolated to 1M from N = {last['n']}: {(last['cluster_s'] + last['project_s']) * scale ** slope_t:.0f} s, "
                  f"{(last['cluster_cpu_s'] + last['project_cpu_s']) * scale ** slope_c:.0f} CPU s, {last['peak_rss_mb'] * scale ** slope_m:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000, 100_000])
    parser.add_argument("--corpus", type=Path, default=ROOT / "build" / "corpus")
    parser.add_argument("--skip-bertopic", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per size")
    parser.add_argument("--real", action="store_true", help="stability and topic recovery on the shared validation set's paragraphs")
    parser.add_argument("--methods", nargs="+", default=["hdbscan", "kmeans"], help="methods for --real; hdbscan is the baseline")
    parser.add_argument("--pipelines", nargs="+", default=["toolkit", "exact"], choices=PIPELINES,
                        help="scaling pipelines; the first is the one compared (default: toolkit, exact)")
    parser.add_argument("--stability", action="store_true", help="add the analyze stability check (9 clusterings) to each scaling run")
    parser.add_argument("--agreement", action="store_true", help="sampled paths against the exact ones on the real paragraphs")
    parser.add_argument("--pipeline", default="toolkit", choices=PIPELINES, help=argparse.SUPPRESS)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.corpus, args.pipeline, args.stability)
        return
    if args.real:
        real(args.methods)
    if args.agreement:
        agreement()
    if not args.skip_bertopic:
        compare(args.corpus)
    if args.sizes:
        scaling(args.sizes, args.corpus, args.timeout, args.pipelines, args.stability)


if __name__ == "__main__":
    main()
