"""Frame scoring: independent frame detectors, a keyword baseline and paragraph prototypes.

Frames come from **codebooks**, data files of frames with definitions,
keywords and prototype sentences (:mod:`toolkit.codebook`; packaged: the 14
Policy Frames, Semetko & Valkenburg's 5 generic frames and an issue-specific
example).

* :func:`article_frames` detects each frame in each article on its own (no
  softmax, no competition between frames: an article can carry several or
  none): a pooled prototype similarity of its paragraphs and headline, a
  keyword lexicon, and by default their sum in z units; every frame has its
  own threshold. This is the entry point for "which frames does an article
  carry".
* :func:`lexicon_frames` is the keyword baseline, always reported beside
  the embedding scores.
* :func:`score_frames` scores paragraphs against frame prototypes and names
  each paragraph's closest frame (``softmax``/``zscore``/``none``
  calibration, documented below); :func:`pooled_article_scores` pools those
  into a primary frame per article. Nearest-prototype labels are a
  description of where the prototypes sit, not frame codes.

All of it is unsupervised: nothing was fitted to labelled data. Validate on
a hand-coded sample (:mod:`toolkit.coding`, :mod:`toolkit.validation`) or
train a classifier on one (:mod:`toolkit.frame_classifier`) before making
claims about a corpus; docs/framing.md reports how each scorer fares on real
coded news.

Paragraph scoring, :func:`score_frames` (documented choices):

* ``"softmax"`` (default): ``score = softmax(raw_cosine / temperature)``
  over the frames of the typology, per paragraph, so scores are positive and
  sum to one. Ranking is by raw cosine; the temperature only sets how peaked
  the scores are. Absolute: a paragraph's score does not depend on the rest
  of the corpus.
* ``"zscore"``: per-frame z-score of the raw cosine against the scored
  paragraphs (mean and standard deviation over the corpus). Removes the
  frame's general pull (some prototypes sit closer to all news text than
  others) but is *relative*: in a corpus that is all about defence, a
  defence paragraph is only "average" on Security and defense.
* ``"none"``: the raw cosine.

Multi-label membership: a paragraph belongs to its top frame and to every
other frame whose ranking value (raw cosine, or z for ``"zscore"``) is within
``member_margin`` of the top one, up to ``max_labels`` frames. ``margin`` is
top-1 minus top-2 in the same units, and ``ambiguous`` flags paragraphs whose
margin is below ``ambiguous_margin``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from toolkit.errors import ToolkitError
from toolkit.schema import require_columns

TYPOLOGIES = ("policy_frames", "generic")
CALIBRATIONS = ("softmax", "zscore", "none")
AGGREGATES = ("mean", "max")
# Defaults per calibration: (member_margin, ambiguous_margin), in ranking units.
# Cosine: on all-MiniLM-L6-v2 the spread between frames of one paragraph is
# typically 0.05-0.25, so 0.02 is "practically tied" and 0.01 is a coin toss.
_MARGINS = {"softmax": (0.02, 0.01), "none": (0.02, 0.01), "zscore": (0.5, 0.25)}
TITLE_SUFFIX = "-title"


class FramingError(ToolkitError):
    """Bad input to frame scoring or outlet shares."""


def frames_path() -> Path:
    """Path of the packaged Policy Frames codebook (the other packaged codebooks sit beside it)."""
    from toolkit.codebook import codebook_path

    return codebook_path("policy_frames")


def load_frames(path: str | os.PathLike[str] | None = None, *, typology: str | None = None) -> pl.DataFrame:
    """Read frame prototypes, one row per prototype sentence.

    Parameters
    ----------
    path : path-like, optional
        A codebook TOML file (see :mod:`toolkit.codebook`; the older format
        with a ``typology`` key per ``[[frame]]`` is read too). Default: every
        packaged codebook (``policy_frames``, ``generic``,
        ``trilateral_security``).
    typology : str, optional
        Keep only this codebook (e.g. ``"policy_frames"``, ``"generic"``).

    Returns
    -------
    pl.DataFrame
        ``typology`` (the codebook name), ``code`` (Int32), ``frame``,
        ``prototype_id`` (``"typology:code:i"``) and ``sentence``, in file order.

    Raises
    ------
    FramingError
        On a missing or malformed file, an empty prototype list, a
        duplicated frame name, or an unknown typology.
    """
    from toolkit.codebook import PACKAGED, CodebookError, codebook_path, read_codebooks

    try:
        books = read_codebooks(path) if path is not None else [b for name in PACKAGED for b in read_codebooks(codebook_path(name))]
    except CodebookError as exc:
        raise FramingError(str(exc)) from exc
    rows: list[dict[str, Any]] = [
        {"typology": book.name, "code": f.code, "frame": f.name, "prototype_id": f"{book.name}:{f.code:02d}:{j}", "sentence": sentence}
        for book in books
        for f in book.frames
        for j, sentence in enumerate(f.prototypes)
    ]
    frame = pl.DataFrame(rows, schema={"typology": pl.String, "code": pl.Int32, "frame": pl.String, "prototype_id": pl.String, "sentence": pl.String})
    if typology is not None:
        known = frame["typology"].unique(maintain_order=True).to_list()
        if typology not in known:
            msg = f"got typology {typology!r}, expected one of {known}"
            raise FramingError(msg)
        frame = frame.filter(pl.col("typology") == typology)
    return frame


def title_paragraphs(articles: pl.DataFrame) -> pl.DataFrame:
    """Headlines as paragraph-like rows, to embed and score with the paragraphs.

    Returns
    -------
    pl.DataFrame
        ``paragraph_id`` (``f"{article_id}-title"``), ``article_id``,
        ``position`` (-1), ``text`` (the title, whitespace collapsed) and
        ``kind`` ("title"); articles with a blank title are left out.
    """
    return (
        articles.select(
            (pl.col("article_id") + TITLE_SUFFIX).alias("paragraph_id"),
            "article_id",
            pl.lit(-1, dtype=pl.Int32).alias("position"),
            pl.col("title").str.replace_all(r"\s+", " ").str.strip_chars().alias("text"),
            pl.lit("title").alias("kind"),
        )
        .filter(pl.col("text").is_not_null() & (pl.col("text") != ""))
    )


def _same_model(prototypes: pl.DataFrame, embeddings: pl.DataFrame) -> None:
    """Raise unless the prototype vectors and the paragraph vectors come from one model."""
    expected, got = _fingerprint(prototypes, "prototype embeddings"), _fingerprint(embeddings, "embeddings")
    if got != expected:
        msg = (
            f"got embeddings from model {got}, expected the same model as the prototypes {expected} "
            "(pass model= the model that embedded the paragraphs)"
        )
        raise FramingError(msg)


def _fingerprint(embeddings: pl.DataFrame, what: str) -> str:
    if "model_fingerprint" not in embeddings.columns:
        msg = f"got {what} columns {embeddings.columns}, expected a model_fingerprint column (from toolkit.embed)"
        raise FramingError(msg)
    prints = embeddings["model_fingerprint"].unique(maintain_order=True).to_list()
    if len(prints) != 1:
        msg = f"got {what} from {len(prints)} models {prints}, expected a single model"
        raise FramingError(msg)
    return str(prints[0])


def frame_vectors(
    embeddings: pl.DataFrame,
    *,
    typology: str = "policy_frames",
    model: str | os.PathLike[str] | None = None,
    path: str | os.PathLike[str] | None = None,
    aggregate: str = "mean",
    cache: bool | str | os.PathLike[str] | None = True,
) -> tuple[list[str], np.ndarray]:
    """Embed the prototypes and return ``(frame names, vectors)``.

    ``aggregate="mean"`` gives one unit vector per frame, the normalised mean
    of its sentence vectors (shape ``(n_frames, dim)``); ``"max"`` keeps every
    sentence vector (shape ``(n_sentences, dim)``, names repeated) so a
    paragraph's score is its best-matching sentence.

    Raises
    ------
    FramingError
        When ``embeddings`` come from another model than the prototypes.
    """
    from toolkit.embedding import embed

    if aggregate not in AGGREGATES:
        msg = f"got aggregate={aggregate!r}, expected one of {AGGREGATES}"
        raise FramingError(msg)
    protos = load_frames(path, typology=typology)
    from toolkit.embedder import matching

    emb = embed(protos.select(pl.col("prototype_id").alias("paragraph_id"), pl.col("sentence").alias("text")),
                model=matching(model, embeddings), cache=cache, progress=False)
    _same_model(emb, embeddings)
    vectors = emb["embedding"].to_numpy().astype(np.float64)
    names = protos["frame"].to_list()
    if aggregate == "max":
        return names, vectors
    order = list(dict.fromkeys(names))
    owner = np.array([order.index(n) for n in names])
    means = np.stack([vectors[owner == k].mean(axis=0) for k in range(len(order))])
    return order, means / np.linalg.norm(means, axis=1, keepdims=True)


def score_frames(
    paragraphs: pl.DataFrame,
    embeddings: pl.DataFrame,
    *,
    typology: str = "policy_frames",
    model: str | os.PathLike[str] | None = None,
    path: str | os.PathLike[str] | None = None,
    aggregate: str = "mean",
    calibration: str = "softmax",
    temperature: float = 0.02,
    member_margin: float | None = None,
    max_labels: int = 3,
    ambiguous_margin: float | None = None,
    cache: bool | str | os.PathLike[str] | None = True,
) -> pl.DataFrame:
    """Score each paragraph against each frame of a typology.

    Parameters
    ----------
    paragraphs : pl.DataFrame
        Rows to score (``paragraph_id``; e.g.
        :func:`toolkit.analysis.analysis_paragraphs`, optionally with
        :func:`title_paragraphs` stacked on). Order is kept.
    embeddings : pl.DataFrame
        ``paragraph_id``, ``embedding``, ``model_fingerprint`` covering every
        paragraph (extra rows are ignored).
    typology : str
        A codebook name: ``"policy_frames"`` (14 frames), ``"generic"`` (5),
        ``"trilateral_security"``, or any codebook of a custom ``path``.
    model : str or path-like, optional
        Model for the prototypes; must be the one that made ``embeddings``
        (checked by fingerprint). None: the toolkit's configured default.
    path : path-like, optional
        Custom prototypes file (see :func:`load_frames`).
    aggregate : {"mean", "max"}
        Raw score = cosine to the normalised mean of the frame's sentence
        vectors (default: smoother, one direction per frame), or the
        maximum cosine over its sentences (rewards matching one facet).
    calibration : {"softmax", "zscore", "none"}
        See the module docstring. ``softmax`` is absolute and sums to one per
        paragraph; ``zscore`` is relative to the scored corpus.
    temperature : float
        Softmax temperature in cosine units (0.02: a cosine gap of 0.02
        multiplies the odds by e).
    member_margin : float, optional
        Frames within this margin of the top one (raw cosine; z units for
        ``zscore``) are also members. Default 0.02 (0.5 for ``zscore``).
    max_labels : int
        At most this many member frames per paragraph.
    ambiguous_margin : float, optional
        ``ambiguous`` is set when top-1 minus top-2 is below this. Default
        0.01 (0.25 for ``zscore``).
    cache : bool or path-like
        Embedding cache for the prototypes (see :func:`toolkit.embed`).

    Returns
    -------
    pl.DataFrame
        Long frame, one row per paragraph and frame, paragraphs in input
        order and frames by rank: ``paragraph_id``, ``frame``, ``raw_cosine``,
        ``score``, ``rank`` (1 = best), ``is_primary``, ``is_member``,
        ``margin`` (top-1 minus top-2, per paragraph), ``ambiguous``,
        ``typology``, ``calibration``.

    Raises
    ------
    FramingError
        Unknown options, paragraphs without embeddings, or embeddings from a
        different model than the prototypes.
    """
    if calibration not in CALIBRATIONS:
        msg = f"got calibration={calibration!r}, expected one of {CALIBRATIONS}"
        raise FramingError(msg)
    if temperature <= 0:
        msg = f"got temperature={temperature}, expected a positive number"
        raise FramingError(msg)
    if max_labels < 1:
        msg = f"got max_labels={max_labels}, expected at least 1"
        raise FramingError(msg)
    if "paragraph_id" not in paragraphs.columns or paragraphs.height == 0:
        msg = f"got paragraphs with columns {paragraphs.columns} and {paragraphs.height} rows, expected at least one row with paragraph_id"
        raise FramingError(msg)
    default_member, default_ambiguous = _MARGINS[calibration]
    member_margin = default_member if member_margin is None else member_margin
    ambiguous_margin = default_ambiguous if ambiguous_margin is None else ambiguous_margin

    ids = paragraphs.select(pl.col("paragraph_id").cast(pl.String))
    joined = ids.join(embeddings.select("paragraph_id", "embedding", "model_fingerprint"), on="paragraph_id", how="left", maintain_order="left")
    if joined["embedding"].null_count():
        first = joined.filter(pl.col("embedding").is_null())["paragraph_id"][0]
        msg = f"got {joined['embedding'].null_count()} paragraph(s) without an embedding (e.g. {first!r}), expected every paragraph embedded"
        raise FramingError(msg)
    names, vectors = frame_vectors(joined, typology=typology, model=model, path=path, aggregate=aggregate, cache=cache)
    x = joined["embedding"].to_numpy().astype(np.float64)
    x /= np.linalg.norm(x, axis=1, keepdims=True)  # stored vectors are unit already; guard custom input
    sims = x @ vectors.T
    frames = list(dict.fromkeys(names))
    if aggregate == "max":
        owner = np.array([frames.index(n) for n in names])
        sims = np.stack([sims[:, owner == k].max(axis=1) for k in range(len(frames))], axis=1)

    if calibration == "zscore":
        sd = sims.std(axis=0)
        # one paragraph (or identical ones) has no spread: z is 0, not NaN
        ranking = np.where(sd > 0, (sims - sims.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 0.0)
        score = ranking
    else:
        ranking = sims
        if calibration == "softmax":
            logits = sims / temperature
            logits -= logits.max(axis=1, keepdims=True)
            e = np.exp(logits)
            score = e / e.sum(axis=1, keepdims=True)
        else:
            score = sims

    n, k = ranking.shape
    # stable sort on -ranking: ties go to the frame listed first in the file
    order = np.argsort(-ranking, axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(n)[:, None], order] = np.arange(1, k + 1)
    top = ranking[np.arange(n), order[:, 0]]
    second = ranking[np.arange(n), order[:, 1]] if k > 1 else np.full(n, -np.inf)
    margin = top - second
    member = (rank == 1) | ((ranking >= top[:, None] - member_margin) & (rank <= max_labels))

    pid = np.repeat(np.asarray(ids["paragraph_id"].to_list(), dtype=object), k)
    flat_order = (order + (np.arange(n) * k)[:, None]).ravel()
    return pl.DataFrame(
        {
            "paragraph_id": pid,
            "frame": np.tile(np.asarray(frames, dtype=object), n)[flat_order],
            "raw_cosine": sims.ravel()[flat_order],
            "score": score.ravel()[flat_order],
            "rank": rank.ravel()[flat_order].astype(np.int32),
            "is_primary": (rank == 1).ravel()[flat_order],
            "is_member": member.ravel()[flat_order],
            "margin": np.repeat(margin, k),
            "ambiguous": np.repeat(margin < ambiguous_margin, k),
        },
        schema={
            "paragraph_id": pl.String,
            "frame": pl.String,
            "raw_cosine": pl.Float64,
            "score": pl.Float64,
            "rank": pl.Int32,
            "is_primary": pl.Boolean,
            "is_member": pl.Boolean,
            "margin": pl.Float64,
            "ambiguous": pl.Boolean,
        },
    ).with_columns(pl.lit(typology).alias("typology"), pl.lit(calibration).alias("calibration"))


def pooled_article_scores(
    frames: pl.DataFrame,
    paragraphs: pl.DataFrame,
    articles: pl.DataFrame,
    *,
    headline_weight: float = 2.0,
    lead_weight: float = 1.5,
) -> pl.DataFrame:
    """Article-level scores of :func:`score_frames` output: a weighted mean of paragraph scores.

    This pools the *softmax* (competing) paragraph scores and names one
    primary frame per article. Frames are not mutually exclusive: to detect
    each frame in an article use :func:`article_frames`, whose frames are
    independent detectors. Kept for the per-paragraph primary-frame tables.

    Weights: the headline row (``f"{article_id}-title"``, from
    :func:`title_paragraphs`, when it was scored) counts ``headline_weight``,
    the lead (the article's scored paragraph with the lowest ``position``:
    the deck when there is one, else the first body paragraph) counts
    ``lead_weight``, every other scored paragraph 1. Headlines and leads carry
    the frame a reader meets first (the inverted pyramid), hence the extra
    weight; set both to 1 for a plain mean. With ``softmax`` scores the
    article scores still sum to one.

    Parameters
    ----------
    frames : pl.DataFrame
        Output of :func:`score_frames` (``paragraph_id``, ``frame``, ``score``).
    paragraphs : pl.DataFrame
        ``paragraph_id``, ``article_id``, ``position`` of the scored
        paragraphs (title rows need not be listed).
    articles : pl.DataFrame
        ``article_id``: fixes the output order; articles with no scored row
        are left out.
    headline_weight, lead_weight : float
        Non-negative weights (see above).

    Returns
    -------
    pl.DataFrame
        One row per article and frame, articles in ``articles`` order and
        frames by rank: ``article_id``, ``frame``, ``score``, ``rank``,
        ``is_primary``, ``primary_frame``, ``margin`` (top-1 minus top-2
        score), ``n_paragraphs`` (scored body rows), ``has_title``,
        ``headline_weight``, ``lead_weight``.
    """
    if headline_weight < 0 or lead_weight < 0:
        msg = f"got headline_weight={headline_weight}, lead_weight={lead_weight}, expected non-negative weights"
        raise FramingError(msg)
    require_columns(frames, ("paragraph_id", "frame", "score"), name="frames (output of score_frames)", error=FramingError)
    body = paragraphs.select(pl.col("paragraph_id").cast(pl.String), "article_id", pl.col("position").cast(pl.Int32))
    titles = articles.select((pl.col("article_id") + TITLE_SUFFIX).alias("paragraph_id"), "article_id", pl.lit(-1, dtype=pl.Int32).alias("position"))
    located = frames.select("paragraph_id", "frame", "score").join(
        pl.concat([body.join(titles, on="paragraph_id", how="anti"), titles]), on="paragraph_id", how="left", maintain_order="left"
    )
    if located["article_id"].null_count():
        first = located.filter(pl.col("article_id").is_null())["paragraph_id"][0]
        msg = f"got scored paragraph {first!r} with no article in paragraphs or articles, expected every scored row to belong to an article"
        raise FramingError(msg)
    is_title = pl.col("paragraph_id").str.ends_with(TITLE_SUFFIX) & (pl.col("position") == -1)
    lead_position = pl.when(~is_title).then(pl.col("position")).min().over("article_id")
    weighted = located.with_columns(
        pl.when(is_title)
        .then(pl.lit(float(headline_weight)))
        .when(pl.col("position") == lead_position)
        .then(pl.lit(float(lead_weight)))
        .otherwise(pl.lit(1.0))
        .alias("w"),
        is_title.alias("is_title"),
    )
    per = (
        weighted.group_by("article_id", "frame", maintain_order=True)
        .agg(
            ((pl.col("score") * pl.col("w")).sum() / pl.col("w").sum()).alias("score"),
            (~pl.col("is_title")).sum().cast(pl.Int32).alias("n_paragraphs"),
            pl.col("is_title").any().alias("has_title"),
        )
    )
    order = articles.select("article_id").with_row_index("_article_order")
    frame_order = frames.select("frame").unique(maintain_order=True).with_row_index("_frame_order")
    per = (
        per.join(order, on="article_id", how="inner")
        .join(frame_order, on="frame", how="left")
        .sort("_article_order", pl.col("score"), "_frame_order", descending=[False, True, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int32).over("article_id").alias("rank"))
    )
    return (
        per.with_columns(
            (pl.col("rank") == 1).alias("is_primary"),
            pl.col("frame").first().over("article_id").alias("primary_frame"),
            (pl.col("score").first() - pl.col("score").slice(1, 1).first()).over("article_id").fill_null(float("inf")).alias("margin"),
            pl.lit(float(headline_weight)).alias("headline_weight"),
            pl.lit(float(lead_weight)).alias("lead_weight"),
        )
        .select(
            "article_id", "frame", "score", "rank", "is_primary", "primary_frame", "margin", "n_paragraphs", "has_title", "headline_weight", "lead_weight"
        )
    )


# --- independent frame detectors --------------------------------------------

DEFAULT_TOP_K = 10
DEFAULT_HEADLINE_WEIGHT = 0.25
DEFAULT_Z_THRESHOLD = 0.0
SIMILARITIES = ("max", "mean")
METHODS = ("hybrid", "prototype", "lexicon")


def _codebook(codebook: Any) -> Any:
    from toolkit.codebook import CodebookError, load_codebook

    try:
        return load_codebook(codebook)
    except CodebookError as exc:
        raise FramingError(str(exc)) from exc


def prototype_embeddings(
    embeddings: pl.DataFrame,
    *,
    codebook: Any = "policy_frames",
    model: str | os.PathLike[str] | None = None,
    cache: bool | str | os.PathLike[str] | None = True,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Embed a codebook's prototype sentences with the model of ``embeddings``.

    Returns
    -------
    tuple
        ``(frame names, owner, vectors)``: ``owner[j]`` is the index in the
        frame names of prototype ``j``; vectors are unit rows.

    Raises
    ------
    FramingError
        When ``embeddings`` come from another model than the prototypes.
    """
    from toolkit.embedding import embed

    book = _codebook(codebook)
    ids, texts, owner = [], [], []
    for k, f in enumerate(book.frames):
        for j, sentence in enumerate(f.prototypes):
            ids.append(f"{book.name}:{f.code:02d}:{j}")
            texts.append(sentence)
            owner.append(k)
    from toolkit.embedder import matching

    emb = embed(pl.DataFrame({"paragraph_id": ids, "text": texts}), model=matching(model, embeddings), cache=cache, progress=False)
    _same_model(emb, embeddings)
    vectors = emb["embedding"].to_numpy().astype(np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return book.frame_names, np.asarray(owner), vectors


def _similarities(x: np.ndarray, owner: np.ndarray, vectors: np.ndarray, n_frames: int, similarity: str) -> np.ndarray:
    """Rows x frames: best cosine to a frame's prototypes ("max") or cosine to their normalised mean ("mean")."""
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    if similarity == "mean":
        means = np.stack([vectors[owner == k].mean(axis=0) for k in range(n_frames)])
        return x @ (means / np.linalg.norm(means, axis=1, keepdims=True)).T
    sims = x @ vectors.T
    return np.stack([sims[:, owner == k].max(axis=1) for k in range(n_frames)], axis=1)


def _vectors_for(ids: pl.DataFrame, embeddings: pl.DataFrame, what: str) -> np.ndarray:
    joined = ids.join(embeddings.select(pl.col("paragraph_id").cast(pl.String), "embedding"), on="paragraph_id", how="left", maintain_order="left")
    if joined["embedding"].null_count():
        first = joined.filter(pl.col("embedding").is_null())["paragraph_id"][0]
        msg = f"got {joined['embedding'].null_count()} {what} without an embedding (e.g. {first!r}), expected every one embedded"
        raise FramingError(msg)
    column = joined["embedding"]
    if not isinstance(column.dtype, pl.Array):  # a List column (hand-made input): same numbers, slower path
        return np.asarray(column.to_list(), dtype=np.float64).reshape(joined.height, -1)
    return column.to_numpy().astype(np.float64).reshape(joined.height, -1)


def _title_vectors(
    articles: pl.DataFrame, embeddings: pl.DataFrame, *, model: str | os.PathLike[str] | None, cache: bool | str | os.PathLike[str] | None
) -> tuple[pl.DataFrame, np.ndarray]:
    """Headline rows and their vectors: from ``embeddings`` when there, else embedded (cached)."""
    if "title" not in articles.columns:
        return pl.DataFrame(schema={"paragraph_id": pl.String, "article_id": pl.String}), np.zeros((0, 1))
    titles = title_paragraphs(articles)
    have = titles.join(embeddings.select(pl.col("paragraph_id").cast(pl.String)), on="paragraph_id", how="semi")
    if have.height < titles.height:
        from toolkit.embedding import embed

        missing = titles.join(have.select("paragraph_id"), on="paragraph_id", how="anti")
        from toolkit.embedder import matching

        extra = embed(missing.select("paragraph_id", "text"), model=matching(model, embeddings), cache=cache, progress=False)
        if _fingerprint(extra, "headline embeddings") != _fingerprint(embeddings, "embeddings"):
            msg = "got headline embeddings from another model than the paragraphs, expected model= the model that embedded the paragraphs"
            raise FramingError(msg)
        embeddings = pl.concat([embeddings.select("paragraph_id", "embedding", "model_fingerprint"), extra.select("paragraph_id", "embedding", "model_fingerprint")])
    rows = titles.select("paragraph_id", "article_id")
    return rows, _vectors_for(rows.select("paragraph_id"), embeddings, "headline(s)")


def prototype_scores(
    articles: pl.DataFrame,
    paragraphs: pl.DataFrame,
    embeddings: pl.DataFrame,
    *,
    codebook: Any = "policy_frames",
    top_k: int = DEFAULT_TOP_K,
    headline_weight: float = DEFAULT_HEADLINE_WEIGHT,
    similarity: str = "mean",
    model: str | os.PathLike[str] | None = None,
    cache: bool | str | os.PathLike[str] | None = True,
) -> pl.DataFrame:
    """Raw article x frame prototype scores (no threshold): see :func:`article_frames`.

    Returns
    -------
    pl.DataFrame
        ``article_id``, ``frame``, ``score`` (pooled cosine), ``body_score``,
        ``title_score`` (null without a headline), ``n_paragraphs``; articles
        in ``articles`` order, frames in codebook order. Articles with neither
        a scored paragraph nor a headline are left out.
    """
    if top_k < 1 or not 0 <= headline_weight <= 1:
        msg = f"got top_k={top_k}, headline_weight={headline_weight}, expected top_k >= 1 and 0 <= headline_weight <= 1"
        raise FramingError(msg)
    if similarity not in SIMILARITIES:
        msg = f"got similarity={similarity!r}, expected one of {SIMILARITIES}"
        raise FramingError(msg)
    require_columns(articles, ("article_id",), name="articles", error=FramingError)
    require_columns(paragraphs, ("paragraph_id", "article_id"), name="paragraphs", error=FramingError)
    require_columns(embeddings, ("paragraph_id", "embedding", "model_fingerprint"), name="embeddings", error=FramingError)
    names, owner, vectors = prototype_embeddings(embeddings, codebook=codebook, model=model, cache=cache)
    n_frames = len(names)
    art_ids = articles.select(pl.col("article_id").cast(pl.String))
    body = paragraphs.select(pl.col("paragraph_id").cast(pl.String), pl.col("article_id").cast(pl.String)).join(art_ids, on="article_id", how="semi", maintain_order="left")
    body = body.filter(~pl.col("paragraph_id").str.ends_with(TITLE_SUFFIX))

    def long(rows: pl.DataFrame, sims: np.ndarray, column: str) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "article_id": np.repeat(np.asarray(rows["article_id"].to_list(), dtype=object), n_frames),
                "frame": np.tile(np.asarray(names, dtype=object), rows.height),
                column: sims.ravel(),
            },
            schema={"article_id": pl.String, "frame": pl.String, column: pl.Float64},
        )

    body_sims = _similarities(_vectors_for(body.select("paragraph_id"), embeddings, "paragraph(s)"), owner, vectors, n_frames, similarity) if body.height else np.zeros((0, n_frames))
    pooled = (
        long(body, body_sims, "sim")
        .group_by("article_id", "frame")
        .agg(pl.col("sim").top_k(top_k).mean().alias("body_score"), pl.len().cast(pl.Int32).alias("n_paragraphs"))
    )
    title_rows, title_x = _title_vectors(articles.filter(pl.col("article_id").is_in(art_ids["article_id"].implode())), embeddings, model=model, cache=cache)
    titles = long(title_rows, _similarities(title_x, owner, vectors, n_frames, similarity) if title_rows.height else np.zeros((0, n_frames)), "title_score")
    order = art_ids.with_row_index("_a")
    frame_order = pl.DataFrame({"frame": names}).with_row_index("_f")
    grid = order.join(frame_order, how="cross")
    out = (
        grid.join(pooled, on=["article_id", "frame"], how="left")
        .join(titles, on=["article_id", "frame"], how="left")
        .filter(pl.col("body_score").is_not_null() | pl.col("title_score").is_not_null())
        .with_columns(
            pl.when(pl.col("body_score").is_null())
            .then(pl.col("title_score"))
            .when(pl.col("title_score").is_null())
            .then(pl.col("body_score"))
            .otherwise((1 - headline_weight) * pl.col("body_score") + headline_weight * pl.col("title_score"))
            .alias("score"),
            pl.col("n_paragraphs").fill_null(0),
        )
        .sort("_a", "_f")
    )
    return out.select("article_id", "frame", "score", "body_score", "title_score", "n_paragraphs")


