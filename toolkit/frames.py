"""Frame scoring: paragraphs and articles against embedded frame prototypes.

This is an **unsupervised proxy**, not a trained frame classifier. Each frame
of a typology (``toolkit/data/frames.toml``: the 14 frames of the Policy
Frames Codebook, Boydstun et al. 2014, and Semetko & Valkenburg's 5 generic
frames) is described by a few prototype sentences written for international
news. The sentences are embedded with the *same* model as the paragraphs,
averaged into one unit vector per frame, and each paragraph is scored by its
cosine similarity to every frame vector. Nothing was fitted to labelled
data, so read the scores as "closest described frame", check the margin
between the first and second frame, and validate on a hand-coded sample
before making claims about a corpus.

Calibration (documented choices, see :func:`score_frames`):

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
import tomllib
from importlib import resources
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
    """Path of the packaged frame prototypes file."""
    return Path(str(resources.files("toolkit") / "data" / "frames.toml"))


def load_frames(path: str | os.PathLike[str] | None = None, *, typology: str | None = None) -> pl.DataFrame:
    """Read frame prototypes, one row per prototype sentence.

    Parameters
    ----------
    path : path-like, optional
        A TOML file of ``[[frame]]`` tables with ``typology``, ``code``,
        ``name`` and ``prototypes`` (list of sentences). Default: the
        packaged ``toolkit/data/frames.toml``.
    typology : str, optional
        Keep only this typology (e.g. ``"policy_frames"``, ``"generic"``).

    Returns
    -------
    pl.DataFrame
        ``typology``, ``code`` (Int32), ``frame``, ``prototype_id``
        (``"typology:code:i"``) and ``sentence``, in file order.

    Raises
    ------
    FramingError
        On a missing or malformed file, an empty prototype list, a
        duplicated frame name, or an unknown typology.
    """
    path = Path(path) if path is not None else frames_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        msg = f"{path}: got an unreadable frames file ({exc}), expected TOML with [[frame]] tables"
        raise FramingError(msg) from exc
    entries = data.get("frame")
    if not isinstance(entries, list) or not entries:
        msg = f"{path}: got no [[frame]] tables, expected at least one"
        raise FramingError(msg)
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for i, entry in enumerate(entries, start=1):
        missing = [k for k in ("typology", "code", "name", "prototypes") if k not in entry]
        if missing:
            msg = f"{path}: frame #{i} got keys {sorted(entry)}, expected typology, code, name and prototypes (missing {missing})"
            raise FramingError(msg)
        sentences = entry["prototypes"]
        if not isinstance(sentences, list) or not sentences or not all(isinstance(s, str) and s.strip() for s in sentences):
            msg = f"{path}: frame {entry['name']!r} got prototypes {sentences!r}, expected a non-empty list of non-blank sentences"
            raise FramingError(msg)
        key = (str(entry["typology"]), str(entry["name"]))
        if key in seen:
            msg = f"{path}: got frame {key[1]!r} twice in typology {key[0]!r}, expected unique names"
            raise FramingError(msg)
        seen.add(key)
        for j, sentence in enumerate(sentences):
            rows.append(
                {
                    "typology": key[0],
                    "code": int(entry["code"]),
                    "frame": key[1],
                    "prototype_id": f"{key[0]}:{int(entry['code']):02d}:{j}",
                    "sentence": " ".join(sentence.split()),
                }
            )
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
    emb = embed(protos.select(pl.col("prototype_id").alias("paragraph_id"), pl.col("sentence").alias("text")), model=model, cache=cache, progress=False)
    expected, got = _fingerprint(emb, "prototype embeddings"), _fingerprint(embeddings, "embeddings")
    if got != expected:
        msg = (
            f"got embeddings from model {got}, expected the same model as the prototypes {expected} "
            "(pass model= the model that embedded the paragraphs)"
        )
        raise FramingError(msg)
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
        ``"policy_frames"`` (14 frames) or ``"generic"`` (5), or any typology
        of a custom ``path``.
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


def article_frames(
    frames: pl.DataFrame,
    paragraphs: pl.DataFrame,
    articles: pl.DataFrame,
    *,
    headline_weight: float = 2.0,
    lead_weight: float = 1.5,
) -> pl.DataFrame:
    """Article-level frame scores: a weighted mean of paragraph scores.

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
