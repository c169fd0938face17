"""``static``: static token vectors distilled locally from the packaged MiniLM (model2vec's recipe).

Each vocabulary token is run once through the transformer as ``[CLS] token
[SEP]`` and mean-pooled; the vectors are reduced to 256 dimensions by PCA
and weighted by SIF with Zipf-estimated frequencies (``1e-4 / (1e-4 +
p(rank))``), as model2vec's ``distill`` does by default. A paragraph is
then the mean of its tokens' vectors, normalised: hundreds of times faster
than the transformer, and blind to context and word order.

model2vec itself is not used: its ``distill`` extra requires transformers
< 5.4, the toolkit pins transformers 5.23. The forward passes run on the
``onnx`` backend's exported graph, so the weights are the packaged ones and
nothing is downloaded.

Its vectors are for exploration only: the backend is never a default, and
loading it warns with its measured agreement with the reference
(``benchmarks/bench_embed.py``; docs/embeddings.md).
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.backends import Backend, Encoder, mean_pool, register
from toolkit.backends.onnx import ONNX, _build

if TYPE_CHECKING:  # pragma: no cover
    from toolkit.model import ModelInfo

# Measured by `python benchmarks/bench_embed.py` against the reference (docs/embeddings.md).
MEASURED = ("measured against sentence-transformers on 1,500 news paragraphs: kNN@10 overlap 0.325, cluster ARI 0.020 "
            "(UMAP + HDBSCAN) and 0.319 (k-means, k=20); 209-331x faster (docs/embeddings.md)")
RECIPE: dict[str, Any] = {"distiller": "model2vec recipe (toolkit)", "pca_dims": 256, "sif_coefficient": 1e-4,
                          "skip_tokens": r"\[unused\d+\]|\[PAD\]|\[CLS\]|\[SEP\]|\[MASK\]", "recipe": 1}


class StaticQualityWarning(UserWarning):
    """The static backend's vectors are far from the reference: exploration only."""


def distill_vectors(info: ModelInfo, artefacts: Path, *, batch_size: int = 512, threads: int = 1) -> np.ndarray:
    """Token x dimension matrix (float32) of the distilled static model; skipped tokens are zero rows."""
    from tokenizers import Tokenizer

    from toolkit.backends.onnx import ORTEncoder

    tokenizer = Tokenizer.from_file(str(info.path / "tokenizer.json"))
    vocab = tokenizer.get_vocab()
    size = max(vocab.values()) + 1
    skip = re.compile(RECIPE["skip_tokens"])
    kept = sorted(i for t, i in vocab.items() if not skip.fullmatch(t))
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    encoder = ORTEncoder(ONNX.artefact(info, artefacts), info, "onnx")
    session = encoder._session(threads)
    parts = []
    for start in range(0, len(kept), batch_size):
        ids = np.array([[cls_id, t, sep_id] for t in kept[start : start + batch_size]], dtype=np.int64)
        mask = np.ones_like(ids)
        (hidden,) = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
        parts.append(mean_pool(hidden, mask, normalize=False))
    pooled = np.concatenate(parts).astype(np.float64)
    # PCA to pca_dims (centred, by eigendecomposition of the covariance: deterministic).
    centred = pooled - pooled.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred / (len(centred) - 1))
    top = vectors[:, np.argsort(values)[::-1][: RECIPE["pca_dims"]]]
    top *= np.where(top[np.abs(top).argmax(axis=0), np.arange(top.shape[1])] < 0, -1.0, 1.0)  # fixed sign per component
    reduced = centred @ top
    # SIF weights by Zipf rank (token id order, as model2vec's sorted vocabulary).
    inv_rank = 1 / np.arange(2, len(kept) + 2)
    proba = inv_rank / inv_rank.sum()
    reduced *= (RECIPE["sif_coefficient"] / (RECIPE["sif_coefficient"] + proba))[:, None]
    table = np.zeros((size, reduced.shape[1]), dtype=np.float32)
    table[kept] = reduced
    return table


class StaticEncoder(Encoder):
    def __init__(self, table: Path, info: ModelInfo) -> None:
        from tokenizers import Tokenizer

        self.table = np.load(table, allow_pickle=False)
        self.max_seq_length = info.max_seq_length
        self.counter = Tokenizer.from_file(str(info.path / "tokenizer.json"))
        self.counter.no_truncation()
        self.counter.no_padding()
        self.details: dict[str, Any] = {"distillation": RECIPE, "measured_quality": MEASURED}

    def token_counts(self, texts: Sequence[str], prompt: str | None) -> list[int]:
        texts = [prompt + t for t in texts] if prompt else list(texts)
        return [len(e.ids) for e in self.counter.encode_batch(texts)]

    def encode(self, texts: Sequence[str], *, batch_size: int, normalize: bool, prompt: str | None, threads: int) -> np.ndarray:
        texts = [prompt + t for t in texts] if prompt else list(texts)
        window = self.max_seq_length or 512
        rows = [e.ids[:window] for e in self.counter.encode_batch(texts, add_special_tokens=False)]
        lengths = np.array([max(len(r), 1) for r in rows])
        flat = np.fromiter((i for r in rows for i in r), dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum([len(r) for r in rows])[:-1]])
        sums = np.zeros((len(rows), self.table.shape[1]), dtype=np.float32)
        nonempty = np.array([len(r) > 0 for r in rows])
        if flat.size:
            sums[nonempty] = np.add.reduceat(self.table[flat], starts[nonempty], axis=0)
        vectors = sums / lengths[:, None]
        if normalize:
            vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        return vectors.astype(np.float32, copy=False)


class StaticBackend(Backend):
    def spec(self, info: ModelInfo) -> dict[str, Any]:
        return super().spec(info) | {"recipe": RECIPE}

    def load(self, info: ModelInfo, *, device: str | None, artefacts: Path) -> Encoder:
        self.check()
        blob = json.dumps({"weights": info.fingerprint, "recipe": RECIPE, "onnx": ONNX.recipe(info)}, sort_keys=True)
        key = f"static-{info.fingerprint[:12]}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"

        def make(tmp: Path) -> Path:
            np.save(tmp / "static.npy", distill_vectors(info, artefacts), allow_pickle=False)
            return tmp / "static.npy"

        table = _build(artefacts, key, dict(RECIPE), make)
        warnings.warn(f"backend 'static' is for exploration only ({MEASURED})", StaticQualityWarning, stacklevel=3)
        return StaticEncoder(table, info)


register(
    StaticBackend(
        name="static",
        description="static token vectors distilled locally from the packaged model (model2vec's recipe): very fast, "
        "exploration only, its measured quality is printed when used",
        precision="static",
        quantization="distilled-static-pca256",
        requires=("onnxruntime", "onnx", "tokenizers", "torch", "transformers"),
        install="pip install 'onnxruntime==1.32.0' 'onnx==1.23.2' 'onnxscript==0.7.2'",
    )
)
