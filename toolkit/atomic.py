"""Atomic file writes: a temp file in the same folder, fsync, then rename.

An interrupted run leaves either the old file or the new one, never half of
one. Every table and report the toolkit writes goes through here.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import polars as pl


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(fh)`` on a temp file beside ``path`` and rename it into place.

    Parameters
    ----------
    path : path
        Destination; replaced atomically. Its folder is created if missing.
    write : callable
        Receives a binary file handle.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def write_parquet(frame: pl.DataFrame, path: str | os.PathLike[str], *, metadata: dict[str, str] | None = None) -> Path:
    """Write ``frame`` as Parquet atomically (no statistics, so bytes are reproducible)."""
    return atomic_write(path, lambda fh: frame.write_parquet(fh, metadata=metadata, statistics=False))


def write_json(record: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``record`` as indented UTF-8 JSON atomically."""
    text = json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n"
    return atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))
