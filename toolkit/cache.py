"""Content-addressed embedding cache in Parquet shards.

Layout::

    $TOOLKIT_CACHE_DIR/                  (default: user cache dir/embeddings)
        <namespace>/                     one per model fingerprint, backend, max_seq_length,
            shard-<checksum>.parquet     normalisation flag and prompt
            shard-<checksum>.parquet.corrupt   (set aside after failing a check)

A *namespace* is the sha256 of everything besides the text that decides a
vector: the model fingerprint (sha256 of its weight and config files), the
backend with its precision, quantisation and export recipe, the token window, whether vectors are normalised, and the prompt. Within it a
row is addressed by the sha256 of its text. Another model, window or prompt
therefore lands in another namespace and can never be served.

Each shard holds ``text_sha256``, ``n_tokens`` and ``embedding`` columns and
records in its Parquet metadata its namespace and a sha256 over its
contents. Reading a shard recomputes that checksum: a truncated, bit-flipped
or foreign shard is reported (a warning and :attr:`EmbeddingCache.corrupt_shards`),
renamed to ``*.corrupt`` and its texts are recomputed. Shards are written
to a temporary file in the same directory, fsynced, then renamed into place,
so a killed run never leaves a half-written shard under a valid name.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import polars as pl

from toolkit.atomic import atomic_write

ENV_CACHE_DIR = "TOOLKIT_CACHE_DIR"
_META_KEY = "toolkit.embedding_cache"
_FORMAT = 1


class CacheWriteWarning(UserWarning):
    """The cache could not be written; the run goes on without caching."""


class CacheCorruptionWarning(UserWarning):
    """A cache shard failed its checksum or could not be read; it will be recomputed."""


def default_cache_dir() -> Path:
    """Return ``$TOOLKIT_CACHE_DIR`` or ``platformdirs.user_cache_dir("framing-toolkit")/embeddings``."""
    env = os.environ.get(ENV_CACHE_DIR, "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("framing-toolkit")) / "embeddings"


def text_key(text: str) -> str:
    """Return the sha256 (hex) of ``text`` encoded as UTF-8: a text's cache address."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def namespace_key(
    *, fingerprint: str, max_seq_length: int | None, normalize: bool, prompt: str | None, backend: dict | None = None
) -> str:
    """Return the namespace (hex sha256) of every setting besides the text that decides a vector.

    ``backend`` is the backend's spec (name, precision, quantisation, export
    recipe; :meth:`toolkit.embedder.Embedder.spec`). None, for the reference
    sentence-transformers backend, leaves the key as it was before backends
    existed, so caches written then are still served.
    """
    spec = {
        "format": _FORMAT,
        "fingerprint": fingerprint,
        "max_seq_length": max_seq_length,
        "normalize": bool(normalize),
        "prompt": prompt,
    }
    if backend:
        spec["backend"] = backend
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def _checksum(namespace: str, keys: Sequence[str], n_tokens: np.ndarray, vectors: np.ndarray) -> str:
    digest = hashlib.sha256(namespace.encode())
    digest.update("\n".join(keys).encode())
    digest.update(np.ascontiguousarray(n_tokens, dtype="<i4").tobytes())
    digest.update(np.ascontiguousarray(vectors, dtype="<f4").tobytes())
    return digest.hexdigest()


def atomic_write_parquet(frame: pl.DataFrame, path: Path, *, metadata: dict[str, str] | None = None) -> None:
    """Write a shard atomically (see :mod:`toolkit.atomic`)."""
    atomic_write(path, lambda fh: frame.write_parquet(fh, metadata=metadata))


