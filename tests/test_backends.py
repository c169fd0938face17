"""Embedding backends: registry, choice, vectors against the reference, cache keys, provenance."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

import toolkit
import toolkit.embedding as te
from toolkit import backends as tb
from toolkit import cache as tc
from toolkit import embedder as tem
from toolkit import model as tm
from toolkit.backends import onnx as tonnx
from toolkit.errors import EmbeddingError
from toolkit.schema import model_fingerprints

LONG = " ".join(["The central bank held its benchmark rate steady, citing household debt and a weak currency."] * 30)
NAMES = ["sentence-transformers", "onnx", "onnx-int8", "openvino", "openvino-bf16", "static"]
# Bounds for int8 and bf16 against the reference on the seeds (docs/embeddings.md); fp32 must agree to rounding.
INT8_MIN_COSINE = 0.97
BF16_MIN_COSINE = 0.999


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TOOLKIT_MODEL", raising=False)
    monkeypatch.delenv(tem.ENV_BACKEND, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def seeds(seed_corpus):
    """Seed paragraphs (distinct texts) and their reference vectors from plain sentence-transformers."""
    from sentence_transformers import SentenceTransformer

    frame = seed_corpus.paragraphs.unique("text", keep="first", maintain_order=True).select("paragraph_id", "text")
    frame = pl.concat([frame, pl.DataFrame({"paragraph_id": ["long"], "text": [LONG]})])
    st = SentenceTransformer(str(tm.resolve_model().path), device="cpu")
    with tm.torch_threads(1):
        reference = st.encode(frame["text"].to_list(), batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    return frame, reference


def test_backends_frame_lists_the_registry():
    frame = toolkit.embedding_backends()
    assert frame.columns == ["name", "available", "description"]
    assert frame.schema["available"] == pl.Boolean
    assert frame["name"].to_list() == NAMES  # the reference first
    assert frame.filter(pl.col("name").is_in(["sentence-transformers", "onnx", "onnx-int8", "openvino"]))["available"].all()
    assert all(len(d) > 20 for d in frame["description"].to_list())


def test_unknown_backend_is_a_clear_error(seeds):
    frame, _ = seeds
    with pytest.raises(EmbeddingError, match=r"got backend 'x', expected one of \['sentence-transformers', 'onnx', 'onnx-int8', 'openvino', 'openvino-bf16', 'static'\]"):
        toolkit.embed(frame.head(2), backend="x", progress=False)


def test_missing_library_names_the_pip_command(monkeypatch):
    backend = tb.get("onnx")
    monkeypatch.setattr(type(backend), "missing", lambda self: ["onnxruntime"])
    with pytest.raises(EmbeddingError, match=r"got backend 'onnx' without the module\(s\) \['onnxruntime'\], expected them installed: pip install 'onnxruntime=="):
        tem.Embedder.create(backend="onnx").load()
    frame = toolkit.embedding_backends()
    row = frame.filter(pl.col("name") == "onnx").row(0, named=True)
    assert row["available"] is False and "pip install 'onnxruntime==" in row["description"]


def test_choice_argument_env_auto(monkeypatch):
    assert tem.choose_backend() == ("sentence-transformers", "default:auto")
    assert tem.choose_backend(n_paragraphs=tem.AUTO_MIN_PARAGRAPHS - 1)[0] == "sentence-transformers"
    assert tem.choose_backend(n_paragraphs=tem.AUTO_MIN_PARAGRAPHS) == (tem.fast_backend(), "default:auto")
    assert tem.fast_backend() in tem.FAST_BACKENDS
    assert tem.choose_backend(n_paragraphs=10**6, device="cuda")[0] == "sentence-transformers"
    monkeypatch.setenv(tem.ENV_BACKEND, "onnx-int8")
    assert tem.choose_backend() == ("onnx-int8", "env")
    assert tem.choose_backend("onnx") == ("onnx", "argument")
    monkeypatch.setenv(tem.ENV_BACKEND, "nope")
    with pytest.raises(EmbeddingError, match="got backend 'nope', expected one of"):
        tem.choose_backend()


def test_default_is_the_reference_byte_for_byte(seeds):
    """backend=None on a small run: today's vectors, fingerprint column and cache namespace."""
    frame, reference = seeds
    out, report = te.embed_with_report(frame, cache=False, progress=False, threads=1)
    assert np.array_equal(out["embedding"].to_numpy(), reference)
    info = tm.resolve_model()
    assert out["model_fingerprint"].unique().to_list() == [info.short_fingerprint]
    old_namespace = tc.namespace_key(fingerprint=info.fingerprint, max_seq_length=256, normalize=True, prompt=None)
    assert tem.Embedder.create().namespace() == old_namespace
    assert (report.provenance["backend"], report.provenance["backend_source"]) == ("sentence-transformers", "default:auto")


