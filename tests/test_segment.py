"""Sentence splitting and paragraph grouping."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.segment import MAX_PARAGRAPH_CHARS, group_sentences, paragraphs_from_line, split_heading, split_sentences


def test_abbreviations_do_not_end_sentences():
    text = (
        "Adm. Kim Myung-soo met Gen. John Caine in Seoul. S. Korea and the U.S. agreed on it. "
        "The visit is set for Aug. 23 to 24. The chiefs met on Friday (Jul 11), as Trump piled on pressure. "
        "He ranked No. 1 in the poll."
    )
    assert split_sentences(text) == (
        "Adm. Kim Myung-soo met Gen. John Caine in Seoul.",
        "S. Korea and the U.S. agreed on it.",
        "The visit is set for Aug. 23 to 24.",
        "The chiefs met on Friday (Jul 11), as Trump piled on pressure.",
        "He ranked No. 1 in the poll.",
    )


def test_paragraphs_never_break_inside_a_quotation():
    quote = '"We will protect what must be protected. Do not look down on us. We mean it. We will not bend. Never," he said.'
    sentences = ["The reaction in Tokyo was swift.", "Ishiba spoke on Wednesday.", *split_sentences(quote), "It was rare.", "Very rare."]
    pieces = group_sentences(sentences)
    assert any(quote in p.text for p in pieces), [p.text for p in pieces]


def test_grouping_respects_sentence_and_length_limits():
    sentences = [f"Sentence number {i} says something about the talks in Seoul." for i in range(11)]
    pieces = group_sentences(sentences)
    assert [len(split_sentences(p.text)) for p in pieces] == [4, 4, 3]
    long = ["x" * 300 + "."] * 5
    assert all(len(p.text) <= MAX_PARAGRAPH_CHARS for p in group_sentences(long))


def test_inline_subhead_and_deck_are_split_off():
    line = (
        "Calls grow for a fresh declaration to tackle shared challenges The two countries met on Friday. "
        "They agreed on a plan. It was welcomed in Tokyo. Closer, yet still divided Even as pressures mount, obstacles remain. "
        "Experts disagree."
    )
    pieces = paragraphs_from_line(line, first=True)
    kinds = [(p.kind, p.text) for p in pieces]
    assert kinds[0] == ("deck", "Calls grow for a fresh declaration to tackle shared challenges")
    assert ("subhead", "Closer, yet still divided") in kinds
    assert pieces[-1].text.startswith("Even as pressures mount")


def test_ordinary_sentences_are_not_headings():
    for sentence in [
        "Speaking to The Associated Press, the minister denied it.",
        "South Korea pays the US very little for military support, Trump said.",
        "'Future-oriented relations are not about exchanges,' Yang told The Korea Herald.",
        "Lee Ki-tae pointed out that sustainable ties require political will.",
    ]:
        assert split_heading(sentence, min_words=2, max_words=8) is None, sentence


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=80), min_size=1, max_size=12))
def test_grouping_keeps_every_sentence(sentences):
    sentences = [s.strip() for s in sentences if s.strip()]
    pieces = group_sentences(sentences)
    joined = " ".join(p.text for p in pieces)
    for s in sentences:
        # subhead splitting may cut a sentence in two, but never drops words
        for word in s.split():
            assert word in joined