class EmbeddingCache:
    """Cache of embeddings for one namespace (model, window, normalisation, prompt).

    Parameters
    ----------
    root : Path
        Cache root; the namespace folder is created under it on first write.
    namespace : str
        From :func:`namespace_key`.
    """

    def __init__(self, root: str | os.PathLike[str], namespace: str) -> None:
        self.root = Path(root)
        self.namespace = namespace
        self.corrupt_shards = 0
        self._index: dict[str, str] | None = None
        self._verified: dict[str, pl.DataFrame] = {}

    @property
    def folder(self) -> Path:
        """Folder holding this namespace's shards."""
        return self.root / self.namespace

    def _shards(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("shard-*.parquet"))

    def _set_aside(self, shard: Path, reason: str) -> None:
        self.corrupt_shards += 1
        warnings.warn(
            f"embedding cache shard {shard} is unusable ({reason}); set aside as *.corrupt and recomputing its texts",
            CacheCorruptionWarning,
            stacklevel=4,
        )
        try:
            os.replace(shard, shard.with_name(shard.name + ".corrupt"))
        except OSError:  # a concurrent run may have moved it already
            pass
        self._verified.pop(shard.name, None)
        if self._index is not None:
            self._index = {k: v for k, v in self._index.items() if v != shard.name}

    def _load_index(self) -> dict[str, str]:
        """Map text key -> shard name, reading only the key column of each shard."""
        if self._index is None:
            index: dict[str, str] = {}
            for shard in self._shards():
                try:
                    keys = pl.read_parquet(shard, columns=["text_sha256"])["text_sha256"].to_list()
                except Exception as exc:  # any read error means a damaged file
                    self._set_aside(shard, f"{type(exc).__name__}: {exc}")
                    continue
                for key in keys:
                    index.setdefault(key, shard.name)
            self._index = index
        return self._index

    def _read_verified(self, name: str) -> pl.DataFrame | None:
        """Read a whole shard and check namespace and checksum; None if it fails."""
        if name in self._verified:
            return self._verified[name]
        shard = self.folder / name
        try:
            meta = json.loads(pl.read_parquet_metadata(shard)[_META_KEY])
            frame = pl.read_parquet(shard)
            keys = frame["text_sha256"].to_list()
            n_tokens = frame["n_tokens"].to_numpy()
            vectors = frame["embedding"].to_numpy()
        except Exception as exc:
            self._set_aside(shard, f"{type(exc).__name__}: {exc}")
            return None
        if meta.get("namespace") != self.namespace:
            self._set_aside(shard, f"got namespace {meta.get('namespace')!r}, expected {self.namespace!r}")
            return None
        if meta.get("checksum") != _checksum(self.namespace, keys, n_tokens, vectors):
            self._set_aside(shard, "checksum mismatch")
            return None
        self._verified[name] = frame
        return frame

    def get(self, keys: Iterable[str]) -> dict[str, tuple[np.ndarray, int]]:
        """Return ``{key: (vector, n_tokens)}`` for the keys present and intact.

        Parameters
        ----------
        keys : iterable of str
            Text keys from :func:`text_key`.

        Returns
        -------
        dict
            Missing and corrupt entries are simply absent.
        """
        wanted = set(keys)
        found: dict[str, tuple[np.ndarray, int]] = {}
        # A shard may fail its check while we read; then retry the rest once
        # against the shrunken index.
        for _ in range(2):
            index = self._load_index()
            by_shard: dict[str, list[str]] = {}
            for key in wanted - found.keys():
                if key in index:
                    by_shard.setdefault(index[key], []).append(key)
            failed = False
            for name in sorted(by_shard):
                frame = self._read_verified(name)
                if frame is None:
                    failed = True
                    continue
                rows = frame.filter(pl.col("text_sha256").is_in(by_shard[name]))
                vectors = rows["embedding"].to_numpy()
                for key, vector, n in zip(rows["text_sha256"].to_list(), vectors, rows["n_tokens"].to_list(), strict=True):
                    found[key] = (vector, n)
            if not failed:
                break
        # Verified frames are only needed within one lookup: bound memory.
        self._verified.clear()
        return found

    def put(self, keys: Sequence[str], vectors: np.ndarray, n_tokens: Sequence[int]) -> Path | None:
        """Store vectors as one new shard, atomically.

        Parameters
        ----------
        keys : sequence of str
            Text keys, unique.
        vectors : np.ndarray
            Shape ``(len(keys), dim)``, float32.
        n_tokens : sequence of int
            Token count of each text before truncation.

        Returns
        -------
        Path or None
            The shard written, or None when ``keys`` is empty.
        """
        if not len(keys):
            return None
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        counts = np.asarray(n_tokens, dtype=np.int32)
        if vectors.ndim != 2 or vectors.shape[0] != len(keys) or counts.shape != (len(keys),):
            msg = f"got {len(keys)} keys, {vectors.shape} vectors and {counts.shape} token counts, expected matching lengths"
            raise ValueError(msg)
        checksum = _checksum(self.namespace, keys, counts, vectors)
        frame = pl.DataFrame(
            {
                "text_sha256": pl.Series(list(keys), dtype=pl.String),
                "n_tokens": pl.Series(counts, dtype=pl.Int32),
                "embedding": pl.Series(vectors, dtype=pl.Array(pl.Float32, vectors.shape[1])),
            }
        )
        meta = {"namespace": self.namespace, "checksum": checksum, "format": _FORMAT}
        path = self.folder / f"shard-{checksum[:24]}.parquet"
        atomic_write_parquet(frame, path, metadata={_META_KEY: json.dumps(meta)})
        if self._index is not None:
            for key in keys:
                self._index.setdefault(key, path.name)
        return path
