"""Command line: ``python -m toolkit {ingest,summary,embed,analyze,validate,appendix} ...``.

Every failure is reported on one line on stderr with a non-zero exit code;
set ``TOOLKIT_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.safe import printable


def _cmd_ingest(args: argparse.Namespace) -> int:
    import warnings

    from toolkit.corpus import write_corpus
    from toolkit.tabular import parse_columns

    columns = parse_columns(args.columns) if args.columns else None
    with warnings.catch_warnings():
        # Warnings are in the report; the CLI keeps to one line.
        warnings.simplefilter("ignore")
        # Thresholds left unset keep load_corpus's documented defaults.
        boilerplate = {k: v for k, v in (("boilerplate_min_share", args.boilerplate_share), ("boilerplate_min_articles", args.boilerplate_min_articles),
                                         ("boilerplate_max_words", args.boilerplate_max_words)) if v is not None}
        report = write_corpus(args.paths, args.out, skip_invalid=args.skip_invalid, outlets=args.outlets, chrome=args.chrome,
                              date_format=args.date_format, columns=columns, remove_boilerplate=not args.keep_boilerplate, **boilerplate)
    print(printable(ingest_line(report, args.out)))
    return 0 if report["files_read"] else 2


def ingest_line(report: dict, out: Path) -> str:
    """One line saying what was read, skipped and left unplaced (the first unplaced file:line)."""
    from collections import Counter

    counts = report["articles"]
    skipped = report["skipped_files"]
    passed_over = Counter(p["reason"] for p in report.get("skipped_paths", []))
    unplaced = report["unplaced"]
    return (
        f"ingested {report['files_read']} file(s): {counts['total']} articles "
        f"({counts['canonical']} canonical, {counts['duplicates']} duplicates), "
        f"{report['paragraphs']} paragraphs -> {out}"
        + (f"; skipped {len(skipped)} invalid file(s): " + "; ".join(f"{s['file']} line {s['line']}: {s['error']}" for s in skipped) if skipped else "")
        + (f"; passed over {sum(passed_over.values())} path(s) ({', '.join(f'{r}: {n}' for r, n in sorted(passed_over.items()))})"
           if passed_over else "")
        + (f"; {len(unplaced)} unplaced line(s), first at {unplaced[0]['file']}:{unplaced[0]['line']}" if unplaced else "")
        + (f"; {report['repeated_boilerplate']['lines_removed']} repeated-boilerplate line(s) removed (listed in ingest_report.json)"
           if "repeated_boilerplate" in report else "")
        + (f"; {len(report['warnings'])} warning(s) in ingest_report.json" if report["warnings"] else "")
        + ("; nothing was ingested" if not report["files_read"] else "")
    )


def _cmd_summary(args: argparse.Namespace) -> int:
    from toolkit.summary import print_summary

    print_summary(args.dir)
    return 0


def _cmd_embed(args: argparse.Namespace) -> int:
    import warnings

    from toolkit.cache import CacheWriteWarning
    from toolkit.embedding import embed_dir

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CacheWriteWarning)
        embed_dir(
            args.dir,
            backend=args.backend,
            model=args.model,
            batch_size=args.batch_size,
            progress=not args.quiet,
            cache=not args.no_cache,
            threads=args.threads,
        )
    for item in caught:
        if issubclass(item.category, CacheWriteWarning):
            print(f"warning: {printable(item.message)}", file=sys.stderr)
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    import warnings

    from toolkit.analysis import MAP_COLOURS, STABILITY_SEEDS, analyze_dir

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fallbacks are recorded in analysis_report.json
        record = analyze_dir(
            args.dir,
            random_state=args.seed,
            figures=not args.no_figures,
            method=args.method,
            n_clusters=args.n_clusters,
            min_cluster_size=args.min_cluster_size,
            outlier_policy=args.outlier_policy,
            wire_policy=args.wire_policy,
            color_by=tuple(args.color_by.split(",")) if args.color_by else MAP_COLOURS,
            stability_seeds=() if args.no_stability else STABILITY_SEEDS,
            progress=False if args.quiet else None,
        )
    c = record["clustering"]
    print(
        f"analysed {record['paragraphs_analysed']} paragraphs: {c['n_clusters']} clusters by {c['method_used']}, "
        f"{c['n_outliers_before_policy']} outliers ({c['outlier_share_before_policy']:.1%}) {c['outlier_policy']}ed; "
        f"{len(record['events'])} events -> {args.dir}"
    )
    st = record.get("stability_summary")
    if not st:
        print("cluster stability: not measured (--no-stability); re-run without it before reading clusters as findings")
    if st:
        parts = [f"seed ARI {st['ari_mean']:.2f} (min {st['ari_min']:.2f})"]
        if "noise_ari" in st:
            parts.append(f"1e-6 noise ARI {st['noise_ari']:.2f}")
        if "subsample_ari_mean" in st:
            parts.append(f"80% article-subsample ARI {st['subsample_ari_mean']:.2f} (min {st['subsample_ari_min']:.2f})")
        print("cluster stability: " + "; ".join(parts) + " (1 = identical; per-cluster Jaccard in analysis_report.json)")
    return 0


def _cmd_appendix(args: argparse.Namespace) -> int:
    from toolkit.appendix import build_appendix, ingest_options_of

    manifest = build_appendix(args.out, corpus=args.corpus, embeddings=args.embeddings, model=args.model, seed=args.seed,
                              ingest_options=ingest_options_of(args))
    for name, reason in manifest["skipped_notebooks"].items():
        print(f"{name}: skipped ({printable(reason)})")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    import warnings

    from toolkit.validation_report import validate_dir

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # recorded in the report
        record = validate_dir(args.dir, codings=args.codings, draw=args.draw, coders=tuple(args.coders), codebook=args.codebook, seed=args.seed, n_boot=args.n_boot)
    if args.draw is not None:
        print(f"drew {record['n']} articles to code (seed {record['seed']}) -> {len(record['sheets'])} coding sheet(s) in {Path(args.dir) / 'coding'}")
    else:
        best = max(record["macro"], key=lambda r: r["f1"]) if record["macro"] else None
        print(
            f"validated against {record['gold_articles']} gold articles from {len(record['coders'])} coder(s)"
            + (f"; best macro-F1 {best['f1']:.2f} ({best['scorer']})" if best else "")
            + f" -> {Path(args.dir) / 'validation' / 'validation_report.md'}"
        )
    return 0


def add_table_options(parser: argparse.ArgumentParser) -> None:
    """``--date-format`` and ``--columns``: how article tables are read, for ``ingest`` and ``appendix`` alike."""
    parser.add_argument("--date-format", default=None, metavar="FORMAT",
                        help="strptime format of the tables' published column, e.g. '%%m/%%d/%%y' for US 7/23/17 (default: ISO or unambiguous day-month-year)")
    parser.add_argument("--columns", action="append", default=None, metavar="FIELD=COLUMN,...",
                        help="table columns holding the toolkit's fields when named differently, "
                             "e.g. outlet=source,body=content_original,published=date; alternatives as outlet='source|source_domain' "
                             "(fields: outlet, title, body, published, section)")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for ``python -m toolkit``."""
    parser = argparse.ArgumentParser(prog="python -m toolkit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="clean scraped pages into articles/paragraphs Parquet")
    ingest.add_argument("paths", nargs="+", type=Path, help="files or folders of pages (.txt), saved web pages (.html) or article tables (.csv/.tsv/.jsonl/.json/.parquet)")
    ingest.add_argument("--out", required=True, type=Path, help="output folder")
    ingest.add_argument("--skip-invalid", action="store_true", help="skip unreadable files and list them in the report")
    ingest.add_argument("--outlets", type=Path, default=None, help="outlet registry CSV replacing the default (toolkit/data/outlets.csv)")
    ingest.add_argument("--chrome", type=Path, default=None, help="chrome-rule CSV replacing the default (toolkit/data/chrome.csv)")
    add_table_options(ingest)
    ingest.add_argument("--keep-boilerplate", action="store_true", help="do not remove lines an outlet repeats across its articles")
    ingest.add_argument("--boilerplate-share", type=float, default=None, metavar="SHARE",
                        help="repeated boilerplate: share of an outlet's distinct articles a line must occur in (default 0.2)")
    ingest.add_argument("--boilerplate-min-articles", type=int, default=None, metavar="N",
                        help="repeated boilerplate: fewest distinct articles of the outlet (default 5)")
    ingest.add_argument("--boilerplate-max-words", type=int, default=None, metavar="N",
                        help="repeated boilerplate: longest line in words (default 25)")
    ingest.set_defaults(func=_cmd_ingest)

    summary = sub.add_parser("summary", help="print a summary table of an ingested folder")
    summary.add_argument("dir", type=Path)
    summary.set_defaults(func=_cmd_summary)

    embed = sub.add_parser("embed", help="embed DIR/paragraphs.parquet into DIR/embeddings.parquet")
    embed.add_argument("dir", type=Path)
    embed.add_argument("--model", default=None, help="sentence-transformers model name or local path")
    embed.add_argument("--backend", default=None, metavar="NAME",
                       help="sentence-transformers, onnx, onnx-int8, openvino, openvino-bf16, static or auto (default: "
                            "TOOLKIT_BACKEND, else auto = sentence-transformers below 20,000 paragraphs, the fastest gated "
                            "backend above; see docs/embeddings.md)")
    embed.add_argument("--batch-size", type=int, default=64)
    embed.add_argument("--quiet", action="store_true", help="no progress bar")
    embed.add_argument("--no-cache", action="store_true", help="neither read nor write the embedding cache")
    embed.add_argument("--threads", default=None, help="torch threads: an int or 'auto' (default: TOOLKIT_THREADS, else auto = CPUs left idle by other work, 1 on a busy machine)")
    embed.set_defaults(func=_cmd_embed)

    analyze = sub.add_parser("analyze", help="clusters, events and UMAP maps from an embedded folder")
    analyze.add_argument("dir", type=Path)
    analyze.add_argument("--seed", type=int, default=0, help="random_state for UMAP (default 0)")
    analyze.add_argument("--no-figures", action="store_true", help="tables only, no map.html/map.png")
    analyze.add_argument("--method", choices=("kmeans", "hdbscan", "agglomerative"), default="kmeans",
                         help="clustering: kmeans (default; reproducible), hdbscan (UMAP + HDBSCAN, leaves outliers) or agglomerative")
    analyze.add_argument("--n-clusters", type=int, default=None, metavar="K", help="a fixed number of clusters (kmeans, agglomerative; default: chosen from the data)")
    analyze.add_argument("--min-cluster-size", type=int, default=None, metavar="N", help="HDBSCAN's smallest cluster (hdbscan)")
    analyze.add_argument("--outlier-policy", choices=("reassign", "keep", "report"), default="reassign", help="HDBSCAN noise: reassign to the nearest cluster (default), keep as -1, or report")
    analyze.add_argument("--wire-policy", choices=("merge", "keep", "drop"), default="merge", help="syndicated copies in outlet comparisons (default merge: counted once)")
    analyze.add_argument("--color-by", default=None, metavar="COLS",
                         help="comma-separated columns the map can be coloured by, the first colouring the static map (default outlet,outlet_country,cluster_label,event_label)")
    analyze.add_argument("--no-stability", action="store_true", help="skip the stability re-runs (5 seeds, noise, 3 subsamples); the summary says so")
    analyze.add_argument("--quiet", action="store_true", help="no progress lines (they are shown only on a terminal anyway)")
    analyze.set_defaults(func=_cmd_analyze)

    appendix = sub.add_parser("appendix", help="execute every notebook that applies to a corpus and write the appendix folder")
    appendix.add_argument("--corpus", required=True, type=Path, help="folder or file of pages and tables")
    appendix.add_argument("--out", required=True, type=Path, help="appendix folder (its previous content is replaced)")
    appendix.add_argument("--embeddings", type=Path, default=None, help="an embeddings.parquet whose provenance the manifest records")
    appendix.add_argument("--model", default=None)
    appendix.add_argument("--seed", type=int, default=0)
    add_table_options(appendix)
    appendix.set_defaults(func=_cmd_appendix)

    validate = sub.add_parser("validate", help="code a sample of articles and validate frame scorers against the codes")
    validate.add_argument("dir", type=Path)
    what = validate.add_mutually_exclusive_group(required=True)
    what.add_argument("--draw", type=int, metavar="N", help="draw N articles and write coding sheets to DIR/coding/")
    what.add_argument("--codings", nargs="+", type=Path, metavar="CSV", help="filled coding sheets, one per coder")
    validate.add_argument("--coders", nargs="+", default=["coder1", "coder2"], help="names of the coders (with --draw)")
    validate.add_argument("--codebook", default="policy_frames", help="packaged codebook name or a .toml file")
    validate.add_argument("--seed", type=int, default=0)
    validate.add_argument("--n-boot", type=int, default=1000, help="article-bootstrap resamples for the intervals")
    validate.set_defaults(func=_cmd_validate)
    return parser


def one_line_errors(action: Callable[[], int], *, interrupted: str = "interrupted") -> int:
    """Run ``action`` and turn any failure into one line on stderr and an exit code.

    Ctrl-C gives ``interrupted`` and 130; a :class:`ToolkitError` 2; anything
    else 1 (``TOOLKIT_DEBUG=1`` shows the traceback instead). Used by every
    command line of the toolkit.
    """
    try:
        return action()
    except KeyboardInterrupt:
        # Outputs are written atomically, so an interrupted step leaves the previous files.
        print(interrupted, file=sys.stderr)
        return 130
    except ToolkitError as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # one line, never a traceback, unless debugging
        if os.environ.get("TOOLKIT_DEBUG"):
            raise
        print(f"error: {type(exc).__name__}: {printable(exc)}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    args = build_parser().parse_args(argv)
    return one_line_errors(lambda: args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
