"""toolkit.embed / embed_dir against plain sentence-transformers, with the real model."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import polars as pl
import pytest

import toolkit.embedding as te
from toolkit import model as tm
from toolkit.errors import EmbeddingError, OutputError

PARAGRAPHS = [
    "SEOUL -- South Korea's central bank held its benchmark interest rate steady at 2.5 percent on Thursday, citing household debt and a weak won.",
    "The decision was widely expected by economists, who said the bank would wait for clearer signs of a slowdown before cutting again.",
    "Opposition lawmakers accused the government of ignoring rising prices for groceries and rent, which they said hit young families hardest.",
    "Firefighters battled a wildfire near the eastern coast for a second day as strong winds pushed the flames toward a village of 300 people.",
    "Officials said no casualties had been reported, but more than 200 residents were evacuated to a school gymnasium overnight.",
    "The president is scheduled to meet his US counterpart next week to discuss tariffs, defence costs and North Korea's missile programme.",
    "Analysts said the summit could ease trade tensions, although few expected a breakthrough on the cost of stationing US troops.",
    "Shares of the country's largest chipmaker rose 3 percent after it reported record quarterly profit on strong demand for AI memory.",
]
# Well past the 256-token window of all-MiniLM-L6-v2.
LONG = " ".join(PARAGRAPHS * 6)


def _frame(texts: list[str], prefix: str = "a") -> pl.DataFrame:
    return pl.DataFrame({"paragraph_id": [f"{prefix}-{i:04d}" for i in range(len(texts))], "text": texts})


@pytest.fixture(scope="module")
def reference():
    """Plain sentence-transformers, loaded once, as the yardstick."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tm.resolve_model(tm.DEFAULT_MODEL).path), device="cpu")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Own cache dir, default model, no CI-driven quiet unless a test asks."""
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TOOLKIT_MODEL", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


def _count_loads(monkeypatch) -> list[str]:
    """Forget loaded models and record every load from now on."""
    calls: list[str] = []
    real = tm.load_model
    monkeypatch.setattr(te, "_LOADED", {})

    def counting(info, **kwargs):
        calls.append(info.fingerprint)
        return real(info, **kwargs)

    monkeypatch.setattr(tm, "load_model", counting)
    return calls


def test_vectors_match_plain_sentence_transformers(reference):
    texts = PARAGRAPHS + [LONG]
    frame, report = te.embed_with_report(_frame(texts), device="cpu", progress=False)
    assert frame.columns == ["paragraph_id", "embedding", "model_fingerprint"]
    assert frame.schema["embedding"] == pl.Array(pl.Float32, 384)
    assert frame["paragraph_id"].to_list() == _frame(texts)["paragraph_id"].to_list()
    got = frame["embedding"].to_numpy()
    expected = reference.encode(texts, normalize_embeddings=True)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (got * expected).sum(axis=1).min() >= 0.999
    info = tm.resolve_model()
    assert frame["model_fingerprint"].unique().to_list() == [info.short_fingerprint]
    assert report.provenance["weights_sha256"] == info.fingerprint
    assert report.provenance["dimension"] == 384
    # Only LONG exceeds the window; counted with the model's own tokenizer.
    assert len(reference.tokenizer(LONG)["input_ids"]) > 256
    assert report.truncated == 1


def test_function_exported_from_package():
    import toolkit

    assert toolkit.embed is te.embed


def test_duplicates_share_one_vector_whatever_the_batches(reference):
    texts = [PARAGRAPHS[0], PARAGRAPHS[3], PARAGRAPHS[0], LONG, PARAGRAPHS[0]]
    frame, report = te.embed_with_report(_frame(texts), cache=False, batch_size=2, progress=False)
    vectors = frame["embedding"].to_numpy()
    assert report.n_unique == 3 and report.misses == 3
    assert np.array_equal(vectors[0], vectors[2]) and np.array_equal(vectors[0], vectors[4])
    # Same text, different batch-mates and padding: equal within float noise.
    shuffled = list(reversed(PARAGRAPHS)) + [LONG]
    other = te.embed(_frame(shuffled, "b"), cache=False, batch_size=64, progress=False)["embedding"].to_numpy()
    assert np.abs(other[len(PARAGRAPHS) - 1] - vectors[0]).max() < 1e-5
    assert np.abs(other[-1] - vectors[3]).max() < 1e-5


