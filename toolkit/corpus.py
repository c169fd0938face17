"""Loading a corpus: pages and article tables into articles/paragraphs frames.

``load_corpus`` returns a :class:`Corpus` with ``.articles``,
``.paragraphs`` and ``.report``; ``write_corpus`` writes them as Parquet plus
``ingest_report.json``. Rows keep the input order: files in the order given
(folders sorted by file name), blocks in page order.
"""

from __future__ import annotations

import hashlib

import datetime as dt
import os
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from toolkit import schema
from toolkit.atomic import staged, write_json
from toolkit.articles import BuiltArticle, build_article, content_id
from toolkit.boilerplate import MAX_WORDS, MIN_ARTICLES, MIN_SHARE, FileLines, LineCounter, Settings, is_short, line_key
from toolkit.boilerplate import REASON as BOILERPLATE_REASON
from toolkit.cleaning import normalise
from toolkit.dedup import CONTAINMENT_THRESHOLD, NUM_PERM, SHINGLE_WORDS, DuplicateIndex, Sketch, sketch
from toolkit.errors import CorpusError
from toolkit.layouts import LINE_FATES, Ledger, PageParser, RawArticle
from toolkit.manifest import MANIFEST_NAME, PageInfo, read_manifest
from toolkit.reading import decode_lines, read_bytes
from toolkit.registry import OutletRegistry, default_chrome, default_registry
from toolkit.tabular import TABLE_SUFFIXES, check_columns

# The report lists this many duplicate pairs; all are counted, and every copy
# is flagged in the articles frame itself.
MAX_LISTED_PAIRS = 500
# The report lists this many distinct repeated-boilerplate lines; all are counted.
MAX_LISTED_BOILERPLATE = 500
# Columns a copy may take from its canonical copy when it lacks them.
FILLABLE = ("outlet", "section", "published", "byline", "wire", "dateline")

PathLike = str | Path


@dataclass
class Corpus:
    """An ingested corpus.

    Attributes
    ----------
    articles : pl.DataFrame
        One row per article block, schema :data:`toolkit.schema.ARTICLES`.
    paragraphs : pl.DataFrame
        One row per paragraph, schema :data:`toolkit.schema.PARAGRAPHS`.
    report : dict
        The ingest report (line accounting, removals, duplicates, skips).
    """

    articles: pl.DataFrame
    paragraphs: pl.DataFrame
    report: dict[str, Any] = field(default_factory=dict)

    def canonical(self) -> pl.DataFrame:
        """Articles that are not copies of another article from the same outlet."""
        return self.articles.filter(pl.col("duplicate_of").is_null())

    def __repr__(self) -> str:
        return f"Corpus({self.articles.height} articles, {self.paragraphs.height} paragraphs, {self.report.get('files_read', 0)} files)"


#: Folders that hold copies or metadata, never corpus text.
_SKIPPED_FOLDERS = {".git": "version-control folder", ".ipynb_checkpoints": "notebook checkpoint copies"}
#: Formats people export that this reader does not parse (named, never read as pages).
UNSUPPORTED_SUFFIXES = (".xlsx", ".xls", ".ods", ".docx", ".doc", ".pdf", ".zip", ".gz")


@dataclass(frozen=True)
class Discovered:
    """The input files found under the given paths, and every path passed over with its reason.

    ``files`` are ``(path, name)`` pairs: ``name`` is the path relative to the
    folder given (the file name for a file given directly), which is what
    ``source_file`` and the ingest report record.
    """

    files: list[tuple[Path, str]]
    skipped: list[dict[str, str]]


def _walk(folder: Path, root: Path, files: list[tuple[Path, str]], skipped: list[dict[str, str]], ancestors: frozenset[tuple[int, int]],
          visited: set[tuple[int, int]]) -> None:
    def skip(path: Path, reason: str) -> None:
        skipped.append({"path": path.relative_to(root).as_posix(), "reason": reason})

    try:
        st = folder.stat()
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        skip(folder, f"unreadable folder ({exc.strerror})")
        return
    key = (st.st_dev, st.st_ino)
    ancestors = ancestors | {key}
    visited.add(key)
    for entry in entries:
        path = Path(entry.path)
        if entry.name in _SKIPPED_FOLDERS and entry.is_dir():
            skip(path, _SKIPPED_FOLDERS[entry.name])
        elif entry.name.startswith("."):
            skip(path, "hidden")
        elif entry.is_dir():  # follows symlinks
            try:
                sub = path.stat()
            except OSError as exc:
                skip(path, f"unreadable folder ({exc.strerror})")
                continue
            sub_key = (sub.st_dev, sub.st_ino)
            if sub_key in ancestors:
                skip(path, "symlink loop")
            elif sub_key in visited:
                skip(path, "already read through another path (symlink)")
            else:
                _walk(path, root, files, skipped, ancestors, visited)
        elif entry.is_file():
            if entry.name != MANIFEST_NAME:  # metadata, read by the manifest lookup
                files.append((path, path.relative_to(root).as_posix()))
        elif entry.is_symlink():
            skip(path, "broken symlink")
        else:
            skip(path, "not a regular file")


