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
# # 05 · Case study: Seoul and Tokyo, June to August 2025
#
# **Questions this notebook answers**
#
# - Which articles of the corpus cover relations between South Korea and Japan over the
#   summer of 2025 (the Lee–Ishiba call, the prime minister nominee, "pragmatic
#   diplomacy", Liberation Day and the eighty-years feature), and who wrote them?
# - Which frames do they carry?
# - Do they lean towards cooperation or confrontation, and does that change over the period?
# - Which words set the start of the period apart from its end?
#
# **Learning objectives.** After this notebook you can
#
# - select a case's articles with transparent, computed filters (dates and title keywords)
#   and test how the selection depends on them;
# - draw a timeline of a case with each article's frame;
# - follow a SemAxis score over time with article-level intervals, and say where no
#   interval is possible;
# - compare two periods with Fightin' Words.
#
# **Prerequisites.** Notebooks `01_corpus_tour` to `04_case_trilateral_chiefs_2025`,
# in particular frames (`score_frames`, `pooled_article_scores`) and SemAxis (`03_framing_maps`).
#
# **Estimated time:** 35 minutes.
#
# **Runtime budget:** under 2 minutes on 2 CPU cores with a warm embedding cache
# (`make appendix` warms it; a cold cache adds the model's encoding time).
#
# Every number in the text below is computed from the corpus.

# %% tags=["parameters"]
# Parameters (papermill can override them: papermill 05_case_seoul_tokyo.ipynb out.ipynb -p corpus_path other/).
corpus_path = "../seeds"  # folder or file of pages (or CSV/JSONL/Parquet tables)
ingest_options = {}  # options of toolkit.load_corpus, e.g. {"columns": {"outlet": "source", "body": "content"}, "date_format": "%m/%d/%y"}
model = None  # embedding model name or path; None = the toolkit default (offline)
seed = 0  # seed for the permutations
output_dir = "../build/appendix"  # where tables and figures are saved

# %%
import re
import warnings
from datetime import date
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from IPython.display import display

import toolkit
from toolkit.analysis import analysis_paragraphs
from toolkit.appendix import save_figure, save_table
from toolkit.distinctive import fightin_words
from toolkit.frames import pooled_article_scores, score_frames, title_paragraphs
from toolkit.semaxis import axis_by_outlet, default_axes, project_axis
from toolkit.wire import apply_wire_policy

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm's notice when ipywidgets is absent
pl.Config.set_tbl_rows(40)
pl.Config.set_fmt_str_lengths(120)
output_dir = Path(output_dir)
# The case: a period and title keywords naming Korea-Japan relations (case-insensitive, whole words).
period = (date(2025, 6, 1), date(2025, 8, 31))
title_keywords = ["Ishiba", "Tokyo", "liberation", "pragmatic"]

corpus = toolkit.load_corpus(corpus_path, **ingest_options)
articles, paragraphs = corpus.articles, corpus.paragraphs
chosen = analysis_paragraphs(articles, paragraphs)
vectors = toolkit.embed(chosen, model=model, progress=False)
canonical = articles.filter(pl.col("duplicate_of").is_null())
display(toolkit.prose(f"**{canonical.height}** canonical articles, **{chosen.height}** analysed paragraphs."))

# %% [markdown]
# ## 1. Selecting the case
#
# Two filters, both written out: the publication date falls in the period, and the
# title names one of the keywords. The table shows every canonical article with both
# tests, so the selection can be checked line by line.

# %%
keyword_rx = r"(?i)\b(?:" + "|".join(title_keywords) + r")\b"
tests = canonical.select(
    "article_id", "outlet", "published", "title",
    pl.col("published").is_between(*period).fill_null(False).alias("in_period"),
    pl.col("title").str.contains(keyword_rx).alias("keyword_in_title"),
    pl.col("title").str.extract_all(keyword_rx).list.join(", ").alias("matched"),
).sort("published", "article_id")
case = tests.filter(pl.col("in_period") & pl.col("keyword_in_title"))
save_table(tests, "05_selection", output_dir)
save_table(case, "05_case_articles", output_dir)
tests

