"""Command line: ``python -m toolkit {ingest,summary,embed,analyze} ...``.

Every failure is reported on one line on stderr with a non-zero exit code;
set ``TOOLKIT_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from toolkit.errors import ToolkitError


def _cmd_ingest(args: argparse.Namespace) -> int:
    import warnings

    from toolkit.corpus import write_corpus

    with warnings.catch_warnings():
        # Warnings are in the report; the CLI keeps to one line.
        warnings.simplefilter("ignore")
        report = write_corpus(args.paths, args.out, skip_invalid=args.skip_invalid, date_format=args.date_format)
    counts = report["articles"]
    skipped = report["skipped_files"]
    print(
        f"ingested {report['files_read']} file(s): {counts['total']} articles "
        f"({counts['canonical']} canonical, {counts['duplicates']} duplicates), "
        f"{report['paragraphs']} paragraphs -> {args.out}"
        + (f"; skipped {len(skipped)} invalid file(s): " + "; ".join(f"{s['file']} line {s['line']}: {s['error']}" for s in skipped) if skipped else "")
        + (f"; {len(report['warnings'])} warning(s) in ingest_report.json" if report["warnings"] else "")
    )
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    from toolkit.summary import print_summary

    print_summary(args.dir)
    return 0


def _cmd_embed(args: argparse.Namespace) -> int:
    from toolkit.embedding import embed_dir

    embed_dir(
        args.dir,
        model=args.model,
        batch_size=args.batch_size,
        progress=not args.quiet,
        threads=args.threads,
    )
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    import warnings

    from toolkit.analysis import analyze_dir

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fallbacks are recorded in analysis_report.json
        record = analyze_dir(args.dir, random_state=args.seed, figures=not args.no_figures)
    c = record["clustering"]
    print(
        f"analysed {record['paragraphs_analysed']} paragraphs: {c['n_clusters']} clusters by {c['method_used']}, "
        f"{c['n_outliers_before_policy']} outliers ({c['outlier_share_before_policy']:.1%}) {c['outlier_policy']}ed; "
        f"{len(record['events'])} events -> {args.dir}"
    )
    st = record.get("stability_summary")
    if st:
        parts = [f"seed ARI {st['ari_mean']:.2f} (min {st['ari_min']:.2f})"]
        if "noise_ari" in st:
            parts.append(f"1e-6 noise ARI {st['noise_ari']:.2f}")
        if "subsample_ari_mean" in st:
            parts.append(f"80% article-subsample ARI {st['subsample_ari_mean']:.2f} (min {st['subsample_ari_min']:.2f})")
        print("cluster stability: " + "; ".join(parts) + " (1 = identical; per-cluster Jaccard in analysis_report.json)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for ``python -m toolkit``."""
    parser = argparse.ArgumentParser(prog="python -m toolkit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="clean scraped pages into articles/paragraphs Parquet")
    ingest.add_argument("paths", nargs="+", type=Path, help="files or folders of pages (.txt) or article tables (.csv/.jsonl/.parquet)")
    ingest.add_argument("--out", required=True, type=Path, help="output folder")
    ingest.add_argument("--skip-invalid", action="store_true", help="skip unreadable files and list them in the report")
    ingest.add_argument("--date-format", default=None, metavar="FORMAT",
                        help="strptime format of the tables' published column, e.g. '%%m/%%d/%%y' for US 7/23/17 (default: ISO or unambiguous day-month-year)")
    ingest.set_defaults(func=_cmd_ingest)

    summary = sub.add_parser("summary", help="print a summary table of an ingested folder")
    summary.add_argument("dir", type=Path)
    summary.set_defaults(func=_cmd_summary)

    embed = sub.add_parser("embed", help="embed DIR/paragraphs.parquet into DIR/embeddings.parquet")
    embed.add_argument("dir", type=Path)
    embed.add_argument("--model", default=None, help="sentence-transformers model name or local path")
    embed.add_argument("--batch-size", type=int, default=64)
    embed.add_argument("--quiet", action="store_true", help="no progress bar")
    embed.add_argument("--threads", default=None, help="torch threads: an int or 'auto' (default: TOOLKIT_THREADS, else auto = CPUs left idle by other work, 1 on a busy machine)")
    embed.set_defaults(func=_cmd_embed)

    analyze = sub.add_parser("analyze", help="clusters, events and UMAP maps from an embedded folder")
    analyze.add_argument("dir", type=Path)
    analyze.add_argument("--seed", type=int, default=0, help="random_state for UMAP (default 0)")
    analyze.add_argument("--no-figures", action="store_true", help="tables only, no map.html/map.png")
    analyze.set_defaults(func=_cmd_analyze)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ToolkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # one line, never a traceback, unless debugging
        if os.environ.get("TOOLKIT_DEBUG"):
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
