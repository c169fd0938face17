"""A researcher's own corpus, stage by stage: time and peak memory of ingest, embed and analyze.

Builds a synthetic export of N distinct articles (default 100,000) shaped
like a Media Cloud CSV: columns ``id, source, headline, content, date, url``
that the toolkit does not know by name, 40 outlets of Zipf-like sizes, 4-8
paragraphs of 40-70 words per article drawn from a seeded word pool per
topic, and a newsletter prompt that one outlet repeats. Each stage runs in a
fresh child process, which reports wall seconds, CPU seconds and its own
peak RSS:

- ``read_csv``: the named baseline, ``pl.read_csv`` of the same file;
- ``ingest``: ``python -m toolkit ingest --columns ...`` (``write_corpus``:
  cleaning, segmentation, boilerplate, deduplication);
- ``embed``: **stubbed**. A deterministic vector source (word hashes into
  384 dimensions, unit length) stands in for the model, because encoding
  10^6 paragraphs with MiniLM takes hours on 2 cores and is measured on its
  own by ``bench_embed.py``; the stub writes ``embeddings.parquet`` with its
  own fingerprint (``hash384``) so no real vector can be mixed with it;
- ``analyze``: ``python -m toolkit analyze`` (clusters, events, map,
  outlet measures); ``--analyze-stability`` keeps the stability re-runs,
  which are skipped by default at this size and said so.

Usage:
    nice -n 10 python benchmarks/bench_corpus.py                    # 100,000 articles
    nice -n 10 python benchmarks/bench_corpus.py --articles 10000 --stages read_csv ingest
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

COLUMNS = "outlet=source,title=headline,body=content,published=date"
TOPICS = ("tariffs trade exports steel customs semiconductors shipping ports economy markets",
          "missile launch defence drills radar alliance troops navy deterrence command",
          "flood rain evacuation landslide rescue shelters rivers storm weather damage",
          "election vote parliament party campaign ballot coalition candidate poll turnout",
          "summit diplomacy minister talks visit treaty envoy agreement bilateral statement")
STAGES = ("read_csv", "ingest", "embed", "analyze")


def _words(rng: random.Random, n: int) -> list[str]:
    """A pool of pseudo-words, so that bodies are distinct but share vocabulary."""
    letters = "abcdefghiklmnoprstuvw"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(n)]


def write_export(path: Path, n_articles: int, *, seed: int = 0) -> dict[str, float]:
    import polars as pl

    rng = random.Random(seed)
    pool = _words(rng, 20_000)
    outlets = [f"Outlet {i:02d}" for i in range(40)]
    weights = [1 / (i + 1) for i in range(40)]
    rows = []
    for k in range(n_articles):
        outlet = rng.choices(outlets, weights)[0]
        topic = TOPICS[rng.randrange(len(TOPICS))].split()
        paragraphs = []
        for _ in range(rng.randint(4, 8)):
            words = [rng.choice(topic) if rng.random() < 0.25 else rng.choice(pool) for _ in range(rng.randint(40, 70))]
            paragraphs.append(" ".join(words).capitalize() + ".")
        if outlet == "Outlet 00":
            paragraphs.insert(1, "Sign up for our morning newsletter to get the latest news.")
        rows.append({"id": f"mc-{k}", "source": outlet, "headline": f"{topic[0].title()} {k} {rng.choice(pool)}",
                     "content": "\n".join(paragraphs), "date": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                     "url": f"https://example.org/{k}"})
    frame = pl.DataFrame(rows)
    frame.write_csv(path)
    return {"articles": n_articles, "mb": path.stat().st_size / 1e6, "body_mb": sum(len(r["content"].encode()) for r in rows) / 1e6}


def _hash_vectors(frame: object) -> object:
    """Word-hash vectors in 384 dimensions (unit length) for a frame with ``paragraph_id`` and ``text``."""
    import numpy as np
    import polars as pl

    from toolkit.schema import embeddings_schema

    vectors = np.zeros((frame.height, 384), dtype=np.float32)
    for i, text in enumerate(frame["text"].to_list()):
        for word in text.lower().split():
            vectors[i, hash(word) % 384] += 1.0
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return pl.DataFrame({"paragraph_id": frame["paragraph_id"], "embedding": vectors, "model_fingerprint": ["hash384"] * frame.height},
                        schema=embeddings_schema(384))


def _stub_embed(directory: Path) -> int:
    """Word-hash vectors in 384 dimensions for every paragraph; the stand-in for the model."""
    import polars as pl

    paragraphs = pl.read_parquet(directory / "paragraphs.parquet", columns=["paragraph_id", "text"])
    _hash_vectors(paragraphs).write_parquet(directory / "embeddings.parquet")
    return paragraphs.height


def child(stage: str, export: Path, out: Path, stability: bool) -> None:
    os.environ["PYTHONHASHSEED"] = "0"
    start, cpu = time.perf_counter(), time.process_time()
    info: dict[str, object] = {}
    if stage == "read_csv":
        import polars as pl

        info["rows"] = pl.read_csv(export, infer_schema=False).height
    elif stage == "ingest":
        from toolkit.cli import main

        code = main(["ingest", str(export), "--out", str(out), "--columns", COLUMNS])
        info["exit"] = code
    elif stage == "embed":
        info["paragraphs"] = _stub_embed(out)
    elif stage == "analyze":
        import polars as pl

        import toolkit.embedding
        from toolkit.cli import main

        def stub(paragraphs: pl.DataFrame, **_kwargs: object) -> pl.DataFrame:
            # Titles and frame prototypes are embedded during analyze: the same stub, so vectors never mix.
            return _hash_vectors(paragraphs if isinstance(paragraphs, pl.DataFrame) else paragraphs.paragraphs)

        toolkit.embedding.embed = stub  # type: ignore[assignment]

        code = main(["analyze", str(out), "--quiet", *([] if stability else ["--no-stability"])])
        info["exit"] = code
    info.update(seconds=time.perf_counter() - start, cpu=time.process_time() - cpu,
                peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print("RESULT " + json.dumps(info), flush=True)


def run_stage(stage: str, export: Path, out: Path, stability: bool) -> dict[str, object]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    cmd = [sys.executable, __file__, "--child", stage, "--export", str(export), "--out", str(out)] + (["--analyze-stability"] if stability else [])
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"{stage} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument("--analyze-stability", action="store_true", help="keep analyze's stability re-runs (skipped by default)")
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--export", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.export, args.out, args.analyze_stability)
        return
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        export, out = Path(tmp) / "export.csv", Path(tmp) / "analysed"
        size = write_export(export, args.articles)
        print(f"== {args.articles:,} synthetic articles, {size['mb']:.1f} MB CSV ({size['body_mb']:.1f} MB of body text); "
              f"embed is a STUBBED word-hash vector source (the model is measured by bench_embed.py); "
              f"analyze {'with' if args.analyze_stability else 'without'} stability re-runs ==", flush=True)
        print(f"{'stage':<10}{'wall s':>10}{'cpu s':>10}{'peak MB':>10}  notes")
        results = {}
        for stage in STAGES:
            if stage not in args.stages:
                continue
            r = run_stage(stage, export, out, args.analyze_stability)
            results[stage] = r
            notes = {k: v for k, v in r.items() if k not in ("seconds", "cpu", "peak_mb")}
            print(f"{stage:<10}{r['seconds']:>10.1f}{r['cpu']:>10.1f}{r['peak_mb']:>10.0f}  {notes}", flush=True)
        if "read_csv" in results and "ingest" in results:
            ratio = results["ingest"]["seconds"] / max(results["read_csv"]["seconds"], 1e-9)
            print(f"ingest / pl.read_csv: x{ratio:.0f} time; {size['body_mb'] / results['ingest']['seconds']:.2f} MB/s of body text; "
                  f"{results['ingest']['peak_mb'] * 1024 / args.articles:.1f} kB peak per article")
        if "ingest" in results and (out / "ingest_report.json").exists():
            report = json.loads((out / "ingest_report.json").read_text())
            print(f"ingest report: {report.get('articles')} articles, {report.get('paragraphs')} paragraphs, "
                  f"chrome reasons {report.get('chrome_reasons')}")


if __name__ == "__main__":
    main()
