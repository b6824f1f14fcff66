"""The summary-level support: judged by bigrams when near-extractive and by words when
reworded, monotone, bounded, deterministic, and its language-specific signals silent on
other languages."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsum.models import faithfulness
from newsum.models.article import read_article
from newsum.models.attribution import ArticleEvidence
from newsum.models.embeddings import SentenceEncoder
from newsum.models.faithfulness import MODELS, score, summary_support
from newsum.models.faithfulness_signals import SIGNALS, summary_signals
from newsum.models.types import Article

COPIED = (
    "Shaibani held discussions with Iraqi Foreign Minister Fuad Hussein. "
    "Iraqi officials condemned the massacre of over 1,383 civilians in coastal Syria."
)
INVENTED_NUMBER = COPIED.replace("1,383", "4,200")
INVENTED_NAME = COPIED.replace("Fuad Hussein", "Hoshyar Zebari")
FRENCH = (
    "Le ministre syrien des Affaires étrangères s'est rendu à Bagdad vendredi. "
    "Il a rencontré son homologue irakien pour parler de sécurité. "
    "Les deux pays veulent combattre les restes du groupe État islamique."
)


@pytest.fixture(scope="module")
def article(sample_text: str) -> Article:
    return read_article(sample_text)


@pytest.fixture(scope="module", params=["lexical", "embeddings"])
def evidence(request: pytest.FixtureRequest, article: Article) -> ArticleEvidence:
    encoder = request.getfixturevalue("encoder") if request.param == "embeddings" else None
    return ArticleEvidence(article, encoder)


def support_of(evidence: ArticleEvidence, summary: str) -> float:
    whole = summary_support(evidence, evidence.attribute(summary))
    assert whole is not None
    return whole.support


@pytest.mark.parametrize("changed", [INVENTED_NUMBER, INVENTED_NAME], ids=["number", "name"])
@pytest.mark.parametrize("case", [str, str.lower], ids=["cased", "lower-cased"])
def test_a_copy_scores_above_the_same_summary_with_an_invented_fact(
    evidence: ArticleEvidence, changed: str, case: object
) -> None:
    lower = case is str.lower
    copied, invented = (COPIED.lower(), changed.lower()) if lower else (COPIED, changed)
    assert support_of(evidence, copied) > support_of(evidence, invented)


def test_a_copy_is_likely_supported_and_an_unrelated_summary_is_not(
    evidence: ArticleEvidence,
) -> None:
    assert support_of(evidence, COPIED) > 0.8
    unrelated = "The central bank raised interest rates by half a point to curb inflation."
    assert support_of(evidence, unrelated) < 0.5


def test_uses_the_encoder_signal_only_when_an_encoder_is_loaded(evidence: ArticleEvidence) -> None:
    whole = summary_support(evidence, evidence.attribute(COPIED))
    assert whole is not None
    with_encoder = evidence.encoder is not None
    mode = "embeddings" if with_encoder else "lexical"
    assert set(whole.signals) == set(MODELS[mode].signals)
    assert ("weakest_similarity" in whole.signals) == (
        with_encoder and "weakest_similarity" in MODELS["embeddings"].coefficients
    )


@given(summary=st.text(min_size=1, max_size=300))
def test_bounded_and_deterministic_for_any_summary(article: Article, summary: str) -> None:
    evidence = ArticleEvidence(article)
    first = summary_support(evidence, evidence.attribute(summary))
    second = summary_support(ArticleEvidence(article), evidence.attribute(summary))
    assert first == second
    if first is not None:
        assert 0.0 <= first.support <= 1.0


MODES = sorted(MODELS)
unit = st.floats(min_value=0.0, max_value=1.0)


def support_from(mode: str, unigrams: float, bigrams: float, weakest: float = 0.8) -> float:
    signals = {"precision_1": unigrams, "precision_2": bigrams, "weakest_support": weakest}
    return score(signals, mode).support


@pytest.mark.parametrize("mode", MODES)
def test_a_near_extractive_summary_is_judged_by_its_bigrams(mode: str) -> None:
    floor = MODELS[mode].unigram_floor
    bigrams = (1 + floor) / 2  # above the floor: most bigrams copied
    # Its words do not move it; its bigrams do.
    assert support_from(mode, 1.0, bigrams) == support_from(mode, bigrams, bigrams)
    assert support_from(mode, 1.0, bigrams) < support_from(mode, 1.0, 1.0)


@pytest.mark.parametrize("mode", MODES)
def test_a_reworded_summary_is_judged_by_its_words(mode: str) -> None:
    # Few bigrams copied (an XSum-style summary): more of them do not move it; its words do.
    assert support_from(mode, 0.9, 0.3) == support_from(mode, 0.9, 0.6)
    assert support_from(mode, 0.7, 0.3) < support_from(mode, 0.9, 0.3)
    # It sits below a near-extractive summary whose sentences are as well supported.
    assert support_from(mode, 0.95, 0.6) < support_from(mode, 0.95, MODELS[mode].unigram_floor)


@pytest.mark.parametrize("mode", MODES)
@given(unigrams=unit, bigrams=unit, weakest=unit, more=unit)
def test_more_copied_or_better_supported_never_lowers_support(
    mode: str, unigrams: float, bigrams: float, weakest: float, more: float
) -> None:
    base = support_from(mode, unigrams, bigrams, weakest)
    assert 0.0 <= base <= 1.0
    assert support_from(mode, max(unigrams, more), bigrams, weakest) >= base
    assert support_from(mode, unigrams, max(bigrams, more), weakest) >= base
    assert support_from(mode, unigrams, bigrams, max(weakest, more)) >= base


def test_a_reworded_summary_scores_above_the_same_with_invented_words(
    evidence: ArticleEvidence,
) -> None:
    """The article's words in new order (few copied bigrams): an invented word costs."""
    reworded = "Hussein and Shaibani held discussions about civilians in coastal Syria."
    invented = "Hussein and Shaibani held discussions about refugees in northern Lebanon."
    signals = summary_signals(evidence, evidence.attribute(reworded))
    assert (signals["precision_2"] or 0.0) < MODELS["lexical"].unigram_floor
    assert support_of(evidence, reworded) > support_of(evidence, invented)


