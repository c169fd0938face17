"""Paragraph clusters: determinism, small corpora, outlier policies, stability, on the seeds and by hand."""

from __future__ import annotations


import numpy as np
import polars as pl
import pytest

from tests.conftest import seed_embedded
from toolkit import clustering as tc
from toolkit.errors import ToolkitError


def seed_data():
    """The seed paragraphs ``analyze`` clusters: bodies and decks of canonical articles."""
    from toolkit.analysis import analysis_paragraphs

    articles, paragraphs, embeddings = seed_embedded()
    chosen = analysis_paragraphs(articles, paragraphs)
    return articles, chosen, embeddings.join(chosen.select("paragraph_id"), on="paragraph_id", how="semi", maintain_order="left")


@pytest.fixture(scope="module")
def seeds():
    return seed_data()


@pytest.fixture(scope="module")
def seed_clusters(seeds):
    _, paragraphs, embeddings = seeds
    return tc.cluster_paragraphs_with_report(embeddings, paragraphs, method="hdbscan")


def synthetic(n: int, *, groups: int = 3, dim: int = 16, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``n`` paragraphs around ``groups`` well-separated directions, with matching words."""
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[:groups]
    words = ["tariff trade exports", "missile launch pyongyang", "election ballot candidate", "flood rain evacuation"]
    label = np.arange(n) % groups
    vec = centres[label] + 0.05 * rng.standard_normal((n, dim))
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    ids = [f"p{i:04d}" for i in range(n)]
    emb = pl.DataFrame({"paragraph_id": ids, "embedding": vec.astype(np.float32)}).with_columns(pl.col("embedding").cast(pl.Array(pl.Float32, dim)))
    par = pl.DataFrame({"paragraph_id": ids, "text": [f"The {words[g]} story number {i}." for i, g in enumerate(label)]})
    return emb, par


def test_seed_default_is_reproducible_kmeans(seeds):
    """Issue 15: the default clustering reproduces across seeds and float noise (HDBSCAN gave ARI 0.50 / 0.58 here)."""
    _, paragraphs, embeddings = seeds
    frame, report = tc.cluster_paragraphs_with_report(embeddings, paragraphs)
    assert frame.schema == tc.CLUSTER_SCHEMA
    assert report.method == report.method_used == "kmeans" and report.fallback is None
    assert report.n_outliers == 0 and (frame["cluster"] >= 0).all()
    assert report.params["n_init"] == tc.N_INIT == 100
    # k is the best silhouette among the k both scan seeds agree on.
    k, sil, scan = report.params["k"], report.params["silhouette"], report.params["scan_ari"]
    assert report.params["k_by"] == "silhouette among stable k" and report.n_clusters == k
    stable = [int(c) for c, a in scan.items() if a >= tc.STABLE_K_ARI]
    assert k in stable and sil[str(k)] == max(sil[str(c)] for c in stable)
    stab = tc.cluster_stability(embeddings, paragraphs, seeds=(0, 1, 2), n_subsamples=0)
    overall = dict(stab.filter(pl.col("level") == "overall").select("metric", "value").iter_rows())
    assert overall["ari_min"] == pytest.approx(1.0) and overall["noise_ari"] == pytest.approx(1.0)
    assert frame.equals(tc.cluster_paragraphs(embeddings, paragraphs, random_state=5))


def test_seed_hdbscan_run(seed_clusters, seeds):
    frame, report = seed_clusters
    _, paragraphs, _ = seeds
    assert frame.schema == tc.CLUSTER_SCHEMA
    assert frame["paragraph_id"].to_list() == paragraphs["paragraph_id"].to_list()
    assert report.method_used == "hdbscan" and report.fallback is None
    assert report.n_paragraphs == 101
    # Default policy reassigns: nothing unassigned, and HDBSCAN's noise stays under 15%.
    assert (frame["cluster"] >= 0).all()
    assert report.outlier_share <= 0.15
    assert frame["reassigned"].sum() == report.n_reassigned == report.n_outliers
    assert (frame.filter("reassigned")["original_cluster"] == -1).all()
    assert 2 <= report.n_clusters <= 15
    # Labels are keyword lists, no stop words or numbers.
    for label in frame["cluster_label"].unique().to_list():
        terms = label.split(", ")
        assert 1 <= len(terms) <= 4
        assert not any(t.lower() in {"said", "the", "says", "according"} or any(ch.isdigit() for ch in t) for t in terms)
    # The trilateral meeting paragraphs from the CNA and NHK leads share a cluster.
    first = frame.filter(pl.col("paragraph_id").is_in(["4de3bf0e9efb7a79-000", "3be20c2cc5204235-000"]))["cluster"]
    assert first.n_unique() == 1


def test_same_seed_same_frame(seeds, seed_clusters):
    _, paragraphs, embeddings = seeds
    again = tc.cluster_paragraphs(embeddings, paragraphs, method="hdbscan", random_state=0)
    assert again.equals(seed_clusters[0])


def test_keep_and_report_policies(seeds, seed_clusters):
    _, paragraphs, embeddings = seeds
    kept = tc.cluster_paragraphs(embeddings, paragraphs, method="hdbscan", outlier_policy="keep")
    n_out = seed_clusters[1].n_outliers
    assert (kept["cluster"] == -1).sum() == n_out
    assert (kept.filter(pl.col("cluster") == -1)["cluster_label"] == tc.OUTLIER_LABEL).all()
    assert not kept["reassigned"].any()
    # Same clustering underneath: non-outliers agree with the reassigning run.
    core = kept["cluster"] >= 0
    assert (kept.filter(core)["cluster"] == seed_clusters[0].filter(core)["cluster"]).all()
    if n_out:
        with pytest.warns(tc.ClusteringWarning, match="outliers"):
            tc.cluster_paragraphs(embeddings, paragraphs, method="hdbscan", outlier_policy="report")


def test_reassign_goes_to_nearest_centroid():
    emb, par = synthetic(60)
    kept = tc.cluster_paragraphs(emb, par, method="hdbscan", outlier_policy="keep", min_cluster_size=5)
    # Put a paragraph half-way but nearer group 1's direction, then force it to be noise-like.
    vec = np.zeros(16)
    vec[0], vec[1] = 0.3, 0.95
    extra_emb = pl.concat([emb, pl.DataFrame({"paragraph_id": ["zz"], "embedding": [vec.astype(np.float32)]}).with_columns(pl.col("embedding").cast(pl.Array(pl.Float32, 16)))])
    extra_par = pl.concat([par, pl.DataFrame({"paragraph_id": ["zz"], "text": ["odd one"]})])
    out = tc.cluster_paragraphs(extra_emb, extra_par, method="hdbscan", min_cluster_size=5)
    assert (out["cluster"] >= 0).all()
    assert kept["cluster"].n_unique() >= 3
    row = out.filter(pl.col("paragraph_id") == "zz")
    group1 = out.filter(pl.col("paragraph_id") == "p0001")["cluster"][0]
    assert row["cluster"][0] == group1


@pytest.mark.parametrize("n", [1, 2])
def test_too_small_is_a_readable_error(n):
    emb, par = synthetic(n)
    with pytest.raises(tc.ClusteringError, match=rf"got {n} paragraphs? with embeddings, expected at least 3") as info:
        tc.cluster_paragraphs(emb, par)
    assert isinstance(info.value, ToolkitError)


@pytest.mark.parametrize("n", [3, 5, 12])
def test_small_corpora_fall_back(n):
    emb, par = synthetic(n)
    frame, report = tc.cluster_paragraphs_with_report(emb, par, method="hdbscan")
    assert report.method_used == "agglomerative" and "agglomerative" in report.fallback
    assert frame.height == n and (frame["cluster"] >= 0).all()
    if n >= 5:
        # Three well-separated groups are found exactly.
        truth = np.arange(n) % 3
        from sklearn.metrics import adjusted_rand_score

        assert adjusted_rand_score(truth, frame["cluster"].to_numpy()) == 1.0
        assert frame["probability"].null_count() == n


def test_seed_subsets_5_and_12(seeds):
    _, paragraphs, embeddings = seeds
    for n in (5, 12):
        frame = tc.cluster_paragraphs(embeddings, paragraphs.head(n))
        assert frame.height == n and (frame["cluster"] >= 0).all()
        assert frame.equals(tc.cluster_paragraphs(embeddings, paragraphs.head(n)))


def test_identical_paragraphs_make_one_cluster():
    emb, par = synthetic(4, groups=1)
    same = emb.with_columns(pl.Series("embedding", [emb["embedding"][0].to_list()] * 4, dtype=emb.schema["embedding"]))
    frame = tc.cluster_paragraphs(same, par)
    assert frame["cluster"].to_list() == [0, 0, 0, 0]


def test_bad_inputs():
    emb, par = synthetic(10)
    with pytest.raises(tc.ClusteringError, match="got method='spectral'"):
        tc.cluster_paragraphs(emb, par, method="spectral")
    with pytest.raises(tc.ClusteringError, match="outlier_policy"):
        tc.cluster_paragraphs(emb, par, outlier_policy="drop")
    with pytest.raises(tc.ClusteringError, match="without an embedding"):
        tc.cluster_paragraphs(emb.head(5), par)
    with pytest.raises(tc.ClusteringError, match=r"paragraphs frame lacks \['text'\]"):
        tc.cluster_paragraphs(emb, par.drop("text"))
    with pytest.raises(tc.ClusteringError, match="min_cluster_size"):
        tc.cluster_paragraphs(emb, par, min_cluster_size=1)


def test_parameters_capped_to_corpus_size():
    emb, par = synthetic(40, groups=2)
    frame, report = tc.cluster_paragraphs_with_report(emb, par, method="hdbscan", n_neighbors=500, min_cluster_size=400)
    assert report.method_used == "hdbscan"
    assert report.params["n_neighbors"] == 39
    assert report.params["min_cluster_size"] == 20
    assert frame.height == 40


def test_agglomerative_on_seeds(seeds):
    _, paragraphs, embeddings = seeds
    frame, report = tc.cluster_paragraphs_with_report(embeddings, paragraphs, method="agglomerative")
    assert report.method_used == "agglomerative" and report.fallback is None
    assert 2 <= report.n_clusters <= 15 and report.n_outliers == 0
    fixed = tc.cluster_paragraphs(embeddings, paragraphs, method="agglomerative", n_clusters=4)
    assert fixed["cluster"].n_unique() == 4


def test_outlier_rates(seeds):
    articles, paragraphs, embeddings = seeds
    kept = tc.cluster_paragraphs(embeddings, paragraphs, method="hdbscan", outlier_policy="keep")
    rates = tc.outlier_rates(kept, paragraphs, articles)
    assert rates.columns == ["outlet", "n_paragraphs", "n_outliers", "n_reassigned", "rate"]
    assert rates["n_paragraphs"].sum() == 101
    assert rates["n_outliers"].sum() == (kept["cluster"] == -1).sum()
    assert rates["rate"].to_list() == sorted(rates["rate"].to_list(), reverse=True)
    assert set(rates["outlet"]) >= {"Korea Herald", "NHK", "CNA", "Japan Forward"}


def test_representative_paragraphs(seeds, seed_clusters):
    _, paragraphs, embeddings = seeds
    frame, report = seed_clusters
    reps = tc.representative_paragraphs(frame, embeddings, paragraphs, k=3)
    assert reps.columns == ["cluster", "cluster_label", "rank", "paragraph_id", "similarity", "text"]
    assert reps["cluster"].n_unique() == report.n_clusters
    for _, group in reps.group_by("cluster"):
        sims = group.sort("rank")["similarity"].to_list()
        assert sims == sorted(sims, reverse=True) and len(sims) <= 3
    # Each representative belongs to its cluster.
    joined = reps.join(frame, on="paragraph_id", suffix="_c")
    assert (joined["cluster"] == joined["cluster_c"]).all()


def test_stability_on_seeds(seeds):
    _, paragraphs, embeddings = seeds
    stab = tc.cluster_stability(embeddings, paragraphs, seeds=(0, 1, 2))
    overall = dict(stab.filter(pl.col("level") == "overall").select("metric", "value").iter_rows())
    assert stab.filter(pl.col("level") == "pair").height == 3
    assert 0.5 <= overall["ari_min"] <= overall["ari_mean"] <= 1.0
    per_cluster = stab.filter(pl.col("level") == "cluster")
    assert per_cluster["value"].is_between(0, 1).all() and per_cluster["cluster_label"].null_count() == 0
    with pytest.raises(tc.ClusteringError, match="at least 2"):
        tc.cluster_stability(embeddings, paragraphs, seeds=(0,))


def test_stability_reports_noise_and_article_subsamples():
    emb, par = synthetic(90, groups=3)
    par = par.with_columns((pl.int_range(pl.len()) // 3).cast(pl.String).alias("article_id"))
    stab = tc.cluster_stability(emb, par, seeds=(0, 1), method="kmeans", n_subsamples=2)
    overall = dict(stab.filter(pl.col("level") == "overall").select("metric", "value").iter_rows())
    # Three well-separated groups: every source of variation leaves the partition as it is.
    for metric in ("ari_mean", "ari_min", "noise_ari", "subsample_ari_mean", "subsample_ari_min"):
        assert overall[metric] == pytest.approx(1.0), metric
    shared = stab.filter((pl.col("level") == "subsample") & (pl.col("metric") == "shared"))["value"].to_list()
    assert shared == [72.0, 72.0]  # 80% of 30 articles of 3 paragraphs
    hennig = stab.filter(pl.col("metric") == "subsample_jaccard_mean")
    assert hennig.height == 3 and (hennig["value"] == 1.0).all()


def test_subsample_stability_falls_for_structureless_vectors():
    rng = np.random.default_rng(3)
    vec = rng.standard_normal((120, 16))
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    ids = [f"p{i:03d}" for i in range(120)]
    emb = pl.DataFrame({"paragraph_id": ids, "embedding": vec.astype(np.float32)}).with_columns(pl.col("embedding").cast(pl.Array(pl.Float32, 16)))
    par = pl.DataFrame({"paragraph_id": ids, "text": ["words here"] * 120, "article_id": [str(i // 4) for i in range(120)]})
    stab = tc.cluster_stability(emb, par, seeds=(0, 1), method="kmeans", n_clusters=6, pca_components=None, n_subsamples=3)
    overall = dict(stab.filter(pl.col("level") == "overall").select("metric", "value").iter_rows())
    assert overall["subsample_ari_mean"] < 0.8
    assert stab.filter(pl.col("metric") == "subsample_jaccard_mean")["value"].min() < 0.75


def test_kmeans_is_seed_independent_in_k_and_finds_separated_groups():
    from sklearn.metrics import adjusted_rand_score

    emb, par = synthetic(150, groups=4)
    a, report = tc.cluster_paragraphs_with_report(emb, par, method="kmeans", random_state=0)
    b = tc.cluster_paragraphs(emb, par, method="kmeans", random_state=7)
    assert report.method_used == "kmeans" and report.params["k"] == 4 and report.params["k_by"] == "silhouette among stable k"
    assert adjusted_rand_score(np.arange(150) % 4, a["cluster"].to_numpy()) == 1.0
    assert a["cluster"].to_list() == b["cluster"].to_list()
    assert a.equals(tc.cluster_paragraphs(emb, par, method="kmeans", random_state=0))
    with pytest.raises(tc.ClusteringError, match="pca_components"):
        tc.cluster_paragraphs(emb, par, method="kmeans", pca_components=1)


def test_stability_bad_options():
    emb, par = synthetic(30)
    with pytest.raises(tc.ClusteringError, match="fraction"):
        tc.cluster_stability(emb, par, seeds=(0, 1), fraction=1.0)
    with pytest.raises(tc.ClusteringError, match="n_subsamples"):
        tc.cluster_stability(emb, par, seeds=(0, 1), n_subsamples=-1)


def test_documented_defaults_match_the_code():
    """Issue 11 item 10: docs/clustering.md and the docstring once said 15 neighbours, sqrt(N)/2 and average linkage."""
    import inspect
    import math
    import re
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "clustering.md").read_text(encoding="utf-8")
    doc = tc.cluster_paragraphs.__doc__
    signature = inspect.signature(tc.cluster_paragraphs).parameters
    # Method default.
    assert re.search(r'`method="(\w+)"` \(default\)', docs)[1] == signature["method"].default
    assert re.search(r'method : \{[^}]*\}, default "(\w+)"', doc)[1] == signature["method"].default
    # UMAP neighbours: docs formula, docstring default, code.
    nn_docs = int(re.search(r"`n_neighbors` = min\((\d+), N − 1\)", docs)[1])
    nn_doc = int(re.search(r"UMAP neighbours; default (\d+)", doc)[1])
    assert int(re.search(r"`n_neighbors=(\d+)`", docs)[1]) == nn_docs == nn_doc
    # HDBSCAN's smallest cluster.
    factor_docs = float(re.search(r"max\(5, min\(100, round\(([\d.]+)·√N\)\)\)", docs)[1])
    factor_doc = float(re.search(r"max\(5, min\(100, round\(([\d.]+) \* sqrt\(N\)\)\)\)", doc)[1])
    assert factor_docs == factor_doc
    ms_docs = int(re.search(r"`min_samples` = (\d+)", docs)[1])
    for n in (31, 101, 1000, 10_000, 50_000):
        got = tc._defaults(n, None, None, None, signature["n_components"].default)
        assert got["n_neighbors"] == min(nn_docs, n - 1)
        assert got["min_cluster_size"] == min(max(5, min(100, round(factor_docs * math.sqrt(n)))), max(2, n // 2))
        assert got["min_samples"] == ms_docs
    # Other defaults the docs state.
    assert int(re.search(r"`n_components=(\d+)`", docs)[1]) == signature["n_components"].default
    assert int(re.search(r"`pca_components=(\d+)`", docs)[1]) == signature["pca_components"].default == tc.PCA_COMPONENTS
    assert int(re.search(r"`n_init=(\d+)`", docs)[1]) == signature["n_init"].default
    assert {int(v) for v in re.findall(r"`max_k`=(\d+)", docs)} == {signature["max_k"].default}
    assert int(re.search(r"N = (\d+)\*\* \(`MIN_HDBSCAN_N`\)", docs)[1]) == tc.MIN_HDBSCAN_N
    # Agglomerative clustering is Ward, as documented (not average linkage).
    assert "Ward linkage on the unit vectors" in docs and "Ward clustering of the unit vectors" in doc
    assert 'linkage="ward"' in inspect.getsource(tc._agglomerative)
    assert "average-linkage" not in tc.__doc__


def test_large_corpora_fit_on_a_sample_and_refine_on_all(monkeypatch):
    """Issue 12 item 4: above EXACT_MAX_N the components and starts are fitted on a fixed sample, then refined on every paragraph."""
    from sklearn.metrics import adjusted_rand_score

    emb, par = synthetic(400, groups=4)
    exact, exact_report = tc.cluster_paragraphs_with_report(emb, par, random_state=0)
    assert "fit_sample" not in exact_report.params  # the exact path reports as before
    monkeypatch.setattr(tc, "EXACT_MAX_N", 200)
    monkeypatch.setattr(tc, "FIT_SAMPLE", 80)
    sampled, report = tc.cluster_paragraphs_with_report(emb, par, random_state=0)
    assert report.params["fit_sample"] == 80 and report.params["k"] == 4
    # Every paragraph, not only the sample, gets its group.
    assert adjusted_rand_score(np.arange(400) % 4, sampled["cluster"].to_numpy()) == 1.0
    assert adjusted_rand_score(exact["cluster"].to_numpy(), sampled["cluster"].to_numpy()) == 1.0
    # Deterministic, and the sample does not move with the seed.
    assert sampled.equals(tc.cluster_paragraphs(emb, par, random_state=0))
    assert tc.cluster_paragraphs(emb, par, random_state=3)["cluster"].to_list() == sampled["cluster"].to_list()
    # A fixed k takes the same path.
    fixed, fixed_report = tc.cluster_paragraphs_with_report(emb, par, n_clusters=2)
    assert fixed_report.params["fit_sample"] == 80 and fixed["cluster"].n_unique() == 2

