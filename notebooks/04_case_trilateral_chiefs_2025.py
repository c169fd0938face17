# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: toolkit
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
#   toolkit:
#     requires_corpus: seeds
# ---

# %% [markdown]
# # 04 · Case study: the trilateral chiefs of defence, July 2025
#
# **Questions this notebook answers**
#
# - Which articles of the corpus report the July 2025 meeting of the South Korean, US and
#   Japanese chiefs of defence in Seoul, and which outlets ran them?
# - What did each outlet stress, and what did it leave out, on five themes: cost-sharing
#   and tariffs, China, Russia and North Korea, the bomber drill, and Japan's goals?
# - Which points does only one outlet make?
# - Which frames carry the event's articles?
# - How far can these findings be trusted with one article per outlet?
#
# **Learning objectives.** After this notebook you can
#
# - find an event with `group_events` from the data, without hard-coding its id;
# - build a theme × outlet table from transparent keyword rules and check it against
#   embedding similarity to theme sentences, with the evidence paragraphs shown;
# - list each outlet's unique points with `compare_event` and their threshold sensitivity;
# - state what a one-article-per-outlet comparison can and cannot support.
#
# **Prerequisites.** Notebooks `01_corpus_tour` (wire copy, `story_id`),
# `02_semantic_clusters` (embeddings) and `03_framing_maps` (frames, intervals).
# Basic regular expressions.
#
# **Estimated time:** 40 minutes.
#
# **Runtime budget:** under 2 minutes on 2 CPU cores with a warm embedding cache
# (`make appendix` warms it; a cold cache adds the model's encoding time).
#
# Every number in the text below is computed from the corpus.

# %% tags=["parameters"]
# Parameters (papermill can override them: papermill 04_case_trilateral_chiefs_2025.ipynb out.ipynb -p corpus_path other/).
corpus_path = "../seeds"  # folder or file of pages (or CSV/JSONL/Parquet tables)
ingest_options = {}  # options of toolkit.load_corpus, e.g. {"columns": {"outlet": "source", "body": "content"}, "date_format": "%m/%d/%y"}
model = None  # embedding model name or path; None = the toolkit default (offline)
seed = 0  # seed for the permutations of the frame shares
output_dir = "../build/appendix"  # where tables and figures are saved

# %%
import re
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from IPython.display import display

import toolkit
from toolkit.analysis import analysis_paragraphs
from toolkit.appendix import save_figure, save_table
from toolkit.compare import compare_event
from toolkit.events import group_events
from toolkit.frames import pooled_article_scores, score_frames, title_paragraphs
from toolkit.shares import outlet_shares
from toolkit.wire import apply_wire_policy, mark_wire_copies

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm's notice when ipywidgets is absent
pl.Config.set_tbl_rows(60)
pl.Config.set_fmt_str_lengths(160)
output_dir = Path(output_dir)
# The event is the one holding the articles of these outlets (all three reported the Seoul meeting).
anchor_outlets = ["CNA", "NHK", "CTV News"]

corpus = toolkit.load_corpus(corpus_path, **ingest_options)
articles, paragraphs = corpus.articles, corpus.paragraphs
chosen = analysis_paragraphs(articles, paragraphs)
embeddings = toolkit.embed(paragraphs, model=model, progress=False)
events = group_events(articles, paragraphs, embeddings)
display(toolkit.prose(
    f"`group_events` puts the **{articles.height}** article blocks into **{events['event_id'].n_unique()}** events."
))

# %% [markdown]
# ## 1. Finding the event
#
# We do not type an event id: the ids depend on the corpus. We take the event that holds
# the articles of the anchor outlets, and check that it is one event.

# %%
anchored = events.join(articles.select("article_id", "outlet"), on="article_id").filter(pl.col("outlet").is_in(anchor_outlets))
candidates = anchored["event_id"].unique().sort().to_list()
assert len(candidates) == 1, f"the anchor outlets' articles fall in several events: {candidates}"
event_id = candidates[0]
members = events.filter(pl.col("event_id") == event_id)
event_articles = (
    articles.join(members.select("article_id"), on="article_id", how="semi")
    .join(mark_wire_copies(articles).select("article_id", "syndicated"), on="article_id", how="left")
    .select("article_id", "outlet", "outlet_country", "published", "wire", "duplicate_of", "syndicated", "title")
    .sort("published", "outlet")
)
save_table(event_articles, "04_event_articles", output_dir)
canonical_event = event_articles.filter(pl.col("duplicate_of").is_null())
event_paragraphs = chosen.join(canonical_event.select("article_id"), on="article_id", how="semi", maintain_order="left").join(
    articles.select("article_id", "outlet"), on="article_id", how="left", maintain_order="left"
)
event_articles

