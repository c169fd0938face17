"""Paragraph embeddings: :func:`embed` for frames, :func:`embed_dir` for ingested folders.

Vectors are L2-normalised embeddings of each paragraph's ``text`` by an
:class:`toolkit.embedder.Embedder`: the model run by a backend
(sentence-transformers by default; ONNX Runtime, OpenVINO or a static
model on request or above :data:`toolkit.embedder.AUTO_MIN_PARAGRAPHS`). Identical texts are encoded once and share one
vector. Every unique text is looked up in a content-addressed cache
(:mod:`toolkit.cache`) first; only the misses are encoded, and the model is
loaded only when there is at least one miss, so a fully cached run never
imports torch's model weights.

Note on floats: sentence-transformers pads each batch to its longest text,
so the same text encoded in batches of different make-up can differ in the
last float bits (about 1e-7 here). Through the cache a text keeps the first
vector computed for it, so runs are reproducible bit for bit once cached.

Reports: :func:`embed` returns just the frame; :func:`embed_with_report`
returns ``(frame, EmbedReport)`` with cache hits and misses, truncated
paragraphs and the provenance record, and :func:`embed_dir` returns the
report of the whole folder.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from toolkit import cache as _cache
from toolkit import model as _model
from toolkit.atomic import staged, write_json
from toolkit.cache import CacheWriteWarning
from toolkit.embedder import Embedder, as_embedder
from toolkit.errors import EmbeddingError, OutputError
from toolkit.schema import embeddings_schema

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

PROVENANCE_KEY = "toolkit.embedding_provenance"
FINGERPRINT_COLUMN = "model_fingerprint"  # as in toolkit.schema.embeddings_schema
# Unique texts encoded per call to encode(): after each group the vectors
# are written to the cache, so an interrupted run loses at most one group.
_GROUP = 2048
# Below this many texts to encode, progress=None shows no bar.
_LONG_RUN = 512

# Models loaded in this process, by (fingerprint, path, device): notebooks
# calling embed() repeatedly should not pay the load each time.
_LOADED: dict[tuple[str, str, str | None], SentenceTransformer] = {}


@dataclass
class EmbedReport:
    """What an embedding run did.

    Attributes
    ----------
    n_paragraphs : int
        Rows embedded.
    n_unique : int
        Distinct texts among them (each encoded or looked up once).
    hits : int
        Distinct texts served from the cache.
    misses : int
        Distinct texts encoded by the model.
    truncated : int
        Paragraphs longer than the model's token window, embedded from
        their first ``max_seq_length`` tokens only.
    corrupt_shards : int
        Cache shards that failed their check and were recomputed.
    model_loaded : bool
        Whether the model had to be loaded (False on a fully cached run).
    seconds : float
        Wall time.
    provenance : dict
        Model name, weights sha256, dimension, window and library versions.
    """

    n_paragraphs: int = 0
    n_unique: int = 0
    hits: int = 0
    misses: int = 0
    truncated: int = 0
    corrupt_shards: int = 0
    model_loaded: bool = False
    seconds: float = 0.0
    provenance: dict[str, Any] = field(default_factory=dict)

    def add(self, other: EmbedReport) -> None:
        """Accumulate ``other`` (one chunk of a larger run) into this report."""
        for name in ("n_paragraphs", "n_unique", "hits", "misses", "truncated", "corrupt_shards", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.model_loaded = self.model_loaded or other.model_loaded
        self.provenance = other.provenance or self.provenance

    def summary(self) -> str:
        """One line for the command line."""
        prov = self.provenance
        window = prov.get("max_seq_length")
        line = (
            f"embedded {self.n_paragraphs} paragraphs ({self.n_unique} unique texts: "
            f"{self.hits} cache hits, {self.misses} misses); "
            f"{self.truncated} truncated at {window} tokens; "
            f"model {prov.get('model')} [{prov.get('model_fingerprint')}], dim {prov.get('dimension')}"
            f", backend {prov.get('backend')}"
        )
        if self.corrupt_shards:
            line += f"; {self.corrupt_shards} corrupt cache shard(s) recomputed"
        return line + f"; {self.seconds:.1f} s"


def _paragraph_frame(paragraphs: Any) -> pl.DataFrame:
    """Validate input and return ``paragraph_id`` (String) and ``text`` columns."""
    frame = getattr(paragraphs, "paragraphs", paragraphs)  # a Corpus has .paragraphs
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if not isinstance(frame, pl.DataFrame):
        msg = f"got {type(paragraphs).__name__}, expected a Polars DataFrame with paragraph_id and text columns"
        raise EmbeddingError(msg)
    missing = [c for c in ("paragraph_id", "text") if c not in frame.columns]
    if missing:
        msg = f"got columns {frame.columns}, expected paragraph_id and text (missing {missing})"
        raise EmbeddingError(msg)
    if frame.schema["text"] != pl.String:
        msg = f"got text of type {frame.schema['text']}, expected String"
        raise EmbeddingError(msg)
    if frame.height == 0:
        msg = "got 0 paragraphs, expected at least one"
        raise EmbeddingError(msg)
    frame = frame.select(pl.col("paragraph_id").cast(pl.String), "text")
    for problem, expr in (
        ("null paragraph_id", pl.col("paragraph_id").is_null()),
        ("null text", pl.col("text").is_null()),
        ("empty text", pl.col("text").str.strip_chars() == ""),
    ):
        bad = frame.filter(expr)
        if bad.height:
            first = bad["paragraph_id"][0]
            where = f" (first at row {frame.with_row_index().filter(expr)['index'][0]})" if first is None else f" (first paragraph_id {first!r})"
            msg = f"got {bad.height} {problem} value(s){where}, expected non-blank text and an id in every row"
            raise EmbeddingError(msg)
    n_dupes = frame.height - frame["paragraph_id"].n_unique()
    if n_dupes:
        first = frame.filter(pl.col("paragraph_id").is_duplicated())["paragraph_id"][0]
        msg = f"got {n_dupes} duplicate paragraph_id value(s) (e.g. {first!r}), expected unique ids"
        raise EmbeddingError(msg)
    return frame


def _open_cache(cache: bool | str | os.PathLike[str] | None, namespace: str) -> _cache.EmbeddingCache | None:
    if cache is None or cache is False:
        return None
    root = _cache.default_cache_dir() if cache is True else Path(cache)
    return _cache.EmbeddingCache(root, namespace)


def _get_model(info: _model.ModelInfo, device: str | None, *, quiet: bool) -> SentenceTransformer:
    key = (info.fingerprint, str(info.path), device)
    if key not in _LOADED:
        _LOADED[key] = _model.load_model(info, device=device, quiet=quiet)
    return _LOADED[key]


def _show_progress(progress: bool | None, n_work: int) -> bool:
    if progress is False or os.environ.get("CI"):
        return False
    return bool(progress) or n_work >= _LONG_RUN


class _Session:
    """One embedder and cache choice, shared by the chunks of one run."""

    def __init__(
        self,
        *,
        model: Embedder | str | os.PathLike[str] | None,
        batch_size: int,
        device: str | None,
        cache: bool | str | os.PathLike[str] | None,
        normalize: bool,
        prompt: str | None,
        progress: bool | None,
        threads: int | str | None = None,
        backend: str | None = None,
        n_paragraphs: int | None = None,
    ) -> None:
        self.threads = threads
        self.model = model
        self.backend = backend
        self.n_paragraphs = n_paragraphs
        self.batch_size = batch_size
        self.device = device
        self.cache = cache
        self.normalize = normalize
        self.prompt = prompt
        self.progress = progress

    def open(self) -> None:
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            msg = f"got batch_size={self.batch_size!r}, expected a positive integer"
            raise EmbeddingError(msg)
        self.embedder = as_embedder(
            self.model, backend=self.backend, device=self.device, normalize=self.normalize, prompt=self.prompt,
            threads=self.threads, n_paragraphs=self.n_paragraphs,
        )
        self.info = self.embedder.info
        self.namespace = self.embedder.namespace()
        self.store = _open_cache(self.cache, self.namespace)

    def _store_put(self, keys: list[str], vectors: np.ndarray, counts: list[int]) -> None:
        # A cache that cannot be written (read-only, full, no permission) must not
        # cost the vectors already computed: warn once and go on without caching.
        assert self.store is not None
        try:
            self.store.put(keys, vectors, counts)
        except OutputError as exc:
            warnings.warn(f"embedding cache not written, continuing without caching: {exc}", CacheWriteWarning, stacklevel=2)
            self.store = None

    def window(self) -> int | None:
        return self.embedder.window()

    def embed_frame(self, frame: pl.DataFrame, bar: Any | None) -> tuple[pl.DataFrame, EmbedReport]:
        started = time.perf_counter()
        texts = frame["text"].to_list()
        key_of_row = [_cache.text_key(t) for t in texts]
        # Dedupe: one vector per distinct text, whatever the batch make-up.
        position: dict[str, int] = {}
        unique_texts: list[str] = []
        inverse = np.empty(len(texts), dtype=np.int64)
        for row, (key, text) in enumerate(zip(key_of_row, texts, strict=True)):
            slot = position.get(key)
            if slot is None:
                slot = position[key] = len(unique_texts)
                unique_texts.append(text)
            inverse[row] = slot
        keys = list(position)
        rows_per_unique = np.bincount(inverse, minlength=len(keys))

        corrupt_before = self.store.corrupt_shards if self.store else 0
        found = self.store.get(keys) if self.store else {}
        dim = next(iter(found.values()))[0].shape[0] if found else None
        vectors: np.ndarray | None = None
        n_tokens = np.zeros(len(keys), dtype=np.int64)
        if found:
            vectors = np.zeros((len(keys), dim), dtype=np.float32)
            for slot, key in enumerate(keys):
                hit = found.get(key)
                if hit is not None:
                    vectors[slot], n_tokens[slot] = hit
        miss_slots = [slot for slot, key in enumerate(keys) if key not in found]
        if bar is not None:
            bar.update(int(rows_per_unique.sum() - rows_per_unique[miss_slots].sum()))

        model_loaded = False
        for start in range(0, len(miss_slots), _GROUP):
            group = miss_slots[start : start + _GROUP]
            if not self.embedder.loaded:
                self.embedder.load()
                model_loaded = True
            group_texts = [unique_texts[s] for s in group]
            encoded = self.embedder.encode(group_texts, batch_size=self.batch_size)
            counts = self.embedder.token_counts(group_texts)
            if vectors is None:
                dim = encoded.shape[1]
                vectors = np.zeros((len(keys), dim), dtype=np.float32)
            vectors[group] = encoded
            n_tokens[group] = counts
            if self.store is not None:
                self._store_put([keys[s] for s in group], encoded, counts)
            if bar is not None:
                bar.update(int(rows_per_unique[group].sum()))
        assert vectors is not None and dim is not None  # at least one text, found or encoded

        window = self.window()
        truncated = int(rows_per_unique[n_tokens > window].sum()) if window else 0
        out = pl.DataFrame(
            {
                "paragraph_id": frame["paragraph_id"],
                "embedding": vectors[inverse],
                FINGERPRINT_COLUMN: [self.embedder.short_fingerprint] * frame.height,
            },
            schema=embeddings_schema(dim),
        )
        report = EmbedReport(
            n_paragraphs=frame.height,
            n_unique=len(keys),
            hits=len(keys) - len(miss_slots),
            misses=len(miss_slots),
            truncated=truncated,
            corrupt_shards=(self.store.corrupt_shards - corrupt_before) if self.store else 0,
            model_loaded=model_loaded,
            seconds=time.perf_counter() - started,
            provenance=self.embedder.provenance(dimension=dim, max_seq_length=window),
        )
        return out, report


def _progress_bar(enabled: bool, total: int) -> Any | None:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="para", desc="embedding", leave=False)


def embed_with_report(
    paragraphs: Any,
    *,
    backend: str | None = None,
    model: Embedder | str | os.PathLike[str] | None = None,
    batch_size: int = 64,
    device: str | None = None,
    cache: bool | str | os.PathLike[str] | None = True,
    normalize: bool = True,
    prompt: str | None = None,
    progress: bool | None = None,
    threads: int | str | None = None,
) -> tuple[pl.DataFrame, EmbedReport]:
    """Embed paragraphs and say how: like :func:`embed`, plus an :class:`EmbedReport`.

    Parameters
    ----------
    paragraphs, backend, model, batch_size, device, cache, normalize, prompt, progress, threads
        See :func:`embed`.

    Returns
    -------
    frame : pl.DataFrame
        As returned by :func:`embed`.
    report : EmbedReport
        Hits, misses, truncation and provenance.
    """
    frame = _paragraph_frame(paragraphs)
    session = _Session(
        model=model, batch_size=batch_size, device=device, cache=cache, normalize=normalize, prompt=prompt, progress=progress,
        threads=threads, backend=backend, n_paragraphs=frame.height,
    )
    session.open()
    bar = _progress_bar(_show_progress(progress, frame.height), frame.height)
    try:
        return session.embed_frame(frame, bar)
    finally:
        if bar is not None:
            bar.close()


def embed(
    paragraphs: Any,
    *,
    backend: str | None = None,
    model: Embedder | str | os.PathLike[str] | None = None,
    batch_size: int = 64,
    device: str | None = None,
    cache: bool | str | os.PathLike[str] | None = True,
    normalize: bool = True,
    prompt: str | None = None,
    progress: bool | None = None,
    threads: int | str | None = None,
) -> pl.DataFrame:
    """Embed each paragraph's text with a sentence-transformers model.

    Parameters
    ----------
    paragraphs : pl.DataFrame, pl.LazyFrame or Corpus
        With ``paragraph_id`` and ``text`` (String) columns; a corpus object
        is read through its ``.paragraphs`` attribute.
    backend : str, optional
        How the model is run: a name from :func:`toolkit.embedding_backends`
        (``sentence-transformers``, ``onnx``, ``onnx-int8``, ``static``) or
        ``"auto"``. None reads ``TOOLKIT_BACKEND``, else ``"auto"``: the
        reference ``sentence-transformers`` below
        :data:`toolkit.embedder.AUTO_MIN_PARAGRAPHS` paragraphs, the fast
        gated backend above (see :mod:`toolkit.embedder`). The backend, its
        precision and quantisation enter the cache address, the
        ``model_fingerprint`` column and the provenance.
    model : Embedder, str or path-like, optional
        An :class:`toolkit.embedder.Embedder` (model and backend chosen
        once; pass the one that embedded the paragraphs), or a model name or
        local directory. None: ``TOOLKIT_MODEL``, then
        ``toolkit.toml``/``$XDG_CONFIG_HOME/toolkit/config.toml``, then
        all-MiniLM-L6-v2 (see :mod:`toolkit.model`).
    batch_size : int
        Texts per forward pass.
    device : str, optional
        ``cpu``, ``cuda``...; None lets sentence-transformers choose.
    cache : bool, str or path-like
        True: the cache under ``TOOLKIT_CACHE_DIR`` (default: the user cache
        folder); a path: a cache rooted there; False or None: no cache.
    normalize : bool
        L2-normalise the vectors (the default; cosine = dot product).
    prompt : str, optional
        Text prepended to every paragraph (for models trained with prompts).
    progress : bool, optional
        Progress bar: True or False; None shows it for long runs only.
        Never shown when the ``CI`` environment variable is set.
    threads : int or "auto", optional
        Torch intra-op threads while encoding (restored afterwards). None
        reads ``TOOLKIT_THREADS``, default "auto": the CPUs other work
        leaves idle, so one thread on a busy or shared machine (see
        :func:`toolkit.model.encode_threads`). Cached vectors are reused
        whatever the thread count.

    Returns
    -------
    pl.DataFrame
        ``paragraph_id`` (String), ``embedding`` (``pl.Array(pl.Float32, dim)``)
        and ``model_fingerprint`` (first 16 hex digits of the weights sha256
        for the reference backend; of the weights and backend spec for the others),
        one row per input row, in input order. For hit/miss counts and the
        full provenance use :func:`embed_with_report`.

    Raises
    ------
    EmbeddingError
        On an empty frame, missing columns, null or blank texts, duplicate
        ids, or a model that is not available locally.
    """
    frame, _ = embed_with_report(
        paragraphs,
        backend=backend,
        model=model,
        batch_size=batch_size,
        device=device,
        cache=cache,
        normalize=normalize,
        prompt=prompt,
        progress=progress,
        threads=threads,
    )
    return frame


def read_provenance(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the provenance record stored in an ``embeddings.parquet``'s metadata.

    Raises
    ------
    EmbeddingError
        If the file has no provenance record.
    """
    meta = pl.read_parquet_metadata(path)
    if PROVENANCE_KEY not in meta:
        msg = f"{path}: got metadata keys {sorted(meta)}, expected {PROVENANCE_KEY!r} (written by embed_dir)"
        raise EmbeddingError(msg)
    return json.loads(meta[PROVENANCE_KEY])