def discover_inputs(paths: PathLike | Iterable[PathLike]) -> Discovered:
    """Expand files and folders into the ordered input files, listing every path passed over.

    Folders contribute their files sorted by name, recursively, following
    symlinked folders unless they loop. Passed over, each with its reason:
    hidden files and folders, ``.git`` and ``.ipynb_checkpoints`` folders,
    symlink loops, folders reached twice, unreadable folders, broken
    symlinks. ``manifest.csv`` files are metadata, not input.

    Raises
    ------
    CorpusError
        For a path that does not exist, or a file in a format the toolkit
        does not read (spreadsheets, Word, PDF, archives), naming it.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[tuple[Path, str]] = []
    skipped: list[dict[str, str]] = []
    for p in map(Path, paths):
        if p.is_dir():
            _walk(p, p, files, skipped, frozenset(), set())
        elif p.exists():
            files.append((p, p.name))
        else:
            msg = "got a path that does not exist, expected a file or folder"
            raise CorpusError(p, None, msg)
    for path, _ in files:
        if path.suffix.lower() in UNSUPPORTED_SUFFIXES:
            msg = (f"got a {path.suffix} file, expected a page (.txt or .html) or an article table "
                   f"({', '.join(TABLE_SUFFIXES)}); {path.suffix} is not a supported format")
            raise CorpusError(path, None, msg)
    return Discovered(files, skipped)


def discover(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    """The input files under ``paths`` in reading order (see :func:`discover_inputs`)."""
    return [path for path, _ in discover_inputs(paths).files]


class _Manifests:
    """Crawl dates and tags, from an explicit manifest or one beside each page."""

    def __init__(self, manifest: PathLike | None, crawl_dates: dict[str, dt.date] | None) -> None:
        self.explicit = read_manifest(manifest) if manifest is not None else None
        self.crawl_dates = dict(crawl_dates or {})
        self._by_dir: dict[Path, dict[str, PageInfo]] = {}

    def info(self, path: Path) -> PageInfo | None:
        if self.explicit is not None:
            return self.explicit.get(path.name)
        folder = path.parent
        if folder not in self._by_dir:
            candidate = folder / MANIFEST_NAME
            self._by_dir[folder] = read_manifest(candidate) if candidate.exists() else {}
        return self._by_dir[folder].get(path.name)

    def crawl_date(self, path: Path, info: PageInfo | None) -> dt.date | None:
        if path.name in self.crawl_dates:
            return self.crawl_dates[path.name]
        return info.crawl_date if info else None


class _Builder:
    """Turns files into rows and keeps the report and dedup bookkeeping.

    Article and paragraph rows are handed out in batches (``take_rows``) so
    that a writer can stream them to disk; only the small per-article fields
    needed to resolve duplicates stay in memory.
    """

    def __init__(self, registry: OutletRegistry) -> None:
        self.registry = registry
        self.built: list[BuiltArticle] = []
        self.sketches: list[Sketch] = []
        self.index = DuplicateIndex()
        self.meta: list[pl.DataFrame] = []
        self.paragraph_kinds: Counter[str] = Counter()
        self._seen_ids: Counter[int] = Counter()
        self.removed: Counter[str] = Counter()
        self.chrome_reasons: Counter[str] = Counter()
        self.boilerplate: Counter[tuple[str, str]] = Counter()
        self.boilerplate_settings: Settings | None = None
        self.files: list[dict[str, Any]] = []
        self.unplaced: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        self.skipped: list[dict[str, Any]] = []
        self.skipped_paths: list[dict[str, str]] = []

    def absorb(self, outcome: _FileOutcome) -> None:
        """Take in what one file produced, in input order."""
        self.built.extend(outcome.built)
        self.sketches.extend(outcome.sketches)
        self.files.append(outcome.file_report)
        self.removed.update(outcome.removed)
        self.chrome_reasons.update(outcome.chrome_reasons)
        self.boilerplate.update(outcome.boilerplate)
        self.unplaced.extend(outcome.unplaced)
        self.warnings.extend(outcome.warnings)


@dataclass
class _Task:
    """One input file and what the manifest says of it (picklable, for workers)."""

    path: Path
    name: str
    crawl_date: dt.date | None
    page_tag: str | None
    manifest_sha256: str | None
    outlets: str | None
    chrome: str | None
    date_format: str | None = None
    columns: dict[str, tuple[str, ...]] | None = None
    # keys (toolkit.boilerplate.line_key) of the lines found to be repeated boilerplate
    boilerplate: frozenset[int] = frozenset()
    boilerplate_max_words: int = 0
    # sha256 of the bytes the boilerplate pass read (None: no such pass, or it could not parse the file)
    scan_sha256: str | None = None


@dataclass
class _FileOutcome:
    built: list[BuiltArticle]
    file_report: dict[str, Any]
    removed: Counter[str]
    chrome_reasons: Counter[str]
    unplaced: list[dict[str, Any]]
    warnings: list[str]
    # duplicate-detection sketches of the bodies, computed where the file is parsed (a worker)
    sketches: list[Sketch] = field(default_factory=list)
    # (outlet, line) -> times removed as repeated boilerplate
    boilerplate: Counter[tuple[str, str]] = field(default_factory=Counter)


def _drop_lines(raw: RawArticle, ledger: Ledger, task: _Task, removed: Counter[tuple[str, str]], *, chrome: bool) -> None:
    """Take whole chrome lines (tables only: pages lose theirs in the parser) and repeated boilerplate out of a body.

    Each line taken out is marked ``chrome`` in ``ledger`` with its reason, so
    it is counted like every other line; the rest go on to :func:`build_article`.
    """
    rules = default_chrome(task.chrome) if chrome else None
    keep_lines: list[str] = []
    keep_indices: list[int] = []
    for line, index in zip(raw.body_lines, raw.body_line_indices, strict=True):
        why = rules.reason(_chrome_text(line)) if rules is not None else None
        if (why is None and task.boilerplate and raw.outlet is not None and is_short(line, task.boilerplate_max_words)
                and line_key(raw.outlet, line) in task.boilerplate):
            why = BOILERPLATE_REASON
            removed[(raw.outlet, normalise(line))] += 1
        if why is None:
            keep_lines.append(line)
            keep_indices.append(index)
        else:
            ledger.mark(index, "chrome", why)
    raw.body_lines, raw.body_line_indices = keep_lines, keep_indices


def _body_accounting(ledger: Ledger) -> tuple[dict[str, int], Counter[str]]:
    """The fates of a body ledger (tables, HTML pages) and the reasons of its chrome lines.

    A line cleaning left in place is text.
    """
    fates = Counter(fate or "text" for fate in ledger.fates)
    chrome_reasons = Counter(reason or "chrome" for fate, reason in zip(ledger.fates, ledger.reasons, strict=True) if fate == "chrome")
    return {"total": len(ledger.fates), **{fate: fates.get(fate, 0) for fate in LINE_FATES}}, chrome_reasons


def _chrome_text(line: str) -> str:
    """A table body line as the page parser hands lines to the chrome rules."""
    return line.replace("\ufeff", "").replace("\u00a0", " ").strip()


def _page_raws(task: _Task, data: bytes | None = None) -> tuple[Any, list[RawArticle], Ledger, str, str | None]:
    page = decode_lines(read_bytes(task.path) if data is None else data, task.path)
    parser = PageParser(default_registry(task.outlets), default_chrome(task.chrome))
    raws, ledger, layout, tag = parser.parse(page, page_tag=task.page_tag)
    return page, raws, ledger, layout, tag


def _table_raws(task: _Task) -> tuple[list[RawArticle], str, dict[str, Any]]:
    from toolkit.tabular import read_table_with_stats

    return read_table_with_stats(task.path, registry=default_registry(task.outlets), date_format=task.date_format, columns=task.columns)


def _scan(task: _Task) -> tuple[FileLines | None, str | None]:
    """First pass for repeated boilerplate: outlets, story keys and short-line keys of one file, and the sha256 of the bytes read.

    No cleaning or sentence splitting; a file that fails to parse is left to
    the main pass, which raises or skips it. The main pass reads the file
    again and refuses it if its bytes changed in between, so the boilerplate
    found and the text parsed come from the same bytes.
    """
    from toolkit.htmlpages import is_html, read_html_page

    # Tables and HTML pages keep their chrome lines until _drop_lines; the page parser has taken them already.
    table = task.path.suffix.lower() in TABLE_SUFFIXES
    try:
        if table:
            raws, sha, _ = _table_raws(task)
        else:
            data = read_bytes(task.path)
            sha = hashlib.sha256(data).hexdigest()
            html = is_html(task.path, data)
            raws = [read_html_page(task.path, data, registry=default_registry(task.outlets)).raw] if html else _page_raws(task, data)[1]
            table = html
    except CorpusError:
        return None, None
    rules = default_chrome(task.chrome)
    found = FileLines()
    for raw in raws:
        lines = [line for line in raw.body_lines if not (table and rules.reason(_chrome_text(line)))]
        found.add(raw.outlet, lines, max_words=task.boilerplate_max_words)
    return found, sha


def _process_page(task: _Task, data: bytes | None = None) -> _FileOutcome:
    path, crawl = task.path, task.crawl_date
    registry = default_registry(task.outlets)
    page, raws, ledger, layout, tag = _page_raws(task, data)
    sha = page.sha256
    notes: list[str] = []
    if task.manifest_sha256 and task.manifest_sha256 != sha:
        notes.append(f"{path.name}: sha256 differs from the manifest; its crawl date may not apply")
    boilerplate: Counter[tuple[str, str]] = Counter()
    for raw in raws:
        raw.source_file = task.name  # relative to the folder given: two pages may share a file name
        if task.boilerplate:
            _drop_lines(raw, ledger, task, boilerplate, chrome=False)
    removed: Counter[str] = Counter()
    built = [build_article(r, crawl_date=crawl, registry=registry, ledger=ledger, removed=removed) for r in raws]
    if crawl is None and any(b.row["date_basis"] == "relative" for b in built):
        notes.append(f"{path.name}: relative dates but no crawl date in the manifest; 'published' left null")
    fates = Counter(f for f in ledger.fates if f is not None)
    chrome_reasons: Counter[str] = Counter()
    unplaced: list[dict[str, Any]] = []
    for i, (fate, reason) in enumerate(zip(ledger.fates, ledger.reasons, strict=True)):
        if fate == "chrome":
            chrome_reasons[reason or "chrome"] += 1
        elif fate == "unplaced":
            unplaced.append({"file": task.name, "line": i + 1, "reason": reason, "text": page.lines[i].strip()[:200]})
        elif fate is None and page.lines[i].strip():
            # A guard, not a path: every non-blank line must have a fate.
            msg = f"line was given no fate by the {layout} parser (internal error), expected every line accounted for"
            raise CorpusError(path, i + 1, msg)
    file_report = {
        "file": task.name,
        "sha256": sha,
        "kind": "page",
        "layout": layout,
        "page_tag": tag,
        "encoding": page.encoding,
        "crawl_date": crawl.isoformat() if crawl else None,
        "lines_total": len(page.lines),
        "lines_blank": sum(1 for line in page.lines if not line.strip()),
        "lines": {fate: fates.get(fate, 0) for fate in LINE_FATES},
        "articles": len(built),
        "removed_spans": dict(sorted(removed.items())),
    }
    outcome = _FileOutcome(built, file_report, removed, chrome_reasons, unplaced, [*notes, *page.warnings])
    outcome.boilerplate = boilerplate
    return outcome


def _process_table(task: _Task) -> _FileOutcome:
    registry = default_registry(task.outlets)
    raws, sha, stats = _table_raws(task)
    # One ledger over every body line of the table, so each line is accounted
    # for as on a page: text, metadata, chrome (with its reason) or caption.
    n_lines = 0
    for raw in raws:
        raw.source_file = task.name
        raw.body_line_indices = list(range(n_lines, n_lines + len(raw.body_lines)))
        n_lines += len(raw.body_lines)
    ledger = Ledger.for_lines(task.path, n_lines)
    boilerplate: Counter[tuple[str, str]] = Counter()
    for raw in raws:
        _drop_lines(raw, ledger, task, boilerplate, chrome=True)
    removed: Counter[str] = Counter()
    built = [build_article(r, crawl_date=None, registry=registry, ledger=ledger, removed=removed) for r in raws]
    for b, r in zip(built, raws, strict=True):
        if r.date is not None:
            b.row["published"] = r.date.value
    body_lines, chrome_reasons = _body_accounting(ledger)
    file_report = {
        "file": task.name,
        "sha256": sha,
        "kind": "table",
        "layout": "tabular",
        "rows": len(raws),
        **({"blank_rows": stats["blank_rows"]} if stats["blank_rows"] else {}),
        "columns": stats["columns"],
        "extra_columns": stats["extra_columns"],
        "articles": len(built),
        "body_lines": body_lines,
        "removed_spans": dict(sorted(removed.items())),
    }
    outcome = _FileOutcome(built, file_report, removed, chrome_reasons, [], [])
    outcome.boilerplate = boilerplate
    return outcome


def _process_html(task: _Task, data: bytes) -> _FileOutcome:
    import hashlib

    from toolkit.htmlpages import read_html_page

    registry = default_registry(task.outlets)
    page = read_html_page(task.path, data, registry=registry)
    raw = page.raw
    raw.source_file = task.name
    # The extracted lines get a ledger of their own, so chrome rules and repeated
    # boilerplate apply and are counted as for tables.
    raw.body_line_indices = list(range(len(raw.body_lines)))
    ledger = Ledger.for_lines(task.path, len(raw.body_lines))
    boilerplate: Counter[tuple[str, str]] = Counter()
    _drop_lines(raw, ledger, task, boilerplate, chrome=True)
    removed: Counter[str] = Counter()
    built = build_article(raw, crawl_date=None, registry=registry, ledger=ledger, removed=removed)
    body_lines, chrome_reasons = _body_accounting(ledger)
    if built.row["byline"] is None and page.author:
        built.row["byline"] = page.author
    file_report = {
        "file": task.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "kind": "html",
        "layout": "html",
        **page.stats,
        "articles": 1,
        "body_lines": body_lines,
        "removed_spans": dict(sorted(removed.items())),
    }
    outcome = _FileOutcome([built], file_report, removed, chrome_reasons, [], page.warnings)
    outcome.boilerplate = boilerplate
    return outcome


def _process(task: _Task) -> _FileOutcome | CorpusError:
    """Process one file; a CorpusError is returned, not raised, so order is kept."""
    from toolkit.htmlpages import is_html

    try:
        if task.path.suffix.lower() in TABLE_SUFFIXES:
            outcome = _process_table(task)
        else:
            data = read_bytes(task.path)
            outcome = _process_html(task, data) if is_html(task.path, data) else _process_page(task, data)
    except CorpusError as exc:
        return exc
    if task.scan_sha256 is not None and outcome.file_report["sha256"] != task.scan_sha256:
        msg = "got other bytes than in the first pass (the file changed during the ingest), expected the same file: re-run the ingest"
        return CorpusError(task.path, None, msg)
    outcome.sketches = [sketch(b.row["body"]) for b in outcome.built]
    return outcome


def _workers(n_jobs: int | None, n_files: int) -> int:
    if n_jobs is None:
        # Measured (benchmarks/bench_ingest.py): with 2 cores the pool's start-up
        # and the serial duplicate resolution cancel its gain, so one process is
        # the default; more workers pay off only for large corpora of unique text.
        n_jobs = 1
    if n_jobs < 1:
        msg = f"got n_jobs={n_jobs}, expected a positive number of worker processes"
        raise ValueError(msg)
    return min(n_jobs, max(n_files, 1))


# Columns settled only once every file is read (duplicates, fills, registry).
RESOLVED = ("outlet", *FILLABLE[1:], "date_basis", "outlet_country", "outlet_type", "duplicate_of", "story_id", "filled_from_canonical")
META_SCHEMA = pl.Schema({k: schema.ARTICLES[k] for k in ("article_id", "placement", *FILLABLE, "date_basis")})


def _take_rows(builder: _Builder) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Article rows (before resolution) and paragraph rows built since the last call."""
    rows: list[dict[str, Any]] = []
    # Paragraph columns are built as lists: much cheaper than a dict per row.
    p_ids: list[str] = []
    p_articles: list[str] = []
    p_positions: list[int] = []
    p_texts: list[str] = []
    p_kinds: list[str] = []
    for built, body_sketch in zip(builder.built, builder.sketches, strict=True):
        row = dict(built.row)
        # Content ids; an exact repeat of the same block gets "-2", "-3", ... in input order.
        base = content_id(row["outlet"], row["title"], row["body"])
        key = int(base, 16)  # an int key is a third of the memory of the hex string
        builder._seen_ids[key] += 1
        n = builder._seen_ids[key]
        row["article_id"] = article_id = base if n == 1 else f"{base}-{n}"
        row["n_paragraphs"] = len(built.pieces)
        builder.index.add_sketch(row["outlet"], len(row["body"]), body_sketch)
        rows.append(row)
        for pos, piece in enumerate(built.pieces):
            builder.paragraph_kinds[piece.kind] += 1
            p_ids.append(f"{article_id}-{pos:03d}")
            p_articles.append(article_id)
            p_positions.append(pos)
            p_texts.append(piece.text)
            p_kinds.append(piece.kind)
    builder.built = []
    builder.sketches = []
    base_schema = pl.Schema({k: v for k, v in schema.ARTICLES.items() if k not in RESOLVED})
    articles = pl.DataFrame(rows, schema=base_schema) if rows else schema.empty(base_schema)
    # What duplicate resolution needs, kept as a compact columnar frame.
    builder.meta.append(pl.DataFrame(rows, schema=META_SCHEMA) if rows else schema.empty(META_SCHEMA))
    paragraphs = pl.DataFrame(
        {"paragraph_id": p_ids, "article_id": p_articles, "position": p_positions, "text": p_texts, "kind": p_kinds},
        schema={k: v for k, v in schema.PARAGRAPHS.items() if k != "n_words"},
    ).with_columns(pl.col("text").str.count_matches(r"\S+").cast(pl.Int32).alias("n_words"))
    return articles, schema.conform(paragraphs, schema.PARAGRAPHS)