# %%
case_paragraphs = chosen.join(case.select("article_id"), on="article_id", how="semi", maintain_order="left")
outside_period = tests.filter(~pl.col("in_period") & pl.col("keyword_in_title"))
display(toolkit.prose(
    f"**{case.height}** articles pass both filters, with **{case_paragraphs.height}** analysed paragraphs, from "
    f"**{case['published'].min()}** to **{case['published'].max()}**. They come from **{case['outlet'].n_unique()}** "
    f"outlet(s): {', '.join(toolkit.escape_markdown(x) for x in case['outlet'].unique().sort())}. "
    f"**{outside_period.height}** article(s) match a keyword but fall outside the period"
    + (f" ({'; '.join(f'{d}: *{toolkit.escape_markdown(t)}*' for d, t in outside_period.select('published', 'title').iter_rows())})" if outside_period.height else "")
    + ". With "
    + ("a single outlet, this is that outlet's account of Korea–Japan relations, not the media's" if case['outlet'].n_unique() == 1 else "several outlets, outlet and time are mixed below")
    + "."
))

# %% [markdown]
# ### Your turn: how much does the keyword list decide?
#
# Add `"Japan"` to the keywords and count the articles in the period that would then be
# selected. Store the number in `n_with_japan`.
#
# *Hint:* build a new pattern the same way as `keyword_rx` and filter `tests` (or
# `canonical`) on the period and the new pattern.

# %%
n_with_japan = None  # replace None with your expression

# %% tags=["solution"]
broader_rx = r"(?i)\b(?:" + "|".join([*title_keywords, "Japan"]) + r")\b"
n_with_japan = tests.filter(pl.col("in_period") & pl.col("title").str.contains(broader_rx)).height

# %% [markdown]
# ### Check your understanding

# %%
assert n_with_japan is not None, "set n_with_japan in the cell above"
in_period = [t for d, t in canonical.select("published", "title").iter_rows() if d is not None and period[0] <= d <= period[1]]
extra = [t for t in in_period if re.search(r"\bJapan\b", t, re.I) and not re.search(keyword_rx, t)]
assert n_with_japan == case.height + len(extra), "keep the period filter, and match the keywords in the title"
display(toolkit.prose(
    f"Correct: **{n_with_japan}** articles instead of **{case.height}**. The extra titles:\n\n"
    + "\n".join(f"- *{toolkit.escape_markdown(t)}*" for t in extra)
    + "\n\nRead them: a keyword list is a definition of the case, so state it and show what it leaves out."
))

# %% [markdown]
# ## 2. Timeline and frames
#
# Each paragraph and headline is scored against the frame prototypes; the article
# score weighs the headline and the lead more (`pooled_article_scores`). The margin is the gap
# between the first and second frame's score.

# %%
titles = title_paragraphs(articles.join(case.select("article_id"), on="article_id", how="semi"))
title_vectors = toolkit.embed(titles, model=model, progress=False)
scored = pl.concat([case_paragraphs.select("paragraph_id", "article_id", "position"), titles.select("paragraph_id", "article_id", "position")])
frames = score_frames(scored, pl.concat([vectors, title_vectors]), model=model)
per_article = pooled_article_scores(frames, case_paragraphs, case.select("article_id"))
case_frames = (
    per_article.filter("is_primary")
    .join(case.select("article_id", "published", "outlet", "title"), on="article_id")
    .select("published", "outlet", "article_id", "primary_frame", "score", "margin", "n_paragraphs", "title")
    .sort("published", "article_id")
)
save_table(case_frames.with_columns(pl.col(pl.Float64).round(6)), "05_article_frames", output_dir)
case_frames

# %%
frame_names = sorted(case_frames["primary_frame"].unique().to_list())
colours = {f: plt.get_cmap("tab10")(i % 10) for i, f in enumerate(frame_names)}
fig, ax = plt.subplots(figsize=(10, 0.55 * case_frames.height + 1.5))
for i, row in enumerate(case_frames.iter_rows(named=True)):
    ax.scatter(row["published"], i, s=40 + 20 * row["n_paragraphs"], color=colours[row["primary_frame"]], zorder=2)
    ax.annotate(row["title"][:70], (row["published"], i), xytext=(8, -3), textcoords="offset points", fontsize=8)
