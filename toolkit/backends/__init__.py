"""Embedding backends: the engines that turn texts into vectors for one model.

A backend is registered under a name (``sentence-transformers``, ``onnx``,
``onnx-int8``, ``openvino``, ``openvino-bf16``, ``static``) and says what it computes: its precision and
quantisation, which enter the cache address and the provenance record of
every vector it makes (see :class:`toolkit.embedder.Embedder`), so vectors
of two backends are never served for each other or mixed in one frame.

Every backend here runs the packaged weights offline. Heavy libraries
(torch, onnxruntime, model2vec) are imported only by :meth:`Backend.load`,
and a missing one fails with an :class:`~toolkit.errors.EmbeddingError`
naming the pip command.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.errors import EmbeddingError

if TYPE_CHECKING:  # pragma: no cover
    from toolkit.model import ModelInfo


class Encoder(ABC):
    """A loaded backend for one model: encodes texts and counts their tokens."""

    #: Token window actually applied (texts are truncated beyond it), or None.
    max_seq_length: int | None = None
    #: Backend-specific provenance (library versions, artefact sha256, CPU ISA).
    details: dict[str, Any]

    @abstractmethod
    def encode(self, texts: Sequence[str], *, batch_size: int, normalize: bool, prompt: str | None, threads: int) -> np.ndarray:
        """Return float32 vectors, one row per text, in input order."""

    @abstractmethod
    def token_counts(self, texts: Sequence[str], prompt: str | None) -> list[int]:
        """Tokens per text before truncation, special tokens included."""


@dataclass(frozen=True)
class Backend(ABC):
    """A registered way to run a model.

    Attributes
    ----------
    name : str
        Registry name (``backend=`` / ``--backend`` / ``TOOLKIT_BACKEND``).
    description : str
        One line for :func:`toolkit.embedding_backends`.
    precision : str
        Arithmetic: ``fp32``, ``int8``, ``bf16`` or ``static``.
    quantization : str or None
        How the weights were reduced, e.g. ``dynamic-int8-u8s8``; None for full precision.
    requires : tuple of str
        Importable modules the backend needs.
    install : str
        pip command that provides them.
    """

    name: str
    description: str
    precision: str = "fp32"
    quantization: str | None = None
    requires: tuple[str, ...] = field(default=())
    install: str = ""

    def missing(self) -> list[str]:
        """Modules this backend needs that are not installed."""
        return [m for m in self.requires if importlib.util.find_spec(m) is None]

    def available(self) -> bool:
        """Whether every module it needs is installed (nothing is imported)."""
        return not self.missing()

    def check(self) -> None:
        """Raise an :class:`EmbeddingError` with an install hint when unavailable."""
        missing = self.missing()
        if missing:
            msg = f"got backend {self.name!r} without the module(s) {missing}, expected them installed: {self.install}"
            raise EmbeddingError(msg)

    def check_cpu(self, device: str | None) -> None:
        """:meth:`check`, and refuse any device but the CPU (for CPU-only runtimes)."""
        self.check()
        if device not in (None, "cpu"):
            msg = f"got device={device!r} for backend {self.name!r}, expected 'cpu' (this runtime runs on the CPU)"
            raise EmbeddingError(msg)

    def spec(self, info: ModelInfo) -> dict[str, Any]:
        """What, besides the model files, decides this backend's vectors (enters cache keys)."""
        return {"backend": self.name, "precision": self.precision, "quantization": self.quantization}

    @abstractmethod
    def load(self, info: ModelInfo, *, device: str | None, artefacts: Path) -> Encoder:
        """Load (building artefacts under ``artefacts`` on first use) and return an encoder."""


_REGISTRY: dict[str, Backend] = {}


def register(backend: Backend) -> Backend:
    """Add ``backend`` to the registry under its name (replacing one of that name)."""
    _REGISTRY[backend.name] = backend
    return backend


_BUILTIN_ORDER = ("sentence-transformers", "onnx", "onnx-int8", "openvino", "openvino-bf16", "static")


def names() -> list[str]:
    """Registered backend names: the built-in ones (reference first), then others in registration order."""
    _ensure_builtin()
    rank = {name: i for i, name in enumerate(_BUILTIN_ORDER)}
    return sorted(_REGISTRY, key=lambda n: rank.get(n, len(rank)))


def get(name: str) -> Backend:
    """Return the backend registered as ``name``.

    Raises
    ------
    EmbeddingError
        ``got 'x', expected one of [...]`` for an unknown name.
    """
    _ensure_builtin()
    if name not in _REGISTRY:
        msg = f"got backend {name!r}, expected one of {names()} (or 'auto')"
        raise EmbeddingError(msg)
    return _REGISTRY[name]


_LOADED_BUILTIN = False


def _ensure_builtin() -> None:
    global _LOADED_BUILTIN
    if not _LOADED_BUILTIN:
        _LOADED_BUILTIN = True
        # Importing a backend module registers it; names() orders them.
        from toolkit.backends import onnx as _onnx  # noqa: F401  (onnx, onnx-int8)
        from toolkit.backends import openvino as _openvino  # noqa: F401  (openvino, openvino-bf16)
        from toolkit.backends import st as _st  # noqa: F401
        from toolkit.backends import static as _static  # noqa: F401


def mean_pool(hidden: np.ndarray, mask: np.ndarray, *, normalize: bool) -> np.ndarray:
    """sentence-transformers' mean pooling (and Normalize) in numpy.

    ``sum(h * mask) / clamp(sum(mask), 1e-9)`` as in ``Pooling`` with
    ``pooling_mode_mean_tokens``, then ``x / max(||x||, 1e-12)`` as
    ``torch.nn.functional.normalize`` in the ``Normalize`` module.
    """
    m = mask[..., None].astype(hidden.dtype)
    summed = (hidden * m).sum(axis=1)
    vectors = summed / np.clip(m.sum(axis=1), 1e-9, None)
    if normalize:
        vectors = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
    return vectors.astype(np.float32, copy=False)
