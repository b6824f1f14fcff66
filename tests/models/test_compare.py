from __future__ import annotations

import pytest

from models.article import read_article
from models.compare import compare, lead_vs_closing, position, rouge


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


def test_compare_against_lead_and_closing(sample_text: str) -> None:
    article = read_article(sample_text)
    assert article.closing is not None
    comparison = compare(article, article.lead.text, article.lead.sentences)
    assert comparison.vs_lead.rouge1 == 1.0
    assert comparison.vs_closing is not None
    assert 0 < comparison.vs_closing.rouge1 < 1
    assert comparison.position.lead == 1.0
    both = lead_vs_closing(article)
    assert both is not None
    assert both.rouge1 == comparison.vs_closing.rouge1


def test_without_closing_there_is_no_closing_comparison() -> None:
    article = read_article("One sentence. Two sentences. Three.")
    assert compare(article, "One sentence.", [0]).vs_closing is None
    assert lead_vs_closing(article) is None
