"""ONNX Runtime backends: ``onnx`` (fp32, graph-optimised) and ``onnx-int8`` (dynamic int8).

The graph is exported from the packaged weights with ``torch.onnx.export``
(the TorchScript exporter, ``dynamo=False``; optimum-onnx is not used: it
needs transformers < 4.58 and the toolkit pins transformers 5.x) on first
use, optimised with ONNX Runtime's transformer optimizer (fused attention,
skip-LayerNorm and GELU for BERT models), and for ``onnx-int8`` quantised
with ``onnxruntime.quantization.quantize_dynamic``. Artefacts are built in a
private temporary folder and renamed into place, so concurrent first uses
never see half a file; a ``build.json`` beside each records the recipe and
the file's sha256, checked on every load.

Tokenisation uses the model's own ``tokenizer.json`` (the fast tokenizer
sentence-transformers runs), truncation at ``max_seq_length``, and mean
pooling plus normalisation as sentence-transformers' ``Pooling`` and
``Normalize`` modules do, so fp32 vectors agree with the reference to
float rounding. Texts are sorted by token length and batched, so padding
is small.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.backends import Backend, Encoder, mean_pool, register
from toolkit.errors import EmbeddingError

if TYPE_CHECKING:  # pragma: no cover
    from toolkit.model import ModelInfo

OPSET = 17
_EXPORT_RECIPE = 1  # bump when the export or optimisation steps change
_INSTALL = "pip install 'onnxruntime==1.32.0' 'onnx==1.23.2' 'onnxscript==0.7.2'"
# Sessions per (artefact, threads): building one takes a second.
_SESSIONS: dict[tuple[str, int], Any] = {}


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from ``/proc/cpuinfo`` (empty where it is not readable)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def int8_recipe(flags: frozenset[str] | None = None) -> dict[str, Any]:
    """Dynamic int8 settings for the CPU's instruction set.

    ONNX Runtime's int8 kernels multiply uint8 activations by int8 weights
    (U8S8). With VNNI (``avx512_vnni``, ``avx_vnni``) or AMX that product is
    exact in one instruction; on plain AVX2/AVX-512 the ``vpmaddubsw`` path
    can saturate, and ONNX Runtime's advice is 7-bit weights
    (``reduce_range``). Weights are per channel. The MatMuls and the fused
    attention (its Q, K, V projection) are quantised; the embedding Gather
    stays fp32 (quantising it cost cosine). Variants measured on 800 news
    paragraphs (docs/embeddings.md) all stayed below kNN@10 0.95; this one
    was the fastest.
    """
    flags = cpu_flags() if flags is None else flags
    if {"avx512_vnni", "avx_vnni", "amx_int8"} & flags:
        isa = "vnni"
    elif "avx2" in flags:
        isa = "avx2"
    else:
        isa = "generic"
    return {"weight_type": "QInt8", "activation_type": "QUInt8", "per_channel": True, "reduce_range": isa != "vnni",
            "op_types": ["MatMul", "Attention"], "isa": isa}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _pipeline(info: ModelInfo) -> dict[str, Any]:
    """Check the model is Transformer + mean Pooling (+ Normalize) and return its settings."""
    path = info.path
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        msg = f"got no readable modules.json in {path}, expected a sentence-transformers model for the ONNX backends"
        raise EmbeddingError(msg) from exc
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    pooling: dict[str, Any] = {}
    if kinds[:2] == ["Transformer", "Pooling"]:
        pool_dir = path / modules[1].get("path", "")
        pooling = json.loads((pool_dir / "config.json").read_text(encoding="utf-8"))
    mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
        v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
    )
    if not mean_only or kinds[2:] not in ([], ["Normalize"]):
        msg = f"got modules {kinds} ({path}), expected Transformer, mean Pooling and optionally Normalize for the ONNX backends; use backend='sentence-transformers'"
        raise EmbeddingError(msg)
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    window = info.max_seq_length or config.get("max_position_embeddings") or 512
    window = min(window, config.get("max_position_embeddings") or window)
    return {
        "normalize_module": kinds[2:] == ["Normalize"],
        "include_prompt": pooling.get("include_prompt", True),
        "max_seq_length": int(window),
        "config": config,
    }


def _export_raw(info: ModelInfo, folder: Path) -> Path:
    """Export the transformer (standard ONNX ops) to ``folder/model.onnx``."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(info.path), local_files_only=True, attn_implementation="eager").eval()

    class _Hidden(torch.nn.Module):
        # Named tensors in, last_hidden_state out: pooling is done outside the graph.
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones(2, 8, dtype=torch.long) if n != "token_type_ids" else torch.zeros(2, 8, dtype=torch.long) for n in names)
    out = folder / "model.onnx"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            _Hidden(model), dummy, str(out), input_names=names, output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]},
            opset_version=OPSET, dynamo=False,
        )
    return out


