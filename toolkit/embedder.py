"""The embedder: one object that owns a model, a backend, loading, encoding and identity.

An :class:`Embedder` is a resolved model (:class:`toolkit.model.ModelInfo`)
plus a backend (:mod:`toolkit.backends`) and the settings that decide a
vector (normalisation, prompt). It gives

- :attr:`Embedder.fingerprint`: what the ``model_fingerprint`` column
  carries. For the reference backend it is the weights sha256, exactly as
  before backends existed; for any other backend it is the sha256 of the
  weights sha256 with the backend, precision, quantisation and export
  recipe, so :func:`toolkit.schema.model_fingerprints` refuses a frame
  mixing two backends;
- :meth:`Embedder.namespace`: the cache namespace (the same rule);
- :meth:`Embedder.provenance`: the record that travels with the vectors;
- :meth:`Embedder.encode` and :meth:`Embedder.token_counts`, loading the
  backend on first use only.

Which backend (first match wins): the ``backend=`` argument (``--backend``)
> the ``TOOLKIT_BACKEND`` environment variable > ``"auto"``. ``"auto"`` is
the reference, ``sentence-transformers``, for runs of fewer than
:data:`AUTO_MIN_PARAGRAPHS` paragraphs, and for larger
runs on the CPU: the first available of :data:`FAST_BACKENDS`, the fastest
backends that passed the quality gate of
``benchmarks/bench_embed.py`` (kNN@10 overlap >= 0.95 and cluster ARI >=
0.9 against the reference; see docs/embeddings.md).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from toolkit import backends as _backends
from toolkit import cache as _cache
from toolkit import model as _model
from toolkit.errors import EmbeddingError

ENV_BACKEND = "TOOLKIT_BACKEND"
ENV_MODELS_DIR = "TOOLKIT_MODELS_DIR"
AUTO = "auto"
REFERENCE_BACKEND = "sentence-transformers"
#: The CPU defaults for large runs, fastest first: each passed the quality gate
#: of benchmarks/bench_embed.py (kNN@10 1.000, k-means ARI 1.000; see
#: docs/embeddings.md); "auto" takes the first one available here.
#: openvino-bf16 and onnx-int8 are faster but failed the gate's ARI.
FAST_BACKENDS = ("openvino", "onnx")
#: Runs with at least this many paragraphs use fast_backend() under "auto".
AUTO_MIN_PARAGRAPHS = 20_000


def models_dir() -> Path:
    """Where exported/quantised/distilled model files are kept.

    ``$TOOLKIT_MODELS_DIR``, else ``models/`` under the embedding cache
    (:func:`toolkit.cache.default_cache_dir`).
    """
    env = os.environ.get(ENV_MODELS_DIR, "").strip()
    return Path(env).expanduser() if env else _cache.default_cache_dir() / "models"


def choose_backend(backend: str | None = None, *, n_paragraphs: int | None = None, device: str | None = None) -> tuple[str, str]:
    """Return ``(backend name, source)`` by argument > ``TOOLKIT_BACKEND`` > auto.

    Parameters
    ----------
    backend : str, optional
        A registered name or ``"auto"``.
    n_paragraphs : int, optional
        Size of the run, for ``"auto"``; None counts as small.
    device : str, optional
        ``"auto"`` keeps the reference on any device but the CPU.

    Raises
    ------
    EmbeddingError
        ``got backend 'x', expected one of [...]`` for an unknown name.
    """
    if backend is not None and str(backend).strip():
        name, source = str(backend).strip(), "argument"
    elif os.environ.get(ENV_BACKEND, "").strip():
        name, source = os.environ[ENV_BACKEND].strip(), "env"
    else:
        name, source = AUTO, "default"
    if name == AUTO:
        large = n_paragraphs is not None and n_paragraphs >= AUTO_MIN_PARAGRAPHS
        name = fast_backend() if large and device in (None, "cpu") else REFERENCE_BACKEND
        return name, f"{source}:auto"
    _backends.get(name)  # validates the name
    return name, source


def fast_backend() -> str:
    """The first available of :data:`FAST_BACKENDS`, else the reference."""
    return next((name for name in FAST_BACKENDS if _backends.get(name).available()), REFERENCE_BACKEND)


def embedding_backends() -> pl.DataFrame:
    """The registered backends: ``name``, ``available`` and ``description``.

    Returns
    -------
    pl.DataFrame
        One row per backend, in registry order (the reference first). An
        unavailable backend's description ends with the pip command that
        provides it.
    """
    rows = []
    for name in _backends.names():
        backend = _backends.get(name)
        ok = backend.available()
        description = backend.description if ok else f"{backend.description} [not installed: {backend.install}]"
        rows.append({"name": name, "available": ok, "description": description})
    return pl.DataFrame(rows, schema={"name": pl.String, "available": pl.Boolean, "description": pl.String})


@dataclass
class Embedder:
    """A model run by one backend with fixed settings: load, encode, fingerprint, provenance.

    Build one with :meth:`Embedder.create`; pass it as ``model=`` to
    :func:`toolkit.embed` and to every function that embeds texts to compare
    them with paragraph vectors, so both come from the same backend.

    Attributes
    ----------
    info : ModelInfo
        The resolved model files.
    backend : Backend
        The engine.
    backend_source : str
        Where the backend choice came from (``argument``, ``env``,
        ``default:auto``...).
    device, normalize, prompt, threads
        As in :func:`toolkit.embed`.
    """

    info: _model.ModelInfo
    backend: _backends.Backend
    backend_source: str = "argument"
    device: str | None = None
    normalize: bool = True
    prompt: str | None = None
    threads: int | str | None = None
    _encoder: _backends.Encoder | None = field(default=None, repr=False, compare=False)
    _n_threads: int | None = field(default=None, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        model: str | os.PathLike[str] | None = None,
        *,
        backend: str | None = None,
        device: str | None = None,
        normalize: bool = True,
        prompt: str | None = None,
        threads: int | str | None = None,
        n_paragraphs: int | None = None,
    ) -> Embedder:
        """Resolve the model and the backend (without loading either).

        Parameters
        ----------
        model : str or path-like, optional
            See :func:`toolkit.model.resolve_model`.
        backend : str, optional
            A name from :func:`embedding_backends` or ``"auto"``; None reads
            ``TOOLKIT_BACKEND``, else ``"auto"``.
        n_paragraphs : int, optional
            Size of the run, for ``"auto"``.
        device, normalize, prompt, threads
            See :func:`toolkit.embed`.
        """
        name, source = choose_backend(backend, n_paragraphs=n_paragraphs, device=device)
        return cls(
            info=_model.resolve_model(model), backend=_backends.get(name), backend_source=source,
            device=device, normalize=normalize, prompt=prompt, threads=threads,
        )

    @property
    def name(self) -> str:
        """The backend's registry name."""
        return self.backend.name

    def spec(self) -> dict[str, Any]:
        """Backend settings that decide a vector besides the model files ({} for the reference)."""
        return self.backend.spec(self.info)

    @property
    def fingerprint(self) -> str:
        """sha256 (hex) of the weights and, except for the reference, the backend spec."""
        spec = self.spec()
        if not spec:
            return self.info.fingerprint
        blob = json.dumps({"weights_sha256": self.info.fingerprint, **spec}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def short_fingerprint(self) -> str:
        """First 16 hex digits of :attr:`fingerprint`: the ``model_fingerprint`` column."""
        return self.fingerprint[:16]

    def namespace(self) -> str:
        """Cache namespace of this model, backend, window, normalisation and prompt."""
        return _cache.namespace_key(
            fingerprint=self.info.fingerprint, max_seq_length=self.info.max_seq_length, normalize=self.normalize,
            prompt=self.prompt, backend=self.spec() or None,
        )

    @property
    def loaded(self) -> bool:
        """Whether the backend has been loaded."""
        return self._encoder is not None

    def load(self) -> _backends.Encoder:
        """Load the backend (building its artefacts on first use) and return the encoder."""
        if self._encoder is None:
            self.backend.check()
            self._encoder = self.backend.load(self.info, device=self.device, artefacts=models_dir())
        return self._encoder

    def n_threads(self) -> int:
        """Threads for encoding, decided once (see :func:`toolkit.model.encode_threads`)."""
        if self._n_threads is None:
            self._n_threads = _model.encode_threads(self.threads)
        return self._n_threads

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Vectors (float32, one row per text, input order) for ``texts``; no cache."""
        encoder = self.load()
        return encoder.encode(texts, batch_size=batch_size, normalize=self.normalize, prompt=self.prompt, threads=self.n_threads())

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text before truncation, special tokens included."""
        return self.load().token_counts(texts, self.prompt)

    def window(self) -> int | None:
        """Token window applied: the loaded backend's, else the one the files declare."""
        return self._encoder.max_seq_length if self._encoder is not None else self.info.max_seq_length

    def provenance(self, *, dimension: int | None, max_seq_length: int | None = None) -> dict[str, Any]:
        """The provenance record: model, weights, backend, precision, quantisation, versions."""
        record = _model.provenance(
            self.info, dimension=dimension, max_seq_length=max_seq_length, normalize=self.normalize, prompt=self.prompt
        )
        record.update(
            {
                "model_fingerprint": self.short_fingerprint,
                "embedder_fingerprint": self.fingerprint,
                "backend": self.backend.name,
                "backend_source": self.backend_source,
                "precision": self.backend.precision,
                "quantization": self.backend.quantization,
                "backend_spec": self.spec(),
            }
        )
        if self._encoder is not None:
            record["backend_details"] = self._encoder.details
        return record


def as_embedder(
    model: Embedder | str | os.PathLike[str] | None = None,
    *,
    backend: str | None = None,
    device: str | None = None,
    normalize: bool = True,
    prompt: str | None = None,
    threads: int | str | None = None,
    n_paragraphs: int | None = None,
) -> Embedder:
    """An :class:`Embedder` from ``model=`` as callers pass it: an Embedder, a name, a path or None.

    Raises
    ------
    EmbeddingError
        When an Embedder is given together with a different ``backend``,
        ``normalize`` or ``prompt``.
    """
    if isinstance(model, Embedder):
        conflicts = []
        if backend is not None and backend not in (AUTO, model.backend.name):
            conflicts.append(f"backend={backend!r} (embedder: {model.backend.name!r})")
        if bool(normalize) != model.normalize:
            conflicts.append(f"normalize={normalize!r} (embedder: {model.normalize!r})")
        if prompt is not None and prompt != model.prompt:
            conflicts.append(f"prompt={prompt!r} (embedder: {model.prompt!r})")
        if conflicts:
            msg = f"got an Embedder and {', '.join(conflicts)}, expected the settings in one place: build the Embedder with them"
            raise EmbeddingError(msg)
        if threads is not None and threads != model.threads:
            model.threads, model._n_threads = threads, None
        return model
    return Embedder.create(
        model, backend=backend, device=device, normalize=normalize, prompt=prompt, threads=threads, n_paragraphs=n_paragraphs
    )


def matching(
    model: Embedder | str | os.PathLike[str] | None, embeddings: pl.DataFrame, *, normalize: bool = True, prompt: str | None = None
) -> Embedder | str | os.PathLike[str] | None:
    """The embedder that made ``embeddings``, for embedding more texts to compare with them.

    Functions that embed prototypes, headlines or pole sentences next to
    existing paragraph vectors call this, so the new vectors come from the
    same backend (by the ``model_fingerprint`` column) without the caller
    threading the backend through. An Embedder given as ``model`` is
    returned as is; when no registered backend of the model matches the
    fingerprint, ``model`` is returned unchanged and the caller's
    same-model check reports the mismatch.
    """
    if isinstance(model, Embedder) or "model_fingerprint" not in embeddings.columns or embeddings.height == 0:
        return model
    prints = embeddings["model_fingerprint"].drop_nulls().unique().to_list()
    if len(prints) != 1:
        return model
    try:
        info = _model.resolve_model(model)
    except EmbeddingError:
        return model
    for name in _backends.names():
        candidate = Embedder(info=info, backend=_backends.get(name), backend_source="matched", normalize=normalize, prompt=prompt)
        if candidate.short_fingerprint == prints[0]:
            return candidate if name != REFERENCE_BACKEND else model
    return model
