"""Issue 13 item 6: a researcher's own exports, end to end.

A few hundred synthetic articles in two export formats whose columns are not
named as the toolkit's fields go through ``ingest --columns``, ``embed``,
``analyze`` and ``appendix``; the manifest and the executed notebooks are
checked, and so is every computed sentence the notebooks display.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

import polars as pl
import pytest

from toolkit.cli import main

pytestmark = pytest.mark.slow

TOPICS = {
    "tariffs": ["tariff", "exports", "steel", "trade deficit", "customs duties", "semiconductor shipments"],
    "missiles": ["missile launch", "Pyongyang", "ballistic test", "air defence", "joint drills", "early warning radar"],
    "floods": ["monsoon rain", "evacuation", "landslide", "river levels", "emergency shelters", "rescue teams"],
}
# Outlets of very different sizes: two large, two middling, two with a single article.
OUTLETS = {"Harbour Times": 90, "Metro Daily": 70, "Valley Post": 30, "Coastal Wire": 25, "Lone Voice": 1, "Solo Report": 1}
COLUMNS = "outlet=source|media_name,title=headline|title,body=content|text,published=date|publish_date"


# Each topic has its own everyday vocabulary, so the clusters are clear (k-means converges fast)
# while every body is a fresh shuffle (no shared templates, so no false syndication).
POOLS = {
    "tariffs": "market shares index bank rate growth forecast factory port budget investors prices importers quota".split(),
    "missiles": "border coast island command navy troops alert sirens launchpad satellite sensors interceptors garrison".split(),
    "floods": "village road bridge rail school hospital district province mayor volunteers mud damage shelter".split(),
}


def _article(rng: random.Random, outlet: str, k: int) -> dict[str, str]:
    """Distinct bodies: sentences of shuffled common words around a topic's terms (no shared templates, so no false syndication)."""
    topic = rng.choice(sorted(TOPICS))
    words = TOPICS[topic]
    paragraphs = []
    for _ in range(rng.randint(3, 5)):
        terms = rng.sample(words, 3)
        filler = rng.sample(POOLS[topic], 13) + [rng.choice(("talks", "officials", "statement", "report"))]
        sentence = filler[:5] + [terms[0]] + filler[5:10] + [terms[1]] + filler[10:] + [terms[2]]
        paragraphs.append(" ".join(sentence).capitalize() + f" ({k}).")
    if outlet == "Harbour Times":
        paragraphs.insert(1, "Sign up for our morning newsletter to get the latest news.")
    return {
        "title": f"{topic.title()} update {k} from {outlet}",
        "body": "\n".join(paragraphs),
        "date": f"2025-0{rng.randint(6, 8)}-{rng.randint(10, 28)}",
        "topic": topic,
    }


def _write_exports(folder: Path) -> dict[str, int]:
    """A Media Cloud-style CSV and a news-please-style JSONL, with their own column names and extra columns."""
    rng = random.Random(13)
    csv_rows, jsonl_rows = [], []
    counts: dict[str, int] = {}
    k = 0
    for outlet, n in OUTLETS.items():
        for _ in range(n):
            k += 1
            art = _article(rng, outlet, k)
            if k % 2:
                csv_rows.append({"id": f"mc-{k}", "source": outlet, "headline": art["title"], "content": art["body"],
                                 "date": art["date"], "url": f"https://example.org/{k}"})
            else:
                jsonl_rows.append({"media_name": outlet, "title": art["title"], "text": art["body"],
                                   "publish_date": art["date"] + "T09:30:00Z", "authors": ["A. Writer"]})
            counts[outlet] = counts.get(outlet, 0) + 1
    folder.mkdir(parents=True)
    pl.DataFrame(csv_rows).write_csv(folder / "mediacloud_export.csv")
    (folder / "newsplease.jsonl").write_text("".join(json.dumps(r) + "\n" for r in jsonl_rows), encoding="utf-8")
    return counts


def _prose_outputs(nb: dict) -> list[str]:
    """The text of every HTML display (``toolkit.prose``) in an executed notebook, tags removed."""
    texts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html")
            if html and "<p>" in "".join(html):
                texts.append(re.sub(r"<[^>]+>", "", "".join(html)))
    return texts


# Sentences computed from numbers that read wrongly on some corpus.
BAD_PROSE = [
    (re.compile(r"\b1 (outlets|articles|paragraphs|clusters|files|pages)\b"), "plural after 1"),
    (re.compile(r"\b(nan|NaN|inf|None)\b"), "a missing value printed"),
    (re.compile(r"\{[a-z_]+\}"), "an unformatted placeholder"),
]


def test_own_exports_end_to_end(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    corpus = tmp_path / "exports"
    counts = _write_exports(corpus)
    n_articles = sum(counts.values())
    out = tmp_path / "analysed"

    # Without the mapping the fields are not found, and the error suggests the mapping.
    assert main(["ingest", str(corpus), "--out", str(tmp_path / "unmapped")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "mediacloud_export.csv" in err and "source" in err

    assert main(["ingest", str(corpus), "--out", str(out), "--columns", COLUMNS]) == 0
    line = capsys.readouterr().out
    assert f"{n_articles} articles" in line
    articles = pl.read_parquet(out / "articles.parquet")
    assert articles.height == n_articles
    assert dict(articles.group_by("outlet").len().iter_rows()) == counts
    # Extra columns come through; the newsletter prompt one outlet repeats is gone, and counted.
    extras = {e["name"] for row in articles["extra"].to_list() for e in row}
    assert {"id", "url", "authors"} <= extras
    assert not articles["body"].str.contains("newsletter").any()
    report = json.loads((out / "ingest_report.json").read_text(encoding="utf-8"))
    assert sum(report["chrome_reasons"].values()) >= counts["Harbour Times"]
    assert report["table_body_lines"]["chrome"] >= counts["Harbour Times"]

    assert main(["embed", str(out), "--quiet"]) == 0
    assert main(["analyze", str(out), "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "clusters by kmeans" in lines[-2] and lines[-1].startswith("cluster stability: seed ARI")

    book = tmp_path / "appendix"
    assert main(["appendix", "--corpus", str(corpus), "--out", str(book), "--embeddings", str(out / "embeddings.parquet"),
                 "--columns", COLUMNS]) == 0
    manifest = json.loads((book / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["skipped_notebooks"]) == {"04_case_trilateral_chiefs_2025", "05_case_seoul_tokyo"}
    assert manifest["corpus"]["files"] == {
        name: hashlib.sha256((corpus / name).read_bytes()).hexdigest() for name in ("mediacloud_export.csv", "newsplease.jsonl")
    }
    assert manifest["parameters"]["ingest_options"]["columns"]["outlet"] == "source|media_name"
    executed = sorted(p.stem for p in (book / "notebooks").glob("*.ipynb"))
    assert executed == ["01_corpus_tour", "02_semantic_clusters", "03_framing_maps", "06_validating_frames"]

    problems = []
    for path in sorted((book / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, (path.stem, errors[:1])
        prose = _prose_outputs(nb)
        assert prose, path.stem
        for text in prose:
            for pattern, why in BAD_PROSE:
                if pattern.search(text):
                    problems.append(f"{path.stem}: {why}: {text[:160]!r}")
    assert problems == []
    # The corpus tour counts what this corpus holds, not the seeds.
    tour = "\n".join(_prose_outputs(json.loads((book / "notebooks" / "01_corpus_tour.ipynb").read_text(encoding="utf-8"))))
    assert str(n_articles) in tour
