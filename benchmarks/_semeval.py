"""Load the SemEval-2023 Task 3 (subtask 2, English) articles as toolkit frames.

Research use only: read from ``../shared/validation`` relative to the
repository root, never copied into the repository.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATH = ROOT.parent / "shared" / "validation" / "semeval2023-task3-en" / "articles.jsonl"

# SemEval's frame labels -> the Policy Frames codebook's frame names
SEMEVAL_TO_CODEBOOK = {
    "Economic": "Economic",
    "Capacity_and_resources": "Capacity and resources",
    "Morality": "Morality",
    "Fairness_and_equality": "Fairness and equality",
    "Legality_Constitutionality_and_jurisprudence": "Legality, constitutionality and jurisprudence",
    "Policy_prescription_and_evaluation": "Policy prescription and evaluation",
    "Crime_and_punishment": "Crime and punishment",
    "Security_and_defense": "Security and defense",
    "Health_and_safety": "Health and safety",
    "Quality_of_life": "Quality of life",
    "Cultural_identity": "Cultural identity",
    "Public_opinion": "Public opinion",
    "Political": "Political",
    "External_regulation_and_reputation": "External regulation and reputation",
}


def load_semeval(path: Path = DEFAULT_PATH) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Return ``(articles, paragraphs, gold)``.

    Paragraphs are the body split on line breaks (blank lines dropped);
    ``gold`` is ``article_id, frame, value`` for every article x frame.
    """
    arts, pars, gold = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        aid = f"se{rec['id']}"
        arts.append({"article_id": aid, "title": " ".join(str(rec.get("title") or "").split()), "outlet": "semeval"})
        pos = 0
        for chunk in str(rec["body"]).split("\n"):
            text = " ".join(chunk.split())
            if text:
                pars.append({"paragraph_id": f"{aid}-p{pos:03d}", "article_id": aid, "position": pos, "text": text, "kind": "body"})
                pos += 1
        coded = set(rec.get("frames") or [])
        for label, name in SEMEVAL_TO_CODEBOOK.items():
            gold.append({"article_id": aid, "frame": name, "value": int(label in coded)})
    articles = pl.DataFrame(arts)
    paragraphs = pl.DataFrame(pars, schema_overrides={"position": pl.Int32})
    return articles, paragraphs, pl.DataFrame(gold, schema_overrides={"value": pl.Int8})


def embed_semeval(articles: pl.DataFrame, paragraphs: pl.DataFrame) -> pl.DataFrame:
    """Embeddings of body paragraphs and headlines (cached by content)."""
    import toolkit
    from toolkit.frames import title_paragraphs

    titles = title_paragraphs(articles)
    rows = pl.concat([paragraphs.select("paragraph_id", "text"), titles.select("paragraph_id", "text")])
    return toolkit.embed(rows, progress=False)


if __name__ == "__main__":
    import time

    t0 = time.perf_counter()
    a, p, g = load_semeval()
    e = embed_semeval(a, p)
    print(a.height, p.height, e.height, f"{time.perf_counter() - t0:.1f}s")
