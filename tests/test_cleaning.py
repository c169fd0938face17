"""Body cleaning: advertisements, captions, bylines, wire credits, datelines."""

from __future__ import annotations

from collections import Counter

import pytest

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


def _take_captions_reference(line: str) -> tuple[str, list[str]]:
    """The former quadratic rule (whole prefix re-split per credit), kept to check the fast one."""
    from toolkit.cleaning import _CREDIT, _MAX_CAPTION_CHARS, normalise
    from toolkit.segment import split_sentences

    captions = []
    while True:
        m = _CREDIT.search(line)
        if not m:
            return line, captions
        before = line[: m.start()].rstrip()
        start = m.start()
        if before:
            last = split_sentences(before)[-1] if split_sentences(before) else ""
            if last and len(last) <= _MAX_CAPTION_CHARS and before.endswith(last):
                start = len(before) - len(last)
        captions.append(normalise(line[start : m.end()]))
        line = (line[:start].rstrip() + " " + line[m.end() :].lstrip()).strip()


def _gallery_line(n_credits: int, seed: int = 0) -> str:
    import random

    rng = random.Random(seed)
    credits = ["(AP Photo/Ahn Young-joon, Pool)", "(©ROK JCS)", "Photo: AFP", "(Yonhap Photo)", "(Photo courtesy of Gen. Lee)"]
    parts = ["Gallery: the week in pictures."]
    for k in range(n_credits):
        words = " ".join(rng.choice(["Troops", "Gen. Kim", "leaders", "U.S. envoys", "walk", "meet", "in", "Seoul", "on", "Aug. 23"]) for _ in range(rng.randint(3, 30)))
        parts.append(f"Picture {k}: {words}.")
        if rng.random() < 0.3:
            parts.append("The event drew crowds, officials said.")
        parts.append(rng.choice(credits))
    parts.append("More pictures tomorrow.")
    return " ".join(parts)


def test_gallery_line_with_200_credits_splits_a_bounded_window_per_credit(monkeypatch):
    """Issue 15: each credit re-split the whole line prefix (twice), quadratic in the line length."""
    import toolkit.cleaning as tc

    line = _gallery_line(200)
    assert len(line) > 20_000
    expected_line, expected_captions = _take_captions_reference(line)
    calls: list[int] = []
    real = tc.split_sentences

    def counting(text: str) -> tuple[str, ...]:
        calls.append(len(text))
        return real(text)

    monkeypatch.setattr(tc, "split_sentences", counting)
    captions: list[str] = []
    removed: Counter[str] = Counter()
    kept = tc._take_captions(line, captions, removed)
    assert (kept, captions) == (expected_line, expected_captions)
    assert len(captions) == removed["caption"] == 200
    assert kept.startswith("Gallery: the week in pictures.") and kept.endswith("More pictures tomorrow.")
    # One split per credit, of at most the window: linear in the line, not quadratic.
    assert len(calls) == 200
    assert max(calls) <= tc._SPLIT_WINDOW
    assert sum(calls) < 200 * tc._SPLIT_WINDOW < len(line) * 200 / 2


@pytest.mark.parametrize("seed", range(12))
def test_fast_caption_removal_matches_the_former_rule(seed):
    import random

    import toolkit.cleaning as tc

    rng = random.Random(seed)
    line = _gallery_line(rng.randint(1, 40), seed=seed)
    if seed % 3 == 0:
        # A sentence longer than the split window before a credit: no caption, credit only.
        line = "Lead. " + "word " * 900 + "end (AP Photo) " + line
    captions: list[str] = []
    assert (tc._take_captions(line, captions, Counter()), captions) == _take_captions_reference(line)


@pytest.mark.parametrize(
    ("line", "dateline", "wire", "rest"),
    [
        ("SEOUL, July 23 (Yonhap) -- South Korea said it would respond.", "SEOUL, July 23", "Yonhap", "South Korea said it would respond."),
        ("TOKYO (AP) \u2014 Japan protested.", "TOKYO", "The Associated Press", "Japan protested."),
        ("WASHINGTON \u2014 The Pentagon said.", "WASHINGTON", None, "The Pentagon said."),
        ("NEW YORK (AP) -- Stocks fell.", "NEW YORK", "The Associated Press", "Stocks fell."),
        # an unknown credit stays with the dateline: nothing is lost
        ("BEIJING (Xinhua News) -- China said.", "BEIJING (Xinhua News)", None, "China said."),
        # a capitalised place counts only when it is a known place (the Hans India seed prints "Seoul:")
        ("Seoul: The top officers vowed.", "Seoul", None, "The top officers vowed."),
        ("Seoul, South Korea \u2014 Talks began.", "Seoul, South Korea", None, "Talks began."),
    ],
)
def test_datelines_with_dates_and_wire_credits(line, dateline, wire, rest):
    out = clean_body([line], REG)
    assert (out.dateline, out.wire, out.lines) == (dateline, wire, [rest])
    assert out.removed["dateline"] == 1 and out.removed["wire_credit"] == (wire is not None)


@pytest.mark.parametrize(
    "line",
    [
        "Trump: We will hit them harder than ever.",
        "Analysis: The talks failed again.",
        "Kim: I will go to Seoul.",
        "Lee Jae-myung: A new start.",
        "ANALYSIS: The talks failed again.",
        "EXCLUSIVE: Officials met in secret.",
        "BREAKING NEWS: Missiles were fired.",
        "FACT CHECK: The claim is false.",
        "Opinion: Seoul must act.",
        "Update: The story changed.",
    ],
)
def test_a_name_or_label_opening_the_body_is_not_a_dateline(line):
    """Issue 13: "Trump: ..." at the start of a body became the dateline."""
    out = clean_body([line], REG)
    assert out.dateline is None and out.lines == [line] and not out.removed["dateline"]


def test_a_trailing_wire_credit_and_a_dateline_credit_agree():
    out = clean_body(["SEOUL (Yonhap) -- The talks began.", "They ended. (Yonhap)"], REG)
    assert (out.dateline, out.wire, out.lines) == ("SEOUL", "Yonhap", ["The talks began.", "They ended."])
