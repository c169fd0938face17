# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Semantic clusters: what the paragraphs talk about
#
# **Questions this notebook answers**
#
# - How are paragraphs turned into vectors, and how do we know which model made them?
# - Which groups of paragraphs say similar things, and what are those groups about?
# - Which paragraphs does a density method leave unclustered, and does that noise fall evenly on the outlets?
# - How much do the clusters depend on the random seed, on float noise and on which articles are in the corpus?
# - What does the map of paragraphs show, and what does it **not** show?
#
# **Learning objectives.** After this notebook you can
#
# - embed paragraphs through the cache and read the hit/miss report and provenance;
# - cluster paragraphs, read their c-TF-IDF labels and most representative paragraphs;
# - judge a clustering by its outlier rates and its stability across seeds;
# - read a UMAP map without over-reading it.
#
# **Prerequisites.** Notebook `01_corpus_tour` (canonical articles, `story_id`).
# An idea of what a vector and cosine similarity are.
#
# **Estimated time:** 45 minutes.
#
# **Runtime budget:** under 2 minutes on 2 CPU cores with a warm embedding cache
# (`make appendix` warms it; a cold cache adds the model's encoding time).
#
# Every number in the text below is computed from the corpus.

# %% tags=["parameters"]
# Parameters (papermill can override them: papermill 02_semantic_clusters.ipynb out.ipynb -p seed 1).
corpus_path = "../seeds"  # folder or file of pages (or CSV/JSONL/Parquet tables)
ingest_options = {}  # options of toolkit.load_corpus, e.g. {"columns": {"outlet": "source", "body": "content"}, "date_format": "%m/%d/%y"}
model = None  # embedding model name or path; None = the toolkit default (offline)
seed = 0  # seed for the clustering and the map; stability uses this and the next seeds
output_dir = "../build/appendix"  # where tables, figures and maps are saved

# %%
import warnings
from pathlib import Path

import numpy as np
import polars as pl
from IPython.display import display

import toolkit
from toolkit.analysis import analysis_paragraphs
from toolkit.appendix import figure_stem, map_path, save_table
from toolkit.clustering import cluster_paragraphs_with_report, cluster_stability, outlier_rates, representative_paragraphs
from toolkit.keywords import class_tfidf
from toolkit.maps import map_data

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm's notice when ipywidgets is absent
pl.Config.set_tbl_rows(30)
pl.Config.set_fmt_str_lengths(120)
output_dir = Path(output_dir)
stability_seeds = [seed + k for k in range(5)]

corpus = toolkit.load_corpus(corpus_path, **ingest_options)
articles, paragraphs = corpus.articles, corpus.paragraphs
chosen = analysis_paragraphs(articles, paragraphs)
copy_ids = articles.filter(pl.col("duplicate_of").is_not_null()).select("article_id")
n_copy_paragraphs = paragraphs.join(copy_ids, on="article_id", how="semi").height
n_subheads = paragraphs.join(copy_ids, on="article_id", how="anti").filter(pl.col("kind") == "subhead").height
display(toolkit.prose(
    f"The corpus has **{paragraphs.height}** paragraphs. We analyse **{chosen.height}** of them: "
    f"body and deck paragraphs of canonical articles. Left out: **{n_copy_paragraphs}** paragraphs of "
    f"same-outlet copies and **{n_subheads}** subheads (headings, not text)."
))

# %% [markdown]
# ## 1. Embeddings and the cache
#
# Each paragraph becomes a vector from a sentence-transformers model. Vectors are
# stored in a content-addressed cache keyed by the model's weights and the text, so
# a second run encodes nothing and does not even load the model.

# %%
vectors, first = toolkit.embed_with_report(chosen, model=model, progress=False)
_, second = toolkit.embed_with_report(chosen, model=model, progress=False)
cache_runs = pl.DataFrame(
    [
        {"run": name, "paragraphs": r.n_paragraphs, "unique_texts": r.n_unique, "cache_hits": r.hits,
         "misses": r.misses, "model_loaded": r.model_loaded, "truncated": r.truncated}
        for name, r in (("first", first), ("second", second))
    ]
)
# Shown, not saved: hits and misses depend on how warm the cache was, not on the corpus.
cache_runs

# %%
display(toolkit.prose(
    f"First run: **{first.hits}** cache hits and **{first.misses}** misses. Second run: **{second.hits}** hits, "
    f"**{second.misses}** misses, model loaded: **{second.model_loaded}**. "
    f"**{first.truncated}** paragraphs were longer than the model's window of "
    f"**{first.provenance['max_seq_length']}** tokens and were embedded from their start only."
))

