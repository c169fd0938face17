"""Editable data files: the outlet registry and the site-chrome rules.

Both are CSV files in ``toolkit/data/``. Users extend them by passing their
own file (``load_outlets(path)``) or by editing the packaged copy.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Outlet:
    """One registry row."""

    name: str
    country: str | None
    type: str | None


def _data_file(name: str) -> Path:
    return Path(str(resources.files("toolkit") / "data" / name))


_SPACES = re.compile(r"\s+")


def _key(name: str) -> str:
    return _SPACES.sub(" ", name).strip().casefold()


class OutletRegistry:
    """Maps printed outlet names and aliases to a canonical outlet.

    Parameters
    ----------
    path : str or Path, optional
        CSV with columns ``outlet,country,type,aliases`` (aliases separated
        by ``|``). Defaults to ``toolkit/data/outlets.csv``.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else _data_file("outlets.csv")
        self._by_key: dict[str, Outlet] = {}
        self._wire_names: set[str] = set()
        with self.path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                outlet = Outlet(row["outlet"].strip(), row["country"].strip() or None, row["type"].strip() or None)
                names = [outlet.name, *(a for a in (row.get("aliases") or "").split("|") if a.strip())]
                for name in names:
                    self._by_key[_key(name)] = outlet
                    if outlet.type == "wire":
                        self._wire_names.add(name.strip())
        # Longest first, so "Korea Herald" wins over a shorter alias prefix;
        # one alternation keeps the per-line prefix test in C.
        names = sorted(self._by_key, key=len, reverse=True)
        self._prefix = re.compile("|".join(re.escape(n) for n in names), re.IGNORECASE) if names else None

    def lookup(self, name: str | None) -> Outlet | None:
        """Return the registry entry for a printed name or alias, or None."""
        if not name:
            return None
        return self._by_key.get(_key(name))

    def canonical(self, name: str) -> str:
        """Canonical outlet name for ``name``; unknown outlets keep their name."""
        found = self.lookup(name)
        return found.name if found else re.sub(r"\s+", " ", name).strip()

    def split_prefix(self, text: str) -> tuple[str, str] | None:
        """Split a known outlet name glued to the front of ``text``.

        ``"Korea Herald6 days ago"`` gives ``("Korea Herald", "6 days ago")``.
        """
        m = self._prefix.match(text) if self._prefix else None
        if m is None or m.end() == len(text):
            return None
        return text[: m.end()].strip(), text[m.end() :].strip()

    def wires(self) -> list[str]:
        """Printed names and aliases of wire services as written, longest first."""
        return sorted(self._wire_names, key=len, reverse=True)


@lru_cache(maxsize=8)
def default_registry(path: str | None = None) -> OutletRegistry:
    """A cached registry for ``path`` (the packaged one when None)."""
    return OutletRegistry(path)


_MAX_CHROME_CHARS = 300


@dataclass(frozen=True)
class ChromeRule:
    """A line of site chrome: matched exactly (case-insensitive) or by regex."""

    match: str
    pattern: str
    reason: str


class ChromeRules:
    """Classifies whole lines as site chrome, with the reason recorded.

    Parameters
    ----------
    path : str or Path, optional
        CSV with columns ``match,pattern,reason``; defaults to
        ``toolkit/data/chrome.csv``.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else _data_file("chrome.csv")
        self._exact: dict[str, str] = {}
        self._regex: list[tuple[re.Pattern[str], str]] = []
        with self.path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["match"] == "exact":
                    self._exact[_key(row["pattern"])] = row["reason"]
                else:
                    self._regex.append((re.compile(row["pattern"], re.IGNORECASE), row["reason"]))

    def reason(self, line: str) -> str | None:
        """The chrome reason for a stripped, non-blank line, or None."""
        if len(line) > _MAX_CHROME_CHARS:
            return None  # chrome is short; body lines skip the normalisation
        return self._reason(line)

    @lru_cache(maxsize=65536)  # noqa: B019 - one instance per rules file, kept for the process
    def _reason(self, line: str) -> str | None:
        key = _key(line)
        if not key:
            return None
        if key in self._exact:
            return self._exact[key]
        for pattern, why in self._regex:
            if pattern.fullmatch(key):
                return why
        return None


@lru_cache(maxsize=8)
def default_chrome(path: str | None = None) -> ChromeRules:
    """Cached chrome rules for ``path`` (the packaged ones when None)."""
    return ChromeRules(path)