# %%
label = members["event_label"][0]
wired = canonical_event.filter(pl.col("wire").is_not_null())
display(toolkit.prose(
    f"The event is **{event_id}** (*{toolkit.escape_markdown(label)}*): **{event_articles.height}** article blocks, of which "
    f"**{event_articles.height - canonical_event.height}** are same-outlet copies, leaving **{canonical_event.height}** "
    f"articles from **{canonical_event['outlet'].n_unique()}** outlets and **{event_paragraphs.height}** analysed paragraphs, "
    f"published from **{canonical_event['published'].min()}** to **{canonical_event['published'].max()}**. "
    + (" ".join(f"**{toolkit.escape_markdown(r['outlet'])}** carries a wire story credited to *{toolkit.escape_markdown(r['wire'])}*." for r in wired.iter_rows(named=True)))
    + f" Syndicated stories among them: **{canonical_event['syndicated'].sum()}**."
))

# %%
per_outlet = event_paragraphs.group_by("outlet").agg(pl.col("article_id").n_unique().alias("articles"), pl.len().alias("paragraphs")).sort("outlet")
save_table(per_outlet, "04_event_outlets", output_dir)
n_one = per_outlet.filter(pl.col("articles") == 1).height
display(per_outlet)
display(toolkit.prose(
    f"**{n_one}** of the **{per_outlet.height}** outlets have one article in this event. With one article, an outlet's "
    f"coverage is a single editorial choice: there is **no sampling uncertainty estimate** to give, and every difference "
    f"below describes these articles, not the outlets' habits. Instead of intervals we show how the findings move with the "
    f"analyst's thresholds."
))

# %% [markdown]
# ### Context: the Hans India wire copy
#
# Hans India appears in the corpus with wire copy on the chiefs. Is it part of the event?

# %%
context = (
    articles.filter(pl.col("outlet") == "Hans India")
    .join(events.select("article_id", "event_id"), on="article_id")
    .join(mark_wire_copies(articles).select("article_id", "n_outlets_in_story", "wire_copy_of"), on="article_id", how="left")
    .select("article_id", "outlet", "published", "event_id", "story_id", "n_outlets_in_story", "title")
)
save_table(context, "04_context_hans_india", output_dir)
context_paragraphs = chosen.join(context.select("article_id"), on="article_id", how="semi")
display(context)
for text in context_paragraphs["text"].head(2):
    display(toolkit.prose(f"> {toolkit.escape_markdown(text)}"))

# %%
if context.height:
    ctx = context.row(0, named=True)
    gap = (canonical_event["published"].min() - ctx["published"]).days
    sharers = articles.filter(pl.col("story_id") == ctx["story_id"])["outlet"].unique().sort().to_list()
    display(toolkit.prose(
        f"Hans India's article (**{ctx['published']}**) is in event **{ctx['event_id']}**, not **{event_id}**: it was published "
        f"**{gap}** days before the event's first article, and `group_events` only joins articles published at most "
        f"**{group_events.__kwdefaults__['max_days']}** days apart (events span at most "
        f"**{group_events.__kwdefaults__['max_span_days']}** days). It reports the chiefs' **earlier video talks**, which "
        f"announced the July meeting. Its story is run by **{len(sharers)}** outlets ({', '.join(toolkit.escape_markdown(s) for s in sharers)}): syndicated wire copy, "
        f"which the wire policy counts once. It is context for the event, not coverage of it."
    ))
else:
    display(toolkit.prose("This corpus has no Hans India article."))

# %% [markdown]
# ## 2. Themes: what each outlet stressed and what it left out
#
# A theme is **present** in a paragraph when the paragraph matches the theme's regular
# expression. The rules are written out below so that anyone can read, criticise and
# change them. Keyword rules miss paraphrases and catch stray words, so section three
# checks them against a second, independent measure.

