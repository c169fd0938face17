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
    from _semeval import load_semeval

    import toolkit
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


def _bulk_share(fig, coords: pl.DataFrame) -> float:
    """Share of the map panel's area taken by the box of the central 99% of the points (0.5th-99.5th percentiles)."""
    ax = fig.axes[0]
    fig.draw_without_rendering()
    x, y = coords["x"].to_numpy().astype(float), coords["y"].to_numpy().astype(float)
    (x0, x1), (y0, y1) = np.percentile(x, [0.5, 99.5]), np.percentile(y, [0.5, 99.5])
    (px0, py0), (px1, py1) = ax.transData.transform([(x0, y0), (x1, y1)])
    box = ax.get_window_extent()
    return float(abs(px1 - px0) * abs(py1 - py0) / (box.width * box.height))


def _overlaps(boxes: np.ndarray) -> int:
    n = 0
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            n += bool(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
    return n


def _page_load(coords: pl.DataFrame, data: pl.DataFrame, path: Path) -> None:
    """Size of the interactive page, and its load time to the first drawn point in headless Chromium."""
    from playwright.sync_api import sync_playwright

    from toolkit.maps import interactive_map

    t = time.perf_counter()
    interactive_map(coords, data, color_by=("outlet", "cluster"), path=path, title="Real-shaped corpus")
    print(f"interactive page: {path.stat().st_size / 1e6:.1f} MB written in {time.perf_counter() - t:.1f}s")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        t = time.perf_counter()
        page.goto(path.as_uri())
        page.locator("#toolkit-map .scatterlayer .trace .points path").first.wait_for(state="attached", timeout=180_000)
        took = time.perf_counter() - t
        nodes = page.evaluate("document.querySelectorAll('svg *').length")
        print(f"headless Chromium: first points drawn {took:.1f}s after navigation; {nodes} SVG nodes")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench_maps")
    parser.add_argument("--page", action="store_true", help="also time the interactive page in headless Chromium")
    parser.add_argument("--images", type=Path, default=None, help="also write 1000 x 700 PNGs of the maps here")
    args = parser.parse_args()
    t0 = time.perf_counter()
    coords, data = build(args.out)
    print(f"corpus: {coords.height} paragraphs, {data['article_id'].n_unique()} articles, "
          f"{data['outlet'].n_unique()} outlets, {data['cluster'].n_unique()} clusters ({time.perf_counter() - t0:.1f}s)")
    from toolkit.maps import static_map

    kwargs = {"color_by": "cluster", "label_by": "cluster_label", "title": "Real-shaped corpus: clusters"}
    t = time.perf_counter()
    full = static_map(coords, data, zoom=None, **kwargs)
    t_full = time.perf_counter() - t
    t = time.perf_counter()
    fig = static_map(coords, data, path=args.out / "map.png", **kwargs)
    t_zoom = time.perf_counter() - t
    placed = fig.labels
    print(f"baseline (zoom=None, full extent): central 99% of points fill {_bulk_share(full, coords):.1%} of the panel; "
          f"drawn in {t_full:.2f}s")
    print(f"default (zoom 0.5-99.5%): central 99% fill {_bulk_share(fig, coords):.1%} of the panel; "
          f"{fig.n_clamped} "
          f"points clamped to the edge; drawn in {t_zoom:.2f}s (ratio to baseline {t_zoom / t_full:.2f})")
    kinds = {k: placed.kinds.count(k) for k in ("group", "centroid", "number")}
    print(f"labels: {kinds['group']} cluster labels ({placed.leaders} leader lines), {kinds['centroid']} outlet names, "
          f"{kinds['number']} numbered outlets, {len(placed.unlabelled)} unlabelled; overlapping label pairs: "
          f"{_overlaps(placed.boxes)}")
    if args.page:
        _page_load(coords, data, args.out / "map.html")
    if args.images:
        args.images.mkdir(parents=True, exist_ok=True)
        small = static_map(coords, data, dpi=100, **kwargs)
        small.savefig(args.images / "maps_real_after.png", dpi=100, metadata={"Software": None}, facecolor="white")
        print(f"wrote {args.images / 'maps_real_after.png'}")


if __name__ == "__main__":
    main()
