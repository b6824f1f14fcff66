from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer

from newsum.models.article import read_article
from newsum.models.attribution import ArticleEvidence
from newsum.models.compare import (
    ROUGE_TYPES,
    UnicodeTokenizer,
    closing_tokens,
    compare,
    lead_tokens,
    lead_vs_closing,
    position,
    rouge,
)
from newsum.models.embeddings import SentenceEncoder
from newsum.models.summarize import attribute_summary
from newsum.models.terms import rouge_tokens
from newsum.models.types import Added, Article, Comparison, Kept

# rouge-score's own scorer with our tokenizer: what `rouge` must equal exactly.
REFERENCE_SCORER = rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=UnicodeTokenizer())
# A small vocabulary, so random texts share words, bigrams and long subsequences;
# mixed case, punctuation and a non-Latin script go through the tokenizer too.
WORDS = st.sampled_from(["the", "The", "cat", "sat", "on", "mat", "x", "1,5", "Ça", "猫", "—", "."])
TEXTS = st.lists(WORDS, max_size=40).map(" ".join)


def assert_same_as_rouge_score(summary: str, reference: str) -> None:
    expected = REFERENCE_SCORER.score(reference, summary)
    actual = rouge(summary, reference)
    assert actual.rouge1 == expected["rouge1"].fmeasure
    assert actual.rouge2 == expected["rouge2"].fmeasure
    assert actual.rougeL == expected["rougeL"].fmeasure


@given(summary=TEXTS, reference=TEXTS)
def test_rouge_equals_rouge_scores_own_scorer(summary: str, reference: str) -> None:
    """ROUGE-1/2/L F1 are rouge-score's, to the bit (ROUGE-L's LCS comes from rapidfuzz)."""
    assert_same_as_rouge_score(summary, reference)


def test_rouge_equals_rouge_score_on_the_sample_article(sample_text: str) -> None:
    article = read_article(sample_text)
    assert article.closing is not None
    pairs = [
        (article.closing.text, article.lead.text),
        (sample_text, article.lead.text),
        (article.lead.text, sample_text),
        (article.sentences[4].text, article.sentences[5].text),
    ]
    for summary, reference in pairs:
        assert_same_as_rouge_score(summary, reference)


def test_rouge_l_of_long_texts_is_fast() -> None:
    """Two 7,000-word texts: rouge-score's LCS table took ~11 s here; the bit-parallel one ms."""
    first = " ".join(f"w{i % 5000}" for i in range(7_000))
    second = " ".join(f"w{(i * 7) % 5000}" for i in range(7_000))
    started = time.process_time()
    scores = rouge(first, second)
    assert time.process_time() - started < 1.0
    assert 0 < scores.rougeL < 1


def test_identical_texts_score_one_and_disjoint_texts_zero() -> None:
    # Case-insensitive, punctuation ignored.
    assert rouge("The cat sat.", "the CAT sat").rouge1 == 1.0
    same = rouge("The cat sat on the mat.", "The cat sat on the mat.")
    assert (same.rouge1, same.rouge2, same.rougeL) == (1.0, 1.0, 1.0)
    none = rouge("dogs bark loudly", "cats purr softly")
    assert (none.rouge1, none.rouge2, none.rougeL) == (0.0, 0.0, 0.0)


def test_hand_computed_example() -> None:
    # 7 summary tokens, 6 reference tokens, all 6 shared: P 6/7, R 1, F1 12/13.
    scores = rouge("the cat was found under the bed", "the cat was under the bed")
    assert scores.rouge1 == pytest.approx(12 / 13)
    # 8 summary tokens, 6 shared: P 6/8, R 1.
    # Bigrams: 7 in the summary, 5 in the reference, 4 shared (the-cat, cat-was,
    # under-the, the-bed): P 4/7, R 4/5. LCS = the whole reference, as ROUGE-1.
    scores = rouge("the cat was found under the bed tonight", "the cat was under the bed")
    assert scores.rouge1 == pytest.approx(2 * 0.75 * 1 / 1.75)
    assert scores.rouge2 == pytest.approx(2 * (4 / 7) * (4 / 5) / ((4 / 7) + (4 / 5)))
    assert scores.rougeL == pytest.approx(scores.rouge1)


@pytest.mark.parametrize(
    ("summary", "reference"),
    [
        ("中国政府宣布新计划", "政府宣布了新的经济计划"),
        ("Правительство объявило план", "правительство объявило новый план"),
        ("أعلنت الحكومة خطة", "أعلنت الحكومة عن خطة جديدة"),
    ],
)
def test_non_latin_scripts_do_not_score_zero(summary: str, reference: str) -> None:
    assert rouge(summary, reference).rouge1 > 0.3


def test_position_shares_follow_lead_body_and_closing(sample_text: str) -> None:
    article = read_article(sample_text)
    # lead = 0-3, closing = 17-19, the rest is body
    shares = position(article, [0, 5, 9, 18])
    assert (shares.lead, shares.body, shares.closing) == (0.25, 0.5, 0.25)
    assert position(article, []) == position(article, ())
    assert position(article, []).lead == 0.0


def test_with_a_standfirst_nothing_counts_as_lead(sample_text: str) -> None:
    article = read_article(sample_text, standfirst="Syria's minister visits Iraq.")
    shares = position(article, [0, 18])
    assert (shares.lead, shares.body, shares.closing) == (0.0, 0.5, 0.5)