@pytest.mark.parametrize(
    ("backend", "bound"),
    [("onnx", 0.9999), ("onnx-int8", INT8_MIN_COSINE), ("openvino", 0.9999), ("openvino-bf16", BF16_MIN_COSINE)],
)
def test_fast_vectors_agree_with_the_reference_on_the_seeds(seeds, backend, bound):
    if not tb.get(backend).available():
        pytest.skip(f"{backend}: {tb.get(backend).missing()}")
    frame, reference = seeds
    out, report = te.embed_with_report(frame, backend=backend, cache=False, progress=False)
    got = out["embedding"].to_numpy()
    assert got.shape == reference.shape
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cos = (got * reference).sum(axis=1)
    assert cos.min() > bound, (backend, float(cos.min()))
    if tb.get(backend).precision == "fp32":
        assert cos.mean() > 0.99999
    else:  # int8 / bf16 really are another computation: not bit-identical to fp32
        assert cos.mean() < 0.99999
    # The window and the truncation count follow the model's own tokenizer.
    assert report.truncated == 1 and report.provenance["max_seq_length"] == 256


def test_cache_keys_fingerprints_and_provenance_differ_per_backend(seeds):
    frame, _ = seeds
    embedders = [tem.Embedder.create(backend=name) for name in NAMES]
    assert len({e.namespace() for e in embedders}) == len(NAMES)
    assert len({e.short_fingerprint for e in embedders}) == len(NAMES)
    small = frame.head(5)
    ref, r_ref = te.embed_with_report(small, progress=False)
    fast, r_fast = te.embed_with_report(small, backend="onnx", progress=False)
    assert (r_ref.misses, r_fast.misses, r_fast.hits) == (5, 5, 0)  # never served the other backend's vectors
    again, r_again = te.embed_with_report(small, backend="onnx", progress=False)
    assert (r_again.hits, r_again.model_loaded) == (5, False)
    assert np.array_equal(again["embedding"].to_numpy(), fast["embedding"].to_numpy())
    prov = r_fast.provenance
    assert (prov["backend"], prov["precision"], prov["quantization"], prov["backend_source"]) == ("onnx", "fp32", None, "argument")
    assert prov["model_fingerprint"] == fast["model_fingerprint"][0] != ref["model_fingerprint"][0]
    assert prov["weights_sha256"] == r_ref.provenance["weights_sha256"]
    assert len(prov["backend_details"]["onnx_sha256"]) == 64
    with pytest.raises(ValueError, match="got embeddings from 2 models"):
        model_fingerprints(pl.concat([ref, fast]))


def test_int8_provenance_records_quantisation_and_isa():
    frame = pl.DataFrame({"paragraph_id": ["a"], "text": ["Prices rose again in October."]})
    _, report = te.embed_with_report(frame, backend="onnx-int8", cache=False, progress=False)
    prov = report.provenance
    assert (prov["precision"], prov["quantization"]) == ("int8", "dynamic-int8")
    details = prov["backend_details"]
    assert details["cpu_isa"] == tonnx.int8_recipe()["isa"]
    assert details["quantization_recipe"]["op_types"] == ["MatMul", "Attention"]
    json.dumps(prov)


def test_int8_recipe_follows_the_instruction_set():
    assert tonnx.int8_recipe(frozenset({"avx2", "avx512f", "avx512_vnni"}))["reduce_range"] is False
    assert tonnx.int8_recipe(frozenset({"avx2", "avx512f"})) | {} == tonnx.int8_recipe(frozenset({"avx2", "avx512f"}))
    assert tonnx.int8_recipe(frozenset({"avx2"}))["reduce_range"] is True
    assert tonnx.int8_recipe(frozenset({"avx2"}))["isa"] == "avx2"
    assert tonnx.int8_recipe(frozenset())["isa"] == "generic"


def test_artefacts_are_built_once_atomically_and_rebuilt_when_damaged(monkeypatch):
    from pathlib import Path

    embedder = tem.Embedder.create(backend="onnx-int8")
    path = tb.get("onnx-int8").artefact(embedder.info, tem.models_dir())
    root = Path(tem.models_dir())
    assert not [p for p in root.iterdir() if p.name.startswith(".build-")]  # no temp folder left
    record = json.loads((path.parent / "build.json").read_text())
    assert record["sha256"] == tonnx._sha256(path) and record["isa"] == tonnx.int8_recipe()["isa"]
    stamp = path.stat().st_mtime_ns
    assert tb.get("onnx-int8").artefact(embedder.info, root).stat().st_mtime_ns == stamp  # reused
    with path.open("r+b") as fh:  # flip bytes: the checksum catches it and the file is rebuilt
        fh.seek(1000)
        fh.write(b"\0\0\0\0")
    rebuilt = tb.get("onnx-int8").artefact(embedder.info, root)
    assert tonnx._sha256(rebuilt) == record["sha256"]


