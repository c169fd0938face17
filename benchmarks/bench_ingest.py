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

A third mode (``--dedup-sizes``) measures duplicate detection alone
(``toolkit.dedup.DuplicateIndex``) on distinct synthetic articles of 400-800
words: sentences drawn from a pool (the SemEval 2023 task 3 articles when
``../shared/validation`` exists, else the seed bodies) with 20 % of words
substituted, so no two bodies repeat. Every 50th article is a planted copy of
an earlier one: its first 30-60 % (a truncated copy) or the whole body with
2 % of words changed (a lightly edited copy). Worker processes generate the
text and compute the sketches (as ``write_corpus`` workers do); the parent
adds them to the index and resolves. It reports wall time, CPU seconds per
step, peak RSS of the parent and of the largest worker, candidate pairs, and
the recall of planted copies; the named baseline is generating the same text
without sketching it. ``--unique-articles`` runs the whole ingest on pages of
such articles.

Usage: python benchmarks/bench_ingest.py [--sizes 25 50 100] [--unique-mb 5]
       python benchmarks/bench_ingest.py --sizes --unique-mb 0 --dedup-sizes 10000 100000 1000000
       python benchmarks/bench_ingest.py --sizes --unique-mb 0 --unique-articles 10000 30000 100000
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


# --- distinct synthetic articles (dedup and unique-article modes) ---------------------------

SEMEVAL = ROOT.parent / "shared" / "validation" / "semeval2023-task3-en" / "articles.jsonl"
COPY_EVERY = 50
_POOL: list[list[str]] = []
_VOCAB: list[str] = []


