"""The reference backend: the model run by sentence-transformers in torch, fp32.

Its vectors are the ones every other backend is measured against, and the
toolkit's vectors before backends existed: same cache namespace, same
``model_fingerprint``, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.backends import Backend, Encoder, register

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

    from toolkit.model import ModelInfo

NAME = "sentence-transformers"


class STEncoder(Encoder):
    """A loaded SentenceTransformer (shared through ``toolkit.embedding._LOADED``)."""

    def __init__(self, model: SentenceTransformer) -> None:
        self.model = model
        self.max_seq_length = model.max_seq_length
        self.details: dict[str, Any] = {}

    def encode(self, texts: Sequence[str], *, batch_size: int, normalize: bool, prompt: str | None, threads: int) -> np.ndarray:
        from toolkit.model import torch_threads

        with torch_threads(threads):
            return self.model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=normalize,
                prompt=prompt,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32, copy=False)

    def token_counts(self, texts: Sequence[str], prompt: str | None) -> list[int]:
        if prompt:
            texts = [prompt + t for t in texts]
        ids = self.model.tokenizer(
            list(texts),
            add_special_tokens=True,
            truncation=False,
            return_attention_mask=False,
            return_token_type_ids=False,
            verbose=False,  # no "sequence longer than ..." warning: we count them instead
        )["input_ids"]
        return [len(x) for x in ids]


class SentenceTransformersBackend(Backend):
    """sentence-transformers in torch, fp32: the reference."""

    def spec(self, info: ModelInfo) -> dict[str, Any]:
        # None: the reference keeps the cache namespace it had before backends existed.
        return {}

    def load(self, info: ModelInfo, *, device: str | None, artefacts: Path) -> Encoder:
        from toolkit import embedding as _embedding

        # Through embedding._get_model so notebooks share one loaded model per process.
        return STEncoder(_embedding._get_model(info, device, quiet=True))


register(
    SentenceTransformersBackend(
        name=NAME,
        description="reference: sentence-transformers in torch, fp32 (the toolkit's vectors before backends existed)",
        precision="fp32",
        quantization=None,
        requires=("sentence_transformers", "torch"),
        install="pip install 'sentence-transformers==6.2.0' 'torch==2.13.0'",
    )
)
