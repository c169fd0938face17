"""The seed manifest: one row per page with its sha256, tag and crawl date."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import CorpusError

MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("file_name", "sha256", "page_tag", "layout", "crawl_date", "crawl_date_evidence")


@dataclass(frozen=True)
class PageInfo:
    """Manifest row for one page."""

    file_name: str
    sha256: str
    page_tag: str | None
    layout: str | None
    crawl_date: dt.date | None
    crawl_date_evidence: str


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of the file at ``path``."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(path: str | Path) -> dict[str, PageInfo]:
    """Read a manifest CSV into ``{file_name: PageInfo}``.

    Raises
    ------
    CorpusError
        If a column is missing or a crawl date is not ISO ``YYYY-MM-DD``.
    """
    path = Path(path)
    out: dict[str, PageInfo] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("file_name", "crawl_date") if c not in (reader.fieldnames or [])]
        if missing:
            msg = f"got manifest columns {reader.fieldnames}, expected at least {list(MANIFEST_COLUMNS)}"
            raise CorpusError(path, 1, msg)
        for line, row in enumerate(reader, start=2):
            raw_date = (row.get("crawl_date") or "").strip()
            try:
                crawl = dt.date.fromisoformat(raw_date) if raw_date else None
            except ValueError:
                msg = f"got crawl_date {raw_date!r}, expected YYYY-MM-DD or empty"
                raise CorpusError(path, line, msg) from None
            out[row["file_name"]] = PageInfo(
                file_name=row["file_name"],
                sha256=(row.get("sha256") or "").strip(),
                page_tag=(row.get("page_tag") or "").strip() or None,
                layout=(row.get("layout") or "").strip() or None,
                crawl_date=crawl,
                crawl_date_evidence=(row.get("crawl_date_evidence") or "").strip(),
            )
    return out
