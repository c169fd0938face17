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
# # 06 · Validating frames: coding, agreement, classifiers and corrected shares
#
# **Questions this notebook answers**
#
# - Which frames does each article carry, when frames are independent detectors rather than competing labels?
# - How do we draw a sample of articles to code by hand, and write coding sheets that carry the codebook?
# - Do two coders agree (Krippendorff's alpha), and how do their codes become one gold set?
# - How well do the unsupervised detectors, the keyword lexicon and a trained classifier match the gold codes?
# - How do we report outlet × frame shares that survive the classifier's errors?
#
# **Learning objectives.** After this notebook you can
#
# - run `article_frames` with a codebook and read its scores, thresholds and the lexicon baseline beside them;
# - draw a stratified coding sample and write and read coding sheets;
# - compute Krippendorff's alpha per frame and adjudicate disagreements;
# - evaluate any scorer against gold with article-bootstrap intervals, against the "every article positive" rule;
# - train, save and reload a frame classifier, and correct its shares with the coded sample (DSL).
#
# **Prerequisites.** Notebooks `01_corpus_tour` (canonical articles, wire copy) and
# `03_framing_maps` (frames, article-bootstrap intervals).
#
# **Estimated time:** 40 minutes.
#
# **Runtime budget:** under 2 minutes on 2 CPU cores with a warm embedding cache.
#
# The seed corpus has no human frame codes, so the two coders here are **simulated**:
# a transparent text rule stands in for a careful reader, and each coder departs from it
# at random. That makes every step runnable end to end; the scorer figures on the seeds
# show the mechanics, not the toolkit's accuracy. How the scorers fare on real human
# codes (the SemEval-2023 framing task) is measured by `benchmarks/bench_frames.py` and reported
# in `docs/framing.md`. Every number in the text below is computed.

# %% tags=["parameters"]
# Parameters (papermill can override them: papermill 06_validating_frames.ipynb out.ipynb -p seed 1).
corpus_path = "../seeds"  # folder or file of pages (or CSV/JSONL/Parquet tables)
ingest_options = {}  # options of toolkit.load_corpus, e.g. {"columns": {"outlet": "source", "body": "content"}, "date_format": "%m/%d/%y"}
model = None  # embedding model name or path; None = the toolkit default (offline)
seed = 0  # seed for the coding sample, the simulated coders, the folds and the bootstrap
output_dir = "../build/appendix"  # where tables are saved

# %%
import tempfile
import warnings
from pathlib import Path

import numpy as np
import polars as pl
from IPython.display import display

import toolkit
from toolkit.analysis import analysis_paragraphs
from toolkit.appendix import save_table
from toolkit.frame_classifier import article_features, cross_validated_predictions
from toolkit.wire import apply_wire_policy

warnings.filterwarnings("ignore", message="IProgress not found")
pl.Config.set_tbl_rows(40)
pl.Config.set_fmt_str_lengths(80)
output_dir = Path(output_dir)
codebook = toolkit.load_codebook("trilateral_security")  # the issue-specific example codebook

corpus = toolkit.load_corpus(corpus_path, **ingest_options)
# A syndicated story counts once (wire policy "merge"), as in every outlet comparison.
articles = apply_wire_policy(corpus.articles, policy="merge")
paragraphs = analysis_paragraphs(corpus.articles, corpus.paragraphs).join(articles.select("article_id"), on="article_id", how="semi", maintain_order="left")
embeddings = toolkit.embed(paragraphs, model=model, progress=False)
display(toolkit.prose(
    f"**{articles.height}** articles (wire copies merged) and **{paragraphs.height}** paragraphs; codebook "
    f"**{toolkit.escape_markdown(codebook.title)}** with **{len(codebook.frames)}** frames: "
    + ", ".join(f"*{toolkit.escape_markdown(f)}*" for f in codebook.frame_names) + "."
))

# %% [markdown]
# ## 1. Frames as independent detectors
#
# `article_frames` scores every frame of the codebook in every article on its own: no
# softmax, so an article can carry several frames or none. The default score adds two
# unsupervised signals in z units: the article's similarity to the frame's prototype
# sentences (top paragraphs and headline) and the rate of the frame's codebook keywords
# (the lexicon baseline, reported beside it). A frame is detected when its score is above
# the corpus mean for that frame: a relative rule, stated in the `threshold` column.

