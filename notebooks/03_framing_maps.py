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
# # 03 · Framing maps: outlets, frames, words and axes
#
# **Questions this notebook answers**
#
# - Where do each outlet's paragraphs fall on the map, and which frames and clusters sit where?
# - What share of each outlet's paragraphs carries each frame, how sure are we, and is it more than chance?
# - Which words set the largest outlet apart from the rest?
# - Where do outlets sit on interpretable semantic axes (cooperation or confrontation, deterrence or diplomacy)?
# - What may be read from distances on the map, and where must outlet distances be measured instead?
# - What can a corpus this size support, and what can it not?
#
# **Learning objectives.** After this notebook you can
#
# - colour and facet the paragraph map by outlet, country, cluster and primary frame;
# - read outlet frame shares with article-level intervals against a random-label baseline;
# - find distinctive words with Fightin' Words and read its plot;
# - score outlets on a SemAxis axis with intervals and a baseline band;
# - compute outlet distances in the embedding space, not on the map.
#
# **Prerequisites.** Notebooks `01_corpus_tour` (canonical articles, wire copy) and
# `02_semantic_clusters` (embeddings, clusters, the UMAP warning).
#
# **Estimated time:** 45 minutes.
#
# **Runtime budget:** under 2 minutes on 2 CPU cores with a warm embedding cache
# (`make appendix` warms it; a cold cache adds the model's encoding time).
#
# Every number in the text below is computed from the corpus.

# %% tags=["parameters"]
# Parameters (papermill can override them: papermill 03_framing_maps.ipynb out.ipynb -p seed 1).
corpus_path = "../seeds"  # folder or file of pages (or CSV/JSONL/Parquet tables)
ingest_options = {}  # options of toolkit.load_corpus, e.g. {"columns": {"outlet": "source", "body": "content"}, "date_format": "%m/%d/%y"}
model = None  # embedding model name or path; None = the toolkit default (offline)
seed = 0  # seed for UMAP and the permutations
output_dir = "../build/appendix"  # where tables, figures and maps are saved

# %%
import warnings
from pathlib import Path

import numpy as np
import polars as pl
from IPython.display import display

import toolkit
from toolkit.analysis import analysis_paragraphs
from toolkit.appendix import figure_stem, map_path, save_figure, save_table
from toolkit.clustering import cluster_paragraphs_with_report
from toolkit.distances import outlet_distances
from toolkit.distinctive import fightin_words, plot_fightin_words
from toolkit.frames import score_frames
from toolkit.maps import map_data, new_figure, outlet_centroids
from toolkit.semaxis import axis_by_outlet, default_axes, project_axis
from toolkit.shares import MIN_CI_ARTICLES, outlet_shares
from toolkit.wire import apply_wire_policy

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm's notice when ipywidgets is absent
pl.Config.set_tbl_rows(40)
pl.Config.set_fmt_str_lengths(120)
output_dir = Path(output_dir)
n_boot, n_perm = 2000, "auto"  # article resamples; label permutations planned from the number of tests

corpus = toolkit.load_corpus(corpus_path, **ingest_options)
articles, paragraphs = corpus.articles, corpus.paragraphs
chosen = analysis_paragraphs(articles, paragraphs)
vectors = toolkit.embed(chosen, model=model, progress=False)
# Outlet comparisons count a syndicated wire story once ("merge"), as the framing measures expect.
measure_articles = apply_wire_policy(articles, policy="merge")
measured = chosen.join(measure_articles.select("article_id"), on="article_id", how="semi", maintain_order="left")
measured_vectors = vectors.join(measured.select("paragraph_id"), on="paragraph_id", how="semi", maintain_order="left")
per_outlet = measure_articles.group_by("outlet").len("articles").sort(["articles", "outlet"], descending=[True, False])
display(toolkit.prose(
    f"We analyse **{chosen.height}** paragraphs (bodies and decks of canonical articles). For outlet comparisons a "
    f"syndicated story counts once: **{measure_articles.height}** articles and **{measured.height}** paragraphs from "
    f"**{per_outlet.height}** outlets."
))