def _resolve(builder: _Builder, registry: OutletRegistry) -> tuple[pl.DataFrame, _Dedup]:
    """Duplicates, stories and filled metadata for every article, as a small frame."""
    try:
        found = builder.index.resolve_positions(max_pairs=MAX_LISTED_PAIRS)
    finally:
        builder.index.close()  # its spill files are no longer needed
    meta = pl.concat(builder.meta) if builder.meta else schema.empty(META_SCHEMA)
    meta = meta.with_row_index("pos").with_columns(
        pl.Series("dup_pos", found.duplicate_of, dtype=pl.Int64).replace(-1, None),
        pl.Series("story_pos", found.story, dtype=pl.Int64),
    )
    pos = pl.col("pos").cast(pl.Int64)
    # A copy takes what it lacks from its canonical; a block that names no
    # outlet takes it from its story's canonical.
    meta = meta.with_columns(
        pl.when(pl.col("dup_pos").is_not_null())
        .then(pl.col("dup_pos"))
        .when(pl.col("outlet").is_null() & (pl.col("story_pos") != pos))
        .then(pl.col("story_pos"))
        .alias("source_pos")
    )
    ids = meta.select(pos.alias("_pos"), pl.col("article_id").alias("_id"))
    source = meta.select(
        pos.alias("source_pos"), *[pl.col(c).alias(f"src_{c}") for c in (*FILLABLE, "date_basis")]
    )
    joined = (
        meta.join(source, on="source_pos", how="left", maintain_order="left")
        .join(ids.rename({"_pos": "dup_pos", "_id": "duplicate_of"}), on="dup_pos", how="left", maintain_order="left")
        .join(ids.rename({"_pos": "story_pos", "_id": "story_id"}), on="story_pos", how="left", maintain_order="left")
    )
    took = {c: pl.col(c).is_null() & pl.col(f"src_{c}").is_not_null() for c in FILLABLE}
    joined = joined.with_columns(
        pl.concat_list([pl.when(flag).then(pl.lit(c)) for c, flag in took.items()]).list.drop_nulls().alias("filled_from_canonical"),
        pl.when(took["published"]).then(pl.col("src_date_basis")).otherwise(pl.col("date_basis")).alias("date_basis"),
        *[pl.coalesce(c, f"src_{c}").alias(c) for c in FILLABLE],
    )
    outlets = joined["outlet"].drop_nulls().unique(maintain_order=True).to_list()
    known = {name: registry.lookup(name) for name in outlets}
    registry_frame = pl.DataFrame(
        {
            "outlet": outlets,
            "outlet_country": [o.country if o else None for o in known.values()],
            "outlet_type": [o.type if o else None for o in known.values()],
        },
        schema={"outlet": pl.String, "outlet_country": pl.String, "outlet_type": pl.String},
    )
    joined = joined.join(registry_frame, on="outlet", how="left", maintain_order="left")
    frame = joined.select("article_id", "placement", *[pl.col(c).cast(schema.ARTICLES[c]) for c in RESOLVED])
    article_ids = meta["article_id"]
    pairs = [(article_ids[a], article_ids[b], c) for a, b, c in found.pairs]
    return frame, _Dedup(pairs=pairs, n_pairs=found.n_pairs, n_exact=found.n_exact)


