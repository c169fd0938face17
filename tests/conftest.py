from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"

# Tests never touch a model hub or the user's cache.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session", autouse=True)
def _models_dir(tmp_path_factory):
    """One folder of exported ONNX/distilled models per test session (built once, not per test)."""
    if os.environ.get("TOOLKIT_MODELS_DIR"):
        yield os.environ["TOOLKIT_MODELS_DIR"]
        return
    os.environ["TOOLKIT_MODELS_DIR"] = str(tmp_path_factory.mktemp("models"))
    try:
        yield os.environ["TOOLKIT_MODELS_DIR"]
    finally:
        os.environ.pop("TOOLKIT_MODELS_DIR", None)


@pytest.fixture(scope="session")
def seed_corpus():
    import toolkit

    return toolkit.load_corpus(SEEDS)


@functools.cache
def seed_embedded():
    """Seed articles, paragraphs and embeddings, computed once per process in a private cache."""
    import toolkit

    corpus = toolkit.load_corpus(SEEDS)
    old = os.environ.get("TOOLKIT_CACHE_DIR")
    os.environ["TOOLKIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="toolkit-test-cache-")
    try:
        embeddings = toolkit.embed(corpus.paragraphs, progress=False)
    finally:
        if old is None:
            os.environ.pop("TOOLKIT_CACHE_DIR", None)
        else:
            os.environ["TOOLKIT_CACHE_DIR"] = old
    return corpus.articles, corpus.paragraphs, embeddings


@pytest.fixture(scope="session")
def seed_embeddings():
    return seed_embedded()[2]
