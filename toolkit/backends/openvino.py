"""OpenVINO backends: ``openvino`` (fp32) and ``openvino-bf16`` (bf16 arithmetic on CPUs that have it).

OpenVINO reads the graph the ``onnx`` backend exports with ``torch.onnx``
from the packaged weights (the standard-ops export, before ONNX Runtime's
own fused operators), compiles it for this CPU, and the tokenisation,
length-sorted batching and pooling are the ``onnx`` backend's, so only the
arithmetic differs. ``openvino-bf16`` asks the CPU plugin for bfloat16
inference (``INFERENCE_PRECISION_HINT``); it is offered only when the CPU
has native bf16 instructions (``avx512_bf16`` or AMX), where OpenVINO runs
the matrix products in bf16 with fp32 accumulation.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.backends import Backend, Encoder, register
from toolkit.backends.onnx import ONNX, ORTEncoder, _pipeline, cpu_flags
from toolkit.errors import EmbeddingError

if TYPE_CHECKING:  # pragma: no cover
    from toolkit.model import ModelInfo

_INSTALL = "pip install 'openvino==2026.4.1'"
_COMPILED: dict[tuple[str, str, int], Any] = {}


def has_native_bf16(flags: frozenset[str] | None = None) -> bool:
    """Whether the CPU computes bf16 natively (``avx512_bf16`` or AMX)."""
    flags = cpu_flags() if flags is None else flags
    return bool({"avx512_bf16", "amx_bf16"} & flags)


class OVEncoder(ORTEncoder):
    """The onnx backend's tokenizer and pooling around an OpenVINO compiled model."""

    def __init__(self, raw: Path, info: ModelInfo, precision: str) -> None:
        super().__init__(raw, info, "openvino")
        self.precision = precision
        self._requests: dict[int, Any] = {}
        self.details = {"openvino_version": metadata.version("openvino"), "onnx_sha256": self.details["onnx_sha256"],
                        "onnx_export": self.details["onnx_export"], "inference_precision": precision}

    def _compiled(self, threads: int) -> Any:
        key = (str(self.path), self.precision, threads)
        if key not in _COMPILED:
            import openvino as ov

            core = ov.Core()
            model = core.read_model(str(self.path))
            _COMPILED[key] = core.compile_model(
                model, "CPU", {"INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": self.precision, "PERFORMANCE_HINT": "LATENCY"}
            )
            hint = _COMPILED[key].get_property("INFERENCE_PRECISION_HINT")
            got = hint.get_type_name() if hasattr(hint, "get_type_name") else str(hint)
            if got != self.precision:
                msg = f"got OpenVINO inference precision {got!r}, expected {self.precision!r} on this CPU"
                raise EmbeddingError(msg)
        return _COMPILED[key]

    def _run(self, threads: int, feeds: dict[str, np.ndarray]) -> np.ndarray:
        compiled = self._compiled(threads)
        if threads not in self._requests:
            self._requests[threads] = compiled.create_infer_request()
        result = self._requests[threads].infer(feeds)
        return np.asarray(next(iter(result.values())), dtype=np.float32)


class OpenVINOBackend(Backend):
    def spec(self, info: ModelInfo) -> dict[str, Any]:
        return super().spec(info) | {"recipe": ONNX.recipe(info) | {"optimizer": None, "runtime": "openvino"}}

    def available(self) -> bool:
        return super().available() and (self.precision != "bf16" or has_native_bf16())

    def missing(self) -> list[str]:
        missing = super().missing()
        if self.precision == "bf16" and not missing and not has_native_bf16():
            missing.append("a CPU with avx512_bf16 or AMX")
        return missing

    def load(self, info: ModelInfo, *, device: str | None, artefacts: Path) -> Encoder:
        self.check_cpu(device)
        _pipeline(info)
        return OVEncoder(ONNX.raw_artefact(info, artefacts), info, "bf16" if self.precision == "bf16" else "f32")


_requires = ("openvino", "onnx", "tokenizers", "torch", "transformers")
register(
    OpenVINOBackend(
        name="openvino",
        description="OpenVINO, fp32, the torch.onnx export of the packaged weights compiled for this CPU",
        precision="fp32",
        quantization=None,
        requires=_requires,
        install=_INSTALL,
    )
)
register(
    OpenVINOBackend(
        name="openvino-bf16",
        description="OpenVINO with bf16 arithmetic (fp32 accumulation) on CPUs with native bf16 (avx512_bf16, AMX)",
        precision="bf16",
        quantization="bf16-inference",
        requires=_requires,
        install=_INSTALL,
    )
)