ax.set_yticks([])
ax.invert_yaxis()
ax.set_xlim(period[0], period[1])
ax.set_title("Korea–Japan articles: date, primary frame (colour) and paragraphs (size)")
ax.legend(handles=[plt.Line2D([], [], marker="o", ls="", color=colours[f], label=f) for f in frame_names], fontsize=8, loc="lower left")
fig.autofmt_xdate()
fig.tight_layout()
save_figure(fig, "05_timeline", output_dir)
plt.show()

# %%
display(toolkit.prose(
    "Primary frames: "
    + "; ".join(f"**{toolkit.escape_markdown(f)}** {n}" for f, n in case_frames.group_by("primary_frame").len().sort("primary_frame").iter_rows())
    + f". The closest call is *{toolkit.escape_markdown(case_frames.sort('margin')['title'][0])}* (margin **{case_frames['margin'].min():.2f}**); "
    f"frame labels are an unsupervised proxy, so a small margin means the article sits between two frames."
))

# %% [markdown]
# ## 3. Cooperation or confrontation, over time
#
# Each paragraph gets its SemAxis score on the cooperation ↔ confrontation axis. An
# article's score is the mean of its paragraphs. To follow the period we group articles
# by month and use `axis_by_outlet` with the month as the group: the month's score is the
# mean of its article means, with a t interval over those **article** means (NaN for a
# month of fewer than five articles, where intervals this small were measured not to
# cover) and a random-label band (what months of the same size get when the months are
# shuffled across the case's articles).

# %%
axis = next(a for a in default_axes(model=model) if a.name == "cooperation_confrontation")
scores = project_axis(axis, vectors.join(case_paragraphs.select("paragraph_id"), on="paragraph_id", how="semi", maintain_order="left"))
# The measures need the wire policy applied: a syndicated copy of a case article counts once.
case_months = apply_wire_policy(articles, policy="merge").join(case.select("article_id"), on="article_id", how="semi", maintain_order="left").with_columns(
    pl.col("published").dt.strftime("%Y-%m").alias("month")
)
by_month = axis_by_outlet(scores, case_paragraphs, case_months, by="month", seed=seed)
paragraph_scores = scores.join(case_paragraphs.select("paragraph_id", "article_id"), on="paragraph_id").join(
    case_months.select("article_id", "published", "month", "title"), on="article_id"
)
article_scores = (
    paragraph_scores.group_by("article_id", "published", "month", "title")
    .agg(pl.col("score").mean().alias("mean"), pl.col("score").min().alias("lowest"), pl.col("score").max().alias("highest"), pl.len().alias("paragraphs"))
    .sort("published", "article_id")
)
save_table(by_month.with_columns(pl.col(pl.Float64).round(6)), "05_axis_by_month", output_dir)
save_table(article_scores.with_columns(pl.col(pl.Float64).round(6)), "05_axis_by_article", output_dir)
display(article_scores, by_month.select("month", "n_articles", "n_paragraphs", "estimate", "ci_low", "ci_high", "ci_reason", "baseline_low", "baseline_high", "p_value"))

# %%
fig, ax = plt.subplots(figsize=(9, 4.5))
ax.scatter(paragraph_scores["published"], paragraph_scores["score"], s=12, color="0.7", label="paragraph", zorder=1)
ax.scatter(article_scores["published"], article_scores["mean"], s=50, color="C0", label="article mean", zorder=3)
for row in by_month.iter_rows(named=True):
    start = date(int(row["month"][:4]), int(row["month"][5:]), 1)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    ax.fill_between([start, end], row["baseline_low"], row["baseline_high"], color="0.9", zorder=0)
    ax.hlines(row["estimate"], start, end, color="C1", lw=2, zorder=2)
    if not np.isnan(row["ci_low"]):
        ax.fill_between([start, end], row["ci_low"], row["ci_high"], color="C1", alpha=0.2, zorder=2)
    ax.annotate(f"{row['month']}: {row['n_articles']} art.", (start, row["estimate"]), xytext=(3, 6), textcoords="offset points", fontsize=8)