@dataclass(frozen=True)
class _Dedup:
    pairs: list[tuple[str, str, float]]
    n_pairs: int
    n_exact: int


def _finish_articles(base: pl.LazyFrame, resolved: pl.DataFrame) -> pl.LazyFrame:
    """Join the settled columns onto the streamed article rows, in schema order."""
    joined = base.join(resolved.drop("placement").lazy(), on="article_id", how="left", maintain_order="left")
    return joined.select(list(schema.ARTICLES))


def _report(builder: _Builder, resolved: pl.DataFrame, n_paragraphs: int, dedup: _Dedup) -> dict[str, Any]:
    pages = [f for f in builder.files if f["kind"] == "page"]
    # Tables and HTML pages are counted by their (non-blank) body lines, so the
    # accounting covers every input whatever its format.
    bodies = [f for f in builder.files if "body_lines" in f]
    totals = {fate: sum(f["lines"][fate] for f in pages) + sum(f["body_lines"][fate] for f in bodies) for fate in LINE_FATES}
    lines_total = sum(f["lines_total"] for f in pages) + sum(f["body_lines"]["total"] for f in bodies)
    lines_blank = sum(f["lines_blank"] for f in pages)
    articles = resolved
    n_dup = articles.filter(pl.col("duplicate_of").is_not_null()).height
    stories = articles.group_by("story_id", maintain_order=True).agg(pl.col("outlet").n_unique().alias("n_outlets"), pl.len().alias("n"))
    # Sections that appear only when they have something to say, so a corpus
    # of pages with no repeated boilerplate (the seeds) reports as before.
    extra: dict[str, Any] = {}
    tables = [f for f in builder.files if f["kind"] == "table"]
    if tables:
        extra["table_body_lines"] = {k: sum(f["body_lines"][k] for f in tables) for k in ("total", *LINE_FATES)}
    if builder.boilerplate and builder.boilerplate_settings is not None:
        listed = sorted(builder.boilerplate.items(), key=lambda item: (-item[1], item[0]))
        extra["repeated_boilerplate"] = {
            **builder.boilerplate_settings.as_report(),
            "lines_removed": sum(builder.boilerplate.values()),
            "distinct_lines": len(listed),
            "lines_listed": min(len(listed), MAX_LISTED_BOILERPLATE),
            "lines": [{"outlet": o, "text": t[:200], "removed": n} for (o, t), n in listed[:MAX_LISTED_BOILERPLATE]],
        }
    return {
        "files_read": len(builder.files),
        "files": builder.files,
        "lines": {
            "total": lines_total,
            "blank": lines_blank,
            "non_blank": lines_total - lines_blank,
            **totals,
            "accounted": sum(totals.values()),
        },
        "chrome_reasons": dict(sorted(builder.chrome_reasons.items())),
        "removed_spans": dict(sorted(builder.removed.items())),
        **extra,
        "unplaced": builder.unplaced,
        "articles": {
            "total": articles.height,
            "canonical": articles.height - n_dup,
            "duplicates": n_dup,
            "stories": stories.height,
            "syndicated_stories": stories.filter(pl.col("n_outlets") > 1).height,
            "by_placement": dict(articles.group_by("placement").len().sort("placement").iter_rows()),
        },
        "paragraphs": n_paragraphs,
        "paragraph_kinds": dict(sorted(builder.paragraph_kinds.items())),
        "dedup": {
            "method": "word 5-gram shingles; size-partitioned MinHash LSH candidates; exact containment check",
            "shingle_words": SHINGLE_WORDS,
            "num_perm": NUM_PERM,
            "containment_threshold": CONTAINMENT_THRESHOLD,
            "pairs_total": dedup.n_pairs,
            "exact_pairs": dedup.n_exact,
            "pairs_listed": min(len(dedup.pairs), MAX_LISTED_PAIRS),
            "pairs": [{"a": a, "b": b, "containment": c} for a, b, c in dedup.pairs],
        },
        "skipped_files": builder.skipped,
        "skipped_paths": builder.skipped_paths,
        "warnings": builder.warnings,
    }


