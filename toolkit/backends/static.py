"""``static``: a model2vec static model distilled locally from the packaged MiniLM.

Each token's vector is precomputed once (one forward pass of the
transformer per vocabulary entry, then PCA to 256 dimensions and SIF
weighting, model2vec's defaults); a paragraph is the mean of its tokens'
vectors. That is hundreds of times faster than the transformer and loses
context, so its vectors are for exploration only: the backend is never a
default, and loading it warns with its measured agreement with the
reference (``benchmarks/bench_embed.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.backends import Backend, Encoder, register
from toolkit.backends.onnx import _build

if TYPE_CHECKING:  # pragma: no cover
    from toolkit.model import ModelInfo

# Measured by benchmarks/bench_embed.py against the reference (see docs/embeddings.md).
MEASURED = "kNN@10 overlap 0.27, cluster ARI 0.25 vs sentence-transformers on 2,500 news paragraphs"
_RECIPE = {"distiller": "model2vec.distill", "pca_dims": 256, "sif_coefficient": 1e-4, "quantize_to": "float32", "recipe": 1}


class StaticQualityWarning(UserWarning):
    """The static backend's vectors are far from the reference: exploration only."""


class StaticEncoder(Encoder):
    def __init__(self, folder: Path, info: ModelInfo) -> None:
        from model2vec import StaticModel
        from tokenizers import Tokenizer

        self.model = StaticModel.from_pretrained(str(folder), force_download=False)
        self.max_seq_length = info.max_seq_length
        self.counter = Tokenizer.from_file(str(info.path / "tokenizer.json"))
        self.counter.no_truncation()
        self.counter.no_padding()
        self.details: dict[str, Any] = {"model2vec_version": metadata.version("model2vec"), "distillation": _RECIPE,
                                        "measured_quality": MEASURED}

    def token_counts(self, texts: Sequence[str], prompt: str | None) -> list[int]:
        texts = [prompt + t for t in texts] if prompt else list(texts)
        return [len(e.ids) for e in self.counter.encode_batch(texts)]

    def encode(self, texts: Sequence[str], *, batch_size: int, normalize: bool, prompt: str | None, threads: int) -> np.ndarray:
        texts = [prompt + t for t in texts] if prompt else list(texts)
        vectors = self.model.encode(texts, max_length=self.max_seq_length, normalize=normalize, batch_size=max(batch_size, 1024),
                                    use_multiprocessing=False)
        return np.asarray(vectors, dtype=np.float32)


def _distill(info: ModelInfo, folder: Path) -> Path:
    from model2vec.distill import distill

    model = distill(model_name=str(info.path), pca_dims=_RECIPE["pca_dims"], sif_coefficient=_RECIPE["sif_coefficient"],
                    quantize_to=_RECIPE["quantize_to"], device="cpu")
    model.save_pretrained(str(folder / "static"))
    return folder / "static"


def _weights(folder: Path) -> Path:
    """The distilled weights file: the one _build checksums."""
    return next(p for p in sorted(folder.iterdir()) if p.suffix == ".safetensors")


class StaticBackend(Backend):
    def spec(self, info: ModelInfo) -> dict[str, Any]:
        return super().spec(info) | {"recipe": _RECIPE}

    def load(self, info: ModelInfo, *, device: str | None, artefacts: Path) -> Encoder:
        import hashlib
        import json

        self.check()
        key = "static-" + info.fingerprint[:12] + "-" + hashlib.sha256(json.dumps(_RECIPE, sort_keys=True).encode()).hexdigest()[:12]
        weights = _build(artefacts, key, dict(_RECIPE), lambda tmp: _weights(_distill(info, tmp)))
        warnings.warn(f"backend 'static' is for exploration only: {MEASURED}", StaticQualityWarning, stacklevel=3)
        return StaticEncoder(weights.parent, info)


register(
    StaticBackend(
        name="static",
        description="model2vec static embeddings distilled locally from the packaged model: very fast, exploration only (quality printed when used)",
        precision="static",
        quantization="model2vec-distilled",
        requires=("model2vec", "tokenizers", "torch", "transformers"),
        install="pip install 'model2vec==0.10.0'",
    )
)