def test_an_embedder_is_passed_as_model(seeds):
    frame, _ = seeds
    embedder = toolkit.Embedder.create(backend="onnx")
    a = toolkit.embed(frame.head(3), model=embedder, progress=False)
    b = toolkit.embed(frame.head(3), backend="onnx", progress=False)
    assert a["model_fingerprint"][0] == b["model_fingerprint"][0] == embedder.short_fingerprint
    with pytest.raises(EmbeddingError, match=r"got an Embedder and backend='onnx-int8' \(embedder: 'onnx'\)"):
        toolkit.embed(frame.head(3), model=embedder, backend="onnx-int8", progress=False)


def test_env_variable_and_cli_choose_the_backend(tmp_path, monkeypatch, capsys):
    from toolkit.cli import main

    monkeypatch.setenv("CI", "1")
    folder = tmp_path / "corpus"
    folder.mkdir()
    pl.DataFrame({"paragraph_id": ["a-0", "a-1"], "text": ["Rain fell on the capital.", "Markets closed higher."]}).write_parquet(
        folder / "paragraphs.parquet"
    )
    assert main(["embed", str(folder), "--quiet", "--backend", "onnx"]) == 0
    assert "backend onnx" in capsys.readouterr().out
    assert te.read_provenance(folder / "embeddings.parquet")["backend"] == "onnx"
    assert json.loads((folder / "embeddings_provenance.json").read_text())["backend"] == "onnx"
    monkeypatch.setenv(tem.ENV_BACKEND, "onnx-int8")
    assert main(["embed", str(folder), "--quiet"]) == 0
    assert te.read_provenance(folder / "embeddings.parquet")[("backend")] == "onnx-int8"
    assert main(["embed", str(folder), "--quiet", "--backend", "bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: got backend 'bogus', expected one of") and err.count("\n") == 1


def test_texts_embedded_next_to_paragraphs_follow_their_backend(seeds):
    """Prototypes (and headlines) are embedded by the backend that made the paragraph vectors."""
    from toolkit.frames import frame_vectors

    frame, _ = seeds
    fast = toolkit.embed(frame.head(4), backend="onnx", progress=False)
    matched = tem.matching(None, fast)
    assert isinstance(matched, tem.Embedder) and matched.name == "onnx"
    reference = toolkit.embed(frame.head(4), progress=False)
    assert tem.matching(None, reference) is None  # the reference: the default path, unchanged
    assert tem.matching("elsewhere", fast.with_columns(model_fingerprint=pl.lit("0" * 16))) == "elsewhere"
    names, vectors = frame_vectors(fast)  # would raise "expected the same model" if embedded by the reference
    assert len(names) == vectors.shape[0] and vectors.shape[1] == 384


@pytest.mark.slow
def test_static_backend_is_fast_exploration_with_a_warning(seeds):
    from toolkit.backends.static import StaticQualityWarning

    frame, _ = seeds
    with pytest.warns(StaticQualityWarning, match="exploration only"):
        out, report = te.embed_with_report(frame, backend="static", cache=False, progress=False)
    got = out["embedding"].to_numpy()
    assert got.shape == (frame.height, 256)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert report.provenance["precision"] == "static" and report.truncated == 1
    # Same text, same vector, whatever the batch.
    again = te.embed(frame.head(3), backend="static", cache=False, progress=False)["embedding"].to_numpy()
    assert np.array_equal(again, got[:3])


def test_auto_falls_back_when_the_fastest_is_not_available(monkeypatch):
    first = tem.FAST_BACKENDS[0]
    monkeypatch.setattr(type(tb.get(first)), "available", lambda self: self.name != first)
    assert tem.choose_backend(n_paragraphs=10**6)[0] == tem.FAST_BACKENDS[1]
    assert "openvino-bf16" not in tem.FAST_BACKENDS and "onnx-int8" not in tem.FAST_BACKENDS  # failed the gate


def test_bf16_needs_native_instructions():
    from toolkit.backends import openvino as tov

    assert tov.has_native_bf16(frozenset({"avx512f", "avx512_bf16"})) and tov.has_native_bf16(frozenset({"amx_bf16"}))
    assert not tov.has_native_bf16(frozenset({"avx2", "avx512f"}))
