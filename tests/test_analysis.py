"""``python -m toolkit analyze DIR``: outputs, determinism, canonical paragraphs, one-line errors."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import SEEDS, seed_embedded
from toolkit.analysis import AnalysisError, analysis_paragraphs, analyze_dir
from toolkit.cli import main

OUTPUTS = (
    "clusters.parquet",
    "events.parquet",
    "frames.parquet",
    "article_frames.parquet",
    "outlet_frames.parquet",
    "outlet_clusters.parquet",
    "frame_detections.parquet",
    "outlet_distances.parquet",
    "axis_scores.parquet",
    "axis_by_outlet.parquet",
    "fightin_words.parquet",
    "map.parquet",
    "map.html",
    "map.png",
    "map.svg",
    "analysis_report.json",
)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """Two analyses of the same ingested, embedded seed folder."""
    from toolkit.corpus import write_corpus

    articles, paragraphs, embeddings = seed_embedded()
    runs = []
    for name in ("a", "b"):
        folder = tmp_path_factory.mktemp(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            write_corpus(SEEDS, folder)
            embeddings.write_parquet(folder / "embeddings.parquet")
            record = analyze_dir(folder, stability_seeds=(0, 1))
        runs.append((folder, record))
    return runs


def test_outputs_exist_and_rerun_is_byte_identical(analysed):
    (a, _), (b, _) = analysed
    for name in OUTPUTS:
        assert (a / name).stat().st_size > 0, name
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_only_canonical_bodies_are_clustered_and_mapped(analysed):
    folder, record = analysed[0]
    articles = pl.read_parquet(folder / "articles.parquet")
    paragraphs = pl.read_parquet(folder / "paragraphs.parquet")
    clusters = pl.read_parquet(folder / "clusters.parquet")
    coords = pl.read_parquet(folder / "map.parquet")
    chosen = analysis_paragraphs(articles, paragraphs)
    assert clusters["paragraph_id"].to_list() == coords["paragraph_id"].to_list() == chosen["paragraph_id"].to_list()
    dup_ids = set(articles.filter(pl.col("duplicate_of").is_not_null())["article_id"])
    assert not set(chosen["article_id"]) & dup_ids
    assert set(chosen["kind"]) <= {"body", "deck"}
    assert record["paragraphs_analysed"] == chosen.height == 101
    assert record["paragraphs_left_out"] == {"same_outlet_copies": 9, "subheads": 2}


def test_clusters_events_and_report(analysed):
    folder, record = analysed[0]
    clusters = pl.read_parquet(folder / "clusters.parquet")
    events = pl.read_parquet(folder / "events.parquet")
    assert {"paragraph_id", "cluster", "cluster_label"} <= set(clusters.columns)
    assert clusters["cluster_label"].null_count() == 0
    c = record["clustering"]
    # the outlier policy is explicit and at most 15% of paragraphs start as noise
    assert c["outlier_policy"] == "reassign" and c["outlier_share_before_policy"] <= 0.15
    assert (clusters["cluster"] >= 0).all()
    assert sum(r["n_paragraphs"] for r in record["outlier_rates_by_outlet"]) == record["paragraphs_analysed"]
    assert {"article_id", "event_id", "event_label"} <= set(events.columns)
    assert events.height == pl.read_parquet(folder / "articles.parquet").height
    assert any(r["metric"] == "ari_mean" for r in record["stability"])
    assert json.loads((folder / "analysis_report.json").read_text()) == json.loads(json.dumps(record, default=str))


def test_cli_analyze_one_line_and_missing_inputs(analysed, tmp_path, capsys):
    folder, _ = analysed[0]
    assert main(["analyze", str(folder), "--no-figures"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 2 and "clusters by" in out and "cluster stability: seed ARI" in out
    (tmp_path / "articles.parquet").write_bytes((folder / "articles.parquet").read_bytes())
    (tmp_path / "paragraphs.parquet").write_bytes((folder / "paragraphs.parquet").read_bytes())
    assert main(["analyze", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "embeddings.parquet" in err and "toolkit embed" in err
    with pytest.raises(AnalysisError):
        analyze_dir(tmp_path)


def test_outlet_frames_state_n_uncertainty_baseline_and_wire_policy(analysed):
    folder, record = analysed[0]
    shares = pl.read_parquet(folder / "outlet_frames.parquet")
    for column in ("n_articles", "n_paragraphs", "ci_low", "ci_high", "baseline_low", "baseline_high", "p_value", "q_value", "wire_policy"):
        assert column in shares.columns, column
    assert set(shares["wire_policy"]) == {"merge"}
    # one-article outlets cannot have a bootstrap interval: it is missing, not zero-width
    single = shares.filter(pl.col("n_articles") == 1)
    assert single.height > 0 and single["ci_low"].is_nan().all()
    assert record["framing"] is not None


def test_measures_follow_the_wire_policy_and_report_it(analysed):
    folder, record = analysed[0]
    distances = pl.read_parquet(folder / "outlet_distances.parquet")
    words = pl.read_parquet(folder / "fightin_words.parquet")
    axes = pl.read_parquet(folder / "axis_by_outlet.parquet")
    for frame in (distances, words, axes):
        assert set(frame["wire_policy"]) == {"merge"}
    assert record["wire_policy"] == "merge"
    # 7 outlets -> 21 pairs, each with a permutation p-value and a BH q-value
    assert distances.height == 21 and distances["p_value"].min() > 0 and (distances["q_value"] >= distances["p_value"]).all()
    # merged: Korea Herald counts 11 articles (its Yonhap copy is out), in every measure
    assert set(axes.filter(pl.col("outlet") == "Korea Herald")["n_articles"]) == {11}
    assert words["n_articles_a"][0] == 11
    for frame in (distances, words, axes, pl.read_parquet(folder / "outlet_frames.parquet")):
        assert {"estimate", "p_value", "q_value", "n_perm", "seed", "method", "wire_policy"} <= set(frame.columns)
    assert record["fightin_words_group"] == "Korea Herald" and set(words["group_a"]) == {"Korea Herald"}


def test_a_failed_run_leaves_the_previous_outputs_and_no_staging(analysed, tmp_path, monkeypatch):
    import shutil

    import toolkit.maps

    source, _ = analysed[0]
    folder = tmp_path / "copy"
    shutil.copytree(source, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # after every table is computed and staged

    monkeypatch.setattr(toolkit.maps, "interactive_map", killed)
    with pytest.raises(KeyboardInterrupt):
        analyze_dir(folder, random_state=7, stability_seeds=())
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert after == before  # no new-seed table beside the old report and map


def test_a_run_killed_while_publishing_is_marked_and_refused(analysed, tmp_path, monkeypatch):
    import os
    import shutil

    import toolkit.analysis as ta
    from toolkit.projection import read_map

    source, _ = analysed[0]
    folder = tmp_path / "copy"
    shutil.copytree(source, folder)
    moved = []
    real_replace = os.replace

    def dies_after_three(src, dst):
        publishing = Path(src).parent.name.startswith(".analyze-") and Path(dst).parent == folder
        if publishing and len(moved) == 3:
            raise KeyboardInterrupt
        if publishing:
            moved.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(ta.os, "replace", dies_after_three)
    with pytest.raises(KeyboardInterrupt):
        analyze_dir(folder, random_state=7, stability_seeds=(), figures=False)
    monkeypatch.setattr(ta.os, "replace", real_replace)
    assert (folder / ta.INCOMPLETE_MARKER).exists()
    assert not list(folder.glob(".analyze-*"))
    with pytest.raises(AnalysisError, match="mix of two runs"):
        ta.check_complete(folder)
    with pytest.raises(AnalysisError, match="mix of two runs"):
        read_map(folder)
    # Running again publishes a complete set and clears the mark.
    analyze_dir(folder, random_state=0, stability_seeds=(0, 1))
    assert not (folder / ta.INCOMPLETE_MARKER).exists()
    assert (folder / "clusters.parquet").read_bytes() == (source / "clusters.parquet").read_bytes()


def _hash_embed(paragraphs, **_kwargs):
    """A cheap deterministic vector source: word hashes into 16 dimensions (semantics do not matter here)."""
    import hashlib

    import numpy as np

    from toolkit.schema import embeddings_schema

    frame = paragraphs if isinstance(paragraphs, pl.DataFrame) else paragraphs.paragraphs
    vectors = np.zeros((frame.height, 16), dtype=np.float32)
    for i, text in enumerate(frame["text"].to_list()):
        for word in text.lower().split():
            vectors[i, hashlib.sha256(word.encode()).digest()[0] % 16] += 1.0
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return pl.DataFrame(
        {"paragraph_id": frame["paragraph_id"], "embedding": vectors, "model_fingerprint": ["hash16"] * frame.height},
        schema=embeddings_schema(16),
    )


def test_analyze_completes_on_500_one_article_outlets(tmp_path, monkeypatch, capsys):
    """Issue 15: plotly refused more than ~51 rows of small multiples, so analyze crashed above ~51 outlets."""
    import toolkit.embedding
    from toolkit.corpus import write_corpus

    monkeypatch.setattr(toolkit.embedding, "embed", _hash_embed)
    topics = ["trade tariffs exports economy", "missile launch military defense", "election vote parliament party", "storm flood rain weather"]
    rows = [
        {"outlet": f"Outlet {i:03d}", "title": f"Story {i} on {topics[i % 4].split()[0]}",
         "body": f"Paragraph {i} on {topics[i % 4]} and more {topics[(i * 7) % 4].split()[1]} today.", "published": "2025-07-10"}
        for i in range(500)
    ]
    pl.DataFrame(rows).write_csv(tmp_path / "in.csv")
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_corpus([tmp_path / "in.csv"], out)
    _hash_embed(pl.read_parquet(out / "paragraphs.parquet")).write_parquet(out / "embeddings.parquet")
    assert main(["analyze", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "analysed 500 paragraphs" in printed
    assert re.search(r"cluster stability: seed ARI [0-9.]+ \(min [0-9.]+\); 1e-6 noise ARI [0-9.]+; 80% article-subsample ARI [0-9.]+", printed)
    articles = pl.read_parquet(out / "articles.parquet")
    assert articles["outlet"].n_unique() == 500
    page = (out / "map.html").read_text(encoding="utf-8")
    # The small multiples are capped and say what they pooled; the legend pools the long tail.
    assert "the other 477 (477 paragraphs) share the last panel" in page
    assert "other: 470 values (470)" in page
    assert (out / "map.png").stat().st_size > 0


def test_frame_detections_are_independent_and_marked_unvalidated(analysed):
    folder, record = analysed[0]
    det = pl.read_parquet(folder / "frame_detections.parquet")
    assert det.columns[:4] == ["article_id", "frame", "score", "detected"]
    assert set(det["validation"]) == {"unvalidated"} and record["frame_detections"]["validation"] == "unvalidated"
    assert det["frame"].n_unique() == 14 and det.height == det["article_id"].n_unique() * 14
    # no softmax: several frames can be detected in one article
    assert det.group_by("article_id").agg(pl.col("detected").sum())["detected"].max() >= 2
    assert {"lexicon_score", "lexicon_hits"} <= set(det.columns)
    shares = pl.read_parquet(folder / "outlet_frames.parquet")
    assert set(shares["validation"]) == {"unvalidated"} and set(shares["scorer"]) == {"score_frames:primary"}


def _copy_inputs(folder: Path, target: Path) -> Path:
    for name in ("articles.parquet", "paragraphs.parquet", "embeddings.parquet"):
        (target / name).write_bytes((folder / name).read_bytes())
    return target


def test_cli_analyze_takes_the_main_options(analysed, tmp_path, capsys):
    """Issue 13 item 5: method, k, outlier and wire policies, colour columns, no stability run; progress on request."""
    folder = _copy_inputs(analysed[0][0], tmp_path)
    argv = ["analyze", str(folder), "--method", "agglomerative", "--n-clusters", "4", "--wire-policy", "keep",
            "--color-by", "outlet_country,outlet", "--no-stability"]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("analysed 101 paragraphs: 4 clusters by agglomerative")
    assert out[1].startswith("cluster stability: not measured (--no-stability)")
    record = json.loads((folder / "analysis_report.json").read_text())
    assert record["clustering"]["method"] == "agglomerative" and record["clustering"]["n_clusters"] == 4
    assert record["stability"] is None and record["wire_policy"] == "keep"
    assert set(pl.read_parquet(folder / "outlet_distances.parquet")["wire_policy"]) == {"keep"}
    html = (folder / "map.html").read_text(encoding="utf-8")
    assert "Outlet country" in html or "outlet_country" in html
    # A misspelt colour column fails before any clustering, naming the columns it could be.
    before = (folder / "clusters.parquet").read_bytes()
    assert main(["analyze", str(folder), "--color-by", "outlett"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "got color_by=['outlett']" in err and "'outlet'" in err
    assert (folder / "clusters.parquet").read_bytes() == before


def test_analyze_progress_lines_go_to_stderr_when_asked(analysed, tmp_path, capsys):
    folder = _copy_inputs(analysed[0][0], tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analyze_dir(folder, stability_seeds=(), figures=False, progress=True)
    err = capsys.readouterr().err.splitlines()
    stages = [re.sub(r"^analyze \[\s*[\d.]+ s\] ", "", line) for line in err]
    assert stages[0] == "clustering 101 paragraphs (kmeans)" and stages[-1] == "done"
    assert "projecting the map (UMAP)" in stages and all(line.startswith("analyze [") for line in err)
    analyze_dir(folder, stability_seeds=(), figures=False, progress=False)
    assert capsys.readouterr().err == ""


def test_stability_runs_on_whole_articles_above_the_threshold():
    """Issue 12 item 4: large corpora re-cluster a documented article sample for stability; small ones use everything."""
    from toolkit.analysis import STABILITY_MAX_N, stability_paragraphs

    sizes = [1, 7, 3, 12, 5, 9, 2, 30, 4, 6]  # paragraphs per article, uneven on purpose
    rows = [(f"a{a}", f"a{a}-{i:03d}") for a, size in enumerate(sizes) for i in range(size)]
    paragraphs = pl.DataFrame(rows, schema={"article_id": pl.String, "paragraph_id": pl.String}, orient="row")
    same, info = stability_paragraphs(paragraphs)
    assert paragraphs.height <= STABILITY_MAX_N and info is None and same.equals(paragraphs)
    sample, info = stability_paragraphs(paragraphs, seed=3, max_n=40)
    assert 0 < sample.height <= 40 and info["paragraphs"] == sample.height and info["of_paragraphs"] == sum(sizes)
    # Whole articles only, in input order, and the same draw again.
    kept = sample.group_by("article_id").len()
    assert all(sizes[int(a[1:])] == n for a, n in kept.iter_rows())
    assert sample["paragraph_id"].to_list() == sorted(sample["paragraph_id"].to_list(), key=paragraphs["paragraph_id"].to_list().index)
    assert stability_paragraphs(paragraphs, seed=3, max_n=40)[0].equals(sample)
    assert info["articles"] == kept.height