ax.axhline(0, color="0.5", lw=0.6)
ax.set_ylabel(f"← {axis.negative_label}    {axis.positive_label} →")
ax.set_title("Cooperation ↔ confrontation: paragraphs, articles and monthly means (CI orange, random-label band grey)")
ax.legend(fontsize=8, loc="lower right")
fig.autofmt_xdate()
fig.tight_layout()
save_figure(fig, "05_axis_over_time", output_dir)
plt.show()

# %%
first_month, last_month = by_month.sort("month").row(0, named=True), by_month.sort("month").row(-1, named=True)
most_coop = article_scores.sort("mean", descending=True).row(0, named=True)
least_coop = article_scores.sort("mean").row(0, named=True)
display(toolkit.prose(
    f"Months with articles: **{by_month.height}** ({', '.join(f'{m} ({n} articles)' for m, n in by_month.select('month', 'n_articles').iter_rows())}). "
    f"**{first_month['month']}**: mean **{first_month['estimate']:.3f}**; **{last_month['month']}**: **{last_month['estimate']:.3f}**. "
    f"The change is **{last_month['estimate'] - first_month['estimate']:+.3f}**; "
    + (f"the intervals (**{first_month['ci_low']:.3f}** to **{first_month['ci_high']:.3f}**; **{last_month['ci_low']:.3f}** to "
       f"**{last_month['ci_high']:.3f}**) {'overlap' if max(first_month['ci_low'], last_month['ci_low']) <= min(first_month['ci_high'], last_month['ci_high']) else 'do not overlap'}"
       if not (np.isnan(first_month["ci_low"]) or np.isnan(last_month["ci_low"])) else
       "at least one of the two months has too few articles for an interval (see `ci_reason` in the table)")
    + f". Permutation p for each month against shuffled months: "
    f"{', '.join(f'{m} {p:.2f}' for m, p in by_month.select('month', 'p_value').iter_rows())}. "
    f"Most cooperative article: *{toolkit.escape_markdown(most_coop['title'])}* (**{most_coop['mean']:.3f}**); least: *{toolkit.escape_markdown(least_coop['title'])}* (**{least_coop['mean']:.3f}**)."
))

# %% [markdown]
# ### Your turn: the spread inside one article
#
# An article's mean hides its paragraphs. Store in `widest_title` the title of the case
# article whose paragraph scores span the widest range (highest minus lowest).
#
# *Hint:* `article_scores` has `lowest` and `highest` per article.

# %%
widest_title = None  # replace None with your expression

# %% tags=["solution"]
widest_title = article_scores.with_columns((pl.col("highest") - pl.col("lowest")).alias("range")).sort("range", descending=True)["title"][0]

# %% [markdown]
# ### Check your understanding

# %%
assert widest_title is not None, "set widest_title in the cell above"
spans = paragraph_scores.group_by("title").agg((pl.col("score").max() - pl.col("score").min()).alias("span"))
assert widest_title == spans.sort("span", descending=True)["title"][0], "compare highest minus lowest paragraph score per article"
display(toolkit.prose(f"Correct: *{toolkit.escape_markdown(widest_title)}*, whose paragraphs span **{spans['span'].max():.3f}** on the axis, more than the gap between the months."
                 if spans["span"].max() > abs(last_month["estimate"] - first_month["estimate"]) else
                 f"Correct: *{toolkit.escape_markdown(widest_title)}*, whose paragraphs span **{spans['span'].max():.3f}** on the axis."))

# %% [markdown]
# ## 4. Words of the start and of the end of the period
#
# Fightin' Words between the first and the last month of the case: positive z means the
# first month uses the word more. z ranks the words; its p- and q-values come from
# shuffling the month labels of whole articles, and with a handful of articles per
# month they cannot be small: read the list as a description.