# %%
THEMES = {
    "cost-sharing and tariffs": r"\bcosts?\b|cost[- ]sharing|burden|tariffs?|\bpay(?:s|ing|ment)?\b|trade deal|defen[cs]e spending",
    "China": r"\bChina\b|\bChinese\b|\bBeijing\b",
    "Russia and North Korea": r"\bRussian?\b|\bMoscow\b|\bLavrov\b|\bUkraine\b",
    "bomber drill": r"\bbombers?\b|\bB-52H?\b|\b(?:aerial|air) drills?\b|\bwarplanes\b|\bJeju\b",
    "Japan's goals": r"\bYoshida (?:said|hopes|wants)\b|\bthree goals\b|\bIshiba\b|\bJapan(?:ese)? (?:aims|seeks|wants|hopes)\b|\breaction in Tokyo\b",
}
theme_rules = pl.DataFrame({"theme": list(THEMES), "pattern": list(THEMES.values())})
save_table(theme_rules, "04_theme_rules", output_dir)

hits = event_paragraphs.select("paragraph_id", "article_id", "outlet", "position", "text").with_columns(
    pl.col("text").str.contains(f"(?i){pattern}").alias(theme) for theme, pattern in THEMES.items()
)
theme_table = (
    hits.group_by("outlet")
    .agg(pl.len().alias("paragraphs"), *[pl.col(t).sum().alias(t) for t in THEMES])
    .sort("outlet")
)
save_table(theme_table, "04_theme_by_outlet", output_dir)
theme_table

# %%
matrix = theme_table.select(list(THEMES)).to_numpy() / theme_table["paragraphs"].to_numpy()[:, None]
fig, ax = plt.subplots(figsize=(9, 0.5 * theme_table.height + 2))
ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1, aspect="auto")
for i, row in enumerate(theme_table.iter_rows(named=True)):
    for j, theme in enumerate(THEMES):
        ax.text(j, i, f"{row[theme]}/{row['paragraphs']}", ha="center", va="center", fontsize=8, color="black" if matrix[i, j] < 0.6 else "white")
ax.set_xticks(range(len(THEMES)), list(THEMES), rotation=20, ha="right")
ax.set_yticks(range(theme_table.height), [f"{o} ({n} art.)" for o, n in zip(theme_table["outlet"], per_outlet.sort("outlet")["articles"])])
ax.set_title(f"Paragraphs mentioning each theme (keyword rules), event {event_id}")
fig.tight_layout()
save_figure(fig, "04_theme_by_outlet", output_dir)
plt.show()

# %%
coverage_by_theme = {t: theme_table.filter(pl.col(t) > 0)["outlet"].to_list() for t in THEMES}
display(toolkit.prose("\n".join(
    f"- **{toolkit.escape_markdown(t)}**: mentioned by **{len(o)}** of **{theme_table.height}** outlets"
    + (f" ({', '.join(toolkit.escape_markdown(x) for x in o)})" if o else "")
    + (f"; left out by {', '.join(toolkit.escape_markdown(x) for x in sorted(set(theme_table['outlet']) - set(o)))}" if len(o) < theme_table.height else "")
    for t, o in coverage_by_theme.items()
)))

# %% [markdown]
# ### The evidence
#
# A table of counts is only as good as the matches behind it. Here is the first
# matching paragraph of each outlet for each theme, with the words that matched.

# %%
evidence_rows = []
for theme, pattern in THEMES.items():
    for row in hits.filter(pl.col(theme)).sort("outlet", "article_id", "position").unique("outlet", keep="first", maintain_order=True).iter_rows(named=True):
        matched = sorted({m.group(0) for m in re.finditer(pattern, row["text"], flags=re.I)})
        evidence_rows.append({"theme": theme, "outlet": row["outlet"], "paragraph_id": row["paragraph_id"], "matched": ", ".join(matched), "text": row["text"]})
evidence = pl.DataFrame(evidence_rows, schema={"theme": pl.String, "outlet": pl.String, "paragraph_id": pl.String, "matched": pl.String, "text": pl.String})
save_table(evidence, "04_theme_evidence", output_dir)
for theme in THEMES:
    rows = evidence.filter(pl.col("theme") == theme)
    display(toolkit.prose(f"#### {toolkit.escape_markdown(theme)}\n\n" + "\n\n".join(f"**{toolkit.escape_markdown(r['outlet'])}** (matched: *{toolkit.escape_markdown(r['matched'])}*)\n\n> {toolkit.escape_markdown(r['text'])}" for r in rows.iter_rows(named=True))))