def test_fully_cached_run_never_loads_the_model(monkeypatch):
    first, r1 = te.embed_with_report(_frame(PARAGRAPHS), progress=False)
    assert (r1.hits, r1.misses) == (0, len(PARAGRAPHS))

    def forbidden(*args, **kwargs):
        raise AssertionError("model loaded on a fully cached run")

    monkeypatch.setattr(te, "_LOADED", {})
    monkeypatch.setattr(tm, "load_model", forbidden)
    start = time.perf_counter()
    second, r2 = te.embed_with_report(_frame(PARAGRAPHS), progress=False)
    assert time.perf_counter() - start < 2
    assert (r2.hits, r2.misses, r2.model_loaded) == (len(PARAGRAPHS), 0, False)
    assert np.array_equal(second["embedding"].to_numpy(), first["embedding"].to_numpy())
    assert r2.provenance["dimension"] == 384


def test_only_missing_texts_are_computed(monkeypatch):
    te.embed(_frame(PARAGRAPHS[:5]), progress=False)
    calls = _count_loads(monkeypatch)
    _, report = te.embed_with_report(_frame(PARAGRAPHS), progress=False)
    assert (report.hits, report.misses, report.model_loaded) == (5, 3, True)
    assert len(calls) == 1


def test_another_model_never_gets_these_vectors(tmp_path, monkeypatch, reference):
    # Model B: the same weights with a 32-token window. Different files, different
    # fingerprint, and truly different vectors for long texts.
    bundled = tm.resolve_model().path
    other = tmp_path / "short-window"
    other.mkdir()
    for item in bundled.iterdir():
        if item.name != "sentence_bert_config.json":
            (other / item.name).symlink_to(item)
    config = json.loads((bundled / "sentence_bert_config.json").read_text())
    (other / "sentence_bert_config.json").write_text(json.dumps(config | {"max_seq_length": 32}))

    texts = [PARAGRAPHS[0], LONG]
    a = te.embed(_frame(texts), progress=False)
    calls = _count_loads(monkeypatch)
    b, report = te.embed_with_report(_frame(texts), model=str(other), progress=False)
    assert (report.hits, report.misses) == (0, 2) and len(calls) == 1
    assert a["model_fingerprint"][0] != b["model_fingerprint"][0]
    cos = (a["embedding"].to_numpy() * b["embedding"].to_numpy()).sum(axis=1)
    assert cos.max() < 0.99  # B's vectors really are B's
    assert report.truncated == 2 and report.provenance["max_seq_length"] == 32
    # Back to A: served from A's cache, untouched by B.
    again, r = te.embed_with_report(_frame(texts), progress=False)
    assert r.misses == 0
    assert np.array_equal(again["embedding"].to_numpy(), a["embedding"].to_numpy())


def test_prompt_and_normalisation_are_part_of_the_address(monkeypatch):
    plain = te.embed(_frame(PARAGRAPHS[:2]), progress=False)
    with_prompt, prompted = te.embed_with_report(_frame(PARAGRAPHS[:2]), prompt="news: ", progress=False)
    _, unnormalised = te.embed_with_report(_frame(PARAGRAPHS[:2]), normalize=False, progress=False)
    assert prompted.misses == 2 and unnormalised.misses == 2
    # The prompt really reaches the model: vectors move.
    cos = (plain["embedding"].to_numpy() * with_prompt["embedding"].to_numpy()).sum(axis=1)
    assert cos.max() < 0.9999
    assert prompted.provenance["prompt"] == "news: "


