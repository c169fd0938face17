"""Supervised frame classifier: learns a planted signal, not noise; saves without pickle; refuses other models."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

import toolkit.frames as frames_module
from toolkit.codebook import load_codebook
from toolkit.frame_classifier import fit_frame_classifier, load_frame_classifier
from toolkit.frames import FramingError
from toolkit.validation import evaluate_frames

CODEBOOK = """[codebook]
name = "toy"
[[frame]]
code = 1
name = "X"
definition = "about x"
keywords = ["xylophone*"]
prototypes = ["x x x"]
[[frame]]
code = 2
name = "Y"
definition = "about y"
keywords = ["yak*"]
prototypes = ["y y y"]
"""


def corpus(n: int = 120, dim: int = 8, seed: int = 0, signal: float = 1.0):
    """Articles of 3 paragraphs; frame X shifts dimension 0 and adds the keyword; Y is independent noise."""
    rng = np.random.default_rng(seed)
    has_x = rng.random(n) < 0.4
    has_y = rng.random(n) < 0.3
    pids, aids, texts, vecs = [], [], [], []
    for i in range(n):
        for j in range(3):
            v = rng.normal(0, 1, dim)
            v[0] += signal * 2.0 * has_x[i]
            pids.append(f"a{i:03d}-{j}")
            aids.append(f"a{i:03d}")
            texts.append(("a xylophone played. " if has_x[i] and j == 0 and rng.random() < 0.7 else "") + "words about the day " * 3)
            vecs.append(v / np.linalg.norm(v))
    articles = pl.DataFrame({"article_id": [f"a{i:03d}" for i in range(n)]})
    paragraphs = pl.DataFrame({"paragraph_id": pids, "article_id": aids, "position": [int(p[-1]) for p in pids], "text": texts})
    embeddings = pl.DataFrame({"paragraph_id": pids, "embedding": np.asarray(vecs, dtype=np.float32), "model_fingerprint": ["toymodel"] * len(pids)})
    codes = pl.DataFrame(
        {"article_id": [f"a{i:03d}" for i in range(n)] * 2, "frame": ["X"] * n + ["Y"] * n, "value": np.r_[has_x, has_y].astype(int)}
    )
    return articles, paragraphs, embeddings, codes


@pytest.fixture
def toy(tmp_path, monkeypatch):
    path = tmp_path / "toy.toml"
    path.write_text(CODEBOOK)
    protos = np.zeros((2, 8))
    protos[0, 0] = protos[1, 1] = 1.0
    monkeypatch.setattr(frames_module, "prototype_embeddings", lambda *a, **k: (["X", "Y"], np.arange(2), protos))
    return load_codebook(path)


def test_learns_a_planted_frame_and_not_noise(toy):
    articles, paragraphs, embeddings, codes = corpus()
    clf = fit_frame_classifier(codes, articles, paragraphs, embeddings, codebook=toy, seed=0)
    summary = dict(clf.summary().select("frame", "cv_auc").iter_rows())
    assert summary["X"] > 0.9  # the effect is found
    assert summary["Y"] < 0.75  # pure noise is not
    test_articles, test_paragraphs, test_embeddings, test_codes = corpus(seed=1)
    pred = clf.predict(test_articles, test_paragraphs, test_embeddings)
    assert pred.columns[:4] == ["article_id", "frame", "probability", "detected"]
    assert pred["article_id"].unique(maintain_order=True).to_list() == test_articles["article_id"].to_list()
    assert pred["probability"].is_between(0, 1).all()
    ev = evaluate_frames(pred, test_codes, n_boot=200, seed=0)
    x = ev.filter(pl.col("frame") == "X").row(0, named=True)
    assert x["auc"] > 0.9 and x["beats_all_positive"]
    # calibrated: mean probability of X near its prevalence on new data
    assert abs(pred.filter(pl.col("frame") == "X")["probability"].mean() - test_codes.filter(pl.col("frame") == "X")["value"].mean()) < 0.12


def test_save_load_round_trip_and_provenance(toy, tmp_path):
    articles, paragraphs, embeddings, codes = corpus()
    clf = fit_frame_classifier(codes, articles, paragraphs, embeddings, codebook=toy, seed=0)
    folder = clf.save(tmp_path / "clf")
    assert sorted(p.name for p in folder.iterdir()) == ["classifier.json", "weights.parquet"]  # no pickle
    meta = json.loads((folder / "classifier.json").read_text())
    assert meta["model_fingerprint"] == "toymodel" and meta["codebook_sha256"] == toy.sha256
    assert len(meta["training_sample_sha256"]) == 64 and meta["n_training_articles"] == 120
    back = load_frame_classifier(folder)
    assert back.predict(articles, paragraphs, embeddings).equals(clf.predict(articles, paragraphs, embeddings))
    # other codes, other training hash
    other = fit_frame_classifier(codes.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(1 - pl.col("value")).otherwise(pl.col("value")).alias("value")),
                                 articles, paragraphs, embeddings, codebook=toy)
    assert other.training_sha256 != clf.training_sha256
    meta["codebook"]["frames"][0]["keywords"] = ["changed"]
    (folder / "classifier.json").write_text(json.dumps(meta))
    with pytest.raises(FramingError, match="expected the recorded"):
        load_frame_classifier(folder)


def test_refuses_another_model_and_bad_codes(toy):
    articles, paragraphs, embeddings, codes = corpus()
    clf = fit_frame_classifier(codes, articles, paragraphs, embeddings, codebook=toy)
    with pytest.raises(FramingError, match="expected the classifier's model toymodel"):
        clf.predict(articles, paragraphs, embeddings.with_columns(pl.lit("othermodel").alias("model_fingerprint")))
    with pytest.raises(FramingError, match="expected frames of codebook"):
        fit_frame_classifier(codes.with_columns(pl.lit("Z").alias("frame")), articles, paragraphs, embeddings, codebook=toy)
    with pytest.warns(UserWarning, match="left out frames"):
        few = fit_frame_classifier(codes.filter(pl.col("frame") == "X"), articles, paragraphs, embeddings, codebook=toy)
    assert few.frames == ["X"]


def test_several_coders_reduce_to_the_majority(toy):
    articles, paragraphs, embeddings, codes = corpus()
    two = pl.concat([codes.with_columns(pl.lit("A").alias("coder")), codes.with_columns(pl.lit("B").alias("coder"))])
    a = fit_frame_classifier(two, articles, paragraphs, embeddings, codebook=toy)
    b = fit_frame_classifier(codes, articles, paragraphs, embeddings, codebook=toy)
    assert a.params["X"]["coef"] == pytest.approx(b.params["X"]["coef"])
