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
# # 01 · Corpus tour: from raw pages to frames
#
# **Questions this notebook answers**
#
# - What did the ingest keep from each scraped page, what did it remove, and why?
# - Which articles are copies of each other, and which are one wire story run by several outlets?
# - Which outlets and countries does the corpus cover, and over which dates?
#
# **Learning objectives.** After this notebook you can
#
# - read the ingest report and account for every line of the input;
# - tell a same-outlet duplicate (`duplicate_of`) from syndicated wire copy (`story_id`);
# - draw a timeline of the coverage from the articles frame.
#
# **Prerequisites.** Basic Python and a first look at Polars (`filter`, `group_by`, `select`).
# No machine learning is needed here; embeddings come in notebook `02_semantic_clusters`.
#
# **Estimated time:** 30 minutes.
#
# **Runtime budget:** under 2 minutes on 2 CPU cores (this notebook needs no model).
#
# Every number in the text below is computed from the corpus, so the notebook
# reads correctly on any corpus given through the parameters cell.

# %% tags=["parameters"]
# Parameters (papermill can override them: papermill 01_corpus_tour.ipynb out.ipynb -p corpus_path other/).
corpus_path = "../seeds"  # folder or file of pages (or CSV/JSONL/Parquet tables)
ingest_options = {}  # options of toolkit.load_corpus, e.g. {"columns": {"outlet": "source", "body": "content"}, "date_format": "%m/%d/%y"}
model = None  # embedding model; unused here, kept so every notebook takes the same parameters
seed = 0  # random seed; unused here (nothing random happens during ingest)
output_dir = "../build/appendix"  # where tables and figures are saved

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import polars as pl
from IPython.display import display

import toolkit
from toolkit.appendix import save_figure, save_table
from toolkit.layouts import LINE_FATES

pl.Config.set_tbl_rows(30)
pl.Config.set_fmt_str_lengths(80)
output_dir = Path(output_dir)

corpus = toolkit.load_corpus(corpus_path, **ingest_options)
articles, paragraphs, report = corpus.articles, corpus.paragraphs, corpus.report
display(toolkit.prose(
    f"Loaded **{report['files_read']}** files from {toolkit.escape_markdown(corpus_path)}: "
    f"**{articles.height}** article blocks and **{paragraphs.height}** paragraphs."
))

# %% [markdown]
# ## 1. Every line has a fate
#
# A scraped page is mostly not article text: site menus, prompts to download an
# app, comment widgets, photo captions, dates and outlet names. The ingest gives
# every non-blank line exactly one **fate** (text, metadata, chrome, caption,
# duplicate title or unplaced) and counts them, so nothing vanishes silently. For
# an article table or a saved web page, the lines counted are those of the bodies.

# %%
lines = report["lines"]
fates = pl.DataFrame(
    {"fate": list(LINE_FATES), "lines": [lines[f] for f in LINE_FATES]},
    schema={"fate": pl.String, "lines": pl.Int64},
).with_columns((pl.col("lines") / lines["non_blank"]).round(4).alias("share"))
save_table(fates, "01_line_fates", output_dir)
fates

# %%
display(toolkit.prose(
    f"The input has **{lines['total']}** lines, of which **{lines['blank']}** are blank. "
    f"Of the **{lines['non_blank']}** non-blank lines, **{lines['text']}** became article text, "
    f"**{lines['metadata']}** metadata, **{lines['chrome']}** chrome, **{lines['caption']}** captions and "
    f"**{lines['duplicate_title']}** repeated headlines; **{lines['unplaced']}** could not be placed. "
    f"Accounted lines: **{lines['accounted']}** (equal to the non-blank lines: **{lines['accounted'] == lines['non_blank']}**)."
))

# %% [markdown]
# The same accounting, file by file. A page with a high share of chrome is a page
# whose layout carries a lot of site furniture; a page with unplaced lines needs a look.

# %%
by_file = pl.DataFrame(
    # Pages count their lines; article tables and HTML pages the lines of their bodies.
    [{"file": f["file"], "kind": f["kind"], "layout": f["layout"], **{fate: (f.get("lines") or f.get("body_lines") or {}).get(fate, 0) for fate in LINE_FATES}}
     for f in report["files"]],
    schema={"file": pl.String, "kind": pl.String, "layout": pl.String, **dict.fromkeys(LINE_FATES, pl.Int64)},
)
save_table(by_file, "01_line_fates_by_file", output_dir)
by_file

# %% [markdown]
# ### Why chrome was removed
#
# Each chrome line matched a rule in `toolkit/data/chrome.csv`, and the rule's
# reason is counted. Spans removed from *inside* a line (an advertisement marker,
# a byline, a wire credit, a dateline) are counted separately.

# %%
chrome = pl.DataFrame(
    {"reason": list(report["chrome_reasons"]), "lines": list(report["chrome_reasons"].values())},
    schema={"reason": pl.String, "lines": pl.Int64},
).sort(["lines", "reason"], descending=[True, False])
spans = pl.DataFrame(
    {"span": list(report["removed_spans"]), "removed": list(report["removed_spans"].values())},
    schema={"span": pl.String, "removed": pl.Int64},
).sort(["removed", "span"], descending=[True, False])
save_table(chrome, "01_chrome_reasons", output_dir)
save_table(spans, "01_removed_spans", output_dir)
display(chrome, spans)

