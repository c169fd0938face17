"""Semantic clusters of paragraphs: deterministic, and safe on small corpora.

Default (``method="kmeans"``): k-means, best of 100 starts, on the
renormalised first 20 principal components of the unit vectors, with k the
best silhouette among the k that reproduce across scan seeds; it
reproduces across seeds, float noise and article subsamples (see
``docs/clustering.md`` for the figures). ``method="hdbscan"``: UMAP to
``n_components=5`` dimensions on the cosine metric (``n_neighbors`` 30,
``min_dist`` 0) with a fixed ``random_state``, then scikit-learn's HDBSCAN
(``min_cluster_size`` about 0.8 sqrt(N), ``min_samples`` 2); it leaves
outliers and reproduces less well. ``method="agglomerative"`` (and the
automatic fallback below :data:`MIN_HDBSCAN_N` paragraphs) is Ward
clustering of the unit vectors with k chosen by cosine silhouette. Outliers
are handled by an explicit policy, every cluster gets a c-TF-IDF label, and
:func:`cluster_stability` measures how much the result depends on the seed,
on float noise and on which articles are in the corpus. See
``docs/clustering.md``.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from toolkit.errors import ToolkitError
from toolkit.keywords import class_labels
from toolkit.schema import require_columns

#: Below this many paragraphs HDBSCAN on a UMAP space is unreliable (UMAP's
#: neighbour graph and HDBSCAN's density estimate both need room), so
#: ``method="hdbscan"`` falls back to agglomerative clustering.
MIN_HDBSCAN_N = 30
#: Fewer paragraphs than this cannot be clustered at all.
MIN_N = 3
#: Agglomerative clustering holds an N x N distance matrix.
MAX_AGGLOMERATIVE_N = 20_000

METHODS = ("kmeans", "hdbscan", "agglomerative")
#: k-means restarts (the best inertia is kept): enough that the seed rarely
#: decides which local optimum wins.
N_INIT = 100
#: The silhouette that chooses k is computed on at most this many paragraphs,
#: drawn with a fixed seed (0) whatever ``random_state``, so that k does not
#: depend on the seed.
SILHOUETTE_SAMPLE = 4000
#: Principal components k-means works in (see :func:`_pca_directions`).
PCA_COMPONENTS = 20
#: k-means restarts per k while scanning k (the final fit uses ``n_init``).
SCAN_N_INIT = 20
#: While scanning k, a k counts as stable when two scans with different
#: seeds agree at least this well (ARI); k is the best silhouette among
#: stable k. Flat silhouette curves otherwise pick a k that moves with the
#: sample, and clusters that move with the seed.
STABLE_K_ARI = 0.9
#: Above this many paragraphs the principal components come from the
#: covariance matrix, the k-means starts are fitted on a fixed sample of
#: :data:`FIT_SAMPLE` paragraphs (seed 0), and the best start's centroids
#: are refined by Lloyd iterations on every paragraph; at or below it the
#: exact path runs (unchanged outputs).
#: 100 restarts on 10^5-10^6 rows cost minutes to hours; the sampled fit
#: agrees with the exact one at ARI >= 0.8 on real paragraphs (see
#: ``docs/clustering.md``).
EXACT_MAX_N = 20_000
#: Paragraphs the 100 k-means starts are fitted on above :data:`EXACT_MAX_N`.
FIT_SAMPLE = 20_000
OUTLIER_POLICIES = ("keep", "reassign", "report")
OUTLIER_LABEL = "outlier"

CLUSTER_SCHEMA = pl.Schema(
    {
        "paragraph_id": pl.String,
        "cluster": pl.Int32,
        "cluster_label": pl.String,
        "reassigned": pl.Boolean,
        "original_cluster": pl.Int32,
        "probability": pl.Float32,
    }
)


class ClusteringError(ToolkitError):
    """Input that cannot be clustered (too few paragraphs, bad frames or options)."""


class ClusteringWarning(UserWarning):
    """Raised by ``outlier_policy="report"`` to state how many paragraphs are noise."""


@dataclass
class ClusterReport:
    """What :func:`cluster_paragraphs_with_report` actually did.

    Attributes
    ----------
    method : str
        Method asked for.
    method_used : str
        "hdbscan" or "agglomerative" (after any fallback).
    fallback : str or None
        Why the method changed, or None.
    n_paragraphs, n_clusters, n_outliers, n_reassigned : int
        Counts; ``n_outliers`` is before reassignment.
    params : dict
        Effective parameters after capping to the corpus size.
    """

    method: str
    method_used: str
    fallback: str | None
    n_paragraphs: int
    n_clusters: int
    n_outliers: int
    n_reassigned: int
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def outlier_share(self) -> float:
        """Share of paragraphs HDBSCAN called noise (before reassignment)."""
        return self.n_outliers / self.n_paragraphs if self.n_paragraphs else 0.0

    def summary(self) -> str:
        """One line for logs."""
        fell = f" (fallback: {self.fallback})" if self.fallback else ""
        return (
            f"{self.n_paragraphs} paragraphs -> {self.n_clusters} clusters by {self.method_used}{fell}; "
            f"{self.n_outliers} outliers ({self.outlier_share:.1%}), {self.n_reassigned} reassigned"
        )


# ---------------------------------------------------------------------------
# Input handling


def _matrix(embeddings: pl.DataFrame, paragraphs: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray]:
    """Paragraphs (input order) that have an embedding, and their vectors as stored (float32)."""
    for name, frame, needed in (("embeddings", embeddings, ("paragraph_id", "embedding")), ("paragraphs", paragraphs, ("paragraph_id", "text"))):
        if not isinstance(frame, pl.DataFrame):
            msg = f"got {type(frame).__name__} for {name}, expected a polars DataFrame"
            raise ClusteringError(msg)
        require_columns(frame, needed, name=name, error=ClusteringError)
    if embeddings["paragraph_id"].is_duplicated().any():
        msg = "got repeated paragraph_id values in embeddings, expected one vector per paragraph"
        raise ClusteringError(msg)
    keep = [c for c in ("paragraph_id", "article_id", "text") if c in paragraphs.columns]
    joined = paragraphs.select(keep).join(embeddings.select("paragraph_id", "embedding"), on="paragraph_id", how="left", maintain_order="left")
    n_missing = joined["embedding"].null_count()
    if n_missing:
        example = joined.filter(pl.col("embedding").is_null())["paragraph_id"][0]
        msg = f"got {n_missing} paragraphs without an embedding (e.g. {example!r}), expected one per paragraph; run toolkit.embed first"
        raise ClusteringError(msg)
    if joined.height == 0:
        return joined.drop("embedding"), np.zeros((0, 0))
    vectors = np.asarray(joined["embedding"].to_numpy(), dtype=np.float32)
    if vectors.ndim != 2 or not np.isfinite(vectors).all():
        msg = "got embeddings that are not finite fixed-size vectors, expected pl.Array(Float32, dim)"
        raise ClusteringError(msg)
    return joined.drop("embedding"), vectors


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Float64 unit rows: cosine = dot product (zero rows stay zero)."""
    out = vectors.astype(np.float64)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1.0, norms)