# %% [markdown]
# ### Your turn: who mentions China?
#
# Store in `china_outlets` the sorted list of outlets with at least one paragraph that
# mentions China by the keyword rule.
#
# *Hint:* use `hits` (one row per paragraph, one Boolean column per theme), or the
# count table `theme_table`.

# %%
china_outlets = None  # replace None with your expression

# %% tags=["solution"]
china_outlets = sorted(hits.filter(pl.col("China"))["outlet"].unique().to_list())

# %% [markdown]
# ### Check your understanding

# %%
assert china_outlets is not None, "set china_outlets in the cell above"
expected = sorted(o for o, text in zip(event_paragraphs["outlet"], event_paragraphs["text"]) if re.search(THEMES["China"], text, flags=re.I))
assert china_outlets == sorted(set(expected)), "list each outlet once, sorted"
silent = sorted(set(event_paragraphs["outlet"]) - set(china_outlets))
display(toolkit.prose(f"Correct: **{len(china_outlets)}** outlets mention China; **{len(silent)}** do not ({', '.join(toolkit.escape_markdown(x) for x in silent) or 'none'})."))

# %% [markdown]
# ## 3. A second measure: similarity to theme sentences
#
# Each theme also gets one sentence written for it. A paragraph is near a theme when
# the cosine between its embedding and the theme sentence's is at or above a
# threshold. The threshold is a judgement, so we report three and see which calls move.
# One sentence is a narrow target and this small model gives modest cosines even to
# close paraphrases: expect the similarity calls to be stricter than the keywords.

# %%
THEME_SENTENCES = {
    "cost-sharing and tariffs": "The United States demands that its allies pay more for hosting American troops and threatens tariffs on their exports.",
    "China": "China's military build-up and assertiveness are a growing threat in the region.",
    "Russia and North Korea": "North Korea sends troops to Russia and may receive military technology from Moscow in return.",
    "bomber drill": "The three countries staged a joint aerial drill with a US strategic bomber.",
    "Japan's goals": "Japan's top general wants trilateral defence cooperation institutionalised so that it survives political change.",
}
thresholds = [0.4, 0.5, 0.6]
theme_frame = pl.DataFrame({"paragraph_id": [f"theme-{i}" for i in range(len(THEME_SENTENCES))], "text": list(THEME_SENTENCES.values())})
theme_vectors = np.asarray(toolkit.embed(theme_frame, model=model, progress=False)["embedding"].to_numpy(), dtype=float)
para_vectors = np.asarray(
    embeddings.join(event_paragraphs.select("paragraph_id"), on="paragraph_id", how="semi", maintain_order="right")["embedding"].to_numpy(), dtype=float
)
cosine = para_vectors @ theme_vectors.T / np.linalg.norm(para_vectors, axis=1, keepdims=True) / np.linalg.norm(theme_vectors, axis=1)
similar = event_paragraphs.select("paragraph_id", "outlet").with_columns(pl.Series(t, cosine[:, j]) for j, t in enumerate(THEME_SENTENCES))
best_per_outlet = similar.group_by("outlet").agg(pl.col(t).max() for t in THEME_SENTENCES).sort("outlet")
save_table(best_per_outlet.with_columns(pl.col(pl.Float64).round(6)), "04_theme_similarity", output_dir)
best_per_outlet

# %%
sens_rows = []
for theme in THEMES:
    keyword = set(coverage_by_theme[theme])
    for t in thresholds:
        near = set(best_per_outlet.filter(pl.col(theme) >= t)["outlet"])
        sens_rows.append({"theme": theme, "threshold": t, "outlets_by_similarity": len(near), "outlets_by_keywords": len(keyword),
                          "agree": len(set(best_per_outlet["outlet"])) - len(near ^ keyword),
                          "only_similarity": ", ".join(sorted(near - keyword)), "only_keywords": ", ".join(sorted(keyword - near))})
theme_sensitivity = pl.DataFrame(sens_rows)
save_table(theme_sensitivity, "04_theme_sensitivity", output_dir)
theme_sensitivity

