"""toolkit.projection: one deterministic shared projection, small-corpus guards, storage."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from toolkit.errors import ToolkitError
from toolkit.projection import (
    COORDS_SCHEMA,
    MIN_UMAP_POINTS,
    MapError,
    MapFallbackWarning,
    pca_2d,
    project,
    project_dir,
    read_map,
    read_map_params,
    write_map,
)


@pytest.fixture(scope="session")
def seed_coords(seed_embeddings):
    return project(seed_embeddings)


def _frame(matrix: np.ndarray) -> pl.DataFrame:
    matrix = np.asarray(matrix, dtype=np.float32)
    return pl.DataFrame(
        {
            "paragraph_id": [f"p-{i:03d}" for i in range(matrix.shape[0])],
            "embedding": pl.Series(matrix, dtype=pl.Array(pl.Float32, matrix.shape[1])),
        }
    )


def _random(n: int, dim: int = 16, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dim))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_seed_projection_shape_and_order(seed_embeddings, seed_coords):
    assert seed_coords.schema == COORDS_SCHEMA
    assert seed_coords.get_column("paragraph_id").to_list() == seed_embeddings.get_column("paragraph_id").to_list()
    xy = seed_coords.select("x", "y").to_numpy()
    assert np.isfinite(xy).all()
    assert np.ptp(xy, axis=0).min() > 0  # a real 2-D spread, not a collapsed line


def test_projection_is_deterministic(seed_embeddings, seed_coords):
    again = project(seed_embeddings)
    assert again.equals(seed_coords)
    # The frame's bytes are identical too, not just close.
    assert again.get_column("x").to_numpy().tobytes() == seed_coords.get_column("x").to_numpy().tobytes()


def test_seed_changes_the_layout(seed_embeddings, seed_coords):
    other = project(seed_embeddings, random_state=1)
    assert not other.equals(seed_coords)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_tiny_corpora_fall_back_to_pca(n):
    with pytest.warns(MapFallbackWarning, match="too few for UMAP"):
        coords = project(_frame(_random(n)))
    assert coords.height == n
    assert coords.schema == COORDS_SCHEMA
    xy = coords.select("x", "y").to_numpy()
    assert np.isfinite(xy).all()
    if n == 1:
        assert xy.tolist() == [[0.0, 0.0]]
    if n == 2:
        # Two points lie on the x-axis, symmetric about the origin.
        assert xy[:, 1].tolist() == [0.0, 0.0]
        assert xy[0, 0] == pytest.approx(-xy[1, 0])
    # Deterministic as well.
    with pytest.warns(MapFallbackWarning):
        assert project(_frame(_random(n))).equals(coords)


@pytest.mark.parametrize("n", [MIN_UMAP_POINTS, 5, 8])
def test_small_corpora_use_umap_with_capped_neighbours(n):
    with warnings.catch_warnings():
        warnings.simplefilter("error", MapFallbackWarning)
        coords = project(_frame(_random(n)), n_neighbors=15)
    assert coords.height == n
    assert np.isfinite(coords.select("x", "y").to_numpy()).all()


def test_identical_vectors_do_not_break():
    coords = project(_frame(np.repeat(_random(1), 6, axis=0)))
    assert np.isfinite(coords.select("x", "y").to_numpy()).all()


def test_pca_2d_fixed_signs():
    matrix = _random(3)
    first = pca_2d(matrix)
    assert np.array_equal(first, pca_2d(matrix.copy()))
    # Flipping the input's sign convention must not flip the output arbitrarily.
    assert np.allclose(pca_2d(matrix + 5.0), first)


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pl.DataFrame({"paragraph_id": [], "embedding": []}, schema={"paragraph_id": pl.String, "embedding": pl.Array(pl.Float32, 4)}), "got 0 paragraphs"),
        (pl.DataFrame({"paragraph_id": ["a"]}), "lacks \\['embedding'\\]"),
        (pl.DataFrame({"paragraph_id": ["a", "a"], "embedding": [[1.0, 0.0], [0.0, 1.0]]}), "duplicated paragraph_id"),
        (pl.DataFrame({"paragraph_id": ["a", "b"], "embedding": [[1.0, 0.0], [0.0, 1.0, 0.0]]}), "lengths \\[2, 3\\]"),
        (pl.DataFrame({"paragraph_id": ["a", "b"], "embedding": [[1.0, float("nan")], [0.0, 1.0]]}), "non-finite"),
        (pl.DataFrame({"paragraph_id": ["a", "b"], "embedding": ["x", "y"]}), "embedding dtype"),
        ([1, 2, 3], "expected a Polars DataFrame"),
    ],
)
def test_bad_input_raises_readable_error(frame, match):
    with pytest.raises(MapError, match=match) as info:
        project(frame)
    assert isinstance(info.value, ToolkitError)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_neighbors": 1}, "n_neighbors=1"),
        ({"min_dist": 2.0}, "min_dist=2.0"),
        ({"random_state": None}, "random_state=None"),
        ({"metric": "no-such-metric"}, "metric='no-such-metric'"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(MapError, match=match):
        project(_frame(_random(6)), **kwargs)


def test_list_embeddings_are_accepted():
    matrix = _random(5)
    as_list = pl.DataFrame({"paragraph_id": [f"p{i}" for i in range(5)], "embedding": matrix.tolist()})
    assert project(as_list).equals(project(_frame(matrix)).with_columns(paragraph_id=pl.Series([f"p{i}" for i in range(5)])))


def test_write_read_map_and_project_dir(tmp_path, seed_embeddings, seed_coords):
    path = write_map(seed_coords, tmp_path / "out" / "map.parquet", params={"note": "x"})
    assert read_map(path).equals(seed_coords)
    assert read_map(tmp_path / "out").equals(seed_coords)
    assert read_map_params(path) == {"note": "x"}

    seed_embeddings.write_parquet(tmp_path / "embeddings.parquet")
    stored = project_dir(tmp_path)
    assert stored == tmp_path / "map.parquet"
    assert read_map(stored).equals(seed_coords)
    params = read_map_params(stored)
    assert params["method"] == "umap"
    assert params["random_state"] == 0
    assert params["n_paragraphs"] == seed_coords.height
    assert len(params["model_fingerprint"]) == 1


def test_missing_map_is_a_readable_error(tmp_path):
    with pytest.raises(MapError, match="no such file"):
        read_map(tmp_path / "map.parquet")
    with pytest.raises(MapError, match="embeddings.parquet"):
        project_dir(tmp_path)


def _groups(n: int, groups: int = 4, dim: int = 24, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    label = np.arange(n) % groups
    vectors = np.eye(dim)[label] + 0.08 * rng.standard_normal((n, dim))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), label


def test_large_corpora_fit_on_a_sample_and_transform_the_rest(monkeypatch):
    """Issue 12 item 4: above EXACT_MAX_N, UMAP is fitted on a sample and the rest placed by transform; still deterministic."""
    import toolkit.projection as tp

    vectors, label = _groups(600)
    frame = _frame(vectors)
    exact = project(frame)
    monkeypatch.setattr(tp, "EXACT_MAX_N", 300)
    monkeypatch.setattr(tp, "MAP_SAMPLE", 150)
    coords = project(frame)
    assert coords.schema == COORDS_SCHEMA
    assert coords["paragraph_id"].to_list() == frame["paragraph_id"].to_list()
    assert not coords.equals(exact)  # the sampled path ran
    again = project(frame)
    assert again["x"].to_numpy().tobytes() == coords["x"].to_numpy().tobytes()
    assert again["y"].to_numpy().tobytes() == coords["y"].to_numpy().tobytes()
    assert not project(frame, random_state=1).equals(coords)
    # Transformed points land among their own group: nearest 2-D neighbour in the same group.
    xy = coords.select("x", "y").to_numpy()
    dist = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(dist, np.inf)
    assert (label[dist.argmin(axis=1)] == label).mean() > 0.98


def test_threshold_keeps_small_corpora_on_the_exact_path(monkeypatch, seed_embeddings, seed_coords):
    """At or below EXACT_MAX_N nothing changes: the seeds' map is the exact UMAP, bit for bit."""
    import toolkit.projection as tp

    assert seed_embeddings.height <= tp.EXACT_MAX_N
    monkeypatch.setattr(tp, "EXACT_MAX_N", seed_embeddings.height)
    assert project(seed_embeddings).equals(seed_coords)


def test_project_dir_records_the_sampled_path(tmp_path, monkeypatch):
    import toolkit.projection as tp

    vectors, _ = _groups(400)
    _frame(vectors).write_parquet(tmp_path / "embeddings.parquet")
    params = read_map_params(project_dir(tmp_path))
    assert "fit_sample" not in params and params["method"] == "umap"
    monkeypatch.setattr(tp, "EXACT_MAX_N", 200)
    monkeypatch.setattr(tp, "MAP_SAMPLE", 120)
    params = read_map_params(project_dir(tmp_path))
    assert params["fit_sample"] == 120 and params["pca_components"] == tp.MAP_PCA_COMPONENTS
    assert params["method"].startswith("umap (fitted on a sample")