def test_no_sentences_no_support(article: Article) -> None:
    assert summary_support(ArticleEvidence(article), ()) is None


def test_extreme_signals_stay_within_bounds() -> None:
    for value in (-1e9, 1e9):
        for mode, model in MODELS.items():
            signals: dict[str, float | None] = dict.fromkeys(model.signals, value)
            assert 0.0 <= score(signals, mode).support <= 1.0


def test_the_fitted_models_are_well_formed() -> None:
    assert set(MODELS) == {"lexical", "embeddings"}
    known = set(SIGNALS)
    for model in MODELS.values():
        assert faithfulness.COPIED in model.coefficients, "the n-gram precisions are read"
        assert 0.0 < model.unigram_floor < 1.0
        assert set(model.signals) <= known
        for c in model.coefficients.values():
            assert c.scale > 0
            assert math.isfinite(c.weight)
            assert math.isfinite(c.mean)


def test_named_signals_are_the_same_as_computed_with_all(evidence: ArticleEvidence) -> None:
    sentences = evidence.attribute(INVENTED_NUMBER)
    every = summary_signals(evidence, sentences)
    assert set(every) == set(SIGNALS)
    named = summary_signals(evidence, sentences, names=["precision_2", "missing_numbers"])
    assert named == {"precision_2": every["precision_2"], "missing_numbers": 1.0}


def test_a_negation_flip_against_the_best_source_is_counted(article: Article) -> None:
    evidence = ArticleEvidence(article)
    kept = "Shaibani held discussions with Iraqi Foreign Minister Fuad Hussein."
    flipped = "Shaibani did not hold discussions with Iraqi Foreign Minister Fuad Hussein."
    assert summary_signals(evidence, evidence.attribute(kept))["negation_flips"] == 0
    assert summary_signals(evidence, evidence.attribute(flipped))["negation_flips"] == 1


def test_english_only_cues_are_silent_on_another_language() -> None:
    article = read_article(FRENCH)
    assert article.language == "fr"
    evidence = ArticleEvidence(article)
    summary = "Le ministre ne s'est pas rendu à Bagdad."
    signals = summary_signals(evidence, evidence.attribute(summary))
    assert signals["negation_flips"] is None
    whole = summary_support(evidence, evidence.attribute(summary))
    assert whole is not None
    assert "negation_flips" not in whole.signals
    assert 0.0 <= whole.support <= 1.0


def test_a_wrong_magnitude_is_told_from_an_invented_number() -> None:
    evidence = ArticleEvidence(read_article("The company lost $1.2 billion last year. It said so."))
    wrong_scale = evidence.attribute("The company lost $1.2 million last year.")
    invented = evidence.attribute("The company lost $7.5 billion last year.")
    assert summary_signals(evidence, wrong_scale)["magnitude_mismatches"] == 1
    assert summary_signals(evidence, invented)["magnitude_mismatches"] == 0
    assert summary_signals(evidence, invented)["missing_numbers"] == 1


def test_two_names_never_named_together_are_a_fusion_even_lower_cased() -> None:
    text = (
        "Police in Dallas arrested a man on Monday. He was held overnight.\n"
        "Reporters asked many questions about the case. Nobody answered them.\n"
        "Officials in Boston opened a new library. It has many books."
    )
    evidence = ArticleEvidence(read_article(text))
    fused = evidence.attribute("police in boston arrested a man on monday.")
    kept = evidence.attribute("police in dallas arrested a man on monday.")
    assert summary_signals(evidence, fused)["entity_fusions"] == 1
    assert summary_signals(evidence, kept)["entity_fusions"] == 0


def test_copied_fragments_count_per_n(article: Article) -> None:
    evidence = ArticleEvidence(article)
    signals = summary_signals(evidence, evidence.attribute(COPIED))
    assert [signals[f"precision_{n}"] for n in (1, 2, 3, 4)] == [1.0, 1.0, 1.0, 1.0]
    shuffled = "Hussein condemned coastal civilians over discussions with Syria massacre."
    shuffled_signals = summary_signals(evidence, evidence.attribute(shuffled))
    assert shuffled_signals["precision_1"] == 1.0
    assert (shuffled_signals["precision_2"] or 0.0) < 0.5


def test_an_encoder_adds_the_similarity_signal(article: Article, encoder: SentenceEncoder) -> None:
    evidence = ArticleEvidence(article, encoder)
    signals = summary_signals(evidence, evidence.attribute(COPIED))
    # Both sentences are copied, the first without its opening "During his time in Baghdad,".
    assert (signals["weakest_similarity"] or 0.0) > 0.85
    assert (
        summary_signals(ArticleEvidence(article), evidence.attribute(COPIED))["weakest_similarity"]
        is None
    )
