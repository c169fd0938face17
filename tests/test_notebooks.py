"""The walkthrough notebooks: committed clean, in sync with their source, complete, and runnable in budget.

Every notebook is executed once per test session on the seed corpus with a
warm embedding cache (:func:`executed_run`); notebook 01 is executed a second
time to show that the tables it saves repeat byte for byte.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
from pathlib import Path

import polars as pl
import pytest

from .conftest import ROOT, SEEDS

nbformat = pytest.importorskip("nbformat")
jupytext = pytest.importorskip("jupytext")

from toolkit import appendix  # noqa: E402

SOURCES = appendix.notebook_sources()
NAMES = [p.stem for p in SOURCES]
REQUIRED_SECTIONS = (
    "Questions this notebook answers",
    "Learning objectives",
    "Prerequisites",
    "Estimated time",
    "Runtime budget",
    "Your turn",
    "Hint",
    "Check your understanding",
    "Discussion",
    "Key points",
)
BUDGET = re.compile(r"\*\*Runtime budget:\*\*\s*under (\d+) minutes?")

# Digits allowed in prose: the rest must come from code (Markdown(f"...") cells).
ALLOWED_DIGITS = (
    re.compile(r"```.*?```", re.S),  # fenced code
    re.compile(r"`[^`\n]*`"),  # inline code: names like `01_corpus_tour`, `seed=0`
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"^#{1,6}\s+\d+(?:\.\d+)*\.?\s", re.M),  # section numbers in headings ("## 2. Clusters")
    re.compile(r"^#{1,6}\s+0\d\s", re.M),  # the notebook number in its title ("# 01 · ...")
    re.compile(r"\b0[1-9]_[a-z_]+"),  # notebook names
    re.compile(r"\b(?:19|20)\d\d\b"),  # years
    re.compile(r"^\*\*(?:Estimated time|Runtime budget):\*\*.*$", re.M),  # declared, and the budget is tested
)


def _digits_outside_allowed(text: str) -> list[str]:
    for pattern in ALLOWED_DIGITS:
        text = pattern.sub(" ", text)
    return [line.strip() for line in text.splitlines() if re.search(r"\d", line)]


def test_rule_for_digits_in_prose():
    assert _digits_outside_allowed("## 3. Outlets\nSee `01_corpus_tour` and notebook 02_semantic_clusters, in 2025.") == []
    assert _digits_outside_allowed("# 01 · Corpus tour\n**Runtime budget:** under 2 minutes.") == []
    assert _digits_outside_allowed("The seeds have 158 non-blank lines.") == ["The seeds have 158 non-blank lines."]
    assert _digits_outside_allowed("Clusters: 3 of them") != []


@functools.cache
def warm_cache() -> str:
    """A private embedding cache holding the seed paragraphs, as `make appendix` leaves it."""
    import toolkit

    cache = tempfile.mkdtemp(prefix="toolkit-nb-cache-")
    toolkit.embed(toolkit.load_corpus(SEEDS).paragraphs, cache=cache, progress=False)
    return cache


def kernel_env() -> dict[str, str]:
    return {**os.environ, "TOOLKIT_CACHE_DIR": warm_cache(), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "MPLBACKEND": "Agg"}


def run(name: str, out_dir: Path) -> float:
    """Execute notebook ``name`` on the seeds into ``out_dir``; wall seconds."""
    params = {"corpus_path": str(SEEDS), "seed": 0, "output_dir": str(out_dir)}
    return appendix.execute_notebook(ROOT / "notebooks" / f"{name}.ipynb", out_dir / "notebooks" / f"{name}.ipynb", params, env=kernel_env())


@functools.cache
def executed_run() -> tuple[Path, dict[str, float]]:
    """Every notebook executed once into one folder (shared with test_browser)."""
    warm_cache()  # not part of any notebook's time
    out = Path(tempfile.mkdtemp(prefix="toolkit-nb-run-"))
    return out, {name: run(name, out) for name in NAMES}


def _budget_seconds(nb) -> int:
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    found = BUDGET.search(text)
    assert found, "no '**Runtime budget:** under N minutes' line"
    return int(found.group(1)) * 60


# --------------------------------------------------------------------------- static checks


def test_there_are_notebooks():
    assert NAMES == ["01_corpus_tour", "02_semantic_clusters", "03_framing_maps", "04_case_trilateral_chiefs_2025", "05_case_seoul_tokyo", "06_validating_frames"]


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_has_no_outputs(name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: a code cell has outputs"
            assert cell.execution_count is None, f"{name}: a code cell has an execution count"


@pytest.mark.parametrize("name", NAMES)
def test_ipynb_matches_py_source(name):
    source = jupytext.read(ROOT / "notebooks" / f"{name}.py", fmt="py:percent")
    paired = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)

    def cells(nb):
        return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]

    assert cells(paired) == cells(source), f"{name}.ipynb is out of sync: run `jupytext --sync notebooks/{name}.py`"
    assert paired.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent"


@pytest.mark.parametrize("name", NAMES)
def test_parameters_cell_is_the_first_code_cell(name):
    nb = appendix.read_notebook(ROOT / "notebooks" / f"{name}.py")
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "parameters" in first.metadata.get("tags", [])
    params = appendix.parameters_of(nb)
    assert {"corpus_path", "model", "seed", "output_dir"} <= set(params)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_has_the_teaching_sections(name):
    nb = appendix.read_notebook(ROOT / "notebooks" / f"{name}.py")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    missing = [s for s in REQUIRED_SECTIONS if s not in text]
    assert not missing, f"{name} lacks {missing}"
    assert nb.cells[0].cell_type == "markdown" and "Questions this notebook answers" in nb.cells[0].source
    tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
    assert tags.count("solution") >= 2
    # Each solution follows a "Your turn" and is followed by a check that asserts.
    for i, cell in enumerate(nb.cells):
        if "solution" in cell.metadata.get("tags", []):
            before = "\n".join(c.source for c in nb.cells[max(0, i - 3) : i])
            after = "\n".join(c.source for c in nb.cells[i + 1 : i + 3])
            assert "Your turn" in before and "Check your understanding" in after and "assert" in after, f"{name}: cell {i}"
    assert "Key points" in nb.cells[-1].source
    _budget_seconds(nb)


@pytest.mark.parametrize("name", NAMES)
def test_prose_has_no_hand_typed_numbers(name):
    nb = appendix.read_notebook(ROOT / "notebooks" / f"{name}.py")
    offending = [line for c in nb.cells if c.cell_type == "markdown" for line in _digits_outside_allowed(c.source)]
    assert offending == [], f"{name}: numbers in prose must be computed (use Markdown(f'...')): {offending}"


def test_student_copies_have_no_solutions(tmp_path):
    written = appendix.write_student(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{n}{ext}" for n in NAMES for ext in (".ipynb", ".py"))
    for name in NAMES:
        nb = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
        teacher = appendix.read_notebook(ROOT / "notebooks" / f"{name}.py")
        assert not any("solution" in c.metadata.get("tags", []) for c in nb.cells)
        n_solutions = sum("solution" in c.metadata.get("tags", []) for c in teacher.cells)
        assert len(nb.cells) == len(teacher.cells) - n_solutions
        assert "tags=[\"solution\"]" not in (tmp_path / f"{name}.py").read_text(encoding="utf-8")


@pytest.mark.slow
def test_student_copies_run_end_to_end_where_they_are_written(tmp_path):
    out = tmp_path / "build" / "student"
    appendix.write_student(out)
    for name in NAMES:
        appendix.execute_notebook(out / f"{name}.ipynb", out / "ran" / f"{name}.ipynb", {}, env=kernel_env())
        nb = nbformat.read(out / "ran" / f"{name}.ipynb", as_version=4)
        failed = [c for c in nb.cells if c.cell_type == "code" and any(o.output_type == "error" for o in c.outputs)]
        tagged = [c for c in nb.cells if "raises-exception" in c.metadata.get("tags", [])]
        # Only the checks of blank answers fail, and every one of them does.
        assert failed == tagged and len(tagged) >= 2, name
        assert (out / "student_output" / "tables").is_dir(), name  # the corpus was found from where the copy sits


# --------------------------------------------------------------------------- execution


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes_within_budget(name):
    out, seconds = executed_run()
    nb = nbformat.read(out / "notebooks" / f"{name}.ipynb", as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    assert seconds[name] < _budget_seconds(nb), f"{name} took {seconds[name]:.0f} s"
    # The numbers quoted in prose are there, computed.
    # Prose cells display through toolkit.prose: HTML rendered with raw HTML off, never text/markdown
    # (which nbconvert would render with raw HTML on).
    data = [o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert sum("<strong>" in d.get("text/html", "") and "text/markdown" not in d for d in data) >= 3
    assert not any("text/markdown" in d for d in data)
    assert list((out / "tables").glob(f"{name[:2]}_*.parquet")), f"{name} saved no table"


@pytest.mark.slow
def test_notebook_02_writes_the_maps():
    out, _ = executed_run()
    for path in ("maps/02_paragraph_map.html", "figures/02_paragraph_map.png", "figures/02_paragraph_map.svg"):
        assert (out / path).stat().st_size > 0, path
    assert "cdn.plot.ly" not in (out / "maps/02_paragraph_map.html").read_text(encoding="utf-8")[:2000]


@pytest.mark.slow
def test_notebook_03_writes_the_framing_map():
    out, _ = executed_run()
    for path in ("maps/03_framing_map.html", "figures/03_frame_shares.png", "figures/03_fightin_words.png", "figures/03_axis_by_outlet.png"):
        assert (out / path).stat().st_size > 0, path
    html = (out / "maps/03_framing_map.html").read_text(encoding="utf-8")
    assert "cdn.plot.ly" not in html[:2000] and "primary_frame" in html


@pytest.mark.slow
def test_case_notebooks_find_their_articles_from_the_data():
    out, _ = executed_run()
    import polars as pl

    event = pl.read_parquet(out / "tables" / "04_event_articles.parquet")
    assert {"CNA", "NHK", "CTV News"} <= set(event["outlet"])
    assert "Hans India" not in set(event["outlet"])  # its May wire copy is context, not the July event
    case = pl.read_parquet(out / "tables" / "05_case_articles.parquet")
    assert case.height >= 1 and case["in_period"].all() and case["keyword_in_title"].all()


@pytest.mark.slow
def test_tables_repeat_byte_for_byte(tmp_path):
    first, _ = executed_run()
    run("01_corpus_tour", tmp_path)
    names = sorted(p.name for p in (tmp_path / "tables").iterdir())
    assert names and all(n.endswith((".csv", ".parquet")) for n in names)
    for name in names:
        a = hashlib.sha256((first / "tables" / name).read_bytes()).hexdigest()
        b = hashlib.sha256((tmp_path / "tables" / name).read_bytes()).hexdigest()
        assert a == b, name
    for name in ("01_timeline.png", "01_timeline.svg"):
        assert (first / "figures" / name).read_bytes() == (tmp_path / "figures" / name).read_bytes(), name


@pytest.mark.slow
def test_manifest_records_what_was_produced(tmp_path):
    import polars as pl

    out, _ = executed_run()
    manifest = appendix.build_manifest(out, corpus=SEEDS, embeddings=None,
                                       parameters={"corpus_path": str(SEEDS), "model": None, "seed": 0}, notebooks=NAMES)
    seeds = sorted(p.name for p in SEEDS.iterdir())
    assert sorted(manifest["corpus"]["files"]) == seeds
    # The recorded hashes are the seeds' own, as listed in seeds/manifest.csv.
    expected = dict(pl.read_csv(SEEDS / "manifest.csv").select("file_name", "sha256").iter_rows())
    assert {k: v for k, v in manifest["corpus"]["files"].items() if k in expected} == expected
    listing = "".join(f"{h}  {name}\n" for name, h in sorted(manifest["corpus"]["files"].items()))
    assert manifest["corpus"]["combined_sha256"] == hashlib.sha256(listing.encode()).hexdigest()
    tables = {Path(k).name for k in manifest["tables"]}
    assert "01_line_fates.parquet" in tables and "02_clusters.csv" in tables
    assert manifest["seeds"] == {"seed": 0}
    assert manifest["packages"]["polars"] and manifest["git"]["commit"]


@pytest.mark.slow
def test_notebook_06_validates_and_corrects():
    import polars as pl

    out, _ = executed_run()
    agreement = pl.read_parquet(out / "tables" / "06_agreement.parquet")
    assert agreement.height == 5 and agreement["alpha"].drop_nans().is_between(-1, 1).all()
    shares = pl.read_parquet(out / "tables" / "06_corrected_shares.parquet")
    assert {"estimate", "ci_low", "ci_high", "naive_estimate", "scorer", "validation"} <= set(shares.columns)
    assert not shares["validation"].str.contains("unvalidated").any()  # the classifier's cross-validated F1 is stated
