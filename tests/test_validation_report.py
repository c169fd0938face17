"""``python -m toolkit validate``: coding sheets out, two coders' codes in, a report with alpha, evaluation and corrected shares."""

from __future__ import annotations

import json
import warnings

import polars as pl
import pytest

from tests.conftest import SEEDS, seed_embedded
from toolkit.cli import main
from toolkit.validation_report import ValidationError, validate_dir


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from toolkit.corpus import write_corpus

    embeddings = seed_embedded()[2]
    path = tmp_path_factory.mktemp("validate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_corpus(SEEDS, path)
    embeddings.write_parquet(path / "embeddings.parquet")
    return path


def _fill(sheet_path, coder_seed):
    """A simulated coder: Conflict when the text mentions North Korea or a dispute; the second coder misses every fifth."""
    sheet = pl.read_csv(sheet_path, infer_schema=False)
    text = sheet["text"].str.to_lowercase()
    conflict = (text.str.contains("north korea") | text.str.contains("dispute")).cast(pl.Int8)
    economic = (text.str.count_matches(r"\b(?:invest\w*|tariff\w*|trade)\b") >= 2).cast(pl.Int8)
    if coder_seed:
        conflict = pl.Series([0 if i % 5 == 0 else v for i, v in enumerate(conflict.to_list())])
    sheet.with_columns(
        conflict.cast(pl.String).alias("Conflict"),
        economic.cast(pl.String).alias("Economic consequences"),
        *[pl.lit("0").alias(f) for f in ("Human interest", "Morality", "Responsibility")],
    ).write_csv(sheet_path)


def test_draw_code_and_validate(folder, capsys):
    assert main(["validate", str(folder), "--draw", "16", "--coders", "ann", "bob", "--codebook", "generic"]) == 0
    assert "coding sheet(s)" in capsys.readouterr().out
    sample = pl.read_parquet(folder / "coding" / "sample.parquet")
    assert sample.height == 16 and sample["inclusion_prob"].is_between(0, 1, closed="right").all()
    for k, coder in enumerate(("ann", "bob")):
        _fill(folder / "coding" / f"{coder}.csv", k)
    code = main(["validate", str(folder), "--codings", str(folder / "coding" / "ann.csv"), str(folder / "coding" / "bob.csv"), "--codebook", "generic", "--n-boot", "100"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.out.count("\n") == 1 and "validated against" in out.out
    v = folder / "validation"
    report = json.loads((v / "validation_report.json").read_text())
    assert report["coders"] == ["ann", "bob"] and report["gold_articles"] >= 10
    alpha = pl.read_parquet(v / "agreement.parquet")
    conflict = alpha.filter(pl.col("frame") == "Conflict").row(0, named=True)
    assert 0 < conflict["alpha"] < 1  # bob disagrees on some
    assert alpha.filter(pl.col("frame") == "Economic consequences")["alpha"][0] == pytest.approx(1.0)
    evaluation = pl.read_parquet(v / "evaluation.parquet")
    assert {"detector:hybrid", "detector:prototype", "detector:lexicon"} <= set(evaluation["scorer"])
    shares = pl.read_parquet(v / "outlet_frames_corrected.parquet")
    assert {"estimate", "ci_low", "ci_high", "naive_estimate", "scorer", "validation", "n_coded"} <= set(shares.columns)
    assert shares["validation"].null_count() == 0
    md = (v / "validation_report.md").read_text()
    assert "Krippendorff" in md and "Corrected outlet x frame shares" in md


def test_validate_needs_one_of_draw_or_codings(folder, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse: one of the two is required
        main(["validate", str(folder)])
    assert exc.value.code == 2
    with pytest.raises(ValidationError, match="neither or both"):
        validate_dir(folder)
