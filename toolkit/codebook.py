"""Frame codebooks: data files of frames, definitions, keywords and prototypes.

A codebook is a TOML file (see ``toolkit/data/codebooks/``) with a
``[codebook]`` table (``name``, ``title``, ``source``, ``version``) and one
``[[frame]]`` table per frame:

``code``
    Integer code of the frame in its codebook.
``name``
    The frame's name, unique in the codebook (also the column a coder fills).
``definition``
    What a human coder reads; copied onto every coding sheet.
``keywords``
    Lower-case keywords for the lexicon baseline; a trailing ``*`` matches any
    ending (``econom*``), several words match as a phrase with any spacing.
``prototypes``
    Short news-like sentences for the embedding detector.

Packaged codebooks: ``policy_frames`` (the 14 frames of the Policy Frames
Codebook, Boydstun et al. 2014), ``generic`` (Semetko & Valkenburg's 5
generic frames, 2000) and ``trilateral_security`` (an issue-specific example
written for the seed corpus, unvalidated). :attr:`Codebook.sha256` hashes the
content (not the file bytes), so provenance records which codebook scored
or trained what.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.errors import ToolkitError

PACKAGED = ("policy_frames", "generic", "trilateral_security")


class CodebookError(ToolkitError):
    """A codebook file that cannot be read or is malformed."""


@dataclass(frozen=True)
class CodebookFrame:
    """One frame of a codebook."""

    code: int
    name: str
    definition: str
    keywords: tuple[str, ...]
    prototypes: tuple[str, ...]


@dataclass(frozen=True)
class Codebook:
    """A named set of frames (see the module docstring for the file format)."""

    name: str
    title: str
    source: str
    version: str
    frames: tuple[CodebookFrame, ...]

    @property
    def frame_names(self) -> list[str]:
        """Frame names in file order."""
        return [f.name for f in self.frames]

    @property
    def sha256(self) -> str:
        """Hex sha256 of the codebook's content (name, frames, keywords, prototypes)."""
        payload = {
            "name": self.name,
            "version": self.version,
            "frames": [[f.code, f.name, f.definition, list(f.keywords), list(f.prototypes)] for f in self.frames],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()

    def frame(self, name: str) -> CodebookFrame:
        """The frame called ``name``."""
        for f in self.frames:
            if f.name == name:
                return f
        msg = f"got frame {name!r}, expected one of {self.frame_names}"
        raise CodebookError(msg)

    def to_frame(self) -> pl.DataFrame:
        """One row per frame: ``codebook``, ``code``, ``frame``, ``definition``, ``keywords``, ``prototypes`` (joined by ``" | "``)."""
        return pl.DataFrame(
            {
                "codebook": [self.name] * len(self.frames),
                "code": [f.code for f in self.frames],
                "frame": self.frame_names,
                "definition": [f.definition for f in self.frames],
                "keywords": [" | ".join(f.keywords) for f in self.frames],
                "prototypes": [" | ".join(f.prototypes) for f in self.frames],
            },
            schema_overrides={"code": pl.Int32},
        )


def codebook_path(name: str) -> Path:
    """Path of a packaged codebook file."""
    return Path(str(resources.files("toolkit") / "data" / "codebooks" / f"{name}.toml"))


def _strings(value: Any, what: str, path: Path, *, allow_empty: bool) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value) or (not value and not allow_empty):
        msg = f"{path}: {what} got {value!r}, expected a {'' if allow_empty else 'non-empty '}list of non-blank strings"
        raise CodebookError(msg)
    return tuple(" ".join(s.split()) for s in value)


def parse_codebook(data: dict[str, Any], *, path: Path, default_name: str | None = None) -> list[Codebook]:
    """Codebooks from parsed TOML: the ``[codebook]`` format, or the older per-frame ``typology`` format."""
    entries = data.get("frame")
    if not isinstance(entries, list) or not entries:
        msg = f"{path}: got no [[frame]] tables, expected at least one"
        raise CodebookError(msg)
    meta = data.get("codebook", {})
    if not isinstance(meta, dict):
        msg = f"{path}: got [codebook] = {meta!r}, expected a table"
        raise CodebookError(msg)
    groups: dict[str, list[CodebookFrame]] = {}
    for i, entry in enumerate(entries, start=1):
        missing = [k for k in ("code", "name", "prototypes") if k not in entry]
        if missing:
            msg = f"{path}: frame #{i} got keys {sorted(entry)}, expected code, name and prototypes (missing {missing})"
            raise CodebookError(msg)
        name = str(entry.get("typology") or meta.get("name") or default_name or path.stem)
        frame = CodebookFrame(
            code=int(entry["code"]),
            name=" ".join(str(entry["name"]).split()),
            definition=" ".join(str(entry.get("definition", "")).split()),
            keywords=tuple(k.lower() for k in _strings(entry.get("keywords", []), f"frame {entry['name']!r} keywords", path, allow_empty=True)),
            prototypes=_strings(entry["prototypes"], f"frame {entry['name']!r} prototypes", path, allow_empty=False),
        )
        bucket = groups.setdefault(name, [])
        if frame.name in {f.name for f in bucket}:
            msg = f"{path}: got frame {frame.name!r} twice in typology {name!r}, expected unique names"
            raise CodebookError(msg)
        bucket.append(frame)
    return [
        Codebook(
            name=name,
            title=str(meta.get("title", name)),
            source=str(meta.get("source", "")),
            version=str(meta.get("version", "1")),
            frames=tuple(frames),
        )
        for name, frames in groups.items()
    ]


def read_codebooks(path: str | os.PathLike[str]) -> list[Codebook]:
    """Every codebook in one TOML file (usually one)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        msg = f"{path}: got an unreadable codebook file ({exc}), expected TOML with [[frame]] tables"
        raise CodebookError(msg) from exc
    return parse_codebook(data, path=path)


def load_codebook(codebook: str | os.PathLike[str] | Codebook = "policy_frames") -> Codebook:
    """Return a codebook: a packaged name, a path to a TOML file, or a :class:`Codebook`.

    Raises
    ------
    CodebookError
        Unknown name, unreadable or malformed file, or a file with several
        codebooks.
    """
    if isinstance(codebook, Codebook):
        return codebook
    if isinstance(codebook, str) and codebook in PACKAGED:
        found = read_codebooks(codebook_path(codebook))
    elif isinstance(codebook, str) and not codebook.endswith(".toml") and not os.sep in codebook:
        msg = f"got codebook {codebook!r}, expected one of {list(PACKAGED)} or a path to a .toml codebook"
        raise CodebookError(msg)
    else:
        found = read_codebooks(codebook)
    if len(found) != 1:
        msg = f"got {len(found)} codebooks {[c.name for c in found]} in {codebook}, expected one"
        raise CodebookError(msg)
    return found[0]


def keyword_pattern(keyword: str) -> str:
    """Regular expression for one codebook keyword (lower-case text, word boundaries)."""
    words = keyword.lower().split()
    parts = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words]
    tail = "" if words[-1].endswith("*") else r"\b"
    return r"\b" + r"\s+".join(parts) + tail