def test_corrupt_shard_is_recomputed_not_served(tmp_path, reference):
    te.embed(_frame(PARAGRAPHS), progress=False)
    shards = list((tmp_path / "cache").rglob("shard-*.parquet"))
    assert len(shards) == 1
    data = shards[0].read_bytes()
    shards[0].write_bytes(data[:-100])
    with pytest.warns(UserWarning, match="unusable"):
        frame, report = te.embed_with_report(_frame(PARAGRAPHS), progress=False)
    assert (report.corrupt_shards, report.misses) == (1, len(PARAGRAPHS))
    expected = reference.encode(PARAGRAPHS, normalize_embeddings=True)
    assert (frame["embedding"].to_numpy() * expected).sum(axis=1).min() >= 0.999


@pytest.mark.parametrize(
    ("frame", "pattern"),
    [
        (pl.DataFrame(schema={"paragraph_id": pl.String, "text": pl.String}), r"got 0 paragraphs, expected at least one"),
        (pl.DataFrame({"paragraph_id": ["a", "b"], "text": ["ok", None]}), r"got 1 null text .*'b'.*expected"),
        (pl.DataFrame({"paragraph_id": ["a", "b"], "text": ["ok", "  "]}), r"got 1 empty text .*expected"),
        (pl.DataFrame({"paragraph_id": [None, "b"], "text": ["ok", "fine"]}), r"got 1 null paragraph_id .*row 0.*expected"),
        (pl.DataFrame({"paragraph_id": ["a"], "body": ["ok"]}), r"got columns \['paragraph_id', 'body'\], expected paragraph_id and text"),
        (pl.DataFrame({"text": ["ok"]}), r"expected paragraph_id and text \(missing \['paragraph_id'\]\)"),
        (pl.DataFrame({"paragraph_id": ["a"], "text": [1]}), r"got text of type Int64, expected String"),
        (pl.DataFrame({"paragraph_id": ["a", "a"], "text": ["x", "y"]}), r"got 1 duplicate paragraph_id .*expected unique"),
        (["not", "a", "frame"], r"got list, expected a Polars DataFrame"),
    ],
)
def test_bad_input_is_an_embedding_error(frame, pattern):
    with pytest.raises(EmbeddingError, match=pattern):
        te.embed(frame, progress=False)


def test_missing_model_fails_fast():
    start = time.perf_counter()
    with pytest.raises(EmbeddingError, match=r"got model 'nobody/nothing', expected"):
        te.embed(_frame(PARAGRAPHS[:1]), model="nobody/nothing", progress=False)
    assert time.perf_counter() - start < 3


def test_progress_bar_shown_unless_ci(monkeypatch, capsys):
    monkeypatch.delenv("CI", raising=False)
    te.embed(_frame(PARAGRAPHS[:2]), progress=True)
    assert "embedding" in capsys.readouterr().err
    monkeypatch.setenv("CI", "true")
    te.embed(_frame(PARAGRAPHS[:3]), progress=True)
    assert capsys.readouterr().err == ""


def _write_dir(tmp_path, texts):
    folder = tmp_path / "corpus"
    folder.mkdir()
    _frame(texts).with_columns(pl.lit("art").alias("article_id")).write_parquet(folder / "paragraphs.parquet")
    return folder


