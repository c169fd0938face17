"""Supervised frame classifiers trained on a human-coded sample.

One logistic regression per frame (scikit-learn), on features every article
has whatever the corpus:

* the article's vector: the normalised mean of its paragraph embeddings,
  and its headline's embedding (zeros without a headline);
* the frame's prototype score, centred within the article
  (``prototype_centered`` of :func:`toolkit.frames.article_frames`), and
  ``log1p`` of its keyword rate (``lexicon_score``).

Features are standardised; classes are weighted to balance (few-shot samples
are often half positive). Probabilities are **calibrated** by Platt scaling
of out-of-fold decision values from article-grouped stratified
cross-validation on the training codes, and the default decision rule
``detected = probability >= threshold`` uses the per-frame threshold that
maximises F1 on those out-of-fold probabilities.

A fitted classifier is saved as a folder with ``classifier.json``
(provenance: embedding-model fingerprint, the full codebook and its sha256,
the training sample's sha256 and size, per-frame intercept, Platt
coefficients, threshold and cross-validated F1/AUC) and
``weights.parquet`` (per-frame coefficients and standardisation). No pickle.
Predicting on embeddings of another model is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from toolkit.frames import FramingError, _codebook
from toolkit.schema import require_columns

FORMAT = "toolkit-frame-classifier/1"
MIN_PER_CLASS = 2


@dataclass
class ArticleFeatures:
    """Article features shared by training and prediction (see the module docstring)."""

    article_ids: list[str]
    vectors: np.ndarray  # articles x (2 * dim)
    extras: dict[str, np.ndarray]  # frame -> articles x 2
    model_fingerprint: str
    codebook_sha256: str

    def rows(self, ids: list[str]) -> np.ndarray:
        """Row indices of ``ids`` (all must be present)."""
        where = {a: i for i, a in enumerate(self.article_ids)}
        missing = [a for a in ids if a not in where]
        if missing:
            msg = f"got {len(missing)} coded article(s) without features (e.g. {missing[0]!r}), expected every coded article in articles/paragraphs/embeddings"
            raise FramingError(msg)
        return np.array([where[a] for a in ids], dtype=np.int64)

    def matrix(self, frame: str, idx: np.ndarray) -> np.ndarray:
        """Feature matrix of one frame for rows ``idx``."""
        return np.hstack([self.vectors[idx], self.extras[frame][idx]])


def article_features(
    articles: pl.DataFrame,
    paragraphs: pl.DataFrame,
    embeddings: pl.DataFrame,
    *,
    codebook: Any = "policy_frames",
    model: str | os.PathLike[str] | None = None,
    cache: bool | str | os.PathLike[str] | None = True,
) -> ArticleFeatures:
    """Compute the classifier's features for every article with a scored paragraph or headline."""
    from toolkit.frames import (
        TITLE_SUFFIX,
        _fingerprint,
        _title_vectors,
        _vectors_for,
        article_frames,
    )

    book = _codebook(codebook)
    fingerprint = _fingerprint(embeddings, "embeddings")
    det = article_frames(articles, paragraphs, embeddings, codebook=book, model=model, cache=cache)
    ids = det["article_id"].unique(maintain_order=True).to_list()
    where = {a: i for i, a in enumerate(ids)}
    body = paragraphs.select(pl.col("paragraph_id").cast(pl.String), pl.col("article_id").cast(pl.String)).filter(
        pl.col("article_id").is_in(ids) & ~pl.col("paragraph_id").str.ends_with(TITLE_SUFFIX)
    )
    x = _vectors_for(body.select("paragraph_id"), embeddings, "paragraph(s)") if body.height else np.zeros((0, 1))
    dim = x.shape[1] if body.height else int(np.asarray(embeddings["embedding"][0]).size)
    mean = np.zeros((len(ids), dim))
    if body.height:
        owner = np.array([where[a] for a in body["article_id"].to_list()])
        np.add.at(mean, owner, x)
        norms = np.linalg.norm(mean, axis=1, keepdims=True)
        mean = np.where(norms > 0, mean / np.where(norms > 0, norms, 1.0), 0.0)
    title = np.zeros((len(ids), dim))
    rows, tx = _title_vectors(articles.filter(pl.col("article_id").is_in(ids)), embeddings, model=model, cache=cache)
    if rows.height:
        title[[where[a] for a in rows["article_id"].to_list()]] = tx
    extras = {}
    for frame in book.frame_names:
        sub = det.filter(pl.col("frame") == frame)
        extra = np.zeros((len(ids), 2))
        idx = [where[a] for a in sub["article_id"].to_list()]
        extra[idx, 0] = sub["prototype_centered"].to_numpy()
        extra[idx, 1] = np.log1p(sub["lexicon_score"].fill_null(0.0).to_numpy())
        extras[frame] = extra
    return ArticleFeatures(ids, np.hstack([mean, title]), extras, fingerprint, book.sha256)