# %%
n_outlets = best_per_outlet.height
stable = theme_sensitivity.group_by("theme").agg((pl.col("agree") == n_outlets).all().alias("all_agree"))
best_t = theme_sensitivity.group_by("threshold").agg(pl.col("agree").sum()).sort(["agree", "threshold"], descending=[True, False]).row(0)
display(toolkit.prose(
    f"Keyword rules and sentence similarity agree on every outlet, at every threshold tried "
    f"({', '.join(f'{t:.1f}' for t in thresholds)}), for **{stable['all_agree'].sum()}** of the **{len(THEMES)}** themes"
    + (f" ({', '.join(toolkit.escape_markdown(x) for x in stable.filter('all_agree')['theme'].sort())})" if stable['all_agree'].sum() else "")
    + f". Overall agreement is highest at threshold **{best_t[0]:.1f}** (**{best_t[1]}** of **{n_outlets * len(THEMES)}** outlet × theme calls). "
    f"Where the two measures disagree, read the evidence paragraphs before making a claim."
))

# %% [markdown]
# ## 4. Points only one outlet makes
#
# `compare_event` matches each paragraph to its nearest paragraph in every other outlet
# covering the event. A paragraph no other outlet matches at the threshold (cosine) is a
# **unique point**. Same-outlet copies are left out and wire copy counts once.

# %%
measure_articles = apply_wire_policy(articles, policy="merge")
comparison = compare_event(event_id, events, chosen, measure_articles, embeddings)
sensitivity = comparison.sensitivity.pivot(on="threshold", index="outlet", values="n_unique").join(
    comparison.sensitivity.filter(pl.col("threshold") == comparison.threshold).select("outlet", "n_paragraphs"), on="outlet"
)
save_table(comparison.sensitivity, "04_unique_point_sensitivity", output_dir)
save_table(comparison.unique_points.with_columns(pl.col("max_similarity_elsewhere").round(6)), "04_unique_points", output_dir)
sensitivity

# %%
unique = comparison.unique_points
display(toolkit.prose(
    f"At the default threshold **{comparison.threshold:.1f}**, **{unique.height}** of **{comparison.coverage.height}** "
    f"paragraphs are unique points: "
    + ", ".join(f"**{toolkit.escape_markdown(o)}** {n}" for o, n in unique.group_by("outlet").len().sort("outlet").iter_rows())
    + ". Across the thresholds in the table the count runs from "
    + f"**{comparison.sensitivity.group_by('threshold').agg(pl.col('n_unique').sum()).sort('threshold')['n_unique'][0]}** to "
    + f"**{comparison.sensitivity.group_by('threshold').agg(pl.col('n_unique').sum()).sort('threshold')['n_unique'][-1]}**: "
    "read a point as unique only when it stays unique at the lowest threshold, where a weaker match elsewhere already counts."
))
for row in unique.iter_rows(named=True):
    display(toolkit.prose(f"**{toolkit.escape_markdown(row['outlet'])}** (best match elsewhere {row['max_similarity_elsewhere']:.2f}, in {toolkit.escape_markdown(row['nearest_outlet'])})\n\n> {toolkit.escape_markdown(row['text'])}"))

# %% [markdown]
# ## 5. Frames of the event's articles
#
# Each paragraph and headline is scored against the frame prototypes; an article's
# score weighs the headline and the lead more (`pooled_article_scores`). With one article per
# outlet, the article's primary frame *is* the outlet's frame for this event: read the
# margin to see how close the runner-up is.

# %%
titles = title_paragraphs(articles.join(canonical_event.select("article_id"), on="article_id", how="semi"))
title_vectors = toolkit.embed(titles, model=model, progress=False)
scored = pl.concat([event_paragraphs.select("paragraph_id", "article_id", "position"), titles.select("paragraph_id", "article_id", "position")])
event_frames = score_frames(scored, pl.concat([embeddings, title_vectors]), model=model)
per_article = pooled_article_scores(event_frames, event_paragraphs, canonical_event)
primary_articles = (
    per_article.filter("is_primary")
    .join(canonical_event.select("article_id", "outlet", "title"), on="article_id")
    .select("outlet", "article_id", "primary_frame", "score", "margin", "n_paragraphs", "title")
    .sort("outlet", "article_id")
)
save_table(primary_articles.with_columns(pl.col(pl.Float64).round(6)), "04_article_frames", output_dir)
primary_articles