def test_embed_dir_writes_frame_provenance_and_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CI", "1")
    folder = _write_dir(tmp_path, PARAGRAPHS + [LONG])
    report = te.embed_dir(folder, chunk_rows=3)
    out = pl.read_parquet(folder / "embeddings.parquet")
    assert out["paragraph_id"].to_list() == _frame(PARAGRAPHS + [LONG])["paragraph_id"].to_list()
    assert out.schema["embedding"] == pl.Array(pl.Float32, 384)
    direct = te.embed(_frame(PARAGRAPHS + [LONG]), progress=False)
    assert np.array_equal(out["embedding"].to_numpy(), direct["embedding"].to_numpy())  # same cache entries
    provenance = te.read_provenance(folder / "embeddings.parquet")
    assert provenance == json.loads((folder / "embeddings_provenance.json").read_text())
    assert provenance["weights_sha256"] == tm.resolve_model().fingerprint
    assert {"sentence_transformers_version", "torch_version", "max_seq_length", "dimension"} <= provenance.keys()
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"embedded {len(PARAGRAPHS) + 1} paragraphs")
    assert "0 cache hits, 9 misses" in lines[0] and "1 truncated at 256 tokens" in lines[0]
    assert (report.misses, report.truncated) == (9, 1)
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_embed_dir_killed_mid_run_resumes_from_cache(tmp_path, monkeypatch):
    folder = _write_dir(tmp_path, PARAGRAPHS)
    real = te._Session.embed_frame
    seen = []

    def dies_on_second_chunk(self, frame, bar):
        seen.append(frame.height)
        if len(seen) == 2:
            raise KeyboardInterrupt
        return real(self, frame, bar)

    monkeypatch.setattr(te._Session, "embed_frame", dies_on_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        te.embed_dir(folder, chunk_rows=4, progress=False, echo=False)
    assert sorted(p.name for p in folder.iterdir()) == ["paragraphs.parquet"]  # no partial output, no temp
    monkeypatch.setattr(te._Session, "embed_frame", real)
    report = te.embed_dir(folder, chunk_rows=4, progress=False, echo=False)
    assert (report.hits, report.misses) == (4, 4)
    assert pl.read_parquet(folder / "embeddings.parquet").height == len(PARAGRAPHS)


def test_embed_dir_without_paragraphs_is_an_error(tmp_path):
    with pytest.raises(EmbeddingError, match=r"got no .*paragraphs\.parquet, expected"):
        te.embed_dir(tmp_path, echo=False)


def test_cli_embed(tmp_path, capsys, monkeypatch):
    from toolkit.cli import main

    monkeypatch.setenv("CI", "1")
    folder = _write_dir(tmp_path, PARAGRAPHS[:3])
    assert main(["embed", str(folder), "--quiet", "--batch-size", "2"]) == 0
    assert "embedded 3 paragraphs" in capsys.readouterr().out
    assert main(["embed", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: got no") and err.count("\n") == 1


def test_offline_switches_set_when_loading(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(te, "_LOADED", {})
    te.embed(_frame(["A sentence never cached before in this test run."]), cache=False, progress=False)
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"


def test_cache_that_cannot_be_written_warns_and_the_run_goes_on(tmp_path, monkeypatch, capsys):
    import errno

    from toolkit import cache as tc
    from toolkit.cli import main

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    # The shard write fails (disk full, read-only folder): vectors computed so far are kept.
    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    with pytest.warns(tc.CacheWriteWarning, match=r"shard-.*: could not write: No space left on device"):
        out = te.embed(_frame(PARAGRAPHS[:3]), progress=False)
    assert out.height == 3 and out["embedding"].to_numpy().shape == (3, 384)
    monkeypatch.undo()
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CI", "1")
    folder = _write_dir(tmp_path, PARAGRAPHS[:2])
    def read_only(self, *args):
        raise OutputError(self.folder / "shard-x.parquet", "Read-only file system")

    monkeypatch.setattr(tc.EmbeddingCache, "put", read_only)
    assert main(["embed", str(folder), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("warning: embedding cache not written, continuing without caching:") and captured.err.count("\n") == 1
    assert (folder / "embeddings.parquet").exists()


def test_no_cache_neither_reads_nor_writes_the_cache(tmp_path, monkeypatch, capsys):
    from toolkit.cli import main

    monkeypatch.setenv("CI", "1")
    cache = tmp_path / "cache"
    folder = _write_dir(tmp_path, PARAGRAPHS[:2])
    assert main(["embed", str(folder), "--quiet", "--no-cache"]) == 0
    assert not cache.exists()
    assert "0 cache hits, 2 misses" in capsys.readouterr().out
