"""Atomic file writes: a temp file in the same folder, fsync, then rename.

An interrupted run leaves either the old file or the new one, never half of
one, and no temp file. Every table and report the toolkit writes goes
through here. Files get the permissions of an ordinary ``open`` (0666 less
the umask), not ``mkstemp``'s 0600, so collaborators can read them. A write
that fails (disk full, no permission) raises :class:`OutputError` naming the
path.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import polars as pl

from toolkit.errors import OutputError


def _umask() -> int:
    # os.umask can only be read by setting it; set it back at once.
    mask = os.umask(0)
    os.umask(mask)
    return mask


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


@contextmanager
def staged(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a private temp path beside ``path``; on success it replaces ``path``.

    For writers that need a path rather than a handle (streamed Parquet
    parts). On any failure the temp file is removed; an ``OSError`` becomes
    :class:`OutputError` naming ``path``.

    Parameters
    ----------
    path : path
        Destination; its folder is created if missing.

    Yields
    ------
    Path
        Where to write. It exists (empty) when yielded.
    """
    path = Path(path)
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        yield tmp
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise OutputError(path, exc.strerror or str(exc)) from exc
    except BaseException:
        _discard(tmp)
        raise
    _fsync_dir(path.parent)


def _discard(tmp: Path | None) -> None:
    if tmp is not None:
        tmp.unlink(missing_ok=True)


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
    with staged(path) as tmp, tmp.open("wb") as fh:
        write(fh)
    return Path(path)


def write_parquet(frame: pl.DataFrame, path: str | os.PathLike[str], *, metadata: dict[str, str] | None = None) -> Path:
    """Write ``frame`` as Parquet atomically (no statistics, so bytes are reproducible)."""
    return atomic_write(path, lambda fh: frame.write_parquet(fh, metadata=metadata, statistics=False))


def write_json(record: Any, path: str | os.PathLike[str], *, sort_keys: bool = False) -> Path:
    """Write ``record`` as indented UTF-8 JSON atomically (paths and dates as strings)."""
    text = json.dumps(record, indent=2, ensure_ascii=False, default=str, sort_keys=sort_keys) + "\n"
    return atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))