# %% [markdown]
# ### What was taken out is kept elsewhere
#
# Photo captions are moved out of the body into the `captions` list, bylines into
# `byline`, wire credits into `wire` and datelines into `dateline`. Here are the
# captions, one row per caption.

# %%
captions = (
    articles.select("article_id", "outlet", "title", "captions")
    .explode("captions")
    .drop_nulls("captions")
    .rename({"captions": "caption"})
)
moved = articles.select(
    pl.col("byline").is_not_null().sum().alias("with_byline"),
    pl.col("wire").is_not_null().sum().alias("with_wire_credit"),
    pl.col("dateline").is_not_null().sum().alias("with_dateline"),
    pl.col("deck").is_not_null().sum().alias("with_deck"),
)
save_table(captions, "01_captions", output_dir)
display(captions, moved)

# %% [markdown]
# ### Your turn: how much of the input is chrome?
#
# Compute `chrome_share`: the share of the **non-blank** lines whose fate is chrome,
# as a number between zero and one.
#
# *Hint:* everything you need is in `report["lines"]`.

# %%
chrome_share = None  # replace None with your expression

# %% tags=["solution"]
chrome_share = report["lines"]["chrome"] / report["lines"]["non_blank"]

# %% [markdown]
# ### Check your understanding

# %%
assert chrome_share is not None, "set chrome_share in the cell above"
assert abs(chrome_share - fates.filter(pl.col("fate") == "chrome")["lines"].item() / fates["lines"].sum()) < 1e-9, (
    "divide the chrome lines by all non-blank lines"
)
display(toolkit.prose(f"Correct: **{chrome_share:.1%}** of the non-blank lines were chrome."))

# %% [markdown]
# ## 2. Duplicates and syndicated wire copy
#
# The same text can appear more than once:
#
# - the **same outlet** prints it twice (an article page and a listing of that
#   outlet): the copy gets `duplicate_of`, pointing at the most complete copy, and
#   takes what it lacks (outlet, date...) from it, listed in `filled_from_canonical`;
# - **different outlets** run one wire story: all copies share a `story_id`, but
#   `duplicate_of` stays empty, because each outlet chose to run it.

# %%
pairs = pl.DataFrame(report["dedup"]["pairs"], schema={"a": pl.String, "b": pl.String, "containment": pl.Float64})
copies = articles.filter(pl.col("duplicate_of").is_not_null()).select(
    "article_id", "outlet", "title", "duplicate_of", "filled_from_canonical", "source_file", "placement"
)
save_table(pairs, "01_duplicate_pairs", output_dir)
save_table(copies, "01_same_outlet_copies", output_dir)
display(pairs, copies)

# %%
stories = (
    articles.group_by("story_id", maintain_order=True)
    .agg(
        pl.len().alias("n_copies"),
        pl.col("outlet").n_unique().alias("n_outlets"),
        pl.col("outlet").unique().sort().alias("outlets"),
        pl.col("duplicate_of").is_not_null().sum().alias("same_outlet_copies"),
        pl.col("title").first(),
    )
    .filter(pl.col("n_copies") > 1)
    .with_columns((pl.col("n_outlets") > 1).alias("syndicated"))
)
save_table(stories, "01_stories_with_copies", output_dir)
stories

# %%
syndicated = stories.filter(pl.col("syndicated"))
display(toolkit.prose(
    f"**{articles.height}** article blocks form **{articles['story_id'].n_unique()}** stories. "
    f"**{copies.height}** blocks are same-outlet copies; **{syndicated.height}** "
    f"{'story is' if syndicated.height == 1 else 'stories are'} syndicated wire copy run by more than one outlet"
    + (f" ({'; '.join(', '.join(toolkit.escape_markdown(x) for x in o) for o in syndicated['outlets'].to_list())})." if syndicated.height else ".")
    + (f" The highest containment between two copies is **{pairs['containment'].max():.2f}**." if pairs.height
       else " No two blocks share enough text to be copies.")
))

# %% [markdown]
# ### Your turn: the canonical articles
#
# Analyses in the later notebooks use **canonical** articles only: a story printed
# twice by the same outlet must not weigh twice. Compute `n_canonical`, the number of
# articles that are not same-outlet copies.
#
# *Hint:* look at `duplicate_of`, or at the `Corpus.canonical()` method.

# %%
n_canonical = None  # replace None with your expression

# %% tags=["solution"]
n_canonical = corpus.canonical().height

# %% [markdown]
# ### Check your understanding

# %%
assert n_canonical is not None, "set n_canonical in the cell above"
assert n_canonical == articles.filter(pl.col("duplicate_of").is_null()).height == report["articles"]["canonical"]
display(toolkit.prose(
    f"Correct: **{n_canonical}** canonical articles. Syndicated copies are among them: "
    f"**{syndicated['n_copies'].sum() if syndicated.height else 0}** articles belong to a syndicated story."
))