# %% [markdown]
# ### Provenance
#
# Which model made these vectors? The provenance record names it and carries the
# `sha256` of its weights: two analyses can only be compared if these agree.

# %%
provenance = first.provenance
provenance_table = pl.DataFrame(
    {"key": list(provenance), "value": [str(v) for v in provenance.values()]}
).filter(pl.col("key") != "model_path")  # a local path differs from machine to machine
save_table(provenance_table, "02_embedding_provenance", output_dir)
provenance_table

# %% [markdown]
# ## 2. Clusters
#
# By default paragraphs are grouped by **k-means** on the leading principal
# components of their unit vectors, keeping the best of many random starts. The
# number of clusters k is chosen from the data: among the k whose clusters come
# out the same when the scan is repeated with another seed, the one with the best
# silhouette (how much closer each paragraph is to its own cluster than to the
# next). Every paragraph gets a cluster. This choice is about reproducibility:
# a reader who re-runs the appendix on another machine should get the same
# clusters (the stability section below measures it; the cell after the table
# gives the exact settings).

# %%
clusters, cluster_report = cluster_paragraphs_with_report(vectors, chosen, random_state=seed)
save_table(clusters, "02_clusters", output_dir)
sizes = (
    clusters.group_by("cluster", "cluster_label")
    .agg(pl.len().alias("paragraphs"), pl.col("reassigned").sum().alias("reassigned"))
    .sort("cluster")
)
save_table(sizes, "02_cluster_sizes", output_dir)
display(toolkit.prose(toolkit.escape_markdown(cluster_report.summary())))
sizes

# %%
k_by = cluster_report.params.get("k_by")
display(toolkit.prose(
    f"Method used: **{cluster_report.method_used}**"
    + (f" (fallback: {toolkit.escape_markdown(cluster_report.fallback)})" if cluster_report.fallback else "")
    + f". **{cluster_report.n_clusters}** cluster{'s' if cluster_report.n_clusters != 1 else ''}"
    + (f", k chosen by {toolkit.escape_markdown(k_by)}" if k_by else "")
    + f"; **{cluster_report.n_outliers}** paragraphs (**{cluster_report.outlier_share:.1%}**) fitted no cluster."
    + (f" Settings: the first **{cluster_report.params['pca_components']}** principal components, best of "
       f"**{cluster_report.params['n_init']}** k-means starts, k from 2 to **{cluster_report.params['max_k']}**."
       if cluster_report.method_used == "kmeans" else "")
))

# %% [markdown]
# ### Labels: c-TF-IDF
#
# A cluster's label is made of the terms that are frequent in it and rare in the
# other clusters (class-based TF-IDF, stop words removed). The table shows the
# best terms of each cluster with their scores.

# %%
terms = class_tfidf(
    clusters.filter(pl.col("cluster") >= 0).select("cluster").with_columns(
        chosen.join(clusters.select("paragraph_id"), on="paragraph_id", how="semi", maintain_order="left")["text"]
    ),
    by="cluster",
    top_n=6,
).with_columns(pl.col("score").round(6))
save_table(terms, "02_cluster_terms", output_dir)
terms.group_by("cluster", maintain_order=True).agg(pl.col("display").alias("top_terms"))

# %% [markdown]
# ### Representative paragraphs
#
# A label is a summary of a summary. Read the paragraphs nearest each cluster's
# centroid before trusting it.

# %%
representatives = representative_paragraphs(clusters, vectors, chosen, k=3).with_columns(pl.col("similarity").round(6))
save_table(representatives, "02_representative_paragraphs", output_dir)
for row in representatives.filter(pl.col("rank") == 1).iter_rows(named=True):
    display(toolkit.prose(f"**Cluster {row['cluster']}: {toolkit.escape_markdown(row['cluster_label'])}** (cosine to centroid {row['similarity']:.2f})\n\n> {toolkit.escape_markdown(row['text'])}"))

# %% [markdown]
# ## 3. A density method and its outliers
#
# k-means puts every paragraph in a cluster. A density method, HDBSCAN after a
# UMAP reduction (`method="hdbscan"`, the pipeline BERTopic uses), instead leaves
# paragraphs that sit in no dense region as **outliers** (cluster minus one). Outliers
# are informative, but they have a cost: if one outlet's paragraphs are outliers
# far more often than the others', the clusters describe the other outlets'
# vocabulary, and differences in cluster shares are partly noise. Look at this
# table before comparing outlets on density clusters. (On a very small corpus
# the toolkit falls back to agglomerative clustering, which has no outliers, and
# says so.)

