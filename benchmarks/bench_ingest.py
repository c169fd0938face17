"""Ingest throughput and peak memory on a synthetic corpus of recombined seed blocks.

Builds listing pages (both listing layouts) from the seed corpus's own blocks,
with outlets, sections and dates recombined by a seeded RNG, at several
sizes up to at least 100 MB. Each size is ingested by ``write_corpus`` in a
fresh child process, which reports wall time and peak RSS. The baseline,
run in the same child on the same files, is the I/O floor: reading every file
and splitting it into lines.

A second, smaller run shuffles sentences across bodies so that no body
repeats: it measures the cost of sentence segmentation, which the first run
mostly serves from its cache of identical bodies (syndicated and re-listed
articles make such repeats common on aggregators).

Usage: python benchmarks/bench_ingest.py [--sizes 25 50 100] [--unique-mb 5]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, resource, sys, time, warnings
from pathlib import Path
warnings.simplefilter("ignore")
src, out, jobs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
files = sorted(src.glob("*.txt"))
t0 = time.perf_counter()
n_lines = sum(len(f.read_text(encoding="utf-8").splitlines()) for f in files)
baseline = time.perf_counter() - t0
from toolkit.corpus import write_corpus
t0 = time.perf_counter()
report = write_corpus(src, out, batch_files=64, n_jobs=jobs)
elapsed = time.perf_counter() - t0
# the largest single process: this one, or a worker
peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
print(json.dumps({"seconds": elapsed, "baseline_seconds": baseline, "peak_mb": peak,
                  "articles": report["articles"]["total"], "paragraphs": report["paragraphs"], "lines": n_lines}))
"""


def seed_blocks() -> list[dict[str, str]]:
    import warnings

    import toolkit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = toolkit.load_corpus(ROOT / "seeds")
    a = corpus.articles
    return [{"title": t, "body": b.replace("\n\n", " ")} for t, b in zip(a["title"], a["body"], strict=True)]


OUTLETS = ["Korea Herald", "NHK", "CNA", "CTV News", "Japan Forward", "Hans India", "South China Morning Post", "Foo Gazette", "Daily Example"]
SECTIONS = ["Politics", "Business", "World", "Defence"]


def make_pages(folder: Path, megabytes: float, *, rng: random.Random, blocks: list[dict[str, str]], per_page: int = 20) -> int:
    """Write listing pages until ``megabytes`` of text exist; return bytes written."""
    folder.mkdir(parents=True, exist_ok=True)
    total, page = 0, 0
    while total < megabytes * 1e6:
        header = page % 2 == 1
        lines = ["logo", "#", "", f"Latest news with #Bench{page}", ""] if header else [f"Latest news with #Bench{page}", "", ""]
        for _ in range(per_page):
            b = rng.choice(blocks)
            outlet, section = rng.choice(OUTLETS), rng.choice(SECTIONS)
            if header:
                lines += [b["title"], b["title"], "", outlet, "", f"time{rng.randint(1, 9)} days ago", "", f"  \u2022 {section}", f"  \u2022 {outlet}", "", b["title"], "", b["body"], ""]
            else:
                day = f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-2025"
                lines += [outlet, day, f"- {section}", f"- {outlet}", b["title"], b["body"], "", ""]
        data = "\n".join(lines).encode("utf-8")
        (folder / f"{page:06d}.txt").write_bytes(data)
        total += len(data)
        page += 1
    return total


def unique_blocks(blocks: list[dict[str, str]], rng: random.Random, n: int) -> list[dict[str, str]]:
    from toolkit.segment import split_sentences

    sentences = [s for b in blocks for s in split_sentences(b["body"])]
    return [{"title": f"Synthetic story {i}", "body": " ".join(rng.sample(sentences, 12)) + f" Story {i}."} for i in range(n)]


def run(folder: Path, out: Path, jobs: int) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(out), str(jobs)], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[25, 50, 100])
    parser.add_argument("--unique-mb", type=float, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="worker processes to compare")
    args = parser.parse_args()
    blocks = seed_blocks()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for size in args.sizes:
            rng = random.Random(args.seed)
            nbytes = make_pages(tmp / f"pages{size}", size, rng=rng, blocks=blocks)
            mb = nbytes / 1e6
            for jobs in args.jobs:
                r = run(tmp / f"pages{size}", tmp / f"out{size}-{jobs}", jobs)
                r.update(mb=mb, jobs=jobs, mb_s=mb / r["seconds"], baseline_mb_s=mb / r["baseline_seconds"])
                results.append(r)
                print(
                    f"recombined {mb:7.1f} MB, n_jobs={jobs}: {r['mb_s']:6.1f} MB/s, peak RSS {r['peak_mb']:6.0f} MB, "
                    f"{r['articles']} articles, {r['paragraphs']} paragraphs; "
                    f"toolkit/baseline(read+splitlines) throughput ratio {r['mb_s'] / r['baseline_mb_s']:.3f}",
                    flush=True,
                )
        for jobs in args.jobs:
            mine = [r for r in results if r["jobs"] == jobs]
            if len(mine) >= 2:
                first, last = mine[0], mine[-1]
                print(
                    f"scaling n_jobs={jobs} {first['mb']:.0f} -> {last['mb']:.0f} MB (x{last['mb'] / first['mb']:.1f}): "
                    f"time x{last['seconds'] / first['seconds']:.2f}, peak memory x{last['peak_mb'] / first['peak_mb']:.2f}"
                )
        rng = random.Random(args.seed)
        unique = unique_blocks(blocks, rng, 2000)
        nbytes = make_pages(tmp / "unique", args.unique_mb, rng=rng, blocks=unique)
        r = run(tmp / "unique", tmp / "out_unique", max(args.jobs))
        mb = nbytes / 1e6
        print(
            f"unique bodies {mb:5.1f} MB: {mb / r['seconds']:6.2f} MB/s, peak RSS {r['peak_mb']:6.0f} MB; "
            f"toolkit/baseline(read+splitlines) throughput ratio {r['baseline_seconds'] / r['seconds']:.4f}"
        )


if __name__ == "__main__":
    main()