# %%
detections = toolkit.article_frames(articles, paragraphs, embeddings, codebook=codebook, model=model)
save_table(detections.with_columns(pl.col(pl.Float64).round(6)), "06_frame_detections", output_dir)
per_article = detections.group_by("article_id", maintain_order=True).agg(pl.col("detected").sum().alias("frames_detected"))
per_frame = detections.group_by("frame", maintain_order=True).agg(pl.col("detected").sum().alias("articles"), pl.col("lexicon_hits").sum().alias("keyword_hits"))
display(per_frame)
display(toolkit.prose(
    f"Articles carry between **{per_article['frames_detected'].min()}** and **{per_article['frames_detected'].max()}** "
    f"detected frames (mean **{per_article['frames_detected'].mean():.1f}**). Every row says which scorer produced it "
    f"(*{toolkit.escape_markdown(detections['scorer'][0])}*) and which codebook (hash `{detections['codebook_sha256'][0][:12]}`)."
))

# %% [markdown]
# ## 2. A coding sample and coding sheets
#
# `coding_sample` draws articles at random within strata (outlet, month and detector
# score band), with at least one per stratum when the sample allows, and records each
# article's **inclusion probability**, which the corrected shares in the last section need. With
# a corpus this small we stratify by score band only: outlet × month × band would give
# more strata than articles to code. `write_coding_sheet` writes one CSV per coder, the
# codebook's name and hash on every row, its definitions in a companion file.

