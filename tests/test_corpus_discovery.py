"""Loud discovery: every path under a corpus folder is read, or listed with the reason it was passed over."""

from __future__ import annotations

import os
import shutil
import warnings

import pytest

import toolkit
from toolkit.cli import main
from toolkit.corpus import discover_inputs

from .conftest import SEEDS

PAGE = "001_6812afd88af436c7.txt"


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "corpus"
    (root / "2025" / "july").mkdir(parents=True)
    shutil.copy(SEEDS / PAGE, root / "2025" / "july" / PAGE)
    shutil.copy(SEEDS / "002_9a750392667d04fb.txt", root / "2025" / "002.txt")
    # Things a real folder holds besides pages.
    (root / ".git").mkdir()
    (root / ".git" / "COMMIT_EDITMSG").write_text("wip\n")
    (root / "2025" / ".ipynb_checkpoints").mkdir()
    shutil.copy(SEEDS / PAGE, root / "2025" / ".ipynb_checkpoints" / PAGE)
    (root / ".DS_Store").write_bytes(b"\x00\x01")
    (root / "2025" / "july" / "loop").symlink_to(root / "2025", target_is_directory=True)
    (root / "broken").symlink_to(root / "missing.txt")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(SEEDS / "003_d2c62d2fb7868943.txt", outside / "003.txt")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    return root


def test_every_path_is_read_or_listed_with_its_reason(tree):
    found = discover_inputs(tree)
    assert [name for _, name in found.files] == ["2025/002.txt", f"2025/july/{PAGE}", "linked/003.txt"]
    assert sorted((s["path"], s["reason"]) for s in found.skipped) == [
        (".DS_Store", "hidden"),
        (".git", "version-control folder"),
        ("2025/.ipynb_checkpoints", "notebook checkpoint copies"),
        ("2025/july/loop", "symlink loop"),
        ("broken", "broken symlink"),
    ]


def test_source_file_is_relative_to_the_corpus_root_and_the_report_lists_skips(tree, tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = toolkit.load_corpus(tree)
    assert sorted(set(corpus.articles["source_file"])) == ["2025/002.txt", f"2025/july/{PAGE}", "linked/003.txt"]
    assert [f["file"] for f in corpus.report["files"]] == ["2025/002.txt", f"2025/july/{PAGE}", "linked/003.txt"]
    assert len(corpus.report["skipped_paths"]) == 5
    # The checkpoint copy is not ingested, so it cannot become the canonical copy of the real page.
    assert corpus.articles.filter(corpus.articles["source_file"].str.contains("checkpoint")).height == 0
    assert main(["ingest", str(tree), "--out", str(tmp_path / "out")]) == 0
    line = capsys.readouterr().out
    assert line.count("\n") == 1
    assert ("passed over 5 path(s) (broken symlink: 1, hidden: 1, notebook checkpoint copies: 1, symlink loop: 1, "
            "version-control folder: 1)") in line


def test_unreadable_folder_is_listed_when_scandir_fails(tree, monkeypatch):
    real = os.scandir

    def denied(path):
        if str(path).endswith("july"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", denied)
    found = discover_inputs(tree)
    assert {"path": "2025/july", "reason": "unreadable folder (Permission denied)"} in found.skipped
    assert f"2025/july/{PAGE}" not in [name for _, name in found.files]


@pytest.mark.parametrize("name", ["export.xlsx", "notes.docx", "report.pdf"])
def test_unsupported_formats_are_named(tmp_path, name):
    (tmp_path / name).write_bytes(b"<html><body>x</body></html>")
    with pytest.raises(toolkit.CorpusError, match=rf"{name.split('.')[-1]} is not a supported format") as err:
        toolkit.load_corpus(tmp_path)
    assert err.value.path.endswith(name)


def test_unplaced_lines_are_in_the_cli_line(tmp_path, capsys):
    page = tmp_path / "p.txt"
    # Two lines before the listing header belong to no block.
    page.write_text("Stray menu line\nAnother stray line\n" + (SEEDS / PAGE).read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["ingest", str(page), "--out", str(tmp_path / "out")]) == 0
    line = capsys.readouterr().out
    assert line.count("\n") == 1 and "; 2 unplaced line(s), first at p.txt:1" in line


def test_skip_invalid_with_nothing_ingested_exits_non_zero(tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    code = main(["ingest", str(tmp_path), "--out", str(tmp_path / "out"), "--skip-invalid"])
    out = capsys.readouterr()
    assert code != 0
    assert (out.out + out.err).count("\n") == 1