def _article_text(articles: pl.DataFrame, paragraphs: pl.DataFrame) -> pl.DataFrame:
    """``article_id``, ``text``: headline then paragraphs in position order."""
    if "text" not in paragraphs.columns:
        msg = f"got paragraphs with columns {paragraphs.columns}, expected a text column for the lexicon"
        raise FramingError(msg)
    order = ["position"] if "position" in paragraphs.columns else []
    body = (
        paragraphs.filter(~pl.col("paragraph_id").cast(pl.String).str.ends_with(TITLE_SUFFIX))
        .sort(["article_id", *order], maintain_order=True)
        .group_by("article_id", maintain_order=True)
        .agg(pl.col("text").str.join(" ").alias("body"))
    )
    title = pl.col("title").fill_null("") if "title" in articles.columns else pl.lit("")
    return (
        articles.select(pl.col("article_id").cast(pl.String), title.alias("title"))
        .join(body, on="article_id", how="left", maintain_order="left")
        .select("article_id", pl.concat_str([pl.col("title"), pl.col("body").fill_null("")], separator=" ").str.to_lowercase().alias("text"))
    )


def lexicon_frames(
    articles: pl.DataFrame,
    paragraphs: pl.DataFrame,
    *,
    codebook: Any = "policy_frames",
    min_hits: int = 2,
) -> pl.DataFrame:
    """Keyword baseline: how often each frame's codebook keywords occur in an article.

    Every match of a keyword (headline and the given paragraphs, lower-cased,
    word boundaries, ``*`` = any ending) counts once. ``score`` is the
    number of matches per 100 words, so long articles are not favoured;
    ``detected`` is ``hits >= min_hits``.

    Returns
    -------
    pl.DataFrame
        ``article_id``, ``frame``, ``score``, ``detected``, ``hits``,
        ``n_words``, ``scorer`` ("lexicon"); articles in input order, frames
        in codebook order.
    """
    from toolkit.codebook import keyword_pattern

    book = _codebook(codebook)
    if min_hits < 1:
        msg = f"got min_hits={min_hits}, expected at least 1"
        raise FramingError(msg)
    texts = _article_text(articles, paragraphs)
    n_words = texts["text"].str.count_matches(r"\w+").cast(pl.Int32)
    parts = []
    for f in book.frames:
        pattern = "|".join(f"(?:{keyword_pattern(k)})" for k in f.keywords) if f.keywords else None
        hits = texts["text"].str.count_matches(pattern).cast(pl.Int32) if pattern else pl.Series([0] * texts.height, dtype=pl.Int32)
        parts.append(pl.DataFrame({"article_id": texts["article_id"], "frame": [f.name] * texts.height, "hits": hits, "n_words": n_words, "_a": range(texts.height)}))
    out = pl.concat(parts).with_row_index("_r").sort("_a", "_r")
    return out.select(
        "article_id",
        "frame",
        (100.0 * pl.col("hits") / pl.max_horizontal(pl.col("n_words"), pl.lit(1))).alias("score"),
        (pl.col("hits") >= min_hits).alias("detected"),
        "hits",
        "n_words",
        pl.lit("lexicon").alias("scorer"),
    )


