"""Body cleaning: advertisements, captions, bylines, wire credits, datelines."""

from __future__ import annotations

from toolkit.cleaning import byline_from_title, clean_body, normalise
from toolkit.registry import default_registry

REG = default_registry()


def test_normalise_quotes_and_whitespace():
    assert normalise("\u201cHi\u201d  \u2018there\u2019\u00a0now\t ") == "\"Hi\" 'there' now"


def test_inline_advertisement_is_removed_and_counted():
    out = clean_body(["First sentence. Advertisement The second one. Advertisement"], REG)
    assert out.lines == ["First sentence. The second one."]
    assert out.removed["advertisement"] == 2


def test_word_advertisement_inside_a_sentence_is_kept():
    out = clean_body(["The advertisement market and the Advertisement Standards Board agreed."], REG)
    assert out.lines == ["The advertisement market and the Advertisement Standards Board agreed."]


def test_captions_with_credits_are_moved_out():
    line = (
        "Talks went on. Gen. Kim (left) and Adm. Lee pose for a photo in Seoul, on July 11. (©ROK JCS) "
        "The meeting ended. Officials inspect a guard of honour on Thursday. Photo: AFP Following the meeting, they left."
    )
    out = clean_body([line], REG)
    assert out.captions == [
        "Gen. Kim (left) and Adm. Lee pose for a photo in Seoul, on July 11. (©ROK JCS)",
        "Officials inspect a guard of honour on Thursday. Photo: AFP",
    ]
    assert out.lines == ["Talks went on. The meeting ended. Following the meeting, they left."]


def test_a_line_that_is_only_a_caption_is_accounted_as_caption():
    out = clean_body(["Body text here.", "Leaders meet in Tokyo on June 16. (AP Photo/Eugene Hoshiko)"], REG)
    assert out.lines == ["Body text here."]
    assert out.line_fates == {1: ("caption", "photo caption")}


def test_trailing_credits():
    assert clean_body(["Text ends here. Author: Kenji Yoshida"], REG).byline == "Kenji Yoshida"
    signed = clean_body(["Some reporting. Hyung-jin Kim, The Associated Press"], REG)
    assert (signed.byline, signed.wire, signed.lines) == ("Hyung-jin Kim", "The Associated Press", ["Some reporting."])
    wire = clean_body(["He said so. (Yonhap)"], REG)
    assert (wire.wire, wire.lines) == ("Yonhap", ["He said so."])
    # a wire credit on a line of its own is metadata, not text
    alone = clean_body(["He said so.", "(Yonhap)"], REG)
    assert alone.line_fates == {1: ("metadata", "byline or wire credit")} and alone.wire == "Yonhap"


def test_datelines():
    assert clean_body(["SEOUL: The chiefs met."], REG).dateline == "SEOUL"
    ctv = clean_body(["SEOUL, South Korea \u2014 Top officers met."], REG)
    assert (ctv.dateline, ctv.lines) == ("SEOUL, South Korea", ["Top officers met."])
    assert clean_body(["Seoul: The top officers vowed."], REG).dateline == "Seoul"
    assert clean_body(["Update: The story changed."], REG).dateline is None
    assert clean_body(["The chiefs met in SEOUL: it rained."], REG).dateline is None


def test_byline_from_column_title():
    assert byline_from_title("[Lee Byung-jong] President Lee's pragmatic diplomacy") == "Lee Byung-jong"
    assert byline_from_title("[Interview] Minister on tariffs") is None
    assert byline_from_title("[Editorial] Time for a new declaration") is None
    assert byline_from_title("Plain title") is None