def _optimise(raw: Path, info: ModelInfo, folder: Path) -> Path:
    """ONNX Runtime's transformer optimizer (fused attention, skip-LayerNorm, GELU) for BERT models."""
    config = _pipeline(info)["config"]
    out = folder / "model.onnx"
    if config.get("model_type") == "bert":
        from onnxruntime.transformers.optimizer import optimize_model

        optimized = optimize_model(
            str(raw), model_type="bert", num_heads=int(config["num_attention_heads"]), hidden_size=int(config["hidden_size"]),
        )
        optimized.save_model_to_file(str(out))
    else:  # other architectures: ONNX Runtime's session-level optimisations only
        shutil.copyfile(raw, out)
    return out


def _quantize(source: Path, folder: Path, recipe: dict[str, Any]) -> Path:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = folder / "model.onnx"
    quantize_dynamic(
        str(source), str(out),
        op_types_to_quantize=recipe["op_types"],
        per_channel=recipe["per_channel"],
        reduce_range=recipe["reduce_range"],
        weight_type=getattr(QuantType, recipe["weight_type"]),
        # The optimizer's fused ops defeat shape inference; their outputs are float.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    return out


def _build(artefacts: Path, key: str, recipe: dict[str, Any], make) -> Path:
    """Return ``artefacts/key/<file>``, building it atomically on first use.

    ``make(tmp)`` writes into a private temporary folder and returns the
    file to checksum; the folder is renamed to ``artefacts/key`` when
    complete, with a ``build.json`` holding the recipe and that sha256.
    """
    final = artefacts / key
    record = final / "build.json"
    if record.is_file():
        try:
            meta = json.loads(record.read_text(encoding="utf-8"))
            path = final / meta["file"]
            if path.is_file() and meta["sha256"] == _sha256(path):
                return path
        except (OSError, ValueError, KeyError):
            pass
        # Damaged or foreign: rebuild.
        shutil.rmtree(final, ignore_errors=True)
    artefacts.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=artefacts))  # private, unpredictable name
    try:
        built = make(tmp)
        name = built.relative_to(tmp).as_posix()
        meta = recipe | {"file": name, "sha256": _sha256(built), "torch": _version("torch"), "onnxruntime": _version("onnxruntime"),
                         "onnx": _version("onnx"), "transformers": _version("transformers")}
        (tmp / "build.json").write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / "build.json").is_file():
                raise
            # Another process finished first: use its copy.
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final / name