# %%
body_frames = event_frames.join(event_paragraphs.select("paragraph_id"), on="paragraph_id", how="semi", maintain_order="left")
event_shares = outlet_shares(body_frames, event_paragraphs, articles.join(canonical_event.select("article_id"), on="article_id", how="semi"),
                             seed=seed)
save_table(event_shares.with_columns(pl.col(pl.Float64).round(6)), "04_event_frame_shares", output_dir)
event_shares.filter(pl.col("n_in_category") > 0).select("outlet", "category", "n_articles", "n_paragraphs", "n_in_category", "estimate", "ci_low", "ci_high", "ci_reason")

# %%
frame_mix = primary_articles.group_by("primary_frame").agg(pl.col("outlet").sort().alias("outlets")).sort("primary_frame")
narrow_margin = 0.05  # softmax score units
narrow = primary_articles.filter(pl.col("margin") < narrow_margin)
display(toolkit.prose(
    "Primary frame of each article: "
    + "; ".join(f"**{toolkit.escape_markdown(f)}**: {', '.join(toolkit.escape_markdown(x) for x in o)}" for f, o in frame_mix.iter_rows())
    + f". **{narrow.height}** of **{primary_articles.height}** articles have a margin below **{narrow_margin}** between the scores "
    f"of their first and second frame (smallest margin: **{primary_articles['margin'].min():.2f}**). Outlet intervals on the paragraph shares exist for **{event_shares.filter(pl.col('ci_low').is_not_nan())['outlet'].n_unique()}** "
    f"outlet(s) of **{event_shares['outlet'].n_unique()}**; and **{event_shares.filter(pl.col('q_value') < 0.05).height}** "
    f"outlet × frame shares differ from chance at q below five per cent."
))

# %% [markdown]
# ### Your turn: the most distinctive outlet
#
# Store in `most_unique_outlet` the outlet with the largest **share** of its paragraphs
# that are unique points at the default threshold (ties: alphabetical).
#
# *Hint:* `comparison.sensitivity` has `n_unique` and `n_paragraphs` per threshold;
# `comparison.threshold` is the default.

# %%
most_unique_outlet = None  # replace None with your expression

# %% tags=["solution"]
most_unique_outlet = (
    comparison.sensitivity.filter(pl.col("threshold") == comparison.threshold)
    .with_columns((pl.col("n_unique") / pl.col("n_paragraphs")).alias("rate"))
    .sort(["rate", "outlet"], descending=[True, False])["outlet"][0]
)

# %% [markdown]
# ### Check your understanding

# %%
assert most_unique_outlet is not None, "set most_unique_outlet in the cell above"
cov = comparison.coverage.group_by("outlet").agg((pl.col("max_similarity_elsewhere") < comparison.threshold).mean().alias("rate"))
assert most_unique_outlet == cov.sort(["rate", "outlet"], descending=[True, False])["outlet"][0], "divide unique points by the outlet's paragraphs"
rate = cov.filter(pl.col("outlet") == most_unique_outlet)["rate"].item()
display(toolkit.prose(f"Correct: **{rate:.0%}** of **{toolkit.escape_markdown(most_unique_outlet)}**'s paragraphs make a point no other outlet makes at the default threshold."))

# %% [markdown]
# ## Discussion
#
# - The keyword rule for cost-sharing catches "pay". Find a paragraph where it fires for
#   another reason, and rewrite the rule. Which cells of the table change?
# - One outlet's article is a wire story. Whose framing does it show: the outlet's, the
#   agency's, or both? How would you treat it if the agency's copy also ran elsewhere?
# - An outlet that does not mention China may have left it out on purpose, or simply
#   reported a shorter story. What evidence would tell the two apart?
# - `compare_event` sees topic, not stance: two paragraphs on the cost dispute match
#   whether they endorse or criticise the demand. Where in this event does that matter?
# - Which single claim from this notebook would you be ready to publish, and what
#   sentence about uncertainty must come with it?

# %% [markdown]
# ## Key points
#
# - Find the event from the data (`group_events` and an anchor), never by a typed id.
# - Write theme rules out in the notebook, show the evidence paragraphs, and check the
#   rules against a second measure.
# - With one article per outlet there is no sampling uncertainty estimate: report the
#   counts and how the calls move with the thresholds.
# - Unique points depend on the threshold; trust those that survive the stricter one.
# - Wire copy and same-outlet copies are handled before outlets are compared; context
#   articles outside the event are shown as context, not counted.