# %% [markdown]
# ## 3. Outlets, countries and dates
#
# Outlets are mapped to a canonical name, a country and a type by
# `toolkit/data/outlets.csv`. Dates are printed in two ways: absolute
# (day-month-year) or relative ("three days ago"), which the ingest resolves
# against the page's crawl date from `seeds/manifest.csv`.

# %%
outlets = (
    articles.group_by("outlet", "outlet_country", "outlet_type")
    .agg(
        pl.len().alias("articles"),
        pl.col("duplicate_of").is_null().sum().alias("canonical"),
        pl.col("published").min().alias("first"),
        pl.col("published").max().alias("last"),
    )
    .sort(["articles", "outlet"], descending=[True, False])
)
basis = articles.group_by("date_basis").len().sort("date_basis")
save_table(outlets, "01_outlets", output_dir)
save_table(basis, "01_date_basis", output_dir)
display(outlets, basis)

# %%
dated = articles.filter(pl.col("published").is_not_null())
display(toolkit.prose(
    f"**{outlets.height}** outlets from **{articles['outlet_country'].drop_nulls().n_unique()}** countries "
    f"(**{articles['outlet_country'].null_count()}** articles from outlets missing from the registry). "
    f"Dates run from **{dated['published'].min()}** to **{dated['published'].max()}**; "
    f"**{articles.filter(pl.col('date_basis') == 'relative').height}** of them were resolved from a relative date "
    f"and **{articles['published'].null_count()}** are unknown."
))

# %% [markdown]
# ### The coverage on a timeline
#
# One row per outlet, one mark per article, coloured by country. Hollow marks are
# same-outlet copies; a line joins the copies of one syndicated wire story.

# %%
timeline = dated.sort("published", "outlet")
order = timeline.group_by("outlet").agg(pl.col("published").min()).sort("published", "outlet")["outlet"].to_list()
row = {name: i for i, name in enumerate(order)}
countries = sorted(timeline["outlet_country"].fill_null("unknown").unique().to_list())
colours = {c: plt.get_cmap("tab10")(i % 10) for i, c in enumerate(countries)}

fig, ax = plt.subplots(figsize=(9, 0.45 * len(order) + 1.5))
for story in syndicated.iter_rows(named=True):
    copies_of_story = timeline.filter(pl.col("story_id") == story["story_id"])
    ax.plot(copies_of_story["published"].to_list(), [row[o] for o in copies_of_story["outlet"]], color="0.6", lw=1, zorder=1)
for r in timeline.iter_rows(named=True):
    colour = colours[r["outlet_country"] or "unknown"]
    hollow = r["duplicate_of"] is not None
    ax.scatter(r["published"], row[r["outlet"]], s=60, zorder=2, edgecolors=colour, facecolors="none" if hollow else colour)
ax.set_yticks(range(len(order)), order)
ax.invert_yaxis()
ax.set_xlabel("published")
ax.set_title("Articles by outlet and date")
handles = [plt.Line2D([], [], marker="o", ls="", color=colours[c], label=c) for c in countries]
ax.legend(handles=handles, title="country", loc="lower right", fontsize=8)
fig.autofmt_xdate()
fig.tight_layout()
save_figure(fig, "01_timeline", output_dir)
plt.show()

# %% [markdown]
# ### Your turn: the earliest voice
#
# Which outlet published the earliest dated article? Store its name in `earliest_outlet`.
#
# *Hint:* sort the dated articles by `published`, or use `arg_min`.

# %%
earliest_outlet = None  # replace None with your expression

# %% tags=["solution"]
earliest_outlet = dated.sort("published", "outlet")["outlet"][0]

# %% [markdown]
# ### Check your understanding

# %%
assert earliest_outlet is not None, "set earliest_outlet in the cell above"
first_day = dated["published"].min()
assert earliest_outlet in dated.filter(pl.col("published") == first_day)["outlet"].to_list()
display(toolkit.prose(f"Correct: **{toolkit.escape_markdown(earliest_outlet)}** published on **{first_day}**, the first date in the corpus."))

# %% [markdown]
# ## Discussion
#
# - The chrome rules were written for the layouts seen so far. What kind of line
#   would slip through on a new site, and where would you see it in the report?
# - Should syndicated wire copy count as the outlet's own framing? Argue both ways:
#   the outlet chose to run the story, but did not write it.
# - Relative dates depend on the crawl date. How wrong could a date be if the crawl
#   date were off by a day, and which analyses would that affect?
# - The corpus covers few outlets per country. What may and may not be said about
#   "how a country's media frames an event" from such a sample?

# %% [markdown]
# ## Key points
#
# - Every non-blank input line has a fate; the report's line counts always add up.
# - What is removed from a body (captions, bylines, wire credits, datelines) is kept
#   in its own column, never thrown away.
# - `duplicate_of` marks same-outlet copies; `story_id` groups every copy of a story,
#   including wire copy run by other outlets.
# - Analyses use canonical articles so that a story printed twice does not weigh twice.
# - Relative dates are resolved against the crawl date, never the file's date.