# %%
density, density_report = cluster_paragraphs_with_report(vectors, chosen, method="hdbscan", outlier_policy="keep", random_state=seed)
save_table(density, "02_density_clusters", output_dir)
rates = outlier_rates(density, chosen, articles).with_columns(pl.col("rate").round(6))
save_table(rates, "02_outlier_rates", output_dir)
rates

# %% [markdown]
# ### Your turn: the noisiest outlet
#
# Store in `noisiest_outlet` the outlet with the highest outlier rate (ties: the
# first in alphabetical order).
#
# *Hint:* `rates` is already sorted; or sort it yourself by `rate` (descending) and `outlet`.

# %%
noisiest_outlet = None  # replace None with your expression

# %% tags=["solution"]
noisiest_outlet = rates.sort(["rate", "outlet"], descending=[True, False])["outlet"][0]

# %% [markdown]
# ### Check your understanding

# %%
assert noisiest_outlet is not None, "set noisiest_outlet in the cell above"
top_rate = rates["rate"].max()
assert noisiest_outlet == rates.filter(pl.col("rate") == top_rate)["outlet"].sort()[0]
display(toolkit.prose(
    f"Correct: **{toolkit.escape_markdown(noisiest_outlet)}**, with **{top_rate:.0%}** of its paragraphs outliers "
    f"against **{rates['n_outliers'].sum() / rates['n_paragraphs'].sum():.0%}** over all outlets."
))

# %% [markdown]
# How far do the two methods agree? The adjusted Rand index (ARI) compares two
# partitions of the same paragraphs: one is identical, zero is chance agreement.
# Outliers are left out of the comparison.

# %%
from sklearn.metrics import adjusted_rand_score

both = clusters.select("paragraph_id", "cluster").join(
    density.filter(pl.col("cluster") >= 0).select("paragraph_id", pl.col("cluster").alias("density_cluster")), on="paragraph_id"
)
method_ari = float(adjusted_rand_score(both["cluster"].to_list(), both["density_cluster"].to_list())) if both.height else float("nan")
display(toolkit.prose(
    f"{toolkit.escape_markdown(density_report.method_used)} found **{density_report.n_clusters}** clusters and "
    f"**{density_report.n_outliers}** outliers (**{density_report.outlier_share:.1%}**); on the **{both.height}** paragraphs "
    f"it clustered, it agrees with the default k-means clusters at ARI **{method_ari:.2f}**."
))

# %% [markdown]
# ## 4. Stability across seeds, float noise and articles
#
# k-means starts from random centres; a fixed seed makes a run repeatable, not
# right. Re-running with other seeds and comparing the partitions (ARI) shows how
# much of the clustering is the seed.
# Two more re-runs matter to a reader who repeats the analysis: the same vectors
# with float-rounding noise (`noise=1e-6`: another machine), and a share of the articles (`fraction=0.8`: another
# sample of the news), compared on the paragraphs both runs share. Per cluster,
# Hennig's clusterwise Jaccard says how well each cluster survives subsampling.

# %%
stability = cluster_stability(vectors, chosen, seeds=stability_seeds)
save_table(stability.with_columns(pl.col("value").round(6)), "02_stability", output_dir)
stability.filter(pl.col("level") != "pair")

# %%
overall = dict(stability.filter(pl.col("level") == "overall").select("metric", "value").iter_rows())
weakest = stability.filter(pl.col("metric") == "jaccard_mean").sort("value", "cluster").head(1)
display(toolkit.prose(
    f"Over **{len(stability_seeds)}** seeds the mean ARI is **{overall['ari_mean']:.2f}** (lowest pair "
    f"**{overall['ari_min']:.2f}**), with **{overall['n_clusters_mean']:.1f}** clusters on average."
    + (f" The least stable cluster is **{toolkit.escape_markdown(weakest['cluster_label'][0])}** (mean Jaccard **{weakest['value'][0]:.2f}** "
       f"with its best match in the other runs)." if weakest.height else "")
    + f" With noise of 1e-6 added to the vectors the ARI is **{overall['noise_ari']:.2f}**; on 80% article "
    f"subsamples it is **{overall['subsample_ari_mean']:.2f}** on average (lowest **{overall['subsample_ari_min']:.2f}**)."
))

# %% [markdown]
# ### Your turn: the largest cluster
#
# Store in `largest_cluster_size` the number of paragraphs in the largest cluster
# (outliers, cluster minus one, do not count as a cluster).
#
# *Hint:* `clusters.group_by("cluster").len()`.

