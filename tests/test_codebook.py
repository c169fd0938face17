"""Codebooks: packaged files, custom files, content hashes, keyword patterns."""

from __future__ import annotations

import pytest

from tests.test_frames import POLICY_FRAMES
from toolkit.codebook import PACKAGED, CodebookError, keyword_pattern, load_codebook
from toolkit.frames import load_frames


def test_packaged_codebooks():
    policy = load_codebook("policy_frames")
    assert policy.frame_names == POLICY_FRAMES
    assert load_codebook("generic").frame_names == ["Conflict", "Human interest", "Economic consequences", "Morality", "Responsibility"]
    for name in PACKAGED:
        book = load_codebook(name)
        assert all(len(f.prototypes) >= 3 and len(f.keywords) >= 5 and f.definition for f in book.frames), name
        assert len(book.sha256) == 64 and book.to_frame().height == len(book.frames)
    assert len({load_codebook(n).sha256 for n in PACKAGED}) == 3
    with pytest.raises(CodebookError, match="got codebook 'nope'"):
        load_codebook("nope")


def test_custom_codebook_file_and_hash(tmp_path):
    text = """[codebook]
name = "mine"
[[frame]]
code = 1
name = "Money"
definition = "costs"
keywords = ["cost*", "Tax"]
prototypes = ["The plan costs a lot of money."]
"""
    path = tmp_path / "mine.toml"
    path.write_text(text)
    book = load_codebook(path)
    assert book.name == "mine" and book.frame("Money").keywords == ("cost*", "tax")
    path.write_text(text.replace("a lot of", "much"))
    assert load_codebook(path).sha256 != book.sha256  # any edit changes the recorded hash
    assert load_frames(path)["typology"].to_list() == ["mine"]


def test_keyword_patterns_by_hand():
    import re

    assert re.findall(keyword_pattern("econom*"), "the economy and economic policy, not neoeconomics") == ["economy", "economic"]
    assert re.findall(keyword_pattern("death toll"), "the death  toll rose; death tolls") == ["death  toll"]
    assert re.findall(keyword_pattern("war"), "war, wars, warning") == ["war"]


def test_public_names_resolve_lazily():
    import subprocess
    import sys

    code = "import sys, toolkit; names = [toolkit.article_frames, toolkit.fit_frame_classifier, toolkit.load_frame_classifier, toolkit.frame_agreement, toolkit.evaluate_frames, toolkit.corrected_shares, toolkit.coding_sample, toolkit.validate_dir]; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # none of them imports torch until embeddings are asked for
