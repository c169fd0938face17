"""A corpus written by an attacker goes through the appendix; no HTML output runs its script.

Outlet names and titles carry script payloads (``<script>``, ``onerror=``,
``</script>`` inside a string, ``javascript:`` links). The general notebooks
(01-03) are built into an appendix on that corpus, and headless Chromium
(Debian's package, driven by Playwright) opens every HTML output: no dialog
may open, no payload may set its flag, and no page may request anything
from the network.
"""

from __future__ import annotations

import functools
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from .conftest import ROOT, SEEDS

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
PAYLOAD_OUTLET = "<img src=x onerror=\"window.__pwned='outlet';alert(1)\">Evil Wire"
PAYLOAD_TITLE = ("Lee, Ishiba back talks </script><script>window.__pwned='title';alert(2)</script> "
                 "[read more](javascript:window.__pwned='link') <svg onload=alert(3)>")
GENERAL = ("01_corpus_tour", "02_semantic_clusters", "03_framing_maps")

pytestmark = [pytest.mark.slow]


def hostile_corpus(folder: Path) -> Path:
    """The seeds, with one listing block's outlet and another's title replaced by payloads."""
    shutil.copytree(SEEDS, folder)
    page = folder / "001_6812afd88af436c7.txt"
    text = page.read_text(encoding="utf-8")
    text = text.replace("Hans India\n", PAYLOAD_OUTLET + "\n", 1).replace("- Hans India\n", "- " + PAYLOAD_OUTLET + "\n", 1)
    text = text.replace("Lee, Ishiba back 3-way cooperation with US in 1st phone talks", PAYLOAD_TITLE, 1)
    page.write_text(text, encoding="utf-8")
    return folder


def test_payloads_survive_ingest_as_data(tmp_path):
    import warnings

    import toolkit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = toolkit.load_corpus(hostile_corpus(tmp_path / "corpus"))
    assert PAYLOAD_OUTLET in corpus.articles["outlet"].to_list()
    assert PAYLOAD_TITLE in corpus.articles["title"].to_list()


@functools.cache
def built() -> Path:
    from toolkit import appendix

    from .test_notebooks import kernel_env

    root = Path(tempfile.mkdtemp(prefix="toolkit-hostile-"))
    corpus = hostile_corpus(root / "corpus")
    out = root / "appendix"
    sources = [ROOT / "notebooks" / f"{name}.py" for name in GENERAL]
    import os

    old = dict(os.environ)
    os.environ.update(kernel_env())
    try:
        appendix.build_appendix(out, corpus=corpus, embeddings=None, sources=sources, echo=False)
    finally:
        os.environ.clear()
        os.environ.update(old)
    return out


def test_appendix_builds_on_the_hostile_corpus_and_escapes_it():
    out = built()
    assert (out / "manifest.json").exists()
    pages = sorted(out.glob("html/*.html")) + sorted(out.glob("maps/*.html"))
    assert len(pages) >= 5
    for page in sorted(out.glob("html/*.html")):
        html = page.read_text(encoding="utf-8")
        # The raw payloads appear nowhere as markup.
        assert "<script>window.__pwned" not in html and "<img src=x onerror" not in html, page.name
        assert not re.search(r"""href=["']?javascript:""", html, re.I), page.name
    csv = "\n".join(p.read_text(encoding="utf-8") for p in out.glob("tables/*.csv"))
    assert "Evil Wire" in csv  # the data is kept, as data


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium: `apt-get install -y chromium` (.ci/run does)")
def test_no_html_output_runs_the_payloads_or_reaches_the_network():
    from playwright.sync_api import sync_playwright

    out = built()
    pages = sorted(out.glob("html/*.html")) + sorted(out.glob("maps/*.html"))
    shots = ROOT / "build" / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            for path in pages:
                page = browser.new_page()
                dialogs: list[str] = []
                remote: list[str] = []
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(("file:", "data:", "blob:", "about:")) else None)
                page.goto(path.as_uri(), wait_until="load", timeout=60_000)
                page.wait_for_timeout(1500)
                pwned = page.evaluate("() => window.__pwned === undefined ? null : String(window.__pwned)")
                if path.parent.name == "html" and "03_" in path.name:
                    page.screenshot(path=str(shots / f"hostile_{path.stem}.png"))
                page.close()
                assert dialogs == [], (path.name, dialogs)
                assert pwned is None, (path.name, pwned)
                assert remote == [], (path.name, remote[:3])
        finally:
            browser.close()