def _gold_by_article(codes: pl.DataFrame) -> pl.DataFrame:
    """One 0/1 value per article and frame: the majority of coders (a tie counts as 1)."""
    from toolkit.validation import _binary

    require_columns(codes, ("article_id", "frame", "value"), name="codes", error=FramingError)
    clean = _binary(codes.select(pl.col("article_id").cast(pl.String), "frame", "value").drop_nulls("value"), "value", "codes")
    return (
        clean.group_by("article_id", "frame")
        .agg((pl.col("value").cast(pl.Float64).mean() >= 0.5).cast(pl.Int8).alias("value"))
        .sort("frame", "article_id")
    )


def sample_hash(codes: pl.DataFrame) -> str:
    """sha256 of the training codes (sorted ``article_id, frame, value[, coder]`` as CSV)."""
    columns = [c for c in ("article_id", "frame", "value", "coder") if c in codes.columns]
    text = codes.select([pl.col(c).cast(pl.String) for c in columns]).sort(columns).write_csv()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _platt(decision: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=1e6, max_iter=1000).fit(decision.reshape(-1, 1), y)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def _fit_one(x: np.ndarray, y: np.ndarray, *, C: float, seed: int, n_splits: int, n_vector: int = 0, vector_weight: float = 1.0) -> dict[str, Any]:
    """Fit one frame: scaler, balanced LR, Platt on out-of-fold decisions, F1-best threshold."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from toolkit.validation import best_f1_threshold

    def fit(xt: np.ndarray, yt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        mu = xt.mean(axis=0)
        sd = xt.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        # a lighter weight on the embedding block is a stronger penalty on it: with few codes the
        # two frame-specific features (prototype, lexicon) are not drowned by hundreds of dimensions
        sd[:n_vector] /= vector_weight
        lr = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit((xt - mu) / sd, yt)
        return mu, sd, lr.coef_[0].copy(), float(lr.intercept_[0])

    folds = int(min(n_splits, np.bincount(y, minlength=2).min()))
    oof = np.full(y.size, np.nan)
    if folds >= 2:
        # one row per article, so stratified folds of rows are article-grouped folds
        for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(x, y):
            mu, sd, coef, b = fit(x[train], y[train])
            oof[test] = ((x[test] - mu) / sd) @ coef + b
    mu, sd, coef, b = fit(x, y)
    if folds >= 2:
        a, c = _platt(oof, y)
        prob = _sigmoid(a * oof + c)
        threshold = best_f1_threshold(y, prob)
        cv_auc = float(roc_auc_score(y, oof))
        d = prob >= threshold
        cv_f1 = float(2 * (d & (y == 1)).sum() / (d.sum() + y.sum()))
    else:  # too few to cross-validate: uncalibrated
        a, c, threshold, cv_auc, cv_f1 = 1.0, 0.0, 0.5, float("nan"), float("nan")
    return {"mean": mu, "scale": sd, "coef": coef, "intercept": b, "platt_a": a, "platt_b": c, "threshold": float(threshold), "cv_auc": cv_auc, "cv_f1": cv_f1, "cv_folds": folds}


@dataclass
class FrameClassifier:
    """Per-frame logistic regressions with calibrated probabilities; see :func:`fit_frame_classifier`."""

    codebook: Any
    model_fingerprint: str
    training_sha256: str
    n_training_articles: int
    params: dict[str, dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def frames(self) -> list[str]:
        """Frames with a fitted model, in codebook order."""
        return [f for f in self.codebook.frame_names if f in self.params]

    def summary(self) -> pl.DataFrame:
        """Per frame: training size and positives, cross-validated F1 and AUC, threshold."""
        return pl.DataFrame(
            [
                {
                    "frame": f,
                    "n_train": self.params[f]["n_train"],
                    "n_positive": self.params[f]["n_positive"],
                    "cv_f1": self.params[f]["cv_f1"],
                    "cv_auc": self.params[f]["cv_auc"],
                    "threshold": self.params[f]["threshold"],
                }
                for f in self.frames
            ]
        )

    def predict_features(self, features: ArticleFeatures) -> pl.DataFrame:
        """Predict from precomputed :func:`article_features`."""
        if features.model_fingerprint != self.model_fingerprint:
            msg = f"got embeddings from model {features.model_fingerprint}, expected the classifier's model {self.model_fingerprint}"
            raise FramingError(msg)
        idx = np.arange(len(features.article_ids))
        parts = []
        for k, frame in enumerate(self.frames):
            p = self.params[frame]
            z = ((features.matrix(frame, idx) - p["mean"]) / p["scale"]) @ p["coef"] + p["intercept"]
            prob = _sigmoid(p["platt_a"] * z + p["platt_b"])
            parts.append(
                pl.DataFrame(
                    {"article_id": features.article_ids, "frame": [frame] * idx.size, "probability": prob, "detected": prob >= p["threshold"],
                     "threshold": [p["threshold"]] * idx.size, "_a": idx, "_f": [k] * idx.size},
                    schema_overrides={"article_id": pl.String, "frame": pl.String},
                )
            )
        out = pl.concat(parts).sort("_a", "_f").drop("_a", "_f")
        return out.with_columns(pl.lit("classifier").alias("scorer"), pl.lit(self.codebook.name).alias("codebook"), pl.lit(self.training_sha256[:16]).alias("training_sample"))

    def predict(
        self,
        articles: pl.DataFrame,
        paragraphs: pl.DataFrame,
        embeddings: pl.DataFrame,
        *,
        model: str | os.PathLike[str] | None = None,
        cache: bool | str | os.PathLike[str] | None = True,
    ) -> pl.DataFrame:
        """Calibrated frame probabilities for every article.

        Returns
        -------
        pl.DataFrame
            ``article_id``, ``frame``, ``probability``, ``detected``
            (``probability >= threshold``, the frame's F1-best cut-off),
            ``threshold``, ``scorer`` ("classifier"), ``codebook``,
            ``training_sample`` (first 16 hex digits of its sha256);
            articles in input order, frames in codebook order.

        Raises
        ------
        FramingError
            Embeddings from another model than the training embeddings.
        """
        from toolkit.frames import _fingerprint

        got = _fingerprint(embeddings, "embeddings")
        if got != self.model_fingerprint:
            msg = f"got embeddings from model {got}, expected the classifier's model {self.model_fingerprint} (embed with the same model)"
            raise FramingError(msg)
        return self.predict_features(article_features(articles, paragraphs, embeddings, codebook=self.codebook, model=model, cache=cache))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``classifier.json`` and ``weights.parquet`` into the folder ``path`` (created)."""
        from toolkit.atomic import write_json, write_parquet

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        book = self.codebook
        meta = {
            "format": FORMAT,
            "model_fingerprint": self.model_fingerprint,
            "codebook_sha256": book.sha256,
            "codebook": {
                "name": book.name,
                "title": book.title,
                "source": book.source,
                "version": book.version,
                "frames": [
                    {"code": f.code, "name": f.name, "definition": f.definition, "keywords": list(f.keywords), "prototypes": list(f.prototypes)}
                    for f in book.frames
                ],
            },
            "training_sample_sha256": self.training_sha256,
            "n_training_articles": self.n_training_articles,
            "settings": self.settings,
            "frames": {
                f: {k: v for k, v in p.items() if k not in ("mean", "scale", "coef")} for f, p in self.params.items()
            },
        }
        weights = pl.concat(
            [
                pl.DataFrame(
                    {"frame": [f] * p["coef"].size, "feature": np.arange(p["coef"].size, dtype=np.int32), "coef": p["coef"], "mean": p["mean"], "scale": p["scale"]},
                    schema_overrides={"frame": pl.String},
                )
                for f, p in self.params.items()
            ]
        )
        write_json(meta, folder / "classifier.json")
        write_parquet(weights, folder / "weights.parquet")
        return folder


def load_frame_classifier(path: str | os.PathLike[str]) -> FrameClassifier:
    """Read a classifier written by :meth:`FrameClassifier.save` (JSON + Parquet, no pickle).

    Raises
    ------
    FramingError
        Missing files, another format, or a codebook whose content does not
        match its recorded sha256.
    """
    from toolkit.codebook import parse_codebook

    folder = Path(path)
    try:
        meta = json.loads((folder / "classifier.json").read_text(encoding="utf-8"))
        weights = pl.read_parquet(folder / "weights.parquet")
    except (OSError, ValueError) as exc:
        msg = f"{folder}: got an unreadable classifier ({exc}), expected classifier.json and weights.parquet from FrameClassifier.save"
        raise FramingError(msg) from exc
    if meta.get("format") != FORMAT:
        msg = f"{folder}: got format {meta.get('format')!r}, expected {FORMAT!r}"
        raise FramingError(msg)
    cb = meta["codebook"]
    book = parse_codebook({"codebook": {k: cb[k] for k in ("name", "title", "source", "version")}, "frame": cb["frames"]}, path=folder / "classifier.json")[0]
    if book.sha256 != meta["codebook_sha256"]:
        msg = f"{folder}: got a codebook hashing to {book.sha256[:16]}, expected the recorded {meta['codebook_sha256'][:16]} (edited file?)"
        raise FramingError(msg)
    params = {}
    for frame, p in meta["frames"].items():
        w = weights.filter(pl.col("frame") == frame).sort("feature")
        params[frame] = {**p, "coef": w["coef"].to_numpy(), "mean": w["mean"].to_numpy(), "scale": w["scale"].to_numpy()}
    return FrameClassifier(book, meta["model_fingerprint"], meta["training_sample_sha256"], int(meta["n_training_articles"]), params, dict(meta.get("settings", {})))


def fit_frame_classifier(
    codes: pl.DataFrame,
    articles: pl.DataFrame,
    paragraphs: pl.DataFrame,
    embeddings: pl.DataFrame,
    *,
    codebook: Any = "policy_frames",
    C: float = 0.1,
    vector_weight: float = 0.1,
    n_splits: int = 5,
    seed: int = 0,
    model: str | os.PathLike[str] | None = None,
    cache: bool | str | os.PathLike[str] | None = True,
    features: ArticleFeatures | None = None,
) -> FrameClassifier:
    """Train one calibrated logistic regression per frame on coded articles.

    Parameters
    ----------
    codes : pl.DataFrame
        ``article_id``, ``frame``, ``value`` (0/1), optionally ``coder``
        (several coders are reduced to the majority per article; better,
        pass an adjudicated gold set). Frames may be coded on different
        articles (few-shot samples).
    articles, paragraphs, embeddings : pl.DataFrame
        The corpus the coded articles come from (as for
        :func:`toolkit.frames.article_frames`).
    codebook : str, path or Codebook
        Frames to train; frames of the codebook absent from ``codes`` or with
        fewer than 2 positive or 2 negative articles are left out (warning).
    C : float
        Inverse L2 penalty of the logistic regressions (on standardised
        features).
    vector_weight : float
        Scale of the standardised embedding block relative to the two
        frame-specific features: below 1, a stronger penalty on the
        embedding dimensions, so that with few codes the prototype and
        keyword features carry the frame. ``C=0.1, vector_weight=0.1`` were
        picked on a 3 x 3 grid on the SemEval benchmark
        (``benchmarks/bench_frames.py``), whose figures are therefore
        slightly optimistic.
    n_splits : int
        Folds of the article-grouped stratified cross-validation used for
        calibration, the threshold and the reported cv F1/AUC.
    seed : int
        Seed of the fold assignment.
    features : ArticleFeatures, optional
        Precomputed :func:`article_features` (saves recomputing them).

    Returns
    -------
    FrameClassifier
        With ``predict``, ``save``, ``summary``.
    """
    book = _codebook(codebook)
    gold = _gold_by_article(codes)
    unknown = sorted(set(gold["frame"]) - set(book.frame_names))
    if unknown:
        msg = f"got codes for frames {unknown}, expected frames of codebook {book.name!r}"
        raise FramingError(msg)
    if features is None:
        coded = articles.filter(pl.col("article_id").cast(pl.String).is_in(gold["article_id"].unique().implode()))
        features = article_features(coded, paragraphs, embeddings, codebook=book, model=model, cache=cache)
    elif features.codebook_sha256 != book.sha256:
        msg = "got features computed with another codebook, expected the codebook given"
        raise FramingError(msg)
    params: dict[str, dict[str, Any]] = {}
    skipped = []
    for frame in book.frame_names:
        sub = gold.filter(pl.col("frame") == frame)
        y = sub["value"].to_numpy().astype(np.int64)
        if sub.height == 0 or min(int(y.sum()), int(y.size - y.sum())) < MIN_PER_CLASS:
            skipped.append(frame)
            continue
        idx = features.rows(sub["article_id"].to_list())
        n_vector = features.vectors.shape[1]
        fitted = _fit_one(features.matrix(frame, idx), y, C=C, seed=seed, n_splits=n_splits, n_vector=n_vector, vector_weight=vector_weight)
        params[frame] = {**fitted, "n_train": int(y.size), "n_positive": int(y.sum())}
    if skipped:
        warnings.warn(f"left out frames with fewer than {MIN_PER_CLASS} positive or negative coded articles: {skipped}", UserWarning, stacklevel=2)
    if not params:
        msg = f"got no frame with at least {MIN_PER_CLASS} positive and {MIN_PER_CLASS} negative coded articles, expected a coded sample with both"
        raise FramingError(msg)
    return FrameClassifier(
        book, features.model_fingerprint, sample_hash(codes), int(gold["article_id"].n_unique()), params, {"C": C, "vector_weight": vector_weight, "n_splits": n_splits, "seed": seed, "skipped_frames": skipped}
    )


def cross_validated_predictions(
    codes: pl.DataFrame,
    features: ArticleFeatures,
    *,
    codebook: Any = "policy_frames",
    n_splits: int = 5,
    seed: int = 0,
    **options: Any,
) -> pl.DataFrame:
    """Out-of-fold predictions of the classifier for every coded article (article-grouped K-fold).

    Each coded article is predicted by a classifier trained on the other
    folds, so :func:`toolkit.validation.evaluate_frames` on the result
    measures the classifier honestly on the codes at hand.
    """
    from sklearn.model_selection import KFold

    gold = _gold_by_article(codes)
    ids = np.asarray(sorted(gold["article_id"].unique().to_list()))
    if ids.size < n_splits:
        msg = f"got {ids.size} coded articles, expected at least n_splits={n_splits}"
        raise FramingError(msg)
    parts = []
    for train, test in KFold(n_splits=n_splits, shuffle=True, random_state=seed).split(ids):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = fit_frame_classifier(gold.filter(pl.col("article_id").is_in(ids[train].tolist())), None, None, None, codebook=codebook, features=features, seed=seed, **options)  # type: ignore[arg-type]
        parts.append(clf.predict_features(features).filter(pl.col("article_id").is_in(ids[test].tolist())))
    return pl.concat(parts).sort("article_id")
