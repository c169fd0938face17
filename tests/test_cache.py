"""The content-addressed embedding cache: addressing, atomic shards, corruption."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from toolkit import cache as tc
from toolkit.errors import OutputError


def _vectors(n: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _ns(fingerprint: str = "a" * 64, **kw) -> str:
    spec = {"max_seq_length": 256, "normalize": True, "prompt": None} | kw
    return tc.namespace_key(fingerprint=fingerprint, **spec)


@pytest.fixture
def filled(tmp_path):
    keys = [tc.text_key(t) for t in ("one", "two", "three")]
    vectors = _vectors(3)
    shard = tc.EmbeddingCache(tmp_path, _ns()).put(keys, vectors, [3, 4, 300])
    return tmp_path, keys, vectors, shard


def test_text_key_is_sha256_of_utf8():
    import hashlib

    assert tc.text_key("Séoul") == hashlib.sha256("Séoul".encode()).hexdigest()
    assert tc.text_key("a") != tc.text_key("a ")


def test_round_trip_is_bit_exact_in_a_fresh_instance(filled):
    root, keys, vectors, _ = filled
    got = tc.EmbeddingCache(root, _ns()).get(keys + [tc.text_key("absent")])
    assert sorted(got) == sorted(keys)
    for key, vector, n in zip(keys, vectors, [3, 4, 300], strict=True):
        assert got[key][0].dtype == np.float32
        assert np.array_equal(got[key][0], vector)
        assert got[key][1] == n


@pytest.mark.parametrize(
    "other",
    [
        {"fingerprint": "b" * 64},
        {"max_seq_length": 128},
        {"normalize": False},
        {"prompt": "query: "},
    ],
)
def test_any_setting_change_is_another_namespace(filled, other):
    root, keys, _, _ = filled
    fingerprint = other.pop("fingerprint", "a" * 64)
    namespace = _ns(fingerprint, **other)
    assert namespace != _ns()
    assert tc.EmbeddingCache(root, namespace).get(keys) == {}


def test_put_leaves_no_temp_files_and_is_idempotent(filled):
    root, keys, vectors, shard = filled
    again = tc.EmbeddingCache(root, _ns()).put(keys, vectors, [3, 4, 300])
    assert again == shard
    assert [p.name for p in shard.parent.iterdir()] == [shard.name]


def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    def boom(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", boom)
    store = tc.EmbeddingCache(tmp_path, _ns())
    with pytest.raises(OutputError, match="disk full") as caught:
        store.put([tc.text_key("x")], _vectors(1), [1])
    assert caught.value.path.startswith(str(store.folder / "shard-"))  # the message names the file
    assert list(store.folder.iterdir()) == []


def test_truncated_shard_is_reported_set_aside_and_missed(filled):
    root, keys, _, shard = filled
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) // 2])
    store = tc.EmbeddingCache(root, _ns())
    with pytest.warns(tc.CacheCorruptionWarning, match="unusable"):
        assert store.get(keys) == {}
    assert store.corrupt_shards == 1
    assert not shard.exists() and shard.with_name(shard.name + ".corrupt").exists()


def test_altered_vector_fails_the_checksum(filled):
    root, keys, _, shard = filled
    meta = pl.read_parquet_metadata(shard)
    frame = pl.read_parquet(shard)
    tampered = frame["embedding"].to_numpy().copy()
    tampered[1, 0] += 0.25  # a plausible but wrong vector, readable without error
    frame = frame.with_columns(pl.Series("embedding", tampered, dtype=frame.schema["embedding"]))
    frame.write_parquet(shard, metadata={k: v for k, v in meta.items() if k.startswith("toolkit.")})
    store = tc.EmbeddingCache(root, _ns())
    with pytest.warns(tc.CacheCorruptionWarning, match="checksum mismatch"):
        assert store.get(keys) == {}
    assert store.corrupt_shards == 1


def test_shard_moved_into_another_namespace_is_refused(filled):
    root, keys, _, shard = filled
    other = _ns("c" * 64)
    (root / other).mkdir()
    shard.rename(root / other / shard.name)
    store = tc.EmbeddingCache(root, other)
    with pytest.warns(tc.CacheCorruptionWarning, match="got namespace"):
        assert store.get(keys) == {}


def test_good_shards_survive_a_bad_neighbour(filled):
    root, keys, vectors, _ = filled
    store = tc.EmbeddingCache(root, _ns())
    bad = store.put([tc.text_key("four")], _vectors(1, seed=5), [2])
    bad.write_bytes(b"PAR1 not really")
    with pytest.warns(tc.CacheCorruptionWarning):
        got = tc.EmbeddingCache(root, _ns()).get(keys + [tc.text_key("four")])
    assert sorted(got) == sorted(keys)
    assert np.array_equal(got[keys[0]][0], vectors[0])


def test_shard_metadata_records_namespace_and_checksum(filled):
    _, _, _, shard = filled
    meta = json.loads(pl.read_parquet_metadata(shard)["toolkit.embedding_cache"])
    assert meta["namespace"] == _ns()
    assert shard.name == f"shard-{meta['checksum'][:24]}.parquet"


def test_put_rejects_mismatched_lengths(tmp_path):
    with pytest.raises(ValueError, match="expected matching lengths"):
        tc.EmbeddingCache(tmp_path, _ns()).put(["k1", "k2"], _vectors(1), [1, 2])


def test_cache_dir_from_env_or_platformdirs(tmp_path, monkeypatch):
    monkeypatch.setenv(tc.ENV_CACHE_DIR, str(tmp_path / "c"))
    assert tc.default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv(tc.ENV_CACHE_DIR)
    from platformdirs import user_cache_dir

    assert tc.default_cache_dir() == Path(user_cache_dir("framing-toolkit")) / "embeddings"