# %%
words = fightin_words(case_paragraphs, case_months, by="month", group_a=first_month["month"], group_b=last_month["month"], min_count=2)
save_table(words.with_columns(pl.col(pl.Float64).round(6)), "05_fightin_words_months", output_dir)
display(words.head(8).select("term", "count_a", "count_b", "z", "p_value", "q_value"), words.sort("z").head(8).select("term", "count_a", "count_b", "z", "p_value", "q_value"))

# %%
early = words.filter(pl.col("z") >= 1.96)
late = words.filter(pl.col("z") <= -1.96).sort("z")
display(toolkit.prose(
    f"**{words['n_articles_a'][0]}** articles (**{words['n_paragraphs_a'][0]}** paragraphs) of {first_month['month']} against "
    f"**{words['n_articles_b'][0]}** articles (**{words['n_paragraphs_b'][0]}** paragraphs) of {last_month['month']}. "
    f"Terms beyond |z| = 1.96: **{early.height}** lean to {first_month['month']} "
    f"({', '.join(f'*{toolkit.escape_markdown(t)}*' for t in early.head(6)['term']) or 'none'}), **{late.height}** to {last_month['month']} "
    f"({', '.join(f'*{toolkit.escape_markdown(t)}*' for t in late.head(6)['term']) or 'none'}). Terms with q below five per cent: "
    f"**{words.filter(pl.col('q_value') < 0.05).height}** (smallest article-level p: **{words['p_value'].min():.3f}**)."
))

# %% [markdown]
# ## 5. What changes across the period
#
# The summary below puts the computed pieces side by side, month by month.

# %%
summary = (
    case_frames.with_columns(pl.col("published").dt.strftime("%Y-%m").alias("month"))
    .group_by("month")
    .agg(pl.len().alias("articles"), pl.col("n_paragraphs").sum().alias("paragraphs"), pl.col("primary_frame").unique().sort().alias("primary_frames"))
    .join(by_month.select("month", pl.col("estimate").alias("cooperation_mean"), "ci_low", "ci_high", "ci_reason"), on="month")
    .sort("month")
)
save_table(summary.with_columns(pl.col(pl.Float64).round(6)), "05_period_summary", output_dir)
summary

# %%
display(toolkit.prose(
    "\n".join(
        f"- **{r['month']}**: **{r['articles']}** article(s), **{r['paragraphs']}** paragraphs; frames: {', '.join(toolkit.escape_markdown(x) for x in r['primary_frames'])}; "
        f"cooperation mean **{r['cooperation_mean']:.3f}**"
        + (f" (CI **{r['ci_low']:.3f}** to **{r['ci_high']:.3f}**)." if not np.isnan(r["ci_low"]) else f" (no interval: {r['ci_reason']}).")
        for r in summary.iter_rows(named=True)
    )
    + f"\n\nAll **{case.height}** articles come from **{case['outlet'].n_unique()}** outlet(s), so a change over time here is a change "
    f"in that coverage, and with **{summary['articles'].max()}** articles at most per month it is a description, not a trend."
))

# %% [markdown]
# ## Discussion
#
# - The case was defined by title keywords. Which Korea–Japan article could this
#   definition miss, and what body-text rule would catch it without pulling in the
#   trilateral security stories?
# - The cooperation axis was written for security news. Does a Liberation Day speech
#   that looks to the future score as "cooperation" for the right reason?
# - The eighty-years feature speaks of history and of the future in one article. What
#   does its spread of paragraph scores tell you that its mean hides?
# - With one outlet, would you call the summer's tone a change in Korea–Japan relations,
#   a change in that outlet's editorial line, or neither?

# %% [markdown]
# ## Key points
#
# - Define a case with filters written out in the notebook, and show how the selection
#   moves when a keyword is added.
# - State who wrote the articles: a one-outlet case describes that outlet.
# - Follow a score over time with article-level intervals; a period with fewer than
#   five articles has none, and its paragraphs' spread is the honest picture.
# - Fightin' Words between periods describes a handful of articles; it does not test a trend.
