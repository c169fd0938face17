"""Agreement between coders and evaluation of frame scorers against gold codes."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from toolkit.frames import FramingError
from toolkit.validation import (
    best_f1_threshold,
    evaluate_frames,
    frame_agreement,
    tune_thresholds,
)


def _codings(table: dict[str, list[float | None]], frame: str = "F") -> pl.DataFrame:
    rows = [
        {"article_id": f"a{i:02d}", "frame": frame, "coder": coder, "value": v}
        for coder, values in table.items()
        for i, v in enumerate(values)
        if v is not None
    ]
    return pl.DataFrame(rows, schema={"article_id": pl.String, "frame": pl.String, "coder": pl.String, "value": pl.Int64})


def _alpha_by_hand(data: np.ndarray) -> float:
    """Nominal alpha from the coincidence matrix (Krippendorff 2011, section 3); data = coders x units, NaN missing."""
    o = np.zeros((2, 2))
    for unit in data.T:
        vals = unit[~np.isnan(unit)].astype(int)
        m = vals.size
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            o[vals[i], vals[j]] += 1 / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    return 1 - (n - 1) * (o[0, 1] + o[1, 0]) / (2 * n_c[0] * n_c[1])


def test_alpha_two_coder_reference_value():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", binary data, two observers:
    # 20 values, 14 zeros and 6 ones, 4 disagreeing units -> alpha = 1 - 19 * 4 / (14 * 6) = 0.095
    table = {"A": [0, 1, 0, 0, 0, 0, 0, 0, 1, 0], "B": [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]}
    out = frame_agreement(_codings(table))
    row = out.row(0, named=True)
    assert row["alpha"] == pytest.approx(1 - 19 * 4 / 84)
    assert round(row["alpha"], 3) == 0.095
    assert row["n_articles"] == 10 and row["n_coders"] == 2 and row["percent_agreement"] == pytest.approx(0.6)
    assert row["prevalence"] == pytest.approx(6 / 20)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 4), st.integers(3, 25))
def test_alpha_matches_the_coincidence_matrix_with_missing_codes(seed, n_coders, n_units):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 2, size=(n_coders, n_units)).astype(float)
    data[rng.random(data.shape) < 0.2] = np.nan
    table = {f"c{k}": [None if np.isnan(v) else int(v) for v in data[k]] for k in range(n_coders)}
    out = frame_agreement(_codings(table)).row(0, named=True)
    pairable = data[:, (~np.isnan(data)).sum(axis=0) >= 2]
    values = pairable[~np.isnan(pairable)]
    if pairable.shape[1] == 0 or np.unique(values).size < 2:
        assert np.isnan(out["alpha"]) and out["note"]
    else:
        assert out["alpha"] == pytest.approx(_alpha_by_hand(pairable), abs=1e-9)
        assert out["n_articles"] == pairable.shape[1]


def test_alpha_edge_cases_and_errors():
    perfect = frame_agreement(_codings({"A": [0, 1, 1, 0], "B": [0, 1, 1, 0]}))
    assert perfect["alpha"][0] == pytest.approx(1.0)
    constant = frame_agreement(_codings({"A": [1, 1, 1], "B": [1, 1, 1]}))
    assert np.isnan(constant["alpha"][0]) and "undefined" in constant["note"][0]
    both = pl.concat([_codings({"A": [0, 1], "B": [0, 1]}, "X"), _codings({"A": [1, 0], "B": [0, 1]}, "Y")])
    assert frame_agreement(both)["frame"].to_list() == ["X", "Y"]
    twice = pl.concat([_codings({"A": [0, 1]}), _codings({"A": [0, 1]})])
    with pytest.raises(FramingError, match="repeated codes"):
        frame_agreement(twice)
    with pytest.raises(FramingError, match="expected 0 or 1"):
        frame_agreement(_codings({"A": [0, 2], "B": [0, 1]}))


def _preds(scores: dict[str, list[float]], cut: float) -> pl.DataFrame:
    rows = [{"article_id": f"a{i:03d}", "frame": f, "score": s, "detected": s >= cut} for f, values in scores.items() for i, s in enumerate(values)]
    return pl.DataFrame(rows)


def _gold(values: dict[str, list[int]]) -> pl.DataFrame:
    return pl.DataFrame([{"article_id": f"a{i:03d}", "frame": f, "value": v} for f, vals in values.items() for i, v in enumerate(vals)])


def test_evaluate_by_hand_matches_sklearn():
    y = [1, 1, 0, 0, 1, 0, 0, 0]
    s = [0.9, 0.4, 0.35, 0.1, 0.8, 0.7, 0.2, 0.4]
    out = evaluate_frames(_preds({"F": s}, 0.5), _gold({"F": y}), n_boot=200, seed=1)
    row = out.row(0, named=True)
    d = [v >= 0.5 for v in s]
    assert row["precision"] == pytest.approx(precision_score(y, d)) and row["recall"] == pytest.approx(recall_score(y, d))
    assert row["f1"] == pytest.approx(f1_score(y, d)) and row["auc"] == pytest.approx(roc_auc_score(y, s))  # ties at 0.4 count one half
    assert row["f1_all_positive"] == pytest.approx(2 * 3 / 8 / (1 + 3 / 8))
    assert row["f1_low"] <= row["f1"] <= row["f1_high"] and row["auc_low"] <= row["auc"] <= row["auc_high"]
    assert out["frame"].to_list() == ["F", "(macro)"]
    assert out.equals(evaluate_frames(_preds({"F": s}, 0.5), _gold({"F": y}), n_boot=200, seed=1))


def test_evaluate_null_does_not_fire_and_effect_does():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400).tolist()
    noise = rng.random(400).tolist()
    informative = (np.asarray(y) + rng.normal(0, 0.5, 400)).tolist()
    out = evaluate_frames(_preds({"null": noise}, 0.5).vstack(_preds({"real": informative}, 0.5)), _gold({"null": y, "real": y}), n_boot=500, seed=0)
    null = out.filter(pl.col("frame") == "null").row(0, named=True)
    real = out.filter(pl.col("frame") == "real").row(0, named=True)
    assert null["auc_low"] < 0.5 < null["auc_high"]  # a random scorer's interval covers chance
    assert real["auc_low"] > 0.8 and real["beats_all_positive"]
    macro = out.filter(pl.col("frame") == "(macro)").row(0, named=True)
    assert macro["auc"] == pytest.approx((null["auc"] + real["auc"]) / 2)


def test_probability_column_preferred_and_errors():
    preds = _preds({"F": [0.1, 0.9]}, 0.5).with_columns((1 - pl.col("score")).alias("probability"))
    out = evaluate_frames(preds, _gold({"F": [0, 1]}), n_boot=0)
    assert out["auc"][0] == pytest.approx(0.0)  # scored by probability, which is reversed here
    with pytest.raises(FramingError, match="no article and frame in both"):
        evaluate_frames(preds, _gold({"G": [0, 1]}), n_boot=0)


def test_best_threshold_by_hand():
    y = np.array([1, 0, 1, 0, 0])
    s = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    # cut 0.9: F1 2/3; cut 0.8: 0.5; cut 0.7: 0.8 (best); lower cuts add false positives
    assert best_f1_threshold(y, s) == pytest.approx(0.7)
    assert best_f1_threshold(np.zeros(3), np.array([0.1, 0.2, 0.3])) > 0.3
    preds = pl.DataFrame({"article_id": [f"a{i}" for i in range(5)], "frame": ["F"] * 5, "score": s, "detected": [True] * 5})
    gold = pl.DataFrame({"article_id": [f"a{i}" for i in range(5)], "frame": ["F"] * 5, "value": y})
    assert tune_thresholds(preds, gold) == {"F": pytest.approx(0.7)}
