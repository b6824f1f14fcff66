from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsum.models.article import Limits, read_article
from newsum.models.errors import EmptyInput, InputTooLong, InvalidUnicode
from newsum.models.types import Article


def assert_consistent(article: Article) -> None:
    """Offsets slice back; indices, paragraphs, lead and closing agree with each other."""
    text = article.text
    for i, sentence in enumerate(article.sentences):
        assert sentence.index == i
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip()
        assert i in article.paragraphs[sentence.paragraph].sentences
    for p in article.paragraphs:
        assert p.sentences
        assert p.start == article.sentences[p.sentences[0]].start
        assert p.end == article.sentences[p.sentences[-1]].end
    for leftover in article.boilerplate:
        assert text[leftover.start : leftover.end] == leftover.text
        assert all(leftover.end <= s.start or s.end <= leftover.start for s in article.sentences), (
            "boilerplate never lies inside a story sentence"
        )
    assert set(article.lead.sentences) <= set(range(len(article.sentences)))
    if article.closing:
        assert article.closing.sentences
        assert not set(article.closing.sentences) & set(article.lead.sentences)


def test_sample_article_lead_closing_and_trailer(sample_text: str) -> None:
    """Golden: first paragraph is the lead, the one before 'Original Source' the closing."""
    article = read_article(sample_text)
    assert_consistent(article)
    paragraphs = sample_text.splitlines()
    assert article.lead.method == "first_paragraph"
    assert article.lead.text == paragraphs[0]
    assert article.lead.sentences == (0, 1, 2, 3)
    assert article.closing is not None
    assert article.closing.method == "last_paragraph"
    assert article.closing.text == paragraphs[-2]
    assert [(b.kind, b.text) for b in article.boilerplate] == [
        ("source", "Original Source: www.france24.com")
    ]
    assert len(article.paragraphs) == 7
    assert len(article.sentences) == 20
    assert article.language == "en"


def test_standfirst_is_the_lead_and_has_no_sentences(sample_text: str) -> None:
    article = read_article(sample_text, standfirst="  Syria's minister visits Iraq.  ")
    assert article.lead.method == "standfirst"
    assert article.lead.sentences == ()
    assert article.lead.text == "Syria's minister visits Iraq."


def test_text_without_paragraphs_uses_first_and_last_sentences() -> None:
    text = " ".join(f"Sentence number {n} is here." for n in range(1, 9))
    article = read_article(text)
    assert article.lead.method == "first_sentences"
    assert article.lead.sentences == (0, 1, 2)
    assert article.closing is not None
    assert article.closing.method == "last_sentences"
    assert article.closing.sentences == (6, 7)


def test_a_short_article_has_no_closing_of_its_own() -> None:
    article = read_article("One sentence. Two sentences. Three.")
    assert article.closing is None
    assert article.lead.sentences == (0, 1, 2)


def test_a_first_line_without_a_full_stop_is_the_headline_not_the_lead() -> None:
    text = "Minister visits Baghdad\nThe minister arrived on Friday.\nTalks went well."
    article = read_article(text)
    assert article.headline is not None
    assert article.headline.text == "Minister visits Baghdad"
    assert article.lead.text == "The minister arrived on Friday."
    assert article.sentences[0].text == "The minister arrived on Friday."


def test_datelines_and_stamps_are_cut_from_the_first_sentence(
    newsroom_rows: list[dict[str, str]],
) -> None:
    article = read_article(newsroom_rows[1]["article"])  # starts "WASHINGTON — President ..."
    assert_consistent(article)
    assert article.boilerplate[0].text == "WASHINGTON —"
    assert article.sentences[0].text.startswith("President Obama is pressing")


def test_an_article_of_nothing_but_boilerplate_is_taken_as_story() -> None:
    article = read_article("Original Source: www.france24.com")
    assert article.boilerplate == ()
    assert [s.text for s in article.sentences] == ["Original Source: www.france24.com"]


@pytest.mark.parametrize("text", ["", "   ", "\n\r\n\t\u00a0\u2028", "\ufeff\u200b"])
def test_blank_text_is_refused_as_empty_input(text: str) -> None:
    with pytest.raises(EmptyInput, match="empty or only whitespace"):
        read_article(text)


def test_lone_surrogates_are_refused_with_their_position() -> None:
    with pytest.raises(InvalidUnicode, match="index 6"):
        read_article("Hello \ud800 world.")


def test_limits_name_the_limit_and_the_value() -> None:
    with pytest.raises(InputTooLong, match="at most 10; given: 11"):
        read_article("x" * 11, limits=Limits(max_chars=10))
    with pytest.raises(InputTooLong, match="article sentences must be at most 3; given: 4"):
        read_article("A one. B two. C three. D four.", limits=Limits(max_sentences=3))


@pytest.mark.parametrize(
    ("text", "language", "sentences"),
    [
        ("Die Regierung hat am 3. Oktober entschieden. Der Kanzler sprach z. B. "
         "über Steuern.\nDie Opposition protestierte.", "de", 3),
        ("أعلنت الحكومة عن خطة جديدة. وقال الوزير إن الخطة ستبدأ قريبا.\nرحب الناس بالقرار.",
         "ar", 3),
        ("中国政府今天宣布了新的经济计划。总理表示，计划将于明年实施。\n专家对此表示欢迎。",
         "zh", 3),
        ("政府は本日、新しい経済計画を発表した。首相は来年実施すると述べた。\n専門家は歓迎した。",
         "ja", 3),
    ],
)  # fmt: skip
def test_non_english_articles_keep_exact_offsets(text: str, language: str, sentences: int) -> None:
    article = read_article(text)
    assert_consistent(article)
    assert article.language == language
    assert len(article.sentences) == sentences
    assert article.lead.method == "first_paragraph"


@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300).filter(lambda t: t.strip()),
    st.one_of(st.none(), st.sampled_from(["en", "de", "zh", "ar"])),
)
def test_any_text_reads_into_a_consistent_article(text: str, language: str | None) -> None:
    try:
        article = read_article(text, language=language)
    except EmptyInput:
        return  # only invisible characters: strip() keeps some that we trim
    assert_consistent(article)
    assert article.sentences, "non-blank text always has a sentence"