class ORTEncoder(Encoder):
    """An ONNX Runtime session with the model's tokenizer and sentence-transformers' pooling."""

    def __init__(self, model: Path, info: ModelInfo, backend: str) -> None:
        from tokenizers import Tokenizer

        settings = _pipeline(info)
        self.path = model
        self.max_seq_length = settings["max_seq_length"]
        self.normalize_module = settings["normalize_module"]
        self.include_prompt = settings["include_prompt"]
        self.counter = Tokenizer.from_file(str(info.path / "tokenizer.json"))
        self.counter.no_truncation()
        self.counter.no_padding()
        self.truncating = Tokenizer.from_file(str(info.path / "tokenizer.json"))
        self.truncating.no_padding()
        self.truncating.enable_truncation(max_length=self.max_seq_length)
        build = json.loads((model.parent / "build.json").read_text(encoding="utf-8"))
        self.details = {
            "onnxruntime_version": _version("onnxruntime"),
            "onnx_sha256": build["sha256"],
            "onnx_export": {k: build.get(k) for k in ("exporter", "opset", "optimizer", "recipe", "torch", "transformers")},
        }
        if "isa" in build:
            self.details["cpu_isa"] = build["isa"]
            self.details["quantization_recipe"] = {k: build[k] for k in ("weight_type", "activation_type", "per_channel", "reduce_range", "op_types")}

    def _session(self, threads: int) -> Any:
        key = (str(self.path), threads)
        if key not in _SESSIONS:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # Idle threads sleep instead of spinning: on a shared machine spinning
            # burns the CPU other processes need.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.log_severity_level = 3
            _SESSIONS[key] = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        return _SESSIONS[key]

    def _run(self, threads: int, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """last_hidden_state for one padded batch."""
        return self._session(threads).run(None, feeds)[0]

    def _ids(self, texts: Sequence[str], prompt: str | None) -> tuple[list[list[int]], list[int]]:
        texts = [prompt + t for t in texts] if prompt else list(texts)
        full = self.counter.encode_batch(texts)
        counts = [len(e.ids) for e in full]
        long = [i for i, n in enumerate(counts) if n > self.max_seq_length]
        ids = [e.ids for e in full]
        if long:
            for i, e in zip(long, self.truncating.encode_batch([texts[i] for i in long]), strict=True):
                ids[i] = e.ids
        return ids, counts

    def token_counts(self, texts: Sequence[str], prompt: str | None) -> list[int]:
        return self._ids(texts, prompt)[1]

    def encode(self, texts: Sequence[str], *, batch_size: int, normalize: bool, prompt: str | None, threads: int) -> np.ndarray:
        if prompt and not self.include_prompt:
            msg = "got a prompt for a model whose pooling excludes prompt tokens, expected backend='sentence-transformers' for it"
            raise EmbeddingError(msg)
        ids, _ = self._ids(texts, prompt)
        lengths = np.array([len(x) for x in ids])
        order = np.argsort(-lengths, kind="stable")  # longest first, like sentence-transformers
        out: np.ndarray | None = None
        for start in range(0, len(ids), batch_size):
            rows = order[start : start + batch_size]
            width = int(lengths[rows].max())
            input_ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for j, row in enumerate(rows):
                input_ids[j, : lengths[row]] = ids[row]
                mask[j, : lengths[row]] = 1
            hidden = self._run(threads, {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)})
            vectors = mean_pool(hidden, mask, normalize=normalize or self.normalize_module)
            if out is None:
                out = np.zeros((len(ids), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        assert out is not None
        return out


class ONNXBackend(Backend):
    """fp32 graph exported with torch.onnx, optimised, run by ONNX Runtime."""

    def recipe(self, info: ModelInfo) -> dict[str, Any]:
        return {"exporter": "torch.onnx(dynamo=False)", "opset": OPSET, "optimizer": "onnxruntime.transformers(bert)",
                "recipe": _EXPORT_RECIPE}

    def spec(self, info: ModelInfo) -> dict[str, Any]:
        return super().spec(info) | {"recipe": self.recipe(info)}

    def _key(self, info: ModelInfo) -> str:
        blob = json.dumps({"weights": info.fingerprint, "recipe": self.recipe(info)}, sort_keys=True)
        return f"{self.name}-{info.fingerprint[:12]}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"

    def raw_artefact(self, info: ModelInfo, artefacts: Path) -> Path:
        """The exported graph before optimisation (standard ops only; OpenVINO reads it)."""
        recipe = {k: v for k, v in ONNXBackend.recipe(self, info).items() if k != "optimizer"}
        blob = json.dumps({"weights": info.fingerprint, "recipe": recipe}, sort_keys=True)
        key = f"onnx-raw-{info.fingerprint[:12]}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"
        return _build(artefacts, key, recipe, lambda tmp: _export_raw(info, tmp))

    def artefact(self, info: ModelInfo, artefacts: Path) -> Path:
        """Path of the ONNX file, built on first use."""
        raw = self.raw_artefact(info, artefacts)
        return _build(artefacts, self._key(info), self.recipe(info), lambda tmp: _optimise(raw, info, tmp))

    def load(self, info: ModelInfo, *, device: str | None, artefacts: Path) -> Encoder:
        self.check_cpu(device)
        _pipeline(info)
        return ORTEncoder(self.artefact(info, artefacts), info, self.name)


class ONNXInt8Backend(ONNXBackend):
    """The fp32 graph with MatMul weights quantised to int8 (dynamic activations)."""

    def recipe(self, info: ModelInfo) -> dict[str, Any]:
        return ONNX.recipe(info) | int8_recipe()

    def artefact(self, info: ModelInfo, artefacts: Path) -> Path:
        source = ONNX.artefact(info, artefacts)
        recipe = self.recipe(info)
        return _build(artefacts, self._key(info), recipe, lambda tmp: _quantize(source, tmp, recipe))


_requires = ("onnxruntime", "onnx", "tokenizers", "torch", "transformers")
ONNX = register(
    ONNXBackend(
        name="onnx",
        description="ONNX Runtime, fp32, graph exported from the packaged weights and optimised (CPU)",
        precision="fp32",
        quantization=None,
        requires=_requires,
        install=_INSTALL,
    )
)
ONNX_INT8 = register(
    ONNXInt8Backend(
        name="onnx-int8",
        description="ONNX Runtime, dynamic int8 quantisation of the MatMul weights for this CPU's instruction set",
        precision="int8",
        quantization="dynamic-int8",
        requires=_requires,
        install=_INSTALL,
    )
)