def compared(article: Article, summary: str, encoder: SentenceEncoder | None = None) -> Comparison:
    evidence = ArticleEvidence(article, encoder)
    sentences = evidence.attribute(summary)
    return compare(article, summary, sentences, evidence.encode if encoder else None)


def test_compare_against_lead_and_closing(sample_text: str) -> None:
    article = read_article(sample_text)
    assert article.closing is not None
    comparison = compared(article, article.lead.text)
    assert comparison.vs_lead.rouge1 == 1.0
    # The lead itself keeps every lead sentence, each by its own copy, and adds nothing.
    assert comparison.vs_lead.kept == tuple(Kept(i, (i,), 1.0) for i in range(4))
    assert comparison.vs_lead.dropped == ()
    assert comparison.vs_lead.added == ()
    assert comparison.vs_closing is not None
    assert 0 < comparison.vs_closing.rouge1 < 1
    # Every source is counted, strong alternatives in the body and closing too.
    assert comparison.position.lead > 0.5
    both = lead_vs_closing(article)
    assert both is not None
    assert both.rouge1 == comparison.vs_closing.rouge1


def test_a_lead_sentence_and_a_body_sentence_keep_one_and_add_one(sample_text: str) -> None:
    """The page's case: lead sentence 1 kept, lead 2-4 dropped, the body sentence added."""
    article = read_article(sample_text)
    summary = f"{article.sentences[0].text} {article.sentences[9].text}"
    versus = compared(article, summary).vs_lead
    assert [(k.sentence, k.by) for k in versus.kept] == [(0, (0,))]
    assert versus.dropped == (1, 2, 3)
    assert versus.added == (Added(1, "body"),)


def test_embeddings_keep_the_same_split(sample_text: str, encoder: SentenceEncoder) -> None:
    article = read_article(sample_text)
    summary = f"{article.sentences[0].text} {article.sentences[9].text}"
    versus = compared(article, summary, encoder).vs_lead
    assert [k.sentence for k in versus.kept] == [0]
    assert versus.dropped == (1, 2, 3)
    assert versus.added == (Added(1, "body"),)


def test_added_sentences_say_where_their_support_lies(sample_text: str) -> None:
    article = read_article(sample_text)
    summary = (
        f"{article.sentences[18].text} {article.sentences[12].text} "
        "Penguins in Antarctica elected a new colony leader on Tuesday."
    )
    versus = compared(article, summary).vs_lead
    assert versus.added == (Added(0, "closing"), Added(1, "body"), Added(2, "none"))
    # Sentence 12 tells of the IS leader's killing that lead sentence 2 announces: it
    # keeps that lead sentence, and adds to it (the leader's name and title).
    assert [(k.sentence, k.by) for k in versus.kept] == [(1, (1,))]


def test_the_closing_restates_one_lead_sentence_and_adds_three(sample_text: str) -> None:
    article = read_article(sample_text)
    both = lead_vs_closing(article)
    assert both is not None
    assert [(k.sentence, k.by) for k in both.kept] == [(0, (17,))]
    assert 0.25 <= both.kept[0].score <= 1
    assert both.dropped == (1, 2, 3)
    assert both.added == tuple(Added(i, "closing") for i in (17, 18, 19))


def test_a_standfirst_is_compared_by_its_own_sentences(sample_text: str) -> None:
    standfirst = "Syria's foreign minister visited Iraq. Penguins voted for a new leader."
    article = read_article(sample_text, standfirst=standfirst)
    report = attribute_summary(article, article.sentences[0].text)
    spans = report.article.lead.spans
    assert [standfirst[s.start : s.end] for s in spans] == [s.text for s in spans]
    assert len(spans) == 2
    versus = report.comparison.vs_lead
    assert [k.sentence for k in versus.kept] == [0]
    assert versus.dropped == (1,)
    # Nothing of the text is lead with a standfirst: support lies in the body.
    assert all(a.support_in == "body" for a in versus.added)


def test_a_summary_of_punctuation_keeps_nothing(sample_text: str) -> None:
    article = read_article(sample_text)
    versus = compared(article, "— …").vs_lead
    assert versus.kept == ()
    assert versus.dropped == (0, 1, 2, 3)


def test_without_closing_there_is_no_closing_comparison() -> None:
    article = read_article("One sentence. Two sentences. Three.")
    assert compared(article, "One sentence.").vs_closing is None
    assert lead_vs_closing(article) is None


# Paragraphs whose sentences end in words, digits, quotes, apostrophes and
# scripts written without spaces, so that joining them by spaces is tested.
PIECES = [
    "Ministers met in Baghdad on Friday. Talks went well",
    "The deal’s terms were 1,400 troops. “It works,” he said.",
    "東京で会議が開かれた。合意は来週。",
    "Officials' statements differ. Nothing O'Brien said was new.",
    "Il a dit ça. Économie et défense",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=2, max_size=12))
def test_lead_and_closing_tokens_are_those_of_their_text(pieces: list[str]) -> None:
    """The lead's and closing's ROUGE tokens, taken from the article's analysed
    sentences, equal tokenising their joined text afresh."""
    article = read_article("\n\n".join(pieces))
    assert lead_tokens(article) == rouge_tokens(article.lead.text)
    if article.closing is not None:
        assert closing_tokens(article) == rouge_tokens(article.closing.text)
