"""Atomic writes: whole files or none, no temp files left, ordinary permissions, errors that name the path."""

from __future__ import annotations

import errno
import os
import stat

import polars as pl
import pytest

from toolkit import atomic
from toolkit.errors import OutputError


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_files_get_the_umask_permissions_not_0600(tmp_path, umask, mask, mode):
    umask(mask)
    table = atomic.write_parquet(pl.DataFrame({"a": [1]}), tmp_path / "t.parquet")
    report = atomic.write_json({"a": 1}, tmp_path / "r.json")
    with atomic.staged(tmp_path / "s.bin") as tmp:
        tmp.write_bytes(b"x")
    for path in (table, report, tmp_path / "s.bin"):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path


def test_disk_full_names_the_path_and_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "out" / "table.parquet"
    atomic.write_parquet(pl.DataFrame({"a": [1]}), target)
    before = target.read_bytes()

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    with pytest.raises(OutputError) as caught:
        atomic.write_parquet(pl.DataFrame({"a": [2]}), target)
    assert str(caught.value) == f"{target}: could not write: No space left on device"
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["table.parquet"]


def test_unwritable_folder_names_the_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match=r"file/x\.json: could not write"):
        atomic.write_json({}, blocker / "x.json")


def test_interrupt_inside_a_staged_write_leaves_no_temp(tmp_path):
    with pytest.raises(KeyboardInterrupt), atomic.staged(tmp_path / "big.parquet") as tmp:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_failed_ingest_leaves_no_parquet_tmp(tmp_path, monkeypatch):
    from toolkit import corpus as corpus_module

    from .conftest import SEEDS

    def broken(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(corpus_module, "_finish_articles", broken)
    out = tmp_path / "out"
    with pytest.raises(OutputError, match="articles.parquet: could not write: No space left"):
        corpus_module.write_corpus(SEEDS, out)
    assert [p.name for p in out.iterdir()] == []