# %%
# A fifth of the articles, at least a dozen: enough coded positives per frame for the classifier on larger corpora.
n_code = min(max(12, articles.height // 5), articles.height)
sample = toolkit.coding_sample(articles, n_code, scores=detections, by=None, date_column=None, seed=seed)
sheet_dir = Path(tempfile.mkdtemp(prefix="coding-"))
sheets = {c: toolkit.write_coding_sheet(sample, articles, paragraphs, sheet_dir / f"{c}.csv", codebook=codebook, coder=c) for c in ("ann", "bob")}
save_table(sample, "06_coding_sample", output_dir)
blank = pl.read_csv(sheets["ann"], infer_schema=False)
display(blank.select("article_id", "outlet", "title", *codebook.frame_names).head(3))
display(toolkit.prose(
    f"**{sample.height}** of **{articles.height}** articles drawn in **{sample['stratum'].n_unique()}** strata; inclusion "
    f"probabilities from **{sample['inclusion_prob'].min():.2f}** to **{sample['inclusion_prob'].max():.2f}**. Each sheet has "
    f"**{len(blank.columns)}** columns, one empty per frame."
))

# %% [markdown]
# ## 3. Two coders, their agreement, and a gold set
#
# The simulated reader codes a frame present when its cue appears in at least two
# paragraphs (one for historical grievances); the cues are written here, not taken from the
# codebook's keyword list. Coder *ann* departs from the reader on a tenth of the cells, *bob*
# on a fifth, at random. Their sheets are filled, saved and read back with `read_codings`,
# exactly as real sheets would be.

# %%
cues = {
    "North Korean threat": (r"north korea|n\. korea|pyongyang", 2),
    "Alliance building": (r"trilateral|three-way|3-way|alliance", 2),
    "Historical grievances": (r"colonial|history|histor", 1),
    "Great-power rivalry": (r"china|chinese|russia", 2),
    "Burden sharing and costs": (r"tariff|invest|cost|spending", 2),
}
lowered = paragraphs.select("article_id", pl.col("text").str.to_lowercase())
reader = pl.concat([
    lowered.group_by("article_id").agg((pl.col("text").str.contains(pattern).sum() >= k).cast(pl.Int8).alias("value")).with_columns(pl.lit(frame).alias("frame"))
    for frame, (pattern, k) in cues.items()
]).select("article_id", "frame", "value").sort("article_id", "frame")

rng = np.random.default_rng(seed)
for coder, error in (("ann", 0.1), ("bob", 0.2)):
    sheet = pl.read_csv(sheets[coder], infer_schema=False)
    truth = sheet.select("article_id").join(reader.pivot(on="frame", index="article_id", values="value"), on="article_id", how="left", maintain_order="left")
    filled = sheet.with_columns([
        pl.Series(frame, np.where(rng.random(sheet.height) < error, 1 - truth[frame].to_numpy(), truth[frame].to_numpy()).astype(str))
        for frame in codebook.frame_names
    ])
    filled.write_csv(sheets[coder])

codings = toolkit.read_codings(list(sheets.values()))
agreement = toolkit.frame_agreement(codings)
save_table(agreement, "06_agreement", output_dir)
display(agreement)
defined = agreement.filter(pl.col("alpha").is_not_nan())
display(toolkit.prose(
    f"**{codings.height}** codes from **{codings['coder'].n_unique()}** coders. Krippendorff's alpha ranges from "
    f"**{defined['alpha'].min():.2f}** to **{defined['alpha'].max():.2f}** over the frames where it is defined; "
    f"by the usual reading (alpha of at least 0.8 for firm conclusions, 0.667 for tentative ones) "
    f"**{defined.filter(pl.col('alpha') >= 0.8).height}** of **{defined.height}** frames are coded reliably enough."
    if defined.height else "Alpha is undefined for every frame here (no variation in the codes)."
))

# %% [markdown]
# ### Your turn: alpha by hand for two coders
#
# For two coders and binary codes, alpha is one minus the observed disagreement over the
# disagreement expected by chance: `1 - (n - 1) * d / (n0 * n1)`, where `n` is the number
# of codes (twice the number of articles), `n0` and `n1` the numbers of zeros and ones among
# them, and `d` the number of articles the coders disagree on. Compute it for the frame with
# the most disagreements and store it in `my_alpha`.
#
# *Hint:* pivot `codings` for that frame so each coder is a column; `d` counts rows where the
# columns differ.

# %% tags=["solution"]
disagreements = codings.pivot(on="coder", index=["article_id", "frame"], values="value").with_columns((pl.col("ann") != pl.col("bob")).alias("differ"))
hardest = disagreements.group_by("frame").agg(pl.col("differ").sum()).sort(["differ", "frame"], descending=[True, False])["frame"][0]
one = disagreements.filter(pl.col("frame") == hardest)
values = np.r_[one["ann"].to_numpy(), one["bob"].to_numpy()]
n, n1 = values.size, values.sum()
my_alpha = 1 - (n - 1) * one["differ"].sum() / ((n - n1) * n1)

# %% [markdown]
# ### Check your understanding

# %%
expected = agreement.filter(pl.col("frame") == hardest)["alpha"][0]
assert abs(my_alpha - expected) < 1e-9, (my_alpha, expected)
display(toolkit.prose(f"Your alpha for *{toolkit.escape_markdown(hardest)}*, **{my_alpha:.3f}**, matches `frame_agreement`."))

# %% [markdown]
# With two coders every disagreement is a tie, so the majority rule leaves it unresolved.
# Here an adjudicator (the simulated reader) settles the ties, as a third coder or the
# project lead would; `adjudicate` records where each gold code came from.

# %%
ties = toolkit.adjudicate(codings).filter(pl.col("source") == "unresolved").select("article_id", "frame")
decisions = ties.join(reader, on=["article_id", "frame"], how="left")
gold_table = toolkit.adjudicate(codings, decisions=decisions)
gold = gold_table.drop_nulls("value").select("article_id", "frame", "value")
save_table(gold_table, "06_gold", output_dir)
display(gold_table.group_by("source").len().sort("source"))

# %% [markdown]
# ## 4. Scorers against gold
#
# `evaluate_frames` gives per-frame precision, recall, `F1` and ROC-AUC, with intervals from
# resampling **articles**, beside the `F1` of calling every article positive. The classifier
# is evaluated out of fold: each coded article is predicted by a model trained on the other
# folds (`cross_validated_predictions`), never by one that saw its code.

# %%
n_boot = 1000
scorers = {
    "detector:hybrid": detections,
    "detector:prototype": toolkit.article_frames(articles, paragraphs, embeddings, codebook=codebook, method="prototype", model=model),
    "detector:lexicon": toolkit.article_frames(articles, paragraphs, embeddings, codebook=codebook, method="lexicon", model=model),
}
features = article_features(articles, paragraphs, embeddings, codebook=codebook, model=model)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # frames with too few coded positives are left out, and listed below
    scorers["classifier (cross-validated)"] = cross_validated_predictions(gold, features, codebook=codebook, n_splits=3, seed=seed)
evaluation = pl.concat(
    [toolkit.evaluate_frames(pred, gold, n_boot=n_boot, seed=seed).with_columns(pl.lit(name).alias("scorer")) for name, pred in scorers.items()],
    how="diagonal_relaxed",
)
save_table(evaluation, "06_evaluation", output_dir)
macro = evaluation.filter(pl.col("frame") == "(macro)").select("scorer", "auc", "auc_low", "auc_high", "f1", "f1_low", "f1_high")
display(macro)
best = macro.sort("f1", descending=True, nulls_last=True).row(0, named=True)
display(toolkit.prose(
    f"On **{gold['article_id'].n_unique()}** coded articles the highest macro-F1 is **{best['f1']:.2f}** "
    f"(*{toolkit.escape_markdown(best['scorer'])}*), with an interval from **{best['f1_low']:.2f}** to **{best['f1_high']:.2f}**: "
    f"a sample this small cannot rank the scorers. Code a few hundred articles before choosing one."
))

# %% [markdown]
# ### Your turn: does the default rule beat the trivial one?
#
# For the hybrid detector, list the frames whose `F1` is **not** above the `F1` of calling every
# article positive (`f1_all_positive`). Store the frame names, sorted, in `not_better`.
#
# *Hint:* filter `evaluation` on the scorer, drop the macro row, and compare two columns.

# %% tags=["solution"]
hybrid = evaluation.filter((pl.col("scorer") == "detector:hybrid") & (pl.col("frame") != "(macro)"))
not_better = sorted(hybrid.filter(~(pl.col("f1") > pl.col("f1_all_positive")))["frame"].to_list())

# %% [markdown]
# ### Check your understanding

# %%
assert not_better == sorted(hybrid.filter(~pl.col("beats_all_positive"))["frame"].to_list())
display(toolkit.prose(
    f"**{len(not_better)}** of **{hybrid.height}** frames: "
    + (", ".join(f"*{toolkit.escape_markdown(f)}*" for f in not_better) if not_better else "none")
    + ". A frame that most articles carry is hard to beat with a relative threshold: calling everything positive already has high recall."
))

# %% [markdown]
# ## 5. Train, save, reload, apply, and correct the shares
#
# The classifier is trained on every gold code and saved as JSON plus Parquet (no pickle),
# with the embedding model's fingerprint, the codebook's hash and the training sample's
# hash. Its outlet × frame shares are then **corrected** with the coded sample by
# design-based supervised learning (Egami et al. 2023): on coded articles the gold code
# replaces the prediction, weighted by the inverse inclusion probability, so the estimate is
# unbiased whatever the classifier's errors, and the interval includes them. Groups with
# fewer than five coded articles get no interval.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    classifier = toolkit.fit_frame_classifier(gold, articles, paragraphs, embeddings, codebook=codebook, model=model, seed=seed)
saved = classifier.save(Path(tempfile.mkdtemp(prefix="classifier-")) / "trilateral")
reloaded = toolkit.load_frame_classifier(saved)
predictions = reloaded.predict(articles, paragraphs, embeddings, model=model)
assert predictions.equals(classifier.predict(articles, paragraphs, embeddings, model=model))
classifier_eval = evaluation.filter(pl.col("scorer") == "classifier (cross-validated)")
whole = articles.with_columns(pl.lit("all outlets").alias("scope"))
corrected = toolkit.corrected_shares(predictions, gold, whole, sample=sample, by="scope", evaluation=classifier_eval)
by_outlet = toolkit.corrected_shares(predictions, gold, articles, sample=sample, by="outlet", evaluation=classifier_eval)
save_table(corrected, "06_corrected_shares", output_dir)
save_table(by_outlet, "06_corrected_shares_by_outlet", output_dir)
display(corrected.select("frame", "n_articles", "n_coded", "naive_estimate", "estimate", "ci_low", "ci_high", "scorer", "validation"))
gap = corrected.with_columns((pl.col("naive_estimate") - pl.col("estimate")).abs().alias("gap")).sort("gap", descending=True).row(0, named=True)
display(toolkit.prose(
    f"The classifier covers **{len(classifier.frames)}** of **{len(codebook.frames)}** frames"
    + (" (the others have too few coded positives or negatives)" if len(classifier.frames) < len(codebook.frames) else "")
    + f". The largest correction is on *{toolkit.escape_markdown(gap['frame'])}*: the classifier's own share "
    f"**{gap['naive_estimate']:.2f}**, corrected **{gap['estimate']:.2f}**. By outlet, **{by_outlet.filter(pl.col('ci_low').is_nan()).height}** "
    f"of **{by_outlet.height}** outlet × frame cells have no interval: too few coded articles to compare outlets here."
))

# %% [markdown]
# ## Discussion
#
# - The simulated coders make the workflow runnable, not the scorers validated. With real
#   coders, what would you do about a frame whose alpha stays low after a second round of
#   coding: drop it, merge it with another, or rewrite its definition?
# - The hybrid detector's threshold is relative to the corpus. When is a relative rule the
#   right one (comparing outlets within one corpus), and when is it wrong (comparing two
#   corpora scored separately)?
# - Corrected shares need inclusion probabilities. What goes wrong if coders pick the
#   "interesting" articles to code instead of the drawn sample?
#
# ## Key points
#
# - Frames are independent detectors: each has its own score and threshold, and the keyword
#   lexicon is always reported beside the embedding score.
# - Validate before calling anything a frame: a stratified, seeded coding sample, two or
#   more coders, Krippendorff's alpha per frame, adjudication into gold, and per-frame
#   `F1` and AUC with article-bootstrap intervals against the trivial rule.
# - A classifier trained on the codes is saved without pickle, with its provenance, and
#   refuses embeddings from another model.
# - Outlet × frame shares come corrected with the gold sample (DSL), their intervals include
#   the classifier's error, and every table states its scorer and validated `F1`.