def load_corpus(
    paths: PathLike | Sequence[PathLike],
    *,
    manifest: PathLike | None = None,
    crawl_dates: dict[str, dt.date] | None = None,
    skip_invalid: bool = False,
    outlets: PathLike | None = None,
    chrome: PathLike | None = None,
    n_jobs: int | None = None,
    date_format: str | None = None,
    columns: dict[str, str | list[str]] | None = None,
    remove_boilerplate: bool = True,
    boilerplate_min_share: float = MIN_SHARE,
    boilerplate_min_articles: int = MIN_ARTICLES,
    boilerplate_max_words: int = MAX_WORDS,
) -> Corpus:
    """Ingest scraped pages and article tables into a :class:`Corpus`.

    Parameters
    ----------
    paths : path or sequence of paths
        Files or folders. ``.csv``, ``.tsv``, ``.jsonl``/``.ndjson``,
        ``.json`` (one article object or an array of them) and ``.parquet``
        files are article tables with at least ``outlet``, ``title`` and
        ``body`` columns (see ``columns``); ``.html``/``.htm`` files, and any
        other file that starts with ``<!DOCTYPE html`` or ``<html``, are
        saved web pages read through trafilatura
        (:mod:`toolkit.htmlpages`); other files are aggregator text pages.
    manifest : path, optional
        Manifest CSV for every page. By default a ``manifest.csv`` beside
        each page is used when present.
    crawl_dates : dict, optional
        ``{file_name: date}`` overriding the manifest's crawl dates.
    skip_invalid : bool, default False
        Skip files that raise :class:`~toolkit.errors.CorpusError` and list
        them in ``report["skipped_files"]`` instead of raising.
    outlets, chrome : path, optional
        Replacement outlet registry and chrome-rule CSVs. Chrome rules apply
        to whole body lines of pages and tables alike.
    n_jobs : int, optional
        Worker processes for parsing (default 1). The result is the same for
        any value; see the README's performance table for when more help.
    date_format : str, optional
        How the ``published`` column of article tables is written, as a
        ``strptime`` format (``"%m/%d/%y"`` for US ``7/23/17``). Without it
        a table's dates must be ISO or unambiguous day-month-year; an
        ambiguous or unreadable date raises a :class:`CorpusError` naming
        the file, the line and this option (with ``skip_invalid`` the file
        is listed in the report's skipped files with that message, never
        dropped silently). Pages are not affected.
    columns : dict, optional
        ``{field: column}`` naming the columns of article tables that hold
        the toolkit's fields when the names differ, e.g. ``{"outlet":
        "source", "body": "content_original", "published": "date"}``.
        Fields: ``outlet``, ``title``, ``body``, ``published``, ``section``.
        A column may be alternatives (``"source|source_domain"`` or a
        list): in each table the first one it has is used. A mapped column
        missing from a table is a :class:`CorpusError` naming the file and
        the columns it has. Pages are not affected.
    remove_boilerplate : bool, default True
        Remove repeated boilerplate: body lines of at most
        ``boilerplate_max_words`` words that one outlet prints in at least
        ``boilerplate_min_articles`` of its distinct articles and in at least
        ``boilerplate_min_share`` of them (see :mod:`toolkit.boilerplate`).
        Each removed line is marked chrome with the reason
        ``"repeated boilerplate"``, counted in ``report["chrome_reasons"]``
        and listed with its outlet in ``report["repeated_boilerplate"]``.
        Costs a first, cheap pass over the input. False turns it off.
    boilerplate_min_share : float, default 0.2
        Share of the outlet's distinct articles (stories) a line must occur in.
    boilerplate_min_articles : int, default 5
        Minimum number of the outlet's distinct articles a line must occur
        in, so small outlets and small corpora are not affected.
    boilerplate_max_words : int, default 25
        Longest line, in words, that can be boilerplate.

    Returns
    -------
    Corpus

    Raises
    ------
    CorpusError
        For unreadable or malformed input (naming file and line), unless
        ``skip_invalid``.
    """
    articles_parts: list[pl.DataFrame] = []
    paragraph_parts: list[pl.DataFrame] = []

    def collect(articles: pl.DataFrame, paragraphs: pl.DataFrame) -> None:
        articles_parts.append(articles)
        paragraph_parts.append(paragraphs)

    builder, resolved, dedup = _ingest(
        paths, collect, manifest=manifest, crawl_dates=crawl_dates, skip_invalid=skip_invalid, outlets=outlets, chrome=chrome, n_jobs=n_jobs,
        date_format=date_format, columns=columns, remove_boilerplate=remove_boilerplate, boilerplate_min_share=boilerplate_min_share,
        boilerplate_min_articles=boilerplate_min_articles, boilerplate_max_words=boilerplate_max_words,
    )
    articles = _finish_articles(pl.concat(articles_parts).lazy(), resolved).collect()
    paragraphs = pl.concat(paragraph_parts)
    return Corpus(articles, paragraphs, _report(builder, resolved, paragraphs.height, dedup))