# %% [markdown]
# ## 1. What this corpus can and cannot support
#
# Uncertainty is measured over **articles**: paragraphs of one article share an
# author, a topic and a frame, so they are not independent evidence. Below five
# articles the toolkit prints no interval for a share (NaN, with the reason in
# `ci_reason`): measured on real articles, intervals that small do not cover what
# they claim. An outlet with a single article cannot be told apart from chance by any
# test. Count them before reading any comparison.

# %%
save_table(per_outlet, "03_articles_per_outlet", output_dir)
n_single = per_outlet.filter(pl.col("articles") == 1).height
largest = per_outlet.row(0, named=True)
display(per_outlet)
display(toolkit.prose(
    f"**{n_single}** of the **{per_outlet.height}** outlets {'has' if n_single == 1 else 'have'} a single article, so "
    f"{'its share has' if n_single == 1 else 'their shares have'} no interval below (missing, not zero-width): "
    f"the corpus **describes** what they wrote, it does not **compare** them. Outlets with enough articles for an "
    f"interval (at least **{MIN_CI_ARTICLES['wilson']}**): "
    f"{', '.join(f'**{toolkit.escape_markdown(o)}** (**{n}**)' for o, n in per_outlet.filter(pl.col('articles') >= MIN_CI_ARTICLES['wilson']).iter_rows()) or 'none'}. "
    f"Outlets above the toolkit's small-group line of five articles: **{per_outlet.filter(pl.col('articles') > 5).height}**."
))

# %% [markdown]
# ## 2. The map, coloured four ways
#
# The same stored UMAP projection as in `02_semantic_clusters`, now with each
# paragraph's **primary frame** (the frame prototype nearest to it, from
# `score_frames`). The dropdown switches between outlet, country, cluster and frame;
# below the map, one small panel per outlet shows its paragraphs against the whole
# corpus in grey.
#
# > **Warning: what UMAP distances mean.** Close points are usually similar in
# > meaning. Nothing else carries over: the size of a gap between groups, the area a
# > group covers, its density and the axes mean **nothing**. An outlet's "position" on
# > the map is not a measurement; outlet distances are computed in the embedding space
# > (section six).

# %%
clusters, cluster_report = cluster_paragraphs_with_report(vectors, chosen, random_state=seed)
frames = score_frames(chosen, vectors, model=model)
primary = frames.filter(pl.col("is_primary")).select("paragraph_id", pl.col("frame").alias("primary_frame"), "margin", "ambiguous")
coords = toolkit.project(vectors, random_state=seed)
save_table(coords, "03_map_coordinates", output_dir)
save_table(primary.with_columns(pl.col("margin").round(6)), "03_primary_frames", output_dir)
data = map_data(articles, chosen, clusters, primary)
interactive = toolkit.interactive_map(
    coords,
    data,
    color_by=("outlet", "outlet_country", "cluster", "primary_frame"),
    facet_by="outlet",
    path=map_path("03_framing_map", output_dir),
    title="Paragraph map (UMAP): outlet, country, cluster, primary frame",
)
interactive

# %%
toolkit.small_multiples(coords, data, by="outlet", color_by="primary_frame", path=figure_stem("03_map_frame_by_outlet", output_dir),
                        title="Primary frame of each paragraph, one panel per outlet")

# %%
frame_counts = primary.group_by("primary_frame").len("paragraphs").sort(["paragraphs", "primary_frame"], descending=[True, False])
save_table(frame_counts, "03_primary_frame_counts", output_dir)
top_frame = frame_counts.row(0, named=True)
display(toolkit.prose(
    f"**{frame_counts.height}** frames are the primary frame of at least one paragraph; the commonest is "
    f"**{toolkit.escape_markdown(top_frame['primary_frame'])}** (**{top_frame['paragraphs']}** of **{primary.height}** paragraphs). "
    f"**{primary['ambiguous'].sum()}** paragraphs are ambiguous (their top two frames are within the toolkit's margin): "
    f"frame labels are an unsupervised proxy, not a coder's judgement."
))