def _defaults(n: int, n_neighbors: int | None, min_cluster_size: int | None, min_samples: int | None, n_components: int) -> dict[str, int]:
    """Parameters capped to what ``n`` points allow."""
    # 30 neighbours (BERTopic uses 15): on the 101 seed paragraphs 15 gave
    # seed-to-seed ARI 0.46 and 3-7 clusters, 30 gave ARI 0.85 and 3-4
    # clusters over 10 seeds. A neighbour graph cannot have more than n - 1.
    nn = 30 if n_neighbors is None else n_neighbors
    # About 0.8 sqrt(n): 8 on the seeds (101), 25 at 1k, 80 at 10k, capped at 100.
    mcs = max(5, min(100, round(0.8 * math.sqrt(n)))) if min_cluster_size is None else min_cluster_size
    ms = 2 if min_samples is None else min_samples
    for name, value in (("n_neighbors", nn), ("min_cluster_size", mcs), ("min_samples", ms), ("n_components", n_components)):
        if value < (2 if name in ("n_neighbors", "min_cluster_size", "n_components") else 1):
            msg = f"got {name}={value}, expected at least {2 if name != 'min_samples' else 1}"
            raise ClusteringError(msg)
    return {
        "n_neighbors": min(nn, n - 1),
        "min_cluster_size": min(mcs, max(2, n // 2)),
        "min_samples": min(ms, n - 1),
        # Spectral initialisation needs n_components < n - 1.
        "n_components": min(n_components, n - 2),
    }


# ---------------------------------------------------------------------------
# Methods


def reduce(vectors: np.ndarray, *, n_components: int, n_neighbors: int, random_state: int, min_dist: float = 0.0) -> np.ndarray:
    """UMAP on cosine distance with a fixed seed (single-threaded, hence deterministic)."""
    import umap

    with warnings.catch_warnings():
        # "n_jobs value 1 overridden to 1 by setting random_state": expected.
        warnings.filterwarnings("ignore", message=".*n_jobs.*", category=UserWarning)
        model = umap.UMAP(
            n_components=n_components,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            metric="cosine",
            random_state=random_state,
            n_jobs=1,
        )
        return np.asarray(model.fit_transform(vectors), dtype=np.float64)


def _hdbscan(reduced: np.ndarray, *, min_cluster_size: int, min_samples: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import HDBSCAN

    model = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples, copy=True)
    model.fit(reduced)
    return model.labels_.astype(np.int64), model.probabilities_.astype(np.float32)


def _cosine_distances(vectors: np.ndarray) -> np.ndarray:
    dist = 1.0 - vectors @ vectors.T
    np.clip(dist, 0.0, 2.0, out=dist)
    np.fill_diagonal(dist, 0.0)
    return dist


def _agglomerative(vectors: np.ndarray, *, n_clusters: int | None, distance_threshold: float | None, max_k: int) -> np.ndarray:
    """Ward linkage on unit vectors; k by cosine silhouette unless given.

    On unit vectors the squared Euclidean distance is ``2 * (1 - cos)``, so
    Ward's criterion works on cosine geometry; average linkage was tried and
    splits off single odd paragraphs (the silhouette then picks k = 2 with a
    singleton on the seeds).
    """
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    if n > MAX_AGGLOMERATIVE_N:
        msg = f"got {n} paragraphs for agglomerative clustering, expected at most {MAX_AGGLOMERATIVE_N} (it needs an N x N matrix); use method='hdbscan'"
        raise ClusteringError(msg)
    dist = _cosine_distances(vectors)
    if dist.max() < 1e-9:
        # All paragraphs say the same thing: one cluster, not a division by zero.
        return np.zeros(n, dtype=np.int64)

    def fit(**kwargs: Any) -> np.ndarray:
        return AgglomerativeClustering(linkage="ward", **kwargs).fit_predict(vectors).astype(np.int64)

    if distance_threshold is not None:
        if distance_threshold <= 0:
            msg = f"got distance_threshold={distance_threshold}, expected > 0"
            raise ClusteringError(msg)
        return fit(n_clusters=None, distance_threshold=distance_threshold)
    if n_clusters is not None:
        if not 1 <= n_clusters <= n:
            msg = f"got n_clusters={n_clusters}, expected 1..{n} for {n} paragraphs"
            raise ClusteringError(msg)
        return fit(n_clusters=n_clusters)
    if max_k < 2:
        msg = f"got max_k={max_k}, expected at least 2"
        raise ClusteringError(msg)
    best: tuple[float, np.ndarray] | None = None
    # Silhouette is defined for 2 <= k <= n - 1; ties keep the smaller k.
    for k in range(2, min(max_k, n - 1) + 1):
        labels = fit(n_clusters=k)
        if len(np.unique(labels)) < 2:
            continue
        score = float(silhouette_score(dist, labels, metric="precomputed"))
        if best is None or score > best[0] + 1e-12:
            best = (score, labels)
    return best[1] if best is not None else np.zeros(n, dtype=np.int64)


def _pca_directions(vectors: np.ndarray, n_components: int | None, *, exact: bool = True) -> np.ndarray:
    """Unit vectors projected on their first principal components and renormalised.

    Exact SVD (no randomised solver, signs fixed by scikit-learn's
    ``svd_flip``), so the same input gives the same space. The leading
    components carry the topical contrasts; the many small ones carry
    paragraph-specific detail that makes k-means' optimum depend on the
    seed and on which articles are in the corpus. ``exact=False`` (large
    corpora) gets the same components from the D x D covariance matrix
    (:func:`_covariance_pca`): a quarter of the SVD's work and no N x D
    copy.
    """
    if n_components is None or n_components >= min(vectors.shape):
        return vectors
    from sklearn.decomposition import PCA

    if not exact:
        reduced = _covariance_pca(vectors, n_components)
    else:
        reduced = PCA(n_components=n_components, svd_solver="full").fit_transform(vectors)
    norms = np.linalg.norm(reduced, axis=1, keepdims=True)
    return reduced / np.where(norms == 0, 1.0, norms)


def _covariance_pca(vectors: np.ndarray, n_components: int) -> np.ndarray:
    """Rows projected on the leading eigenvectors of their covariance, signs as scikit-learn's PCA.

    Mathematically the principal components of the SVD path; each
    component's sign makes its largest loading positive (``svd_flip`` with
    ``u_based_decision=False``). Sums run in float64 over fixed blocks, so
    the result does not depend on the thread count.
    """
    n, dim = vectors.shape
    mean = vectors.mean(axis=0)
    cov = np.zeros((dim, dim))
    for start in range(0, n, 65_536):
        block = vectors[start:start + 65_536] - mean
        cov += block.T @ block
    _, vecs = np.linalg.eigh(cov)
    comps = vecs[:, ::-1][:, :n_components].T
    signs = np.sign(comps[np.arange(n_components), np.argmax(np.abs(comps), axis=1)])
    comps = comps * np.where(signs == 0, 1.0, signs)[:, None]
    out = np.empty((n, n_components))
    for start in range(0, n, 65_536):
        out[start:start + 65_536] = (vectors[start:start + 65_536] - mean) @ comps.T
    return out


def _kmeans(vectors: np.ndarray, *, n_clusters: int | None, max_k: int, random_state: int, n_init: int,
            pca_components: int | None) -> tuple[np.ndarray, dict[str, Any]]:
    """k-means on the renormalised leading principal components; k by silhouette unless given.

    Unit vectors are projected on their first ``pca_components`` principal
    components and renormalised (cosine geometry: squared Euclidean
    distance between unit vectors is ``2 (1 - cos)``); k-means keeps the
    best of ``n_init`` k-means++ starts seeded by ``random_state``. k is
    scanned over 2..``max_k`` on a fixed sample of at most
    :data:`SILHOUETTE_SAMPLE` paragraphs, with k-means seeded 0 and 1: a k
    is *stable* when the two scans agree at ARI >= :data:`STABLE_K_ARI`,
    and k is the stable one with the highest silhouette (ties keep the
    smaller k; with no stable k, the best silhouette overall, said in
    ``k_by``). k depends on the data only, never on ``random_state``.

    Above :data:`EXACT_MAX_N` paragraphs the components come from the
    covariance matrix and the ``n_init`` starts are fitted on a fixed
    sample of :data:`FIT_SAMPLE` (seed 0); the best start's centroids are
    refined by Lloyd iterations on all paragraphs (``fit_sample`` in the
    returned dict).
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    n = len(vectors)
    if n_init < 1:
        msg = f"got n_init={n_init}, expected at least 1"
        raise ClusteringError(msg)
    if pca_components is not None and pca_components < 2:
        msg = f"got pca_components={pca_components}, expected at least 2 or None"
        raise ClusteringError(msg)
    if _cosine_spread(vectors) < 1e-9:
        return np.zeros(n, dtype=np.int64), {"k_by": "identical vectors"}
    # Large corpora: fit on a fixed sample (seed 0, whatever random_state), refine on all.
    fit_rows = np.sort(np.random.default_rng(0).choice(n, min(FIT_SAMPLE, n), replace=False)) if n > EXACT_MAX_N else None
    vectors = _pca_directions(vectors, pca_components, exact=fit_rows is None)
    # Said only when sampled, so that small corpora report exactly as before.
    scale = {} if fit_rows is None else {"fit_sample": len(fit_rows), "fit_sample_seed": 0}

    def fit(k: int) -> np.ndarray:
        model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state, algorithm="lloyd")
        if fit_rows is None:
            return model.fit_predict(vectors).astype(np.int64)
        centres = model.fit(vectors[fit_rows]).cluster_centers_
        # Lloyd from the sample's best centroids: a local optimum of the full data.
        refine = KMeans(n_clusters=k, init=centres, n_init=1, random_state=random_state, algorithm="lloyd")
        return refine.fit_predict(vectors).astype(np.int64)

    if n_clusters is not None:
        if not 1 <= n_clusters <= n:
            msg = f"got n_clusters={n_clusters}, expected 1..{n} for {n} paragraphs"
            raise ClusteringError(msg)
        return fit(n_clusters), {"k": n_clusters, "k_by": "n_clusters", **scale}
    if max_k < 2:
        msg = f"got max_k={max_k}, expected at least 2"
        raise ClusteringError(msg)
    # k is chosen on a fixed sample with fixed k-means seeds (0), so it
    # depends on the data only, never on random_state.
    sample = np.arange(n)
    if n > SILHOUETTE_SAMPLE:
        sample = np.sort(np.random.default_rng(0).choice(n, SILHOUETTE_SAMPLE, replace=False))
    part = vectors[sample]
    dist = np.sqrt(np.maximum(2.0 * _cosine_distances(part), 0.0))  # Euclidean between unit rows
    scores: dict[str, float] = {}
    agreement: dict[str, float] = {}
    for k in range(2, min(max_k, len(part) - 1) + 1):
        labels = KMeans(n_clusters=k, n_init=SCAN_N_INIT, random_state=0, algorithm="lloyd").fit_predict(part)
        if len(np.unique(labels)) < 2:
            continue
        scores[str(k)] = round(float(silhouette_score(dist, labels, metric="precomputed")), 6)
        other = KMeans(n_clusters=k, n_init=SCAN_N_INIT, random_state=1, algorithm="lloyd").fit_predict(part)
        agreement[str(k)] = round(float(adjusted_rand_score(labels, other)), 6)
    if not scores:
        return np.zeros(n, dtype=np.int64), {"k_by": "silhouette", "silhouette": scores, **scale}
    stable = [k for k in scores if agreement[k] >= STABLE_K_ARI]
    # Best silhouette among stable k; ties keep the smaller k.
    pool = stable or list(scores)
    k_best = int(max(pool, key=lambda k: (scores[k], -int(k))))
    k_by = "silhouette among stable k" if stable else "silhouette (no k was stable)"
    return fit(k_best), {"k": k_best, "k_by": k_by, "silhouette": scores, "scan_ari": agreement, **scale}


def _cosine_spread(vectors: np.ndarray) -> float:
    """Largest cosine distance from the first vector: zero when all are identical."""
    return float(np.max(1.0 - vectors @ vectors[0])) if len(vectors) else 0.0


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Clusters numbered by first appearance in input order; -1 stays -1."""
    mapping: dict[int, int] = {}
    out = np.full_like(labels, -1)
    for i, label in enumerate(labels.tolist()):
        if label < 0:
            continue
        if label not in mapping:
            mapping[label] = len(mapping)
        out[i] = mapping[label]
    return out


def _centroids(vectors: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit centroids of clusters >= 0 in the original space, and their cluster ids."""
    ids = np.unique(labels[labels >= 0])
    cents = np.stack([vectors[labels == c].mean(axis=0) for c in ids]) if len(ids) else np.zeros((0, vectors.shape[1]))
    norms = np.linalg.norm(cents, axis=1, keepdims=True)
    return cents / np.where(norms == 0, 1.0, norms), ids


# ---------------------------------------------------------------------------
# Public API


def cluster_paragraphs_with_report(
    embeddings: pl.DataFrame,
    paragraphs: pl.DataFrame,
    *,
    method: Literal["kmeans", "hdbscan", "agglomerative"] = "kmeans",
    n_components: int = 5,
    n_neighbors: int | None = None,
    min_cluster_size: int | None = None,
    min_samples: int | None = None,
    outlier_policy: Literal["keep", "reassign", "report"] = "reassign",
    random_state: int = 0,
    n_clusters: int | None = None,
    distance_threshold: float | None = None,
    max_k: int = 15,
    n_terms: int = 4,
    n_init: int = N_INIT,
    pca_components: int | None = PCA_COMPONENTS,
) -> tuple[pl.DataFrame, ClusterReport]:
    """Cluster paragraphs and say how; see :func:`cluster_paragraphs` for the parameters.

    Returns
    -------
    (pl.DataFrame, ClusterReport)
    """
    if method not in METHODS:
        msg = f"got method={method!r}, expected one of {METHODS}"
        raise ClusteringError(msg)
    if outlier_policy not in OUTLIER_POLICIES:
        msg = f"got outlier_policy={outlier_policy!r}, expected one of {OUTLIER_POLICIES}"
        raise ClusteringError(msg)
    frame, raw = _matrix(embeddings, paragraphs)
    vectors = _unit(raw) if raw.size else raw
    n = frame.height
    if n < MIN_N:
        msg = f"got {n} paragraph{'s' if n != 1 else ''} with embeddings, expected at least {MIN_N} to cluster"
        raise ClusteringError(msg)
    params = _defaults(n, n_neighbors, min_cluster_size, min_samples, n_components)
    fallback = None
    method_used = method
    if method == "hdbscan" and n < MIN_HDBSCAN_N:
        fallback = f"{n} paragraphs < {MIN_HDBSCAN_N}: agglomerative clustering instead of UMAP + HDBSCAN"
        method_used = "agglomerative"

    probability: np.ndarray | None = None
    if method_used == "kmeans":
        labels, chosen = _kmeans(vectors, n_clusters=n_clusters, max_k=max_k, random_state=random_state, n_init=n_init,
                                 pca_components=pca_components)
        params = {"algorithm": "k-means on renormalised principal components", "pca_components": pca_components,
                  "n_init": n_init, "n_clusters": n_clusters, "max_k": max_k, "random_state": random_state,
                  "silhouette_sample": SILHOUETTE_SAMPLE, **chosen}
    if method_used == "hdbscan":
        # UMAP gets the vectors exactly as stored: it is sensitive to the last
        # bits, and float32 is what every other tool (BERTopic) would see.
        reduced = reduce(raw, n_components=params["n_components"], n_neighbors=params["n_neighbors"], random_state=random_state)
        labels, probability = _hdbscan(reduced, min_cluster_size=params["min_cluster_size"], min_samples=params["min_samples"])
        if (labels < 0).all():
            fallback = "HDBSCAN found no cluster: agglomerative clustering instead"
            method_used = "agglomerative"
            probability = None
    if method_used == "agglomerative":
        labels = _agglomerative(vectors, n_clusters=n_clusters, distance_threshold=distance_threshold, max_k=max_k)
        params = {"linkage": "ward", "metric": "cosine (unit vectors)", "n_clusters": n_clusters, "distance_threshold": distance_threshold, "max_k": max_k}
    elif method_used == "hdbscan":
        params = {**params, "metric": "cosine", "min_dist": 0.0, "random_state": random_state}

    labels = _renumber(labels)
    original = labels.copy()
    n_outliers = int((labels < 0).sum())
    reassigned = np.zeros(n, dtype=bool)
    if outlier_policy == "reassign" and n_outliers:
        cents, ids = _centroids(vectors, labels)
        noise = np.flatnonzero(labels < 0)
        # Nearest centroid by cosine in the original embedding space, not the
        # UMAP space, whose distances are not meaningful across clusters.
        labels[noise] = ids[np.argmax(vectors[noise] @ cents.T, axis=1)]
        reassigned[noise] = True
    elif outlier_policy == "report" and n_outliers:
        warnings.warn(
            f"{n_outliers} of {n} paragraphs ({n_outliers / n:.1%}) are outliers (cluster -1); see toolkit.clustering.outlier_rates",
            ClusteringWarning,
            stacklevel=2,
        )

    out = pl.DataFrame(
        {
            "paragraph_id": frame["paragraph_id"],
            "cluster": pl.Series(labels, dtype=pl.Int32),
            "reassigned": pl.Series(reassigned, dtype=pl.Boolean),
            "original_cluster": pl.Series(original, dtype=pl.Int32),
            "probability": pl.Series(probability, dtype=pl.Float32) if probability is not None else pl.Series([None] * n, dtype=pl.Float32),
        }
    )
    docs = out.select("cluster").with_columns(frame["text"]).filter(pl.col("cluster") >= 0)
    labels_frame = class_labels(docs, by="cluster", n_terms=n_terms) if docs.height else pl.DataFrame(schema={"cluster": pl.Int32, "label": pl.String})
    out = (
        out.join(labels_frame.rename({"label": "cluster_label"}), on="cluster", how="left", maintain_order="left")
        .with_columns(pl.when(pl.col("cluster") < 0).then(pl.lit(OUTLIER_LABEL)).otherwise(pl.col("cluster_label")).alias("cluster_label"))
        .select(CLUSTER_SCHEMA.names())
        .cast(dict(CLUSTER_SCHEMA))
    )
    report = ClusterReport(
        method=method,
        method_used=method_used,
        fallback=fallback,
        n_paragraphs=n,
        n_clusters=int(len(np.unique(labels[labels >= 0]))),
        n_outliers=n_outliers,
        n_reassigned=int(reassigned.sum()),
        params=params,
    )
    return out, report


def cluster_paragraphs(
    embeddings: pl.DataFrame,
    paragraphs: pl.DataFrame,
    *,
    method: Literal["kmeans", "hdbscan", "agglomerative"] = "kmeans",
    n_components: int = 5,
    n_neighbors: int | None = None,
    min_cluster_size: int | None = None,
    min_samples: int | None = None,
    outlier_policy: Literal["keep", "reassign", "report"] = "reassign",
    random_state: int = 0,
    n_clusters: int | None = None,
    distance_threshold: float | None = None,
    max_k: int = 15,
    n_terms: int = 4,
    n_init: int = N_INIT,
    pca_components: int | None = PCA_COMPONENTS,
) -> pl.DataFrame:
    """Group paragraphs by meaning.

    Parameters
    ----------
    embeddings : pl.DataFrame
        ``paragraph_id`` and ``embedding`` (as from :func:`toolkit.embed`).
    paragraphs : pl.DataFrame
        ``paragraph_id`` and ``text``; rows without an embedding are an error.
    method : {"kmeans", "hdbscan", "agglomerative"}, default "kmeans"
        "kmeans": k-means (best of ``n_init`` starts) on the unit vectors'
        first ``pca_components`` principal components (renormalised), k by
        silhouette among the k that reproduce across scan seeds, on a fixed
        sample; no outliers, and stable across seeds, float noise and
        article subsamples (see docs/clustering.md for the measured
        figures). "hdbscan": UMAP + HDBSCAN, which leaves outliers and
        reproduces less well. "agglomerative":
        Ward clustering of the unit vectors (cosine geometry), k by
        silhouette. "hdbscan" falls back to "agglomerative" below
        :data:`MIN_HDBSCAN_N` paragraphs or when HDBSCAN finds no cluster.
    n_components : int, default 5
        UMAP dimensions (capped at N - 2).
    n_neighbors : int, optional
        UMAP neighbours; default 30, capped at N - 1.
    min_cluster_size : int, optional
        HDBSCAN's smallest cluster; default ``max(5, min(100, round(0.8 * sqrt(N))))``,
        capped at ``max(2, N // 2)``.
    min_samples : int, optional
        HDBSCAN's density smoothing; default 2 (fewer outliers than the
        HDBSCAN default of ``min_cluster_size``).
    outlier_policy : {"keep", "reassign", "report"}
        "keep": noise stays in cluster -1. "reassign": noise goes to the
        nearest cluster centroid in the original embedding space, with
        ``reassigned=True`` and ``original_cluster=-1``. "report": like
        "keep", plus a :class:`ClusteringWarning` giving the count.
    random_state : int, default 0
        UMAP seed ("hdbscan") or k-means seed ("kmeans"); same inputs and
        seed give an identical frame.
    n_clusters, distance_threshold : optional
        A fixed k ("kmeans", "agglomerative") or a cut of the Ward tree (in
        Ward's Euclidean units on unit vectors; "agglomerative"); by default
        k in 2..``max_k`` maximising the silhouette.
    max_k : int, default 15
        Largest k tried by the silhouette search.
    n_terms : int, default 4
        Keywords per cluster label.
    n_init : int, default 100
        k-means restarts ("kmeans"); the lowest inertia wins. Fewer
        restarts let the seed decide between near-equal optima.
    pca_components : int or None, default 20
        Principal components for "kmeans"; None clusters the full vectors.

    Returns
    -------
    pl.DataFrame
        In the paragraphs' input order: ``paragraph_id``, ``cluster`` (Int32,
        numbered by first appearance, -1 = outlier), ``cluster_label``
        (c-TF-IDF keywords, "outlier" for -1), ``reassigned`` (Boolean),
        ``original_cluster`` (Int32, before reassignment) and
        ``probability`` (Float32, HDBSCAN membership strength; null for
        agglomerative).

    Raises
    ------
    ClusteringError
        Fewer than :data:`MIN_N` paragraphs, missing embeddings, bad options.
    """
    frame, _ = cluster_paragraphs_with_report(
        embeddings,
        paragraphs,
        method=method,
        n_components=n_components,
        n_neighbors=n_neighbors,
        min_cluster_size=min_cluster_size,
        min_samples=min_samples,
        outlier_policy=outlier_policy,
        random_state=random_state,
        n_clusters=n_clusters,
        distance_threshold=distance_threshold,
        max_k=max_k,
        n_terms=n_terms,
        n_init=n_init,
        pca_components=pca_components,
    )
    return frame


def outlier_rates(clusters: pl.DataFrame, paragraphs: pl.DataFrame, articles: pl.DataFrame) -> pl.DataFrame:
    """Outlier rate per outlet, so that noise is not read as framing.

    A paragraph counts as an outlier when it is in cluster -1 or was
    reassigned from it.

    Parameters
    ----------
    clusters : pl.DataFrame
        Output of :func:`cluster_paragraphs`.
    paragraphs, articles : pl.DataFrame
        To map paragraphs to outlets.

    Returns
    -------
    pl.DataFrame
        ``outlet``, ``n_paragraphs`` (UInt32), ``n_outliers`` (UInt32),
        ``n_reassigned`` (UInt32), ``rate`` (Float64); highest rate first,
        then outlet.
    """
    flagged = clusters.select(
        "paragraph_id",
        ((pl.col("cluster") < 0) | pl.col("reassigned")).alias("is_outlier"),
        pl.col("reassigned"),
    )
    return (
        flagged.join(paragraphs.select("paragraph_id", "article_id"), on="paragraph_id", how="left")
        .join(articles.select("article_id", "outlet"), on="article_id", how="left")
        .group_by("outlet")
        .agg(
            pl.len().alias("n_paragraphs"),
            pl.col("is_outlier").sum().alias("n_outliers"),
            pl.col("reassigned").sum().alias("n_reassigned"),
        )
        .with_columns((pl.col("n_outliers") / pl.col("n_paragraphs")).alias("rate"))
        .sort(["rate", "outlet"], descending=[True, False], nulls_last=True)
    )


def representative_paragraphs(clusters: pl.DataFrame, embeddings: pl.DataFrame, paragraphs: pl.DataFrame, *, k: int = 3) -> pl.DataFrame:
    """The ``k`` paragraphs nearest each cluster's centroid.

    Centroids are the renormalised means of each cluster's members that
    were not reassigned, in the original embedding space.

    Parameters
    ----------
    clusters : pl.DataFrame
        Output of :func:`cluster_paragraphs`.
    embeddings, paragraphs : pl.DataFrame
        As given to it.
    k : int
        Paragraphs per cluster.

    Returns
    -------
    pl.DataFrame
        ``cluster``, ``cluster_label``, ``rank`` (Int32, 1 = most central),
        ``paragraph_id``, ``similarity`` (Float64, cosine to centroid),
        ``text``; outliers (-1) are left out. Ties go to input order.
    """
    if k < 1:
        msg = f"got k={k}, expected at least 1"
        raise ClusteringError(msg)
    frame, raw = _matrix(embeddings, paragraphs.filter(pl.col("paragraph_id").is_in(clusters["paragraph_id"].implode())))
    vectors = _unit(raw)
    joined = frame.join(clusters.select("paragraph_id", "cluster", "cluster_label", "reassigned"), on="paragraph_id", how="left", maintain_order="left")
    labels = joined["cluster"].to_numpy()
    core = labels.copy()
    core[joined["reassigned"].to_numpy()] = -1
    rows = []
    for cluster in np.unique(labels[labels >= 0]).tolist():
        members = np.flatnonzero(labels == cluster)
        basis = np.flatnonzero(core == cluster)
        centroid = vectors[basis if len(basis) else members].mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        sims = vectors[members] @ centroid
        order = np.lexsort((members, -sims))[:k]
        for rank, j in enumerate(order, start=1):
            i = members[j]
            rows.append((cluster, joined["cluster_label"][int(i)], rank, joined["paragraph_id"][int(i)], float(sims[j]), joined["text"][int(i)]))
    schema = {"cluster": pl.Int32, "cluster_label": pl.String, "rank": pl.Int32, "paragraph_id": pl.String, "similarity": pl.Float64, "text": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _best_jaccard(members: np.ndarray, other: np.ndarray) -> float:
    """Largest Jaccard index between a set of positions and any cluster (>= 0) of ``other`` on the same positions."""
    best = 0.0
    inside = other[members]
    for c in np.unique(inside[inside >= 0]).tolist():
        both = int((inside == c).sum())
        union = len(members) + int((other == c).sum()) - both
        best = max(best, both / union if union else 0.0)
    return best


def cluster_stability(
    embeddings: pl.DataFrame,
    paragraphs: pl.DataFrame,
    *,
    seeds: tuple[int, ...] | list[int] = (0, 1, 2, 3, 4),
    noise: float | None = 1e-6,
    n_subsamples: int = 3,
    fraction: float = 0.8,
    **kwargs: Any,
) -> pl.DataFrame:
    """Re-run :func:`cluster_paragraphs` over seeds, float noise and article subsamples, and measure agreement.

    Three sources of variation a re-run of an analysis meets:

    - **seed**: one run per seed; ARI over all pairs.
    - **noise**: vectors plus Gaussian noise of standard deviation
      ``noise`` (1e-6 is float rounding: another BLAS, batch size or
      machine), clustered with the first seed; ARI against the first run.
    - **subsample**: ``n_subsamples`` draws of ``fraction`` of the
      *articles* (all their paragraphs; seeds 0, 1, ...), clustered with the
      first seed; ARI against the first run on the shared paragraphs, and
      per reference cluster Hennig's clusterwise Jaccard: the best Jaccard
      match of the cluster's shared members among the subsample's clusters,
      averaged over subsamples (Hennig 2007, "Cluster-wise assessment of
      cluster stability"; below about 0.5 a cluster is not stable, above
      0.75 it is).

    Parameters
    ----------
    embeddings, paragraphs : pl.DataFrame
        As for :func:`cluster_paragraphs`. Subsamples draw whole articles
        when ``paragraphs`` has ``article_id``, paragraphs otherwise.
    seeds : sequence of int
        Seeds (``random_state``); the first run is the reference.
    noise : float or None, default 1e-6
        Noise standard deviation; None or 0 skips the noise run.
    n_subsamples : int, default 3
        Article subsamples; 0 skips them.
    fraction : float, default 0.8
        Share of articles in each subsample.
    **kwargs
        Passed to :func:`cluster_paragraphs` (not ``random_state``).

    Returns
    -------
    pl.DataFrame
        Tidy rows: ``level`` ("overall", "pair", "noise", "subsample" or
        "cluster"), ``metric``, ``seed_a``, ``seed_b`` (Int64; for
        "subsample" rows ``seed_b`` is the subsample's seed), ``cluster``
        (Int32, reference cluster), ``cluster_label``, ``value`` (Float64).

        - overall: ``ari_mean`` and ``ari_min`` over all pairs of seeds,
          ``noise_ari``, ``subsample_ari_mean`` and ``subsample_ari_min``,
          ``n_clusters_mean`` and ``outlier_share_mean`` (over the seeds);
        - pair: ``ari`` for each pair of seeds; noise: ``ari``;
          subsample: ``ari`` and ``shared`` (paragraphs compared);
        - cluster: for each reference cluster, ``jaccard_mean`` and
          ``jaccard_min`` of its best match in each other seed's run, and
          ``subsample_jaccard_mean`` and ``subsample_jaccard_min`` (Hennig's
          clusterwise Jaccard over the subsamples).

    Raises
    ------
    ClusteringError
        Fewer than two seeds, ``random_state`` in ``kwargs``, a bad
        ``fraction``, ``noise`` or ``n_subsamples``.
    """
    from sklearn.metrics import adjusted_rand_score

    seeds = list(seeds)
    if len(seeds) < 2:
        msg = f"got {len(seeds)} seed(s), expected at least 2 to compare runs"
        raise ClusteringError(msg)
    if "random_state" in kwargs:
        msg = "got random_state in kwargs, expected the seeds to be given by seeds="
        raise ClusteringError(msg)
    if not 0.0 < fraction < 1.0:
        msg = f"got fraction={fraction}, expected a share strictly between 0 and 1"
        raise ClusteringError(msg)
    if n_subsamples < 0 or (noise is not None and noise < 0):
        msg = f"got n_subsamples={n_subsamples}, noise={noise}, expected n_subsamples >= 0 and noise >= 0"
        raise ClusteringError(msg)
    runs = [cluster_paragraphs_with_report(embeddings, paragraphs, random_state=s, **kwargs) for s in seeds]
    labels = [frame["cluster"].to_numpy() for frame, _ in runs]
    ref_frame = runs[0][0]
    ref = labels[0]
    rows: list[dict[str, Any]] = []
    aris = []
    for (i, a), (j, b) in itertools.combinations(enumerate(labels), 2):
        value = float(adjusted_rand_score(a, b))
        aris.append(value)
        rows.append({"level": "pair", "metric": "ari", "seed_a": seeds[i], "seed_b": seeds[j], "value": value})
    overall = [("ari_mean", float(np.mean(aris))), ("ari_min", float(np.min(aris)))]

    if noise:
        frame, vectors = _matrix(embeddings, paragraphs)
        jitter = np.random.default_rng(seeds[0]).standard_normal(vectors.shape) * noise
        noisy = pl.DataFrame({"paragraph_id": frame["paragraph_id"], "embedding": (vectors + jitter).astype(np.float32)}).with_columns(
            pl.col("embedding").cast(pl.Array(pl.Float32, vectors.shape[1]))
        )
        noisy_labels = cluster_paragraphs(noisy, paragraphs, random_state=seeds[0], **kwargs)["cluster"].to_numpy()
        value = float(adjusted_rand_score(ref, noisy_labels))
        overall.append(("noise_ari", value))
        rows.append({"level": "noise", "metric": "ari", "seed_a": seeds[0], "value": value})

    sub_labels: list[tuple[np.ndarray, np.ndarray]] = []  # positions in the reference, their labels
    if n_subsamples:
        ids = ref_frame["paragraph_id"]
        groups = paragraphs.select("paragraph_id", pl.col("article_id") if "article_id" in paragraphs.columns else pl.col("paragraph_id").alias("article_id"))
        unit = ids.to_frame().join(groups, on="paragraph_id", how="left", maintain_order="left")["article_id"].to_numpy()
        names = np.unique(unit)
        k = max(1, round(fraction * len(names)))
        sub_aris = []
        for r in range(n_subsamples):
            keep = np.random.default_rng(r).choice(names, size=k, replace=False)
            positions = np.flatnonzero(np.isin(unit, keep))
            if len(positions) < MIN_N:
                continue
            chosen_ids = ids.gather(positions).implode()
            sub_par = paragraphs.filter(pl.col("paragraph_id").is_in(chosen_ids))
            sub_emb = embeddings.filter(pl.col("paragraph_id").is_in(chosen_ids))
            got = cluster_paragraphs(sub_emb, sub_par, random_state=seeds[0], **kwargs)
            got_labels = ids.gather(positions).to_frame().join(got.select("paragraph_id", "cluster"), on="paragraph_id", how="left", maintain_order="left")["cluster"].to_numpy()
            value = float(adjusted_rand_score(ref[positions], got_labels))
            sub_aris.append(value)
            sub_labels.append((positions, got_labels))
            rows.append({"level": "subsample", "metric": "ari", "seed_a": seeds[0], "seed_b": r, "value": value})
            rows.append({"level": "subsample", "metric": "shared", "seed_a": seeds[0], "seed_b": r, "value": float(len(positions))})
        if sub_aris:
            overall += [("subsample_ari_mean", float(np.mean(sub_aris))), ("subsample_ari_min", float(np.min(sub_aris)))]

    overall += [
        ("n_clusters_mean", float(np.mean([r.n_clusters for _, r in runs]))),
        ("outlier_share_mean", float(np.mean([r.outlier_share for _, r in runs]))),
    ]
    rows[:0] = [{"level": "overall", "metric": m, "value": v} for m, v in overall]
    for cluster in np.unique(ref[ref >= 0]).tolist():
        members = np.flatnonzero(ref == cluster)
        best = [_best_jaccard(members, other) for other in labels[1:]]
        label = ref_frame.filter(pl.col("cluster") == cluster)["cluster_label"][0]
        metrics = [("jaccard_mean", float(np.mean(best))), ("jaccard_min", float(np.min(best)))]
        hennig = []
        for positions, got_labels in sub_labels:
            local = ref[positions]
            shared = np.flatnonzero(local == cluster)
            if len(shared):
                hennig.append(_best_jaccard(shared, got_labels))
        if hennig:
            metrics += [("subsample_jaccard_mean", float(np.mean(hennig))), ("subsample_jaccard_min", float(np.min(hennig)))]
        for metric, value in metrics:
            rows.append({"level": "cluster", "metric": metric, "seed_a": seeds[0], "cluster": cluster, "cluster_label": label, "value": value})
    schema = {"level": pl.String, "metric": pl.String, "seed_a": pl.Int64, "seed_b": pl.Int64, "cluster": pl.Int32, "cluster_label": pl.String, "value": pl.Float64}
    return pl.DataFrame([{k: row.get(k) for k in schema} for row in rows], schema=schema)
