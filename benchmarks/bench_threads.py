"""CPU seconds and wall time of encoding at 1 and 2 torch threads (issue 15).

Encodes the first N paragraphs of the shared validation set
(``../shared/validation/semeval2023-task3-en/articles.jsonl``; research use
only, not in the repository) with the toolkit's model, uncached, at each
thread count in turn, in one process, ``--repeat`` times alternating the
order. Prints wall seconds, process CPU seconds and their ratio against the
one-thread baseline, and the thread count the "auto" rule picks now.

    nice -n 10 python benchmarks/bench_threads.py --n 500
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "validation" / "semeval2023-task3-en" / "articles.jsonl"


def paragraphs(n: int) -> list[str]:
    out: list[str] = []
    with DATA.open(encoding="utf-8") as fh:
        for line in fh:
            body = json.loads(line)["body"]
            out.extend(p.strip() for p in body.split("\n") if len(p.strip()) > 40)
            if len(out) >= n:
                break
    return out[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    import torch

    from toolkit import model as tm
    from toolkit.embedding import _get_model

    info = tm.resolve_model(None)
    st = _get_model(info, None, quiet=True)
    texts = paragraphs(args.n)
    st.encode(texts[:32], batch_size=64)  # warm-up
    cpus = tm._usable_cpus()
    print(f"{len(texts)} paragraphs; usable CPUs {cpus}; 1-min load {os.getloadavg()[0]:.2f}; auto rule picks {tm.encode_threads('auto')} thread(s)")
    results: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    for r in range(args.repeat):
        for threads in ((1, 2) if r % 2 == 0 else (2, 1)):
            with tm.torch_threads(threads):
                assert torch.get_num_threads() == threads
                w0, c0 = time.perf_counter(), time.process_time()
                st.encode(texts, batch_size=64, normalize_embeddings=True)
                results[threads].append((time.perf_counter() - w0, time.process_time() - c0))
    base_w = min(w for w, _ in results[1])
    base_c = min(c for _, c in results[1])
    for threads, runs in results.items():
        wall = min(w for w, _ in runs)
        cpu = min(c for _, c in runs)
        print(f"threads {threads}: wall {wall:.2f} s ({wall / base_w:.2f}x of 1 thread), CPU {cpu:.2f} s ({cpu / base_c:.2f}x of 1 thread); "
              f"all runs wall/CPU {[(round(w, 2), round(c, 2)) for w, c in runs]}")


if __name__ == "__main__":
    main()
