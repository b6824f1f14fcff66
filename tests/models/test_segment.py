from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsum.models.segment import _lines, is_blank, split_paragraphs, split_sentences


def sentences_of(text: str, language: str = "en") -> list[str]:
    return [
        text[start:end]
        for p_start, p_end in split_paragraphs(text)
        for start, end in split_sentences(text, p_start, p_end, language)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. Army won. Dr. Smith agreed.",
            ["The U.S. Army won.", "Dr. Smith agreed."],
        ),
        (
            "He lives at No. 10 Downing St. in London. It was e.g. fine, i.e. good.",
            ["He lives at No. 10 Downing St. in London.", "It was e.g. fine, i.e. good."],
        ),
        (
            "Prices rose 3.5 percent to $1.25 billion. Then J. R. R. Tolkien arrived.",
            ["Prices rose 3.5 percent to $1.25 billion.", "Then J. R. R. Tolkien arrived."],
        ),
        (
            "“I am here,” he said. “Are you?” She nodded.",
            ["“I am here,” he said.", "“Are you?”", "She nodded."],
        ),
        (
            'Gen. Smith said: "No." Mr. and Mrs. Jones left at 3 a.m. The end!',
            ['Gen. Smith said: "No."', "Mr. and Mrs. Jones left at 3 a.m.", "The end!"],
        ),
        (
            "I.B.M. Corp. rose 5 pct. to 120.5 on Friday. Analysts cheered.",
            ["I.B.M. Corp. rose 5 pct. to 120.5 on Friday.", "Analysts cheered."],
        ),
    ],
)
def test_english_news_abbreviations_decimals_initials_and_quotes(
    text: str, expected: list[str]
) -> None:
    assert sentences_of(text) == expected


def test_paragraphs_are_lines_and_blank_lines_separate_nothing_more() -> None:
    text = "First para.\r\n\r\nSecond para.\nThird para.\n\n\n"
    assert [text[s:e] for s, e in split_paragraphs(text)] == [
        "First para.",
        "Second para.",
        "Third para.",
    ]


def test_a_line_break_inside_a_sentence_is_a_wrap_not_a_paragraph() -> None:
    text = "The minister arrived in Baghdad and\nsaid on Monday that talks went well.\nNew line."
    paragraphs = split_paragraphs(text)
    assert len(paragraphs) == 2
    start, end = paragraphs[0]
    assert [text[s:e] for s, e in split_sentences(text, start, end, "en")] == [
        "The minister arrived in Baghdad and\nsaid on Monday that talks went well."
    ]


@pytest.mark.parametrize(
    ("text", "language", "count"),
    [
        ("Tabs\there. NBSP\u00a0here.\r\nCRLF line.", "en", 3),
        ("Emoji 😀 here. Family 👨‍👩‍👧 too! Done.", "en", 3),
        ("Cafe\u0301 is open. Zoe\u0308 left.", "en", 2),
        ("Der Hund läuft am 3. Oktober über die Straße. Er bellt z. B. laut.", "de", 2),
        ("مرحبا بالعالم. هذه جملة ثانية؟ نعم.", "ar", 3),
        ("我爱北京。天安门很大！你好吗？", "zh", 3),
        ("今日は晴れです。明日は雨でしょう。", "ja", 2),
        ("שלום עולם. זה משפט שני.", "he", 2),
    ],
)
def test_scripts_and_odd_characters_keep_exact_offsets(
    text: str, language: str, count: int
) -> None:
    sentences = sentences_of(text, language)
    assert len(sentences) == count
    # Offsets slice back, and nothing but blanks lies between sentences.
    assert "".join(c for s in sentences for c in s if not is_blank(c)) == "".join(
        c for c in text if not is_blank(c)
    )


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_spans_are_ordered_trimmed_and_cover_every_visible_character(text: str) -> None:
    covered = [False] * len(text)
    previous_end = 0
    for p_start, p_end in split_paragraphs(text):
        assert previous_end <= p_start < p_end <= len(text)
        for start, end in split_sentences(text, p_start, p_end, "en"):
            assert previous_end <= start < end <= p_end
            assert not is_blank(text[start])
            assert not is_blank(text[end - 1])
            covered[start:end] = [True] * (end - start)
            previous_end = end
        previous_end = p_end
    assert all(covered[i] or is_blank(char) for i, char in enumerate(text))


def lines_one_character_at_a_time(text: str) -> list[tuple[int, int]]:
    """The definition `_lines` implements with one regex: CRLF is one break."""
    lines, start, i = [], 0, 0
    while i < len(text):
        if text[i] in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029":
            lines.append((start, i))
            i += 2 if text.startswith("\r\n", i) else 1
            start = i
        else:
            i += 1
    return [*lines, (start, len(text))]


@given(st.text(alphabet="ab \n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", max_size=60))
def test_lines_break_at_every_line_terminator(text: str) -> None:
    assert _lines(text) == lines_one_character_at_a_time(text)
    # str.splitlines() knows the same terminators, and drops an empty last line.
    pieces = [text[s:e] for s, e in _lines(text)]
    assert pieces[:-1] + ([pieces[-1]] if pieces[-1] else []) == text.splitlines()