def embed_dir(
    dir: str | os.PathLike[str],
    *,
    backend: str | None = None,
    model: Embedder | str | os.PathLike[str] | None = None,
    batch_size: int = 64,
    progress: bool | None = True,
    device: str | None = None,
    cache: bool | str | os.PathLike[str] | None = True,
    normalize: bool = True,
    prompt: str | None = None,
    chunk_rows: int = 20_000,
    echo: bool = True,
    threads: int | str | None = None,
) -> EmbedReport:
    """Embed ``DIR/paragraphs.parquet`` into ``DIR/embeddings.parquet`` in bounded memory.

    The input is read ``chunk_rows`` rows at a time; each chunk is embedded
    (through the cache) and streamed into a temporary file that replaces
    ``embeddings.parquet`` only when complete. A killed run leaves the old
    output untouched and its finished work in the cache, so re-running
    resumes with cache hits. The provenance record is stored in the Parquet
    key-value metadata (key ``toolkit.embedding_provenance``; see
    :func:`read_provenance`) and in ``DIR/embeddings_provenance.json``.

    Parameters
    ----------
    dir : str or path-like
        Folder written by ``python -m toolkit ingest``.
    backend, model, batch_size, device, cache, normalize, prompt, threads
        See :func:`embed`.
    progress : bool, optional
        Progress bar over all paragraphs; never shown when ``CI`` is set.
    chunk_rows : int
        Rows per chunk: bounds memory.
    echo : bool
        Print the one-line summary.

    Returns
    -------
    EmbedReport
        For the whole folder.

    Raises
    ------
    EmbeddingError
        If the folder has no readable paragraphs.parquet or its rows are invalid.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(dir)
    source = folder / "paragraphs.parquet"
    if not source.is_file():
        msg = f"got no {source}, expected the paragraphs.parquet written by `python -m toolkit ingest DIR`"
        raise EmbeddingError(msg)
    if not isinstance(chunk_rows, int) or chunk_rows < 1:
        msg = f"got chunk_rows={chunk_rows!r}, expected a positive integer"
        raise EmbeddingError(msg)
    try:
        reader = pq.ParquetFile(source)
    except Exception as exc:
        msg = f"{source}: got an unreadable Parquet file ({type(exc).__name__}: {exc}), expected paragraphs.parquet"
        raise EmbeddingError(msg) from exc
    names = reader.schema_arrow.names
    missing = [c for c in ("paragraph_id", "text") if c not in names]
    if missing:
        msg = f"{source}: got columns {names}, expected paragraph_id and text (missing {missing})"
        raise EmbeddingError(msg)
    total = reader.metadata.num_rows
    if total == 0:
        msg = f"{source}: got 0 paragraphs, expected at least one"
        raise EmbeddingError(msg)

    session = _Session(
        model=model, batch_size=batch_size, device=device, cache=cache, normalize=normalize, prompt=prompt, progress=progress,
        threads=threads, backend=backend, n_paragraphs=total,
    )
    session.open()
    target = folder / "embeddings.parquet"
    report = EmbedReport()
    started = time.perf_counter()
    writer: pq.ParquetWriter | None = None
    bar = _progress_bar(_show_progress(progress, total), total)
    try:
        with staged(target) as tmp:
            for batch in reader.iter_batches(batch_size=chunk_rows, columns=["paragraph_id", "text"]):
                chunk = _paragraph_frame(pl.from_arrow(pa.Table.from_batches([batch])))
                out, part = session.embed_frame(chunk, bar)
                report.add(part)
                table = out.to_arrow()
                if writer is None:
                    meta = {PROVENANCE_KEY.encode(): json.dumps(part.provenance).encode()}
                    writer = pq.ParquetWriter(tmp, table.schema.with_metadata(meta), compression="zstd")
                writer.write_table(table.replace_schema_metadata(writer.schema.metadata))
            assert writer is not None  # total > 0
            writer.close()
            writer = None
    finally:
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
    write_json(report.provenance, folder / "embeddings_provenance.json")
    report.seconds = time.perf_counter() - started
    if echo:
        print(f"{report.summary()} -> {target}")
    return report