def sentence_pool() -> list[list[str]]:
    """Tokenised sentences to draw articles from (SemEval bodies if present, else the seeds)."""
    import re

    if SEMEVAL.exists():
        bodies = [json.loads(line)["body"] for line in SEMEVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        bodies = [b["body"] for b in seed_blocks()]
    pool = [s.split() for body in bodies for s in re.split(r"(?<=[.!?])\s+", body)]
    return [s for s in pool if len(s) >= 4]


def _init_generator(pool: list[list[str]]) -> None:
    _POOL[:] = pool
    _VOCAB[:] = sorted({w for s in pool for w in s})


def synthetic_article(i: int, *, seed: int) -> tuple[str, int | None]:
    """Article ``i``: its body and, for a planted copy, the article it copies."""
    rng = random.Random(seed * 1_000_003 + i)
    if i % COPY_EVERY == COPY_EVERY - 1:
        source = i - rng.randint(1, COPY_EVERY - 1)
        words = synthetic_article(source, seed=seed)[0].split()
        if rng.random() < 0.5:  # truncated: its first 30-60 %
            words = words[: max(1, int(len(words) * rng.uniform(0.3, 0.6)))]
        else:  # lightly edited: 2 % of words changed
            words = [rng.choice(_VOCAB) if rng.random() < 0.02 else w for w in words]
        return " ".join(words), source
    target = rng.randint(400, 800)
    words: list[str] = []
    while len(words) < target:
        words.extend(rng.choice(_POOL))
    rand, choice = rng.random, rng.choice
    return " ".join([choice(_VOCAB) if rand() < 0.2 else w for w in words[:target]]), None


_BASE: dict[int, tuple[object, int]] = {}


def _recycled(i: int, recycle: int, seed: int) -> tuple[object, int, int | None]:
    """Article ``i >= recycle`` as a copy of block 0 with every shingle hash XOR-ed by a block constant.

    The sketch has the sizes, copy structure and within-block overlaps of real
    synthetic text but shares nothing with other blocks; it skips generating
    and shingling the text (only the MinHash signature is computed again).
    """
    import zlib

    import numpy as np

    from toolkit.dedup import Sketch, shingle_array, signature

    base = i % recycle
    if base not in _BASE:
        body, _ = synthetic_article(base, seed=seed)
        _BASE[base] = (shingle_array(body), len(body.encode("utf-8")))
    shingles, nbytes = _BASE[base]
    mask = np.uint32(zlib.crc32(f"block {i // recycle}".encode()))
    s = np.sort(shingles ^ mask)  # type: ignore[operator]
    # the copy structure is block 0's, shifted
    _, base_source = synthetic_article(base, seed=seed) if base % COPY_EVERY == COPY_EVERY - 1 else (None, None)
    source = None if base_source is None else base_source + (i - base)
    return Sketch(s, signature(s)), nbytes, source


def _sketch_chunk(task: tuple[int, int, int, bool, int]) -> tuple[list, list, int, float, float]:
    """Generate articles ``start..stop`` and (unless ``generate_only``) sketch them, in a worker."""
    import time

    from toolkit.dedup import sketch

    start, stop, seed, generate_only, recycle = task
    gen_cpu = sketch_cpu = 0.0
    out, sources, nbytes = [], [], 0
    for i in range(start, stop):
        t0 = time.process_time()
        if recycle and i >= recycle:
            body_sketch, nb, source = _recycled(i, recycle, seed)
            sketch_cpu += time.process_time() - t0
            nbytes += nb
            sources.append(-1 if source is None else source)
            out.append((nb, body_sketch))
            continue
        body, source = synthetic_article(i, seed=seed)
        t1 = time.process_time()
        gen_cpu += t1 - t0
        nbytes += len(body.encode("utf-8"))
        sources.append(-1 if source is None else source)
        if not generate_only:
            out.append((len(body), sketch(body)))
            sketch_cpu += time.process_time() - t1
    return out, sources, nbytes, gen_cpu, sketch_cpu


def dedup_child(n: int, jobs: int, seed: int, *, generate_only: bool = False, recycle: int = 0) -> dict[str, float]:
    """One measurement in this (fresh) process: index ``n`` synthetic articles, resolve them."""
    import collections
    import itertools
    import multiprocessing as mp
    import resource
    import time

    import numpy as np

    from toolkit.dedup import DuplicateIndex

    pool = sentence_pool()
    chunk = 2000
    tasks = [(s, min(s + chunk, n), seed, generate_only, recycle) for s in range(0, n, chunk)]
    t0 = time.perf_counter()
    add_seconds = gen_cpu = sketch_cpu = 0.0
    nbytes = 0
    sources: list[int] = []
    index = DuplicateIndex()
    with mp.get_context("spawn").Pool(jobs, initializer=_init_generator, initargs=(pool,)) as workers:
        # at most two chunks per worker in flight, as write_corpus hands out 64 files at a time:
        # finished sketches must not pile up in the parent while it adds earlier ones
        pending: collections.deque = collections.deque()
        results = iter(tasks)
        for task in itertools.islice(results, 2 * jobs):
            pending.append(workers.apply_async(_sketch_chunk, (task,)))
        while pending:
            out, src, nb, g, sk = pending.popleft().get()
            for task in itertools.islice(results, 1):
                pending.append(workers.apply_async(_sketch_chunk, (task,)))
            nbytes += nb
            gen_cpu += g
            sketch_cpu += sk
            sources.extend(src)
            t = time.perf_counter()
            for k, (length, body_sketch) in enumerate(out):
                index.add_sketch(f"Outlet {(len(sources) - len(src) + k) % 40}", length, body_sketch)
            add_seconds += time.perf_counter() - t
    streamed = time.perf_counter() - t0
    result: dict[str, float] = {"articles": n, "mb": nbytes / 1e6, "stream_seconds": streamed, "gen_cpu": gen_cpu}
    if not generate_only:
        t = time.perf_counter()
        n_candidates = len(index.candidate_pairs())
        candidate_seconds = time.perf_counter() - t
        t = time.perf_counter()
        found = index.resolve_positions(max_pairs=500)  # recomputes the candidates: timed apart
        resolve_seconds = time.perf_counter() - t
        index.close()
        src = np.asarray(sources)
        planted = np.flatnonzero(src >= 0)
        grouped = found.story[planted] == found.story[src[planted]]
        sizes = np.bincount(found.story, minlength=n)
        members = set(np.flatnonzero(sizes[found.story] > 1).tolist())
        expected = set(planted[grouped].tolist()) | set(src[planted][grouped].tolist())
        result.update(
            add_seconds=add_seconds, sketch_cpu=sketch_cpu, candidate_seconds=candidate_seconds, resolve_seconds=resolve_seconds,
            n_distinct=index.n_distinct, candidates=n_candidates, near_pairs=found.n_pairs - found.n_exact,
            planted=len(planted), planted_grouped=int(grouped.sum()),
            # every article in a multi-article story that is neither a planted copy nor its source
            stray_grouped=len(members - expected),
        )
    me, workers_usage = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result["peak_mb"] = me.ru_maxrss / 1024
    result["worker_peak_mb"] = workers_usage.ru_maxrss / 1024
    result["parent_cpu"] = me.ru_utime + me.ru_stime
    result["workers_cpu"] = workers_usage.ru_utime + workers_usage.ru_stime
    return result


def run_dedup(n: int, jobs: int, seed: int, *, generate_only: bool = False, recycle: int = 0) -> dict[str, float]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_dedup-child", str(n), str(jobs), str(seed), str(recycle)]
    if generate_only:
        cmd.append("--_generate-only")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def make_unique_pages(folder: Path, n: int, *, seed: int, per_page: int = 20) -> int:
    """Listing pages of ``n`` distinct synthetic articles (planted copies included); return bytes written."""
    _init_generator(sentence_pool())
    rng = random.Random(seed)
    blocks = []
    for i in range(n):
        body, _ = synthetic_article(i, seed=seed)
        blocks.append({"title": f"Synthetic story {i}", "body": body})
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for page, start in enumerate(range(0, n, per_page)):
        lines = [f"Latest news with #Unique{page}", "", ""]
        for b in blocks[start : start + per_page]:
            day = f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-2025"
            lines += [rng.choice(OUTLETS), day, f"- {rng.choice(SECTIONS)}", b["title"], b["body"], "", ""]
        data = "\n".join(lines).encode("utf-8")
        (folder / f"{page:06d}.txt").write_bytes(data)
        total += len(data)
    return total


def report_dedup(sizes: list[int], jobs: int, seed: int, *, baseline_max: int, recycle: int = 0) -> None:
    rows = []
    for n in sizes:
        base = run_dedup(n, jobs, seed, generate_only=True) if n <= baseline_max and not (recycle and n > recycle) else None
        r = run_dedup(n, jobs, seed, recycle=recycle if n > recycle else 0)
        dedup_seconds = r["stream_seconds"] + r["resolve_seconds"]
        baseline = (
            f"baseline generate-only {base['stream_seconds']:.1f} s wall, dedup/baseline wall ratio {dedup_seconds / base['stream_seconds']:.2f}"
            if base
            else "baseline generate-only not run at this size"
        )
        rows.append(r)
        print(
            f"dedup {n:>8} articles{f' (sketches recycled beyond {recycle})' if recycle and n > recycle else ''} ({r['mb']:7.1f} MB, {r['n_distinct']} distinct), {jobs} workers: "
            f"{dedup_seconds:7.1f} s wall ({r['mb'] / dedup_seconds:5.2f} MB/s incl. generating the text), "
            f"stream {r['stream_seconds']:.1f} s (parent add {r['add_seconds']:.1f} s), resolve {r['resolve_seconds']:.1f} s "
            f"(candidates {r['candidate_seconds']:.1f} s: {r['candidates']} pairs, {r['near_pairs']} verified); "
            f"CPU: sketch {r['sketch_cpu']:.1f} s ({r['mb'] / r['sketch_cpu']:.2f} MB/s per core), generate {r['gen_cpu']:.1f} s, "
            f"parent {r['parent_cpu']:.1f} s, workers in all {r['workers_cpu']:.1f} s; "
            f"dedup CPU-bound rate on {jobs} cores {r['mb'] / max(r['sketch_cpu'] / jobs, r['parent_cpu']):.2f} MB/s; "
            f"peak RSS parent {r['peak_mb']:.0f} MB, largest worker {r['worker_peak_mb']:.0f} MB; "
            f"planted copies grouped {r['planted_grouped']}/{r['planted']}, stray articles grouped {r['stray_grouped']}; "
            f"{baseline}",
            flush=True,
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        t0, t1 = (first["stream_seconds"] + first["resolve_seconds"]), (last["stream_seconds"] + last["resolve_seconds"])
        print(
            f"dedup scaling {first['articles']} -> {last['articles']} articles (x{last['articles'] / first['articles']:.0f}): "
            f"time x{t1 / t0:.2f}, sketch CPU x{last['sketch_cpu'] / first['sketch_cpu']:.2f}, "
            f"resolve x{last['resolve_seconds'] / max(first['resolve_seconds'], 1e-9):.2f}, peak parent RSS x{last['peak_mb'] / first['peak_mb']:.2f}"
        )


def report_unique_articles(sizes: list[int], jobs: list[int], seed: int, tmp: Path) -> None:
    for n in sizes:
        nbytes = make_unique_pages(tmp / f"articles{n}", n, seed=seed)
        mb = nbytes / 1e6
        for j in jobs:
            r = run(tmp / f"articles{n}", tmp / f"out-articles{n}-{j}", j)
            print(
                f"unique articles {n:>7} ({mb:6.1f} MB), n_jobs={j}: {mb / r['seconds']:5.2f} MB/s, {r['seconds']:.1f} s, "
                f"peak RSS {r['peak_mb']:6.0f} MB, {r['articles']} articles; "
                f"toolkit/baseline(read+splitlines) throughput ratio {r['baseline_seconds'] / r['seconds']:.4f}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="*", default=[25, 50, 100])
    parser.add_argument("--unique-mb", type=float, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="worker processes to compare")
    parser.add_argument("--dedup-sizes", type=int, nargs="*", default=[], help="articles for the dedup-only mode")
    parser.add_argument("--unique-articles", type=int, nargs="*", default=[], help="articles for the whole-ingest mode")
    parser.add_argument("--baseline-max", type=int, default=100_000, help="largest dedup size also timed generate-only")
    parser.add_argument("--_dedup-child", type=int, nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--dedup-recycle", type=int, default=0, help="beyond this many articles, reuse their sketches (XOR-masked)")
    parser.add_argument("--_generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._dedup_child:
        n, jobs, seed, recycle = args._dedup_child
        print(json.dumps(dedup_child(n, jobs, seed, generate_only=args._generate_only, recycle=recycle)))
        return
    if args.dedup_sizes:
        report_dedup(args.dedup_sizes, max(args.jobs), args.seed, baseline_max=args.baseline_max, recycle=args.dedup_recycle)
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
        if args.unique_articles:
            report_unique_articles(args.unique_articles, args.jobs, args.seed, tmp)
        if not args.unique_mb:
            return
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
