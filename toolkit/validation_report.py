"""``python -m toolkit validate DIR``: code a sample, measure agreement, validate scorers, correct shares.

Two steps on an ingested, embedded folder (``articles``, ``paragraphs``,
``embeddings`` Parquet):

1. ``validate DIR --draw N --coders ann bob`` draws a stratified coding
   sample (:func:`toolkit.coding.coding_sample`, by outlet, month and
   detector score) of canonical articles and writes ``DIR/coding/``:
   ``sample.parquet`` (with inclusion probabilities) and one coding sheet
   per coder (``<coder>.csv``, plus the codebook beside it).
2. ``validate DIR --codings DIR/coding/ann.csv DIR/coding/bob.csv`` reads the
   filled sheets and writes ``DIR/validation/``:

   * ``agreement.parquet``: Krippendorff's alpha per frame;
   * ``gold.parquet``: the adjudicated codes (majority; ties unresolved and
     left out, listed in the report);
   * ``evaluation.parquet``: precision, recall, F1 and ROC-AUC with
     article-bootstrap intervals for every scorer: the unsupervised
     detectors (``detector:hybrid``, ``detector:prototype``,
     ``detector:lexicon``) and the supervised classifier (out-of-fold,
     article-grouped 5-fold cross-validation);
   * ``classifier/``: the classifier trained on all gold codes (JSON +
     Parquet, with provenance);
   * ``outlet_frames_corrected.parquet``: outlet x frame article shares from
     the classifier, corrected with the gold sample (DSL), every row stating
     the scorer and its validated F1;
   * ``validation_report.json`` and ``validation_report.md``.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.errors import ToolkitError

MIN_GOLD = 10


class ValidationError(ToolkitError):
    """The folder or the codings lack what ``validate`` needs."""


def _read(directory: Path, name: str) -> pl.DataFrame:
    path = directory / f"{name}.parquet"
    if not path.exists():
        msg = f"got no {path.name} in {directory}, expected an ingested and embedded folder (python -m toolkit ingest/embed)"
        raise ValidationError(msg)
    return pl.read_parquet(path)


def _md(value: Any) -> str:
    """A Markdown table cell: data-derived text escaped (HTML and pipes)."""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.3f}"
    return html.escape(str(value)).replace("|", "&#124;").replace("\n", " ")


def _table(frame: pl.DataFrame, columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_md(row[c]) for c in columns) + " |" for row in frame.iter_rows(named=True)]
    return "\n".join(lines)


def validate_dir(
    directory: str | Path,
    *,
    codings: list[str | Path] | None = None,
    draw: int | None = None,
    coders: tuple[str, ...] = ("coder1", "coder2"),
    codebook: str = "policy_frames",
    seed: int = 0,
    n_boot: int = 1000,
) -> dict[str, Any]:
    """Draw coding sheets (``draw``) or validate scorers against filled ones (``codings``).

    Returns
    -------
    dict
        What was written (and, after validation, the report's content).

    Raises
    ------
    ValidationError
        Neither or both of ``draw`` and ``codings``, missing inputs, or too
        few gold codes.
    """
    from toolkit.analysis import analysis_paragraphs
    from toolkit.atomic import atomic_write, write_json, write_parquet
    from toolkit.coding import (
        adjudicate,
        coding_sample,
        read_codings,
        write_coding_sheet,
    )
    from toolkit.frame_classifier import (
        article_features,
        cross_validated_predictions,
        fit_frame_classifier,
    )
    from toolkit.frames import article_frames
    from toolkit.prevalence import corrected_shares, stamp_scorer
    from toolkit.validation import evaluate_frames, frame_agreement

    if (draw is None) == (not codings):
        msg = "got neither or both of --draw and --codings, expected one: --draw N to write coding sheets, --codings FILES to validate"
        raise ValidationError(msg)
    directory = Path(directory)
    articles = _read(directory, "articles")
    paragraphs = _read(directory, "paragraphs")
    embeddings = _read(directory, "embeddings")
    chosen = analysis_paragraphs(articles, paragraphs)
    canonical = articles.filter(pl.col("duplicate_of").is_null()).join(chosen.select("article_id").unique(), on="article_id", how="semi", maintain_order="left")
    detections = article_frames(canonical, chosen, embeddings, codebook=codebook)
    coding_dir = directory / "coding"

    if draw is not None:
        sample = coding_sample(canonical, draw, scores=detections, seed=seed)
        write_parquet(sample, coding_dir / "sample.parquet")
        sheets = [str(write_coding_sheet(sample, articles, chosen, coding_dir / f"{c}.csv", codebook=codebook, coder=c)) for c in coders]
        return {"sample": str(coding_dir / "sample.parquet"), "sheets": sheets, "n": sample.height, "seed": seed}

    out = directory / "validation"
    codes = read_codings(list(codings or []), codebook=codebook)
    agreement = frame_agreement(codes)
    adjudicated = adjudicate(codes)
    gold = adjudicated.drop_nulls("value").filter(pl.col("article_id").is_in(canonical["article_id"].implode()))
    if gold["article_id"].n_unique() < MIN_GOLD:
        msg = f"got {gold['article_id'].n_unique()} coded canonical articles, expected at least {MIN_GOLD} to validate"
        raise ValidationError(msg)
    evaluations = []
    for method in ("hybrid", "prototype", "lexicon"):
        pred = detections if method == "hybrid" else article_frames(canonical, chosen, embeddings, codebook=codebook, method=method)
        evaluations.append(evaluate_frames(pred, gold, n_boot=n_boot, seed=seed).with_columns(pl.lit(f"detector:{method}").alias("scorer")))
    features = article_features(canonical, chosen, embeddings, codebook=codebook)
    classifier_eval = None
    classifier = None
    n_splits = min(5, gold["article_id"].n_unique())
    try:
        oof = cross_validated_predictions(gold, features, codebook=codebook, n_splits=n_splits, seed=seed)
        classifier_eval = evaluate_frames(oof, gold, n_boot=n_boot, seed=seed).with_columns(pl.lit("classifier").alias("scorer"))
        evaluations.append(classifier_eval)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            classifier = fit_frame_classifier(gold, canonical, chosen, embeddings, codebook=codebook, features=features, seed=seed)
    except ToolkitError as exc:  # too few positives to train: reported, not fatal
        classifier_error = str(exc)
    else:
        classifier_error = None
    evaluation = pl.concat(evaluations, how="diagonal_relaxed")

    sample_path = coding_dir / "sample.parquet"
    sample = pl.read_parquet(sample_path) if sample_path.exists() else None
    if classifier is not None:
        predictions = classifier.predict_features(features)
        classifier.save(out / "classifier")
        scorer, scorer_eval = "classifier", classifier_eval
    else:
        predictions, scorer, scorer_eval = detections, "detector:hybrid", evaluations[0]
    kept = gold.select("article_id").unique()
    design = sample.join(kept, on="article_id", how="semi") if sample is not None else None
    shares = corrected_shares(predictions, gold, canonical, sample=design, scorer=scorer, evaluation=scorer_eval)
    write_parquet(agreement, out / "agreement.parquet")
    write_parquet(adjudicated, out / "gold.parquet")
    write_parquet(evaluation, out / "evaluation.parquet")
    write_parquet(shares, out / "outlet_frames_corrected.parquet")

    macro = evaluation.filter(pl.col("frame") == "(macro)").select("scorer", "auc", "auc_low", "auc_high", "f1", "f1_low", "f1_high")
    report = {
        "codebook": codebook,
        "coders": sorted(codes["coder"].unique().to_list()),
        "coded_articles": int(codes["article_id"].n_unique()),
        "gold_articles": int(gold["article_id"].n_unique()),
        "unresolved": adjudicated.filter(pl.col("source") == "unresolved").select("article_id", "frame").to_dicts(),
        "alpha": agreement.select("frame", "alpha", "n_articles").to_dicts(),
        "macro": macro.to_dicts(),
        "shares_scorer": scorer,
        "shares_design": "coding sample inclusion probabilities" if design is not None else "simple random sample assumed",
        "classifier_error": classifier_error,
        "seed": seed,
        "n_boot": n_boot,
    }
    write_json(report, out / "validation_report.json")
    per_frame = evaluation.filter(pl.col("frame") != "(macro)").select("scorer", "frame", "n_positive", "precision", "recall", "f1", "f1_low", "f1_high", "auc", "f1_all_positive")
    text = "\n\n".join(
        [
            "# Frame validation report",
            (
                f"Codebook **{_md(codebook)}**; coders: {_md(', '.join(report['coders']))}; {report['coded_articles']} coded articles, "
                f"{report['gold_articles']} in the gold set ({len(report['unresolved'])} unresolved article x frame ties left out)."
            ),
            "## Agreement (Krippendorff's alpha, nominal)",
            _table(agreement, ["frame", "alpha", "n_articles", "n_coders", "percent_agreement", "prevalence", "note"]),
            "## Scorers against gold (macro averages, 95% article-bootstrap intervals)",
            _table(macro, ["scorer", "auc", "auc_low", "auc_high", "f1", "f1_low", "f1_high"]),
            "## Per frame",
            _table(per_frame, per_frame.columns),
            f"## Corrected outlet x frame shares (scorer: {_md(scorer)}; DSL, {_md(report['shares_design'])})",
            _table(stamp_scorer(shares, scorer=scorer, evaluation=scorer_eval), ["outlet", "frame", "n_articles", "n_coded", "estimate", "ci_low", "ci_high", "naive_estimate", "validation", "note"]),
        ]
    )
    atomic_write(out / "validation_report.md", lambda fh: fh.write((text + "\n").encode("utf-8")))
    return report
