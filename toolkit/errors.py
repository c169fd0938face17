"""Errors raised on bad input, each naming the file and line."""

from __future__ import annotations

from pathlib import Path


class ToolkitError(Exception):
    """Base class for errors the CLI reports in one line."""


class CorpusError(ToolkitError):
    """Input that cannot be read as a corpus page or article table.

    Parameters
    ----------
    path : str or Path
        The offending file.
    line : int or None
        1-based line number, when the problem sits on a line.
    problem : str
        What is wrong, phrased as "got X, expected Y" where it can be.
    """

    def __init__(self, path: str | Path, line: int | None, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")

    def __reduce__(self) -> tuple[type[CorpusError], tuple[str, int | None, str]]:
        # Rebuild from the three fields, so the error survives a worker process.
        return (type(self), (self.path, self.line, self.problem))


class OutputError(ToolkitError):
    """A file could not be written (disk full, no permission, read-only folder).

    Parameters
    ----------
    path : str or Path
        The file that was being written.
    reason : str
        The operating system's words for the failure.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: could not write: {reason}")

    def __reduce__(self) -> tuple[type[OutputError], tuple[str, str]]:
        return (type(self), (self.path, self.reason))


class EmbeddingError(ToolkitError):
    """Embedding input or model problems (bad frame, missing model)."""