# %% [markdown]
# ## 3. Frame shares with intervals and a chance baseline
#
# `outlet_shares` counts each paragraph's primary frame per outlet. For each outlet and
# frame it gives the share (`estimate`), an interval whose width comes from the
# variation between the outlet's **articles** (a Wilson interval on the
# article-clustered sample size; none below five articles), and a **baseline band**:
# the shares an outlet of the same size gets when outlet labels are shuffled across
# articles. A share inside its grey band is what chance alone produces. The p-values
# come from as many label permutations as the table's number of tests needs for a
# q-value below five per cent to be reachable (`n_perm` says how many each test used).

# %%
shares = outlet_shares(frames, chosen, articles, n_boot=n_boot, n_perm=n_perm, seed=seed)
save_table(shares.with_columns(pl.col(pl.Float64).round(6)), "03_outlet_frame_shares", output_dir)
shares.select("outlet", "category", "n_articles", "n_paragraphs", "estimate", "ci_low", "ci_high", "baseline_low", "baseline_high", "q_value", "n_perm")

# %%
frame_names = shares.group_by("category").agg(pl.col("pooled_share").first()).sort(["pooled_share", "category"], descending=[True, False])["category"].to_list()
outlet_names = shares.select("outlet", "n_articles").unique().sort(["n_articles", "outlet"], descending=[True, False])
labels = [f"{o} (n={n})" for o, n in outlet_names.iter_rows()]
ncols = 3
nrows = -(-len(frame_names) // ncols)
# new_figure: a figure that shows as a picture under any backend (papermill, nbconvert, MPLBACKEND=Agg).
fig = new_figure(figsize=(12, 0.42 * len(labels) * nrows + 1.5))
axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
for ax, frame_name in zip(axes.flat, frame_names):
    rows = shares.filter(pl.col("category") == frame_name).join(outlet_names.select("outlet").with_row_index("pos"), on="outlet").sort("pos")
    ypos = rows["pos"].to_numpy()
    ax.barh(ypos, rows["baseline_high"] - rows["baseline_low"], left=rows["baseline_low"], height=0.6, color="0.88", label="random-label band")
    ci = rows.filter(pl.col("ci_low").is_not_nan())
    ax.errorbar(ci["estimate"], ci["pos"], xerr=[(ci["estimate"] - ci["ci_low"]).clip(lower_bound=0), (ci["ci_high"] - ci["estimate"]).clip(lower_bound=0)], fmt="none", ecolor="C0", capsize=3)
    ax.scatter(rows["estimate"], ypos, color="C0", zorder=3, label="share (article-level CI)")
    ax.axvline(rows["pooled_share"][0], color="0.4", lw=0.8, ls="--", label="pooled share")
    ax.set_title(frame_name, fontsize=9)
    ax.set_xlim(-0.02, 1.02)
for ax in axes.flat[len(frame_names):]:
    ax.set_visible(False)
axes[0, 0].set_yticks(range(len(labels)), labels)
axes[0, 0].invert_yaxis()
axes[0, 0].legend(loc="lower right", fontsize=7)
fig.suptitle("Share of paragraphs by primary frame, per outlet (n = articles)")
fig.tight_layout()
save_figure(fig, "03_frame_shares", output_dir)
fig

# %%
focus = largest["outlet"]
focus_rows = shares.filter(pl.col("outlet") == focus).sort("estimate", descending=True)
top = focus_rows.row(0, named=True)
display(toolkit.prose(
    f"**{toolkit.escape_markdown(focus)}** (**{top['n_articles']}** articles, **{top['n_paragraphs']}** paragraphs): **{toolkit.escape_markdown(top['category'])}** is "
    f"**{top['estimate']:.0%}** of its paragraphs ("
    + (f"CI **{top['ci_low']:.0%}**–**{top['ci_high']:.0%}**" if top["ci_low"] == top["ci_low"] else "no interval: too few articles")
    + f"; pooled "
    f"**{top['pooled_share']:.0%}**; random-label band **{top['baseline_low']:.0%}**–**{top['baseline_high']:.0%}**; "
    f"q = **{top['q_value']:.2f}**). Over all **{shares.height}** outlet × frame tests, "
    f"**{shares.filter(pl.col('q_value') < 0.05).height}** have q below five per cent. "
    + (lambda k: f"**{k}** outlet{'s have' if k != 1 else ' has'} no interval ")(shares.filter(pl.col('ci_low').is_nan()).select('outlet').n_unique())
    + f"(fewer than **{MIN_CI_ARTICLES['wilson']}** articles)."
))

# %% [markdown]
# ### Your turn: how many outlets can be compared at all?
#
# Store in `n_with_interval` the number of outlets whose frame shares have an
# interval (not NaN).
#
# *Hint:* filter `shares` on `ci_low`, then count distinct outlets; or read
# `ci_reason` to see how many articles an outlet needs.

# %%
n_with_interval = None  # replace None with your expression

# %% tags=["solution"]
n_with_interval = shares.filter(pl.col("ci_low").is_not_nan())["outlet"].n_unique()

# %% [markdown]
# ### Check your understanding

# %%
assert n_with_interval is not None, "set n_with_interval in the cell above"
assert n_with_interval == per_outlet.filter(pl.col("articles") >= MIN_CI_ARTICLES["wilson"]).height, "an interval needs enough articles to cover"
display(toolkit.prose(
    f"Correct: **{n_with_interval}** of **{per_outlet.height}** outlets have an interval; the rest have fewer than "
    f"**{MIN_CI_ARTICLES['wilson']}** articles."
))

# %% [markdown]
# ## 4. Distinctive language: Fightin' Words
#
# Which words does the largest outlet use more, or less, than all other outlets
# pooled? Fightin' Words (Monroe, Colaresi & Quinn) compares log-odds with an
# informative prior, so a word used twice by a small outlet does not top the list. The
# z-scores treat tokens as independent draws, so they only **rank** the terms; the
# p- and q-values come from shuffling the outlet labels of whole articles, so a word
# one article repeats ten times is as uncertain as that one article.

# %%
words = fightin_words(measured, measure_articles, group_a=focus)
save_table(words.with_columns(pl.col(pl.Float64).round(6)), "03_fightin_words", output_dir)
plot_fightin_words(words, path=figure_stem("03_fightin_words", output_dir), title=f"{focus} vs all other outlets")

# %%
strong_a = words.filter(pl.col("z") >= 1.96)
strong_b = words.filter(pl.col("z") <= -1.96).sort("z")
display(toolkit.prose(
    f"**{words['n_articles_a'][0]}** articles (**{words['n_paragraphs_a'][0]}** paragraphs) of {toolkit.escape_markdown(focus)} against "
    f"**{words['n_articles_b'][0]}** articles (**{words['n_paragraphs_b'][0]}** paragraphs) of the rest. "
    f"**{strong_a.height}** terms lean to {toolkit.escape_markdown(focus)} beyond |z| = 1.96 (strongest: "
    f"{', '.join(f'*{toolkit.escape_markdown(t)}* ({z:.1f})' for t, z in strong_a.head(5).select('term', 'z').iter_rows()) or 'none'}); "
    f"**{strong_b.height}** lean to the rest (strongest: "
    f"{', '.join(f'*{toolkit.escape_markdown(t)}* ({z:.1f})' for t, z in strong_b.head(5).select('term', 'z').iter_rows()) or 'none'}). "
    f"Terms with q below five per cent (article-level permutation): **{words.filter(pl.col('q_value') < 0.05).height}**; "
    f"with the token-level normal p that treats every token as independent, "
    f"**{words.filter(pl.col('p_token') < 0.05).height}** terms would have p below five per cent."
))

# %% [markdown]
# ## 5. Semantic axes
#
# A SemAxis axis runs from one pole of short sentences to another (see
# `toolkit/data/axes.toml`). Each paragraph gets the cosine with the axis; an outlet's
# score is the mean of its **article** means, with a t interval over those article
# means (none below five articles) and a random-label band. The scores are relative: compare outlets on one axis, never read
# a value as "cooperative" on its own.

# %%
axes_list = default_axes(model=model)
axis_scores = project_axis(axes_list, measured_vectors)
by_outlet = axis_by_outlet(axis_scores, measured, measure_articles, n_boot=n_boot, n_perm=n_perm, seed=seed)
save_table(by_outlet.with_columns(pl.col(pl.Float64).round(6)), "03_axis_by_outlet", output_dir)
by_outlet.select("axis", "outlet", "n_articles", "n_paragraphs", "estimate", "ci_low", "ci_high", "baseline_low", "baseline_high", "q_value")

# %%
fig = new_figure(figsize=(6 * len(axes_list), 0.45 * len(labels) + 1.8))
axes = fig.subplots(1, len(axes_list), sharey=True, squeeze=False)
for ax, axis in zip(axes.flat, axes_list):
    rows = by_outlet.filter(pl.col("axis") == axis.name).join(outlet_names.select("outlet").with_row_index("pos"), on="outlet").sort("pos")
    ypos = rows["pos"].to_numpy()
    ax.barh(ypos, rows["baseline_high"] - rows["baseline_low"], left=rows["baseline_low"], height=0.6, color="0.88", label="random-label band")
    ci = rows.filter(pl.col("ci_low").is_not_nan())
    ax.errorbar(ci["estimate"], ci["pos"], xerr=[(ci["estimate"] - ci["ci_low"]).clip(lower_bound=0), (ci["ci_high"] - ci["estimate"]).clip(lower_bound=0)], fmt="none", ecolor="C1", capsize=3)
    ax.scatter(rows["estimate"], ypos, color="C1", zorder=3, label="mean of article means (CI)")
    ax.set_title(axis.name, fontsize=10)
    ax.set_xlabel(f"← {axis.negative_label}    {axis.positive_label} →")
    # The bands' sticky edges would set the limits and cut the outermost points in half.
    ax.use_sticky_edges = False
    ax.margins(x=0.06)
axes[0, 0].set_yticks(range(len(labels)), labels)
axes[0, 0].invert_yaxis()
axes[0, 0].legend(loc="lower right", fontsize=7)
fig.suptitle("Outlets on the semantic axes (n = articles)")
fig.tight_layout()
save_figure(fig, "03_axis_by_outlet", output_dir)
fig

# %%
coop = by_outlet.filter(pl.col("axis") == axes_list[0].name).sort("estimate", descending=True)
outside = by_outlet.filter((pl.col("estimate") < pl.col("baseline_low")) | (pl.col("estimate") > pl.col("baseline_high")))
display(toolkit.prose(
    f"On **{toolkit.escape_markdown(axes_list[0].name)}**, the most {toolkit.escape_markdown(axes_list[0].positive_label)}-leaning outlet is **{toolkit.escape_markdown(coop['outlet'][0])}** "
    f"(mean **{coop['estimate'][0]:.3f}**, **{coop['n_articles'][0]}** article(s)) and the most {toolkit.escape_markdown(axes_list[0].negative_label)}-leaning "
    f"**{toolkit.escape_markdown(coop['outlet'][-1])}** (**{coop['estimate'][-1]:.3f}**, **{coop['n_articles'][-1]}** article(s)). "
    f"**{outside.height}** of the **{by_outlet.height}** outlet × axis means fall outside their random-label band, and "
    f"**{by_outlet.filter(pl.col('q_value') < 0.05).height}** have q below five per cent."
))

# %% [markdown]
# ## 6. Outlet distances belong in the embedding space
#
# `outlet_distances` measures the cosine distance between outlet centroids of the
# article vectors in the **original** embedding space, with a permutation null that
# shuffles labels between the two outlets' articles only.
# Next to it: the distance between the same outlets' centroids on the map. If the map
# kept outlet distances, the two would rank the pairs alike.

# %%
distances = outlet_distances(measured_vectors, measured, measure_articles, n_perm=n_perm, seed=seed)
centroids = outlet_centroids(coords, data.join(measured.select("paragraph_id"), on="paragraph_id", how="semi"))
xy = {o: (x, y) for o, x, y, _ in centroids.iter_rows()}
distances = distances.with_columns(
    pl.struct("outlet_a", "outlet_b").map_elements(
        lambda r: float(np.hypot(xy[r["outlet_a"]][0] - xy[r["outlet_b"]][0], xy[r["outlet_a"]][1] - xy[r["outlet_b"]][1])),
        return_dtype=pl.Float64,
    ).alias("map_distance")
)
save_table(distances.with_columns(pl.col(pl.Float64).round(6)), "03_outlet_distances", output_dir)
distances.select("outlet_a", "outlet_b", "n_articles_a", "n_articles_b", "estimate", "baseline_low", "baseline_high", "q_value", "map_distance").sort("estimate")


# %%
def ranks(values):
    return np.argsort(np.argsort(np.asarray(values)))


rank_corr = float(np.corrcoef(ranks(distances["estimate"]), ranks(distances["map_distance"]))[0, 1])
closest = distances.sort("estimate").row(0, named=True)
map_closest = distances.sort("map_distance").row(0, named=True)
display(toolkit.prose(
    f"Across **{distances.height}** outlet pairs the rank correlation between embedding distance and map distance is "
    f"**{rank_corr:.2f}**. The closest pair in the embedding space is **{toolkit.escape_markdown(closest['outlet_a'])}**–**{toolkit.escape_markdown(closest['outlet_b'])}** "
    f"(cosine distance **{closest['estimate']:.3f}**); on the map it is **{toolkit.escape_markdown(map_closest['outlet_a'])}**–**{toolkit.escape_markdown(map_closest['outlet_b'])}**. "
    f"**{distances.filter(pl.col('q_value') < 0.05).height}** pairs are further apart than the permutation null allows "
    f"(q below five per cent)."
))

# %% [markdown]
# ### Your turn: the nearest neighbour of the largest outlet
#
# Store in `nearest_to_focus` the outlet closest to the largest outlet (`focus`) in the
# **embedding** space (smallest `estimate`, the cosine distance; ties: alphabetical).
#
# *Hint:* the pair can list `focus` as `outlet_a` or as `outlet_b`.

# %%
nearest_to_focus = None  # replace None with your expression

# %% tags=["solution"]
pairs_with_focus = distances.filter((pl.col("outlet_a") == focus) | (pl.col("outlet_b") == focus)).with_columns(
    pl.when(pl.col("outlet_a") == focus).then(pl.col("outlet_b")).otherwise(pl.col("outlet_a")).alias("other")
)
nearest_to_focus = pairs_with_focus.sort("estimate", "other")["other"][0]

# %% [markdown]
# ### Check your understanding

# %%
assert nearest_to_focus is not None, "set nearest_to_focus in the cell above"
others = {o for o in per_outlet["outlet"] if o != focus}
best = min(others, key=lambda o: (distances.filter(pl.col("outlet_a").is_in([o, focus]) & pl.col("outlet_b").is_in([o, focus]))["estimate"].item(), o))
assert nearest_to_focus == best, "use `estimate` (embedding space), not `map_distance`"
display(toolkit.prose(f"Correct: **{toolkit.escape_markdown(nearest_to_focus)}** is nearest to **{toolkit.escape_markdown(focus)}** in the embedding space."))

# %% [markdown]
# ## Discussion
#
# - Most outlets here have one article. What would you need to collect before saying
#   that an outlet *favours* a frame, rather than that one of its articles did?
# - The primary frame comes from similarity to prototype sentences. Pick an ambiguous
#   paragraph on the map: which frame would you give it, and why?
# - Fightin' Words z treats tokens as independent. How does one long article by the
#   largest outlet inflate its z-scores, and why does the article-level permutation
#   not follow it?
# - A SemAxis score depends on the pole sentences. Rewrite one pole in
#   `toolkit/data/axes.toml` so that it names North Korea: what would the axis pick up?
# - Two outlets sit far apart on the map but close in the embedding space. Which do you
#   report, and how do you explain the map to a reader?

# %% [markdown]
# ## Key points
#
# - Count articles per outlet first: an outlet with one article has no interval and
#   cannot be compared, only described.
# - Frame shares are read against an article-level interval (none below five
#   articles) and a random-label band; many tests call for the q-value, and enough
#   permutations for it to go below five per cent.
# - Fightin' Words ranks distinctive terms with a prior that damps rare words; its
#   z-scores are token-level and only rank, its p- and q-values are article-level.
# - SemAxis scores are relative positions on an axis defined by pole sentences.
# - Measure outlet distances in the embedding space; the UMAP map shows neighbourhoods,
#   not distances.
