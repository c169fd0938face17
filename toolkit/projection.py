"""One shared 2-D projection of paragraph embeddings, computed once and stored.

:func:`project` turns an embeddings frame (``paragraph_id``, ``embedding``)
into a coordinates frame (``paragraph_id``, ``x``, ``y``) with UMAP and a
fixed ``random_state``, so that the same embeddings always give the same map.
Every outlet is placed in the *same* projection: comparing where outlets sit
is only meaningful when they share one space.

Coordinates are meant to be stored (:func:`write_map`, ``map.parquet``) and
figures redrawn from them (:mod:`toolkit.maps` takes coordinates, never
embeddings), so a figure never silently changes because UMAP was rerun.

Small corpora: ``n_neighbors`` is capped to ``N - 1``; below
:data:`MIN_UMAP_POINTS` paragraphs (where UMAP's spectral initialisation
cannot run) the projection falls back to PCA on the embeddings, with a
:class:`MapFallbackWarning`. One paragraph sits at (0, 0); two sit on the
x-axis. An empty or malformed frame raises :class:`MapError`.

Large corpora: above :data:`EXACT_MAX_N` paragraphs the unit vectors are
reduced to :data:`MAP_PCA_COMPONENTS` principal components, UMAP is fitted
on a sample of :data:`MAP_SAMPLE` paragraphs (drawn with ``random_state``)
and every other paragraph is placed by ``UMAP.transform`` (its neighbours
in the sample, then a short seeded optimisation with the sample fixed).
Same input and seed, same coordinates; at or below the threshold the exact
path runs unchanged. Agreement with the exact map and timings are in
``docs/clustering.md``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from toolkit.errors import ToolkitError
from toolkit.schema import require_columns

COORDS_SCHEMA: pl.Schema = pl.Schema({"paragraph_id": pl.String, "x": pl.Float32, "y": pl.Float32})
# UMAP's spectral initialisation needs k < N eigenvectors of an N x N graph
# Laplacian (k = n_components + 1 = 3), so N = 3 fails inside scipy.
MIN_UMAP_POINTS = 4
MAP_FILE = "map.parquet"
#: Above this many paragraphs UMAP is fitted on a sample and the rest transformed.
EXACT_MAX_N = 20_000
#: Paragraphs UMAP is fitted on above :data:`EXACT_MAX_N`.
MAP_SAMPLE = 20_000
#: Principal components of the unit vectors UMAP sees above :data:`EXACT_MAX_N`.
MAP_PCA_COMPONENTS = 50
PARAMS_KEY = "toolkit.map_params"


class MapError(ToolkitError):
    """Input that cannot be projected or drawn (bad frame, too few points, missing column)."""


class MapFallbackWarning(UserWarning):
    """The projection used PCA instead of UMAP (too few paragraphs, or UMAP failed)."""


def _umap_module() -> Any:
    try:
        import umap
    except ImportError as exc:  # pragma: no cover - pinned dependency
        msg = "got no 'umap' module, expected umap-learn to be installed: pip install umap-learn==0.5.12"
        raise MapError(msg) from exc
    return umap


def _embedding_matrix(embeddings: Any) -> tuple[pl.Series, np.ndarray]:
    """Validate ``embeddings`` and return its ids and an (N, D) float32 matrix."""
    frame = embeddings
    if isinstance(frame, (str, Path)):
        frame = pl.read_parquet(frame)
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if not isinstance(frame, pl.DataFrame):
        msg = f"got {type(embeddings).__name__}, expected a Polars DataFrame with paragraph_id and embedding columns"
        raise MapError(msg)
    require_columns(frame, ("paragraph_id", "embedding"), name="embeddings", error=MapError)
    if frame.height == 0:
        msg = "got 0 paragraphs, expected at least 1 embedding to project"
        raise MapError(msg)
    ids = frame.get_column("paragraph_id").cast(pl.String)
    if ids.null_count():
        msg = f"got {ids.null_count()} null paragraph_id(s), expected every row to have an id"
        raise MapError(msg)
    if ids.n_unique() != frame.height:
        dup = ids.filter(ids.is_duplicated()).unique().sort().head(3).to_list()
        msg = f"got duplicated paragraph_id values such as {dup}, expected one row per paragraph"
        raise MapError(msg)
    column = frame.get_column("embedding")
    if not isinstance(column.dtype, (pl.Array, pl.List)):
        msg = f"got embedding dtype {column.dtype}, expected pl.Array(pl.Float32, dim) or a list of floats"
        raise MapError(msg)
    if column.null_count():
        msg = f"got {column.null_count()} null embedding(s), expected a vector for every paragraph"
        raise MapError(msg)
    if isinstance(column.dtype, pl.List):
        lengths = column.list.len().unique()
        if lengths.len() != 1:
            msg = f"got embeddings of lengths {sorted(lengths.to_list())}, expected one dimension for all"
            raise MapError(msg)
        column = column.cast(pl.Array(pl.Float32, int(lengths[0])))
    matrix = np.ascontiguousarray(column.to_numpy(), dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[1] == 0:
        msg = f"got embedding matrix of shape {matrix.shape}, expected (paragraphs, dimension)"
        raise MapError(msg)
    if not np.isfinite(matrix).all():
        bad = ids.filter(pl.Series(~np.isfinite(matrix).all(axis=1))).head(3).to_list()
        msg = f"got non-finite values in the embeddings of {bad}, expected finite vectors"
        raise MapError(msg)
    return ids, matrix


def pca_2d(matrix: np.ndarray) -> np.ndarray:
    """Project rows onto their first two principal components, with fixed signs.

    Missing components (one or two points, or rank-deficient input) are
    zeros. The sign of each component is chosen so that its largest
    loading is positive, which makes the result independent of the SVD
    routine's sign convention.

    Parameters
    ----------
    matrix : np.ndarray
        (N, D) array.

    Returns
    -------
    np.ndarray
        (N, 2) float64 array.
    """
    data = np.asarray(matrix, dtype=np.float64)
    out = np.zeros((data.shape[0], 2))
    if data.shape[0] < 2:
        return out
    centred = data - data.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    # Components whose variance is rounding noise would only scatter the
    # points along an arbitrary direction; keep them at zero.
    tol = s[0] * 1e-6 if s.size else 0.0
    for k in range(min(2, s.size)):
        if s[k] <= tol:
            break
        sign = np.sign(vt[k, np.argmax(np.abs(vt[k]))]) or 1.0
        out[:, k] = u[:, k] * s[k] * sign
    return out


def project(
    embeddings: Any,
    *,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    metric: str = "cosine",
    random_state: int = 0,
) -> pl.DataFrame:
    """Project paragraph embeddings onto one shared 2-D map.

    Parameters
    ----------
    embeddings : pl.DataFrame, pl.LazyFrame or path
        ``paragraph_id`` and ``embedding`` (``pl.Array`` or list of floats),
        as written by :func:`toolkit.embed`; or a path to such a Parquet file.
    n_neighbors : int, default 15
        UMAP neighbourhood size; capped to ``N - 1`` for small corpora.
    min_dist : float, default 0.1
        UMAP minimum distance between embedded points.
    metric : str, default "cosine"
        Distance in embedding space.
    random_state : int, default 0
        Seed. UMAP runs single-threaded with a seed, so the same input gives
        bit-identical coordinates on the same machine and library versions.
        Above :data:`EXACT_MAX_N` paragraphs it also draws the
        :data:`MAP_SAMPLE` paragraphs UMAP is fitted on (see the module
        docstring).

    Returns
    -------
    pl.DataFrame
        ``paragraph_id`` (String), ``x`` and ``y`` (Float32), in input order.

    Raises
    ------
    MapError
        Empty input, missing columns, duplicated ids, ragged or non-finite
        vectors, or invalid parameters.

    Warns
    -----
    MapFallbackWarning
        With fewer than :data:`MIN_UMAP_POINTS` paragraphs, or when UMAP
        fails on degenerate input, PCA coordinates are returned instead.
    """
    if not isinstance(n_neighbors, (int, np.integer)) or isinstance(n_neighbors, bool) or n_neighbors < 2:
        msg = f"got n_neighbors={n_neighbors!r}, expected an integer >= 2"
        raise MapError(msg)
    if not 0.0 <= float(min_dist) <= 1.0:
        msg = f"got min_dist={min_dist!r}, expected a value between 0 and 1"
        raise MapError(msg)
    if not isinstance(random_state, (int, np.integer)) or isinstance(random_state, bool):
        # None would make UMAP parallel and non-deterministic, which maps must not be.
        msg = f"got random_state={random_state!r}, expected an integer seed"
        raise MapError(msg)
    ids, matrix = _embedding_matrix(embeddings)
    n = matrix.shape[0]
    if n < MIN_UMAP_POINTS:
        warnings.warn(
            f"{n} paragraph(s) is too few for UMAP (needs {MIN_UMAP_POINTS}); using PCA coordinates",
            MapFallbackWarning,
            stacklevel=2,
        )
        xy = pca_2d(matrix)
    elif n > EXACT_MAX_N:
        xy = _umap_2d_sampled(matrix, n_neighbors=int(n_neighbors), min_dist=min_dist, metric=metric, random_state=int(random_state))
    else:
        xy = _umap_2d(matrix, n_neighbors=min(int(n_neighbors), n - 1), min_dist=min_dist, metric=metric, random_state=int(random_state))
    return pl.DataFrame(
        {"paragraph_id": ids, "x": xy[:, 0].astype(np.float32), "y": xy[:, 1].astype(np.float32)},
        schema=COORDS_SCHEMA,
    )


def _umap_2d(matrix: np.ndarray, *, n_neighbors: int, min_dist: float, metric: str, random_state: int) -> np.ndarray:
    umap = _umap_module()
    try:
        reducer = umap.UMAP(
            n_components=2,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            metric=metric,
            random_state=random_state,
            # A seed forces one thread anyway; saying so avoids UMAP's warning.
            n_jobs=1,
        )
        with warnings.catch_warnings():
            # Spectral-initialisation fallbacks on tiny or duplicated inputs are
            # handled by UMAP itself (random init); the warning adds nothing here.
            warnings.filterwarnings("ignore", message="Spectral initialisation failed", category=UserWarning)
            xy = reducer.fit_transform(matrix)
    except ValueError as exc:
        if "metric" in str(exc).lower():
            msg = f"got metric={metric!r}, expected a metric UMAP knows such as 'cosine' or 'euclidean' ({exc})"
            raise MapError(msg) from exc
        xy = _pca_fallback(matrix, exc)
    except (TypeError, ArithmeticError, RuntimeError, np.linalg.LinAlgError) as exc:
        xy = _pca_fallback(matrix, exc)
    else:
        xy = np.asarray(xy, dtype=np.float64)
        if not np.isfinite(xy).all():
            xy = _pca_fallback(matrix, ValueError("UMAP returned non-finite coordinates"))
    return xy


def _umap_2d_sampled(matrix: np.ndarray, *, n_neighbors: int, min_dist: float, metric: str, random_state: int) -> np.ndarray:
    """UMAP fitted on :data:`MAP_SAMPLE` rows (PCA to :data:`MAP_PCA_COMPONENTS` first), the rest placed by ``transform``."""
    from sklearn.decomposition import PCA

    n = matrix.shape[0]
    rows = np.sort(np.random.default_rng(random_state).choice(n, min(MAP_SAMPLE, n), replace=False))
    unit = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), np.float32(1e-12))
    dims = min(MAP_PCA_COMPONENTS, len(rows) - 1, matrix.shape[1])
    # Exact SVD on the sample only: same input, same components.
    reduced = PCA(n_components=dims, svd_solver="full").fit(unit[rows]).transform(unit).astype(np.float32)
    del unit
    umap = _umap_module()
    reducer = umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, len(rows) - 1), min_dist=min_dist, metric=metric,
                        random_state=random_state, n_jobs=1)
    xy = np.empty((n, 2), dtype=np.float64)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Spectral initialisation failed", category=UserWarning)
            reducer.fit(reduced[rows])
            rest = np.setdiff1d(np.arange(n), rows, assume_unique=True)
            xy[rows] = reducer.embedding_
            # transform is seeded by the model's transform_seed and runs single-threaded when random_state is set.
            xy[rest] = reducer.transform(reduced[rest])
    except ValueError as exc:
        if "metric" in str(exc).lower():
            msg = f"got metric={metric!r}, expected a metric UMAP knows such as 'cosine' or 'euclidean' ({exc})"
            raise MapError(msg) from exc
        raise
    if not np.isfinite(xy).all():
        xy = _pca_fallback(matrix, ValueError("UMAP returned non-finite coordinates"))
    return xy


def _pca_fallback(matrix: np.ndarray, exc: BaseException) -> np.ndarray:
    warnings.warn(
        f"UMAP failed on {matrix.shape[0]} paragraphs ({type(exc).__name__}: {exc}); using PCA coordinates",
        MapFallbackWarning,
        stacklevel=4,
    )
    return pca_2d(matrix)


def _check_coords(coords: Any) -> pl.DataFrame:
    if isinstance(coords, pl.LazyFrame):
        coords = coords.collect()
    if not isinstance(coords, pl.DataFrame):
        msg = f"got {type(coords).__name__}, expected a coordinates frame (paragraph_id, x, y) from project()"
        raise MapError(msg)
    missing = [name for name in COORDS_SCHEMA if name not in coords.columns]
    if missing:
        msg = f"coordinates frame lacks {missing}: got columns {coords.columns}, expected paragraph_id, x, y"
        raise MapError(msg)
    return coords


def write_map(coords: pl.DataFrame, path: str | Path, *, params: dict[str, Any] | None = None) -> Path:
    """Store coordinates as Parquet, with the projection parameters in its metadata.

    Parameters
    ----------
    coords : pl.DataFrame
        Output of :func:`project`.
    path : str or Path
        Target file (conventionally ``DIR/map.parquet``); parents are created.
    params : dict, optional
        Recorded under the ``toolkit.map_params`` metadata key (JSON), e.g.
        the arguments of :func:`project` and the embedding model fingerprint.

    Returns
    -------
    Path
        The written file.
    """
    coords = _check_coords(coords).select(pl.col(n).cast(t) for n, t in COORDS_SCHEMA.items())
    from toolkit.atomic import atomic_write

    meta = {PARAMS_KEY: json.dumps(params or {}, sort_keys=True, default=str)}
    return atomic_write(path, lambda fh: coords.write_parquet(fh, metadata=meta))


def read_map(path: str | Path) -> pl.DataFrame:
    """Read coordinates stored by :func:`write_map` (or :func:`project_dir`)."""
    path = Path(path)
    if path.is_dir():
        path = path / MAP_FILE
    if not path.exists():
        msg = f"{path}: got no such file, expected stored coordinates (run project_dir first)"
        raise MapError(msg)
    from toolkit.analysis import check_complete

    check_complete(path.parent)
    return _check_coords(pl.read_parquet(path))


def read_map_params(path: str | Path) -> dict[str, Any]:
    """Return the parameters stored with a ``map.parquet`` (empty when none)."""
    meta = pl.read_parquet_metadata(path)
    return json.loads(meta.get(PARAMS_KEY, "{}"))


def project_dir(
    corpus_dir: str | Path,
    *,
    out: str | Path | None = None,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    metric: str = "cosine",
    random_state: int = 0,
) -> Path:
    """Project ``DIR/embeddings.parquet`` and store the result as ``DIR/map.parquet``.

    Parameters
    ----------
    corpus_dir : str or Path
        Folder holding ``embeddings.parquet`` (from ``toolkit embed``).
    out : str or Path, optional
        Target file; defaults to ``corpus_dir / "map.parquet"``.
    n_neighbors, min_dist, metric, random_state
        As for :func:`project`; stored in the file's metadata.

    Returns
    -------
    Path
        The written ``map.parquet``.
    """
    corpus_dir = Path(corpus_dir)
    source = corpus_dir / "embeddings.parquet"
    if not source.exists():
        msg = f"{source}: got no such file, expected embeddings written by 'toolkit embed'"
        raise MapError(msg)
    embeddings = pl.read_parquet(source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MapFallbackWarning)
        coords = project(embeddings, n_neighbors=n_neighbors, min_dist=min_dist, metric=metric, random_state=random_state)
    fell_back = False
    for item in caught:
        fell_back = fell_back or issubclass(item.category, MapFallbackWarning)
        warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    fingerprints = []
    if "model_fingerprint" in embeddings.columns:
        fingerprints = sorted(embeddings.get_column("model_fingerprint").drop_nulls().unique().to_list())
    params = {
        "method": "pca" if fell_back else "umap",
        "n_neighbors": min(n_neighbors, max(coords.height - 1, 1)),
        "min_dist": min_dist,
        "metric": metric,
        "random_state": random_state,
        "n_paragraphs": coords.height,
        "model_fingerprint": fingerprints,
        "umap_version": _umap_version(),
    }
    if coords.height > EXACT_MAX_N and not fell_back:
        # Said only for the sampled path, so small corpora store exactly what they did.
        params |= {"method": "umap (fitted on a sample, the rest by transform)", "fit_sample": MAP_SAMPLE,
                   "pca_components": MAP_PCA_COMPONENTS}
    return write_map(coords, Path(out) if out is not None else corpus_dir / MAP_FILE, params=params)


def _umap_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("umap-learn")
    except PackageNotFoundError:  # pragma: no cover
        return None
