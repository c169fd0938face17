"""The appendix runner: private kernel specs, offline HTML, safe CSV cells, builds marked until complete."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from pathlib import Path

import polars as pl
import pytest

from toolkit import appendix

from .conftest import ROOT, SEEDS

nbformat = pytest.importorskip("nbformat")

# Anything a page would fetch: src=, href= (stylesheets, preloads, links), CSS url(), ES imports.
REMOTE = re.compile(r"""(?:\bsrc|\bhref)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|\bimport\s*\(?\s*["'](?:https?:)?//""", re.I)


def _tiny_notebook(path: Path, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("corpus_path = ''\nmodel = None\nseed = 0\noutput_dir = ''", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body),
    ]
    nbformat.write(nb, path)
    return path


def test_kernel_spec_lives_in_a_fresh_private_folder_never_a_planted_one(tmp_path, monkeypatch):
    # Another local user plants the folder the old code used, with a kernel that runs their command.
    planted = Path(tempfile.gettempdir()) / f"toolkit-kernels-{hashlib.sha256(sys.executable.encode()).hexdigest()[:12]}"
    spec = planted / appendix.KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    marker = tmp_path / "pwned"
    (spec / "kernel.json").write_text(json.dumps({"argv": ["touch", str(marker)], "display_name": "x", "language": "python"}))
    used = []
    real = appendix.kernel_manager

    def spy(folder):
        km = real(folder)
        used.append((Path(folder), km.kernel_spec_manager.kernel_dirs))
        return km

    monkeypatch.setattr(appendix, "kernel_manager", spy)
    source = _tiny_notebook(tmp_path / "t.ipynb", "print(6 * 7)")
    try:
        appendix.execute_notebook(source, tmp_path / "out.ipynb", {"seed": 1})
    finally:
        shutil.rmtree(planted, ignore_errors=True)
    (folder, dirs), = used
    assert dirs == [str(folder)] and folder != planted and not folder.exists()  # fresh, and removed afterwards
    assert not marker.exists()
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert out.cells[-1].outputs[0]["text"] == "42\n"


def test_kernel_manager_refuses_a_folder_others_can_write(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    with pytest.raises(PermissionError, match="not a private folder"):
        appendix.kernel_manager(shared)
    private = Path(tempfile.mkdtemp())
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    km = appendix.kernel_manager(private)
    assert json.loads((private / appendix.KERNEL_NAME / "kernel.json").read_text())["argv"][0] == sys.executable
    assert km.kernel_spec_manager.kernel_dirs == [str(private)]


def test_exported_html_loads_nothing_from_the_network(tmp_path):
    source = _tiny_notebook(tmp_path / "t.ipynb", "from IPython.display import display, Math\nimport toolkit\ndisplay(toolkit.prose('**x**'))")
    appendix.execute_notebook(source, tmp_path / "run.ipynb", {})
    html = appendix.export_html(tmp_path / "run.ipynb", tmp_path / "run.html").read_text(encoding="utf-8")
    assert "<strong>x</strong>" in html
    assert REMOTE.findall(html) == []
    assert "cdnjs" not in html and "unpkg" not in html


def test_remote_pattern_catches_what_a_page_would_fetch():
    for bad in ('<script src="https://cdn.example/x.js">', "<link href='//cdn.example/a.css'>", "@import url(https://f.example/x.css)",
                'import("https://esm.example/m.mjs")', "<img src=http://x/y.png>"):
        assert REMOTE.search(bad), bad
    assert not REMOTE.search('<a id="x" class="anchor-link" href="#Title">¶</a>')


def test_tables_neutralise_formula_cells_in_csv_but_keep_parquet_exact(tmp_path):
    frame = pl.DataFrame({"outlet": ['=HYPERLINK("http://evil","click")', "@cmd", "Korea Herald"], "n": [-1, 2, 3]})
    csv, parquet = appendix.save_table(frame, "t", tmp_path)
    back = pl.read_csv(csv)
    assert back["outlet"].to_list() == ['\'=HYPERLINK("http://evil","click")', "'@cmd", "Korea Herald"]
    assert back["n"].to_list() == [-1, 2, 3]
    assert pl.read_parquet(parquet).equals(frame)


def test_a_build_is_marked_incomplete_until_its_manifest_is_written(tmp_path, monkeypatch):
    out = tmp_path / "appendix"
    (out / "tables").mkdir(parents=True)
    (out / "manifest.json").write_text("{}")  # an old, complete build
    seen = {}

    def failing(source, executed, params, **kwargs):
        seen["marker"] = (out / appendix.INCOMPLETE_MARKER).exists()
        seen["manifest"] = (out / "manifest.json").exists()
        raise RuntimeError("kernel died")

    monkeypatch.setattr(appendix, "execute_notebook", failing)
    with pytest.raises(RuntimeError):
        appendix.build_appendix(out, corpus=SEEDS, embeddings=None, sources=[ROOT / "notebooks" / "01_corpus_tour.py"], echo=False)
    assert seen == {"marker": True, "manifest": False}
    assert (out / appendix.INCOMPLETE_MARKER).exists() and not (out / "manifest.json").exists()


def test_manifest_is_valid_json_for_a_corpus_outside_the_checkout(tmp_path, monkeypatch):
    monkeypatch.setattr(appendix, "execute_notebook", lambda *a, **k: 0.5)
    corpus = tmp_path / "elsewhere"
    corpus.mkdir()
    page = corpus / "p.txt"
    page.write_bytes((SEEDS / "001_6812afd88af436c7.txt").read_bytes())
    manifest = appendix.build_appendix(tmp_path / "out", corpus=corpus, embeddings=None, sources=[ROOT / "notebooks" / "01_corpus_tour.py"],
                                       html=False, echo=False)
    written = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(manifest, default=str))
    assert written["corpus"]["files"] == {"p.txt": hashlib.sha256(page.read_bytes()).hexdigest()}
    assert not (tmp_path / "out" / appendix.INCOMPLETE_MARKER).exists()


def test_ctrl_c_during_a_build_is_one_line_and_exit_130(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(appendix, "execute_notebook", interrupted)
    assert appendix.main(["build", "--corpus", str(SEEDS), "--out", str(tmp_path / "out")]) == 130
    assert capsys.readouterr().err == "interrupted (the appendix folder is marked INCOMPLETE)\n"
    assert (tmp_path / "out" / appendix.INCOMPLETE_MARKER).exists()


def test_case_studies_are_skipped_on_another_corpus_and_the_manifest_says_so(tmp_path, monkeypatch, capsys):
    from toolkit.cli import main

    ran = []
    monkeypatch.setattr(appendix, "execute_notebook", lambda source, *a, **k: ran.append(Path(source).stem) or 0.1)
    monkeypatch.setattr(appendix, "export_html", lambda *a: None)
    other = tmp_path / "other"
    other.mkdir()
    (other / "t.csv").write_text("outlet,title,body\nX,A title,Some body.\n", encoding="utf-8")
    assert main(["appendix", "--corpus", str(other), "--out", str(tmp_path / "out")]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    case_studies = {"04_case_trilateral_chiefs_2025", "05_case_seoul_tokyo"}
    assert set(manifest["skipped_notebooks"]) == case_studies
    assert all("seed-specific case study" in r for r in manifest["skipped_notebooks"].values())
    assert case_studies.isdisjoint(ran) and "01_corpus_tour" in ran
    assert "04_case_trilateral_chiefs_2025: skipped (seed-specific case study" in capsys.readouterr().out
    # On the seeds, wherever they sit, every notebook applies.
    ran.clear()
    moved = tmp_path / "seeds-copy"
    shutil.copytree(SEEDS, moved)
    appendix.build_appendix(tmp_path / "out2", corpus=moved, embeddings=None, html=False, echo=False)
    assert case_studies <= set(ran)