def _ingest(
    paths: PathLike | Sequence[PathLike],
    emit: Any,
    *,
    manifest: PathLike | None = None,
    crawl_dates: dict[str, dt.date] | None = None,
    skip_invalid: bool = False,
    outlets: PathLike | None = None,
    chrome: PathLike | None = None,
    batch_files: int = 64,
    n_jobs: int | None = None,
    date_format: str | None = None,
    columns: dict[str, str | list[str]] | None = None,
    remove_boilerplate: bool = True,
    boilerplate_min_share: float = MIN_SHARE,
    boilerplate_min_articles: int = MIN_ARTICLES,
    boilerplate_max_words: int = MAX_WORDS,
) -> tuple[_Builder, pl.DataFrame, _Dedup]:
    """Read every file, handing rows to ``emit`` every ``batch_files`` files.

    With more than one worker, files are parsed in worker processes; rows,
    ids and duplicate bookkeeping stay in this process, in input order, so
    the result does not depend on ``n_jobs``. Repeated boilerplate is found
    by a first pass over every file (:func:`_scan`) before any row is built.
    """
    mapping = check_columns(columns) or None  # a bad mapping fails before any file is read
    settings = Settings(boilerplate_min_share, boilerplate_min_articles, boilerplate_max_words) if remove_boilerplate else None
    registry = default_registry(str(outlets) if outlets else None)
    manifests = _Manifests(manifest, crawl_dates)
    builder = _Builder(registry)
    tasks = []
    found = discover_inputs(paths)
    builder.skipped_paths = found.skipped
    for path, name in found.files:
        info = manifests.info(path) if path.suffix.lower() not in TABLE_SUFFIXES else None
        tasks.append(
            _Task(
                path=path,
                name=name,
                crawl_date=manifests.crawl_date(path, info),
                page_tag=info.page_tag if info else None,
                manifest_sha256=info.sha256 if info else None,
                outlets=str(outlets) if outlets else None,
                chrome=str(chrome) if chrome else None,
                date_format=date_format,
                columns=mapping,
                boilerplate_max_words=settings.max_words if settings else 0,
            )
        )
    workers = _workers(n_jobs, len(tasks))
    pool = None
    if workers > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: forking a process that has started Polars' thread pool can deadlock
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))
    try:
        if settings is not None:
            counter = LineCounter()
            scans = pool.map(_scan, tasks, chunksize=max(1, len(tasks) // (4 * workers))) if pool else map(_scan, tasks)
            for task, (found, sha) in zip(tasks, scans, strict=True):
                task.scan_sha256 = sha
                if found is not None:
                    counter.add(found)
            repeated = counter.repeated(settings)
            del counter
            builder.boilerplate_settings = settings
            for task in tasks:
                task.boilerplate = repeated
        for start in range(0, len(tasks), batch_files):
            window = tasks[start : start + batch_files]
            outcomes = pool.map(_process, window, chunksize=max(1, len(window) // (4 * workers))) if pool else map(_process, window)
            for task, outcome in zip(window, outcomes, strict=True):
                if isinstance(outcome, CorpusError):
                    if not skip_invalid:
                        raise outcome
                    builder.skipped.append({"file": str(task.path), "line": outcome.line, "error": outcome.problem})
                else:
                    builder.absorb(outcome)
            emit(*_take_rows(builder))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    emit(*_take_rows(builder))
    for warning in builder.warnings:
        warnings.warn(warning, stacklevel=3)
    resolved, dedup = _resolve(builder, registry)
    return builder, resolved, dedup


class _ParquetAppender:
    """Append frames to one Parquet file as row groups (pyarrow ``ParquetWriter``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: Any = None

    def write(self, frame: pl.DataFrame) -> None:
        import pyarrow.parquet as pq

        table = frame.to_arrow()
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, write_statistics=False)
        if frame.height:
            self._writer.write_table(table)

    def __enter__(self) -> _ParquetAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._writer is not None:
            self._writer.close()


def write_corpus(
    paths: PathLike | Sequence[PathLike],
    out: PathLike,
    *,
    batch_files: int = 64,
    **kwargs: Any,
) -> dict[str, Any]:
    """Ingest ``paths`` and write ``articles.parquet``, ``paragraphs.parquet`` and ``ingest_report.json``.

    Rows are written in batches of ``batch_files`` input files to temporary
    Parquet parts and then streamed into the final files, so memory does not
    grow with the amount of text: what stays in memory is one batch plus a few
    fields per article for duplicate resolution. Final files are written under
    a temporary name and renamed, so a failed run leaves no partial table.
    Keyword arguments are those of :func:`load_corpus`.

    Returns
    -------
    dict
        The ingest report.
    """
    import shutil
    import tempfile

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    parts = Path(tempfile.mkdtemp(prefix=".parts-", dir=out))
    try:
        n_parts = 0
        n_paragraphs = 0

        def emit(articles: pl.DataFrame, paragraphs: pl.DataFrame) -> None:
            nonlocal n_parts, n_paragraphs
            if articles.height == 0 and n_parts:
                return
            articles.write_parquet(parts / f"articles-{n_parts:06d}.parquet")
            paragraphs.write_parquet(parts / f"paragraphs-{n_parts:06d}.parquet")
            n_parts += 1
            n_paragraphs += paragraphs.height

        builder, resolved, dedup = _ingest(paths, emit, batch_files=batch_files, **kwargs)
        article_files = [parts / f"articles-{k:06d}.parquet" for k in range(n_parts)]
        paragraph_files = [parts / f"paragraphs-{k:06d}.parquet" for k in range(n_parts)]
        # Parts are in input order, so part k needs only the next slice of the
        # resolved columns: one part at a time keeps memory flat.
        offset = 0
        with staged(out / "articles.parquet") as tmp, _ParquetAppender(tmp) as articles_out:
            for part in article_files:
                base = pl.read_parquet(part)
                articles_out.write(_finish_articles(base.lazy(), resolved.slice(offset, base.height)).collect())
                offset += base.height
        with staged(out / "paragraphs.parquet") as tmp, _ParquetAppender(tmp) as paragraphs_out:
            for part in paragraph_files:
                paragraphs_out.write(pl.read_parquet(part))
        report = _report(builder, resolved, n_paragraphs, dedup)
        write_json(report, out / "ingest_report.json")
    finally:
        shutil.rmtree(parts, ignore_errors=True)
    return report
