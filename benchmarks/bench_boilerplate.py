"""Cost and yield of repeated-boilerplate removal on a synthetic table export.

Writes one CSV of ``--articles`` distinct articles from ``--outlets`` outlets:
bodies of 6-10 paragraphs of 1-4 sentences drawn from a pool (the SemEval
2023 task 3 articles when ``../shared/validation`` exists, else the seed
bodies; see ``bench_ingest.sentence_pool``) with 20 % of words substituted,
so no two bodies repeat. Outlet 0 adds two furniture lines ("Listen to this
article" in every article, a newsletter-style line in a quarter); outlet 1
prints one wire story in 5 versions (kept, by design). Then, in this
process, ``write_corpus`` runs with ``remove_boilerplate=False`` (the named
baseline) and with the default detection, interleaved, ``--repeats`` times
each; the script prints the fastest CPU time (of this process: the machine
may be shared) and wall time of each, their ratios, the lines removed, and
the bytes the first pass held as arrays, and the CPU time of the first pass
and the decision alone (which the end-to-end ratio hides in noise once the
removed lines spare some cleaning).

Usage: nice -n 10 python benchmarks/bench_boilerplate.py [--articles 3000] [--outlets 8] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def make_rows(n: int, n_outlets: int, *, seed: int) -> list[dict[str, str]]:
    from bench_ingest import _POOL, _VOCAB, _init_generator, sentence_pool

    _init_generator(sentence_pool())
    rng = random.Random(seed)

    def paragraph() -> str:
        words: list[str] = []
        for _ in range(rng.randint(1, 4)):
            words.extend(rng.choice(_POOL))
        return " ".join(rng.choice(_VOCAB) if rng.random() < 0.2 else w for w in words)

    wire = [paragraph() for _ in range(6)]
    rows = []
    for i in range(n):
        outlet = i % n_outlets
        body = [paragraph() for _ in range(rng.randint(6, 10))]
        if outlet == 0:
            body.insert(0, "Listen to this article")
            if rng.random() < 0.25:
                body.append("Get the Morning Brief in your inbox every weekday.")
        if outlet == 1 and i // n_outlets < 5:
            body = [*wire, f"Updated at {i // n_outlets}:00 with a statement from the ministry, which declined to give details."]
        rows.append({"outlet": f"Outlet {outlet}", "title": f"Article {i}", "body": "\n".join(body)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--outlets", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    import polars as pl

    import toolkit.boilerplate as tb
    from toolkit.corpus import write_corpus

    held: list[int] = []
    real_add = tb.LineCounter.add

    def counting_add(self: tb.LineCounter, found: tb.FileLines) -> None:
        held.append(found.keys.itemsize * len(found.keys) + 12 * len(found.counts))
        real_add(self, found)

    tb.LineCounter.add = counting_add  # type: ignore[method-assign]
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory(prefix="bench-boilerplate-") as tmp:
        src = Path(tmp) / "export.csv"
        rows = make_rows(args.articles, args.outlets, seed=args.seed)
        pl.DataFrame(rows).write_csv(src)
        mb = src.stat().st_size / 1e6
        # CPU seconds of this process (the machine is shared, so wall time is noisy);
        # runs interleaved, fastest kept.
        times = {False: float("inf"), True: float("inf")}
        walls = {False: float("inf"), True: float("inf")}
        reports = {}
        for r in range(args.repeats):
            for on in (False, True):
                held.clear()
                t0, w0 = time.process_time(), time.perf_counter()
                reports[on] = write_corpus(src, Path(tmp) / f"out-{on}-{r}", remove_boilerplate=on)
                times[on] = min(times[on], time.process_time() - t0)
                walls[on] = min(walls[on], time.perf_counter() - w0)
        held_bytes = sum(held)  # of the last run with detection on
        # the first pass alone, as _ingest runs it (one file: one task)
        from toolkit.corpus import _scan, _Task

        task = _Task(path=src, name=src.name, crawl_date=None, page_tag=None, manifest_sha256=None, outlets=None, chrome=None,
                     boilerplate_max_words=tb.MAX_WORDS)
        scan = float("inf")
        for _ in range(args.repeats):
            t0 = time.process_time()
            counter = tb.LineCounter()
            counter.add(_scan(task))
            counter.repeated(tb.Settings())
            scan = min(scan, time.process_time() - t0)
        removed = reports[True].get("repeated_boilerplate", {})
        print(f"{args.articles} articles, {args.outlets} outlets, {mb:.1f} MB CSV (seed {args.seed})")
        print(f"baseline (remove_boilerplate=False): {times[False]:.2f} CPU s ({walls[False]:.2f} s wall)")
        print(f"with repeated-boilerplate removal:   {times[True]:.2f} CPU s ({walls[True]:.2f} s wall)  "
              f"ratio {times[True] / times[False]:.3f} CPU, {walls[True] / walls[False]:.3f} wall")
        print(f"first pass and decision alone: {scan:.2f} CPU s ({scan / times[False]:.3f} of the baseline)")
        print(f"lines removed: {removed.get('lines_removed', 0)}; distinct lines: "
              f"{[(r['outlet'], r['text'], r['removed']) for r in removed.get('lines', [])]}")
        print(f"first pass held {held_bytes / 1e6:.2f} MB of keys ({held_bytes / args.articles:.0f} bytes per article)")


if __name__ == "__main__":
    main()