# %%
largest_cluster_size = None  # replace None with your expression

# %% tags=["solution"]
largest_cluster_size = clusters.filter(pl.col("cluster") >= 0).group_by("cluster").len()["len"].max()

# %% [markdown]
# ### Check your understanding

# %%
assert largest_cluster_size is not None, "set largest_cluster_size in the cell above"
assert largest_cluster_size == int(np.bincount(clusters.filter(pl.col("cluster") >= 0)["cluster"].to_numpy()).max())
display(toolkit.prose(f"Correct: the largest cluster holds **{largest_cluster_size}** of the **{clusters.height}** paragraphs."))

# %% [markdown]
# ## 5. The map
#
# One shared two-dimensional UMAP projection of all analysed paragraphs, stored as a
# table and redrawn, never recomputed, by every figure. Hover a point to read its
# paragraph; the dropdown changes the colouring; the small multiples below the map
# show each outlet against the whole corpus in grey.
#
# > **Warning: what UMAP distances mean.** Points that are close on the map are
# > usually similar in meaning. The converse does not hold, and nothing else
# > carries over: the size of a gap between two far-apart groups, the area a group
# > covers, its density and the axes mean **nothing**. Do not measure distances
# > between outlets on this map; compare them in the original embedding space
# > (cosine similarity), as the framing measures do.

# %%
coords = toolkit.project(vectors, random_state=seed)
save_table(coords, "02_map_coordinates", output_dir)
data = map_data(articles, chosen, clusters)
toolkit.static_map(coords, data, color_by="outlet", label_by="cluster_label", path=figure_stem("02_paragraph_map", output_dir),
                   title="Paragraph map (UMAP), coloured by outlet")

# %%
interactive = toolkit.interactive_map(
    coords,
    data,
    color_by=("outlet", "outlet_country", "cluster"),
    path=map_path("02_paragraph_map", output_dir),
    title="Paragraph map (UMAP)",
)
interactive

# %% [markdown]
# ### Seeing the warning in the data
#
# Take the two paragraphs that are nearest on the map and the two that are farthest
# apart, and compare their map distance with their cosine similarity in the
# original space.

# %%
xy = coords.select("x", "y").to_numpy().astype(np.float64)
unit = np.asarray(vectors.join(coords.select("paragraph_id"), on="paragraph_id", how="semi", maintain_order="right")["embedding"].to_numpy(), dtype=np.float64)
unit /= np.linalg.norm(unit, axis=1, keepdims=True)
map_dist = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=-1)
cosine = unit @ unit.T
upper = np.triu_indices(len(xy), k=1)
near, far = np.argmin(map_dist[upper]), np.argmax(map_dist[upper])
rank_corr = float(np.corrcoef(np.argsort(np.argsort(map_dist[upper])), np.argsort(np.argsort(-cosine[upper])))[0, 1])
display(toolkit.prose(
    f"Nearest pair on the map: cosine similarity **{cosine[upper][near]:.2f}**. Farthest pair: **{cosine[upper][far]:.2f}**. "
    f"Across all pairs, the rank correlation between map distance and cosine dissimilarity is **{rank_corr:.2f}** "
    f"(one would mean that the map keeps the order of similarities perfectly)."
))

# %% [markdown]
# ## Discussion
#
# - A cluster label lists words, not a frame. Read the representative paragraphs of
#   one cluster: is it a topic (what is talked about) or a frame (how it is told)?
# - HDBSCAN's outliers were kept apart here (`outlier_policy="keep"`); by default
#   they are reassigned to the nearest centroid. Which would you report in an outlet
#   comparison, and what would change?
# - Fix the number of clusters (`n_clusters=8`) and re-run the stability check.
#   What happens to the seed and subsample ARI, and why?
# - Look at the stability table. Would you expect the same agreement across seeds
#   on a much larger corpus covering many events? Why?
# - Two outlets sit far apart on the map. What can you conclude, and what would you
#   compute to check it?

# %% [markdown]
# ## Key points
#
# - Embeddings go through a content-addressed cache; the provenance (model, weights
#   `sha256`) must agree before two analyses are compared.
# - Clusters come with c-TF-IDF labels; read the representative paragraphs before
#   trusting a label.
# - With a density method, check the outlier rate per outlet before reading cluster
#   shares as framing.
# - Report stability across seeds (ARI, per-cluster Jaccard), not one seed's result.
# - On a UMAP map only local neighbourhoods mean something; gaps, areas and axes do
#   not. Measure in the original embedding space.