def _zscore(column: str) -> pl.Expr:
    """Standardise within each frame over the scored articles (0 when there is no spread)."""
    sd = pl.col(column).std(ddof=0).over("frame")
    return pl.when(sd > 0).then((pl.col(column) - pl.col(column).mean().over("frame")) / sd).otherwise(0.0)


def article_frames(
    articles: pl.DataFrame,
    paragraphs: pl.DataFrame,
    embeddings: pl.DataFrame,
    *,
    codebook: Any = "policy_frames",
    method: str = "hybrid",
    top_k: int = DEFAULT_TOP_K,
    headline_weight: float = DEFAULT_HEADLINE_WEIGHT,
    threshold: float | dict[str, float] = DEFAULT_Z_THRESHOLD,
    similarity: str = "mean",
    model: str | os.PathLike[str] | None = None,
    cache: bool | str | os.PathLike[str] | None = True,
    **legacy: Any,
) -> pl.DataFrame:
    """Detect each frame of a codebook in each article: independent detectors.

    Frames are not mutually exclusive (an article can carry several, or
    none), so there is no softmax and no primary frame: every frame has its
    own score and its own threshold. Two unsupervised signals per frame:

    * **prototype** (embedding): each paragraph's cosine to the normalised
      mean of the frame's prototype sentences (``similarity="mean"``;
      ``"max"``: its best single sentence); the article's body score is the
      mean of its ``top_k`` most similar paragraphs (all of them when it has
      fewer); ``prototype_score = (1 - headline_weight) * body +
      headline_weight * headline`` (the headline alone without a body, the
      body alone without a headline; headlines missing from ``embeddings``
      are embedded, cached, with ``model``). ``prototype_centered``
      subtracts the article's mean prototype score over the codebook's
      frames, which removes how "newsy" the whole article is (an offset
      shared by all frames; it does not make frames compete for a share).
    * **lexicon**: matches of the frame's codebook keywords per 100 words
      (:func:`lexicon_frames`), the baseline every detector must beat.

    ``method`` picks the ``score``: ``"hybrid"`` (default) = z(prototype
    centered) + z(lexicon), ``"prototype"`` = ``prototype_score``,
    ``"lexicon"`` = ``lexicon_score``; z standardises a column within each
    frame over the scored articles, so hybrid scores are relative to the
    corpus scored. ``z`` is the score standardised the same way.

    ``detected``: ``z >= threshold`` for a float (default 0: above the
    corpus mean of the frame, a corpus-relative rule), or ``score >=
    threshold[frame]`` for a dict of absolute thresholds, e.g. tuned on a
    coded sample with :func:`toolkit.validation.tune_thresholds`. The
    detector is unsupervised: evaluate it against human codes
    (:func:`toolkit.validation.evaluate_frames`) before calling its output a
    frame; docs/framing.md reports how it fares on real coded news.

    Parameters
    ----------
    articles : pl.DataFrame
        ``article_id`` (order of the output) and optionally ``title``.
    paragraphs : pl.DataFrame
        ``paragraph_id``, ``article_id``, ``text`` (and ``position``) of the
        paragraphs to score; choose them upstream, e.g.
        :func:`toolkit.analysis.analysis_paragraphs`.
    embeddings : pl.DataFrame
        ``paragraph_id``, ``embedding``, ``model_fingerprint`` (one model).
    codebook : str, path or Codebook
        ``"policy_frames"`` (default), ``"generic"``, ``"trilateral_security"``
        or a codebook file (:mod:`toolkit.codebook`).
    method : {"hybrid", "prototype", "lexicon"}
        Which signal is ``score`` (see above).
    top_k : int
        Paragraphs pooled per article.
    headline_weight : float
        Weight of the headline in the prototype score, in [0, 1].
    threshold : float or dict
        z threshold for every frame, or absolute score threshold per frame.
    similarity : {"mean", "max"}
        Paragraph-to-frame similarity.
    model, cache
        Model and embedding cache for prototypes and missing headlines; the
        model must be the one that made ``embeddings`` (checked).

    Returns
    -------
    pl.DataFrame
        One row per article and frame, articles in ``articles`` order, frames
        in codebook order: ``article_id``, ``frame``, ``score`` (higher =
        more likely), ``detected``, ``z``, ``threshold`` (on the score
        scale), ``prototype_score``, ``prototype_centered``, ``title_score``,
        ``n_paragraphs``, ``lexicon_score``, ``lexicon_hits``, ``scorer``
        (``"detector:hybrid"`` etc.), ``codebook``, ``codebook_sha256``.

    Raises
    ------
    FramingError
        Bad options, paragraphs without embeddings or text, embeddings from
        another model than the prototypes, an unknown frame in ``threshold``.
    """
    if "paragraph_id" in articles.columns and {"frame", "score"} <= set(articles.columns):
        # the pre-detector call article_frames(frames, paragraphs, articles): pooled softmax scores
        import warnings

        warnings.warn(
            "article_frames(frames, paragraphs, articles) is the old pooled-softmax call; use pooled_article_scores, "
            "or article_frames(articles, paragraphs, embeddings) for independent detectors",
            PendingDeprecationWarning,  # silent by default: notebooks 04/05 and shares.framing_tables still make this call
            stacklevel=2,
        )
        return pooled_article_scores(articles, paragraphs, embeddings, **legacy)
    if legacy:
        msg = f"got unexpected keyword arguments {sorted(legacy)}, expected codebook, method, top_k, headline_weight, threshold, similarity, model, cache"
        raise FramingError(msg)
    if method not in METHODS:
        msg = f"got method={method!r}, expected one of {METHODS}"
        raise FramingError(msg)
    book = _codebook(codebook)
    raw = prototype_scores(
        articles, paragraphs, embeddings, codebook=book, top_k=top_k, headline_weight=headline_weight, similarity=similarity, model=model, cache=cache
    )
    lex = lexicon_frames(articles, paragraphs, codebook=book).select("article_id", "frame", pl.col("score").alias("lexicon_score"), pl.col("hits").alias("lexicon_hits"))
    out = raw.rename({"score": "prototype_score"}).join(lex, on=["article_id", "frame"], how="left", maintain_order="left")
    out = out.with_columns((pl.col("prototype_score") - pl.col("prototype_score").mean().over("article_id")).alias("prototype_centered"))
    score = {
        "hybrid": _zscore("prototype_centered") + _zscore("lexicon_score"),
        "prototype": pl.col("prototype_score"),
        "lexicon": pl.col("lexicon_score"),
    }[method]
    out = out.with_columns(score.alias("score"))
    # z is undefined without spread (one article, or identical ones): null, and nothing detected by a relative rule
    spread = pl.col("score").std(ddof=0).over("frame")
    out = out.with_columns(pl.when(spread > 0).then(_zscore("score")).otherwise(None).alias("z"))
    if not isinstance(threshold, dict) and out["z"].null_count():
        import warnings

        warnings.warn(
            f"{out.filter(pl.col('z').is_null())['frame'].n_unique()} frame(s) have no spread of scores over the "
            f"{out['article_id'].n_unique()} article(s) scored: the relative threshold cannot detect them; pass threshold={{frame: score}}",
            UserWarning,
            stacklevel=2,
        )
    if isinstance(threshold, dict):
        unknown = sorted(set(threshold) - set(book.frame_names))
        missing = sorted(set(book.frame_names) - set(threshold))
        if unknown or missing:
            msg = f"got thresholds for {sorted(threshold)}, expected exactly the codebook's frames (unknown {unknown}, missing {missing})"
            raise FramingError(msg)
        table = pl.DataFrame({"frame": list(threshold), "threshold": [float(v) for v in threshold.values()]})
        out = out.join(table, on="frame", how="left", maintain_order="left").with_columns((pl.col("score") >= pl.col("threshold")).alias("detected"))
    else:
        # the z threshold expressed on the score scale, so every row states its cut-off
        sd = pl.col("score").std(ddof=0).over("frame")
        out = out.with_columns(
            (pl.col("score").mean().over("frame") + float(threshold) * sd).alias("threshold"), (pl.col("z") >= float(threshold)).fill_null(False).alias("detected")
        )
    return out.select(
        "article_id", "frame", "score", "detected", "z", "threshold", "prototype_score", "prototype_centered", "title_score",
        "n_paragraphs", "lexicon_score", "lexicon_hits",
        pl.lit(f"detector:{method}").alias("scorer"), pl.lit(book.name).alias("codebook"), pl.lit(book.sha256).alias("codebook_sha256"),
    )
