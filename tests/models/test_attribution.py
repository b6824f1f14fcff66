"""Attribution on hand-checked sentences of published summarisers (Newsroom dev outputs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsum.models import attribution
from newsum.models.article import read_article
from newsum.models.attribution import MIN_SOURCE_SCORE, ArticleEvidence, _lexical, words_of
from newsum.models.embeddings import SentenceEncoder
from newsum.models.summarize import attribute_summary, summarize
from newsum.models.types import Article

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def articles() -> dict[str, Article]:
    with (DATA / "newsroom_sample.jsonl").open(encoding="utf-8") as handle:
        return {row["id"]: read_article(row["article"]) for row in map(json.loads, handle)}


@pytest.fixture(scope="module", params=["lexical", "embeddings"])
def evidence_for(request: pytest.FixtureRequest, articles: dict[str, Article]) -> object:
    encoder = request.getfixturevalue("encoder") if request.param == "embeddings" else None
    return lambda key: ArticleEvidence(articles[key], encoder)


def test_a_copied_sentence_maps_to_its_source(
    evidence_for: object, system_outputs: dict[tuple[str, str], str]
) -> None:
    summary = system_outputs[("newsroom-humaneval-144", "pointer_c")]
    sentences = evidence_for("newsroom-humaneval-144").attribute(summary)  # type: ignore[operator]
    copied = next(s for s in sentences if s.text.startswith("Mug shots"))
    assert copied.attributions[0].sentence == 3
    assert copied.attributions[0].score > 0.9
    assert copied.support > 0.9


def test_a_fused_sentence_maps_to_both_sources(
    evidence_for: object, system_outputs: dict[tuple[str, str], str]
) -> None:
    # "...police found their filthy home contained drug paraphernalia ... [sentence 0]
    #  ... the little rock air force base, appeared on the first season ... [sentence 2]"
    summary = system_outputs[("newsroom-humaneval-144", "pointer_s")]
    (sentence,) = evidence_for("newsroom-humaneval-144").attribute(summary)  # type: ignore[operator]
    assert {0, 2} <= {a.sentence for a in sentence.attributions}
    assert sentence.attributions[0].sentence == 0


def test_an_invented_number_is_flagged(
    evidence_for: object, system_outputs: dict[tuple[str, str], str]
) -> None:
    # The article has "16 and Pregnant" and no 17.
    summary = system_outputs[("newsroom-humaneval-144", "pointer_c")]
    sentences = evidence_for("newsroom-humaneval-144").attribute(summary)  # type: ignore[operator]
    invented = next(s for s in sentences if s.text.startswith("When 17"))
    assert invented.unsupported == ("17",)
    assert invented.support is not None
    assert invented.support < 0.3


def test_a_sentence_about_something_absent_gets_low_support(
    evidence_for: object, system_outputs: dict[tuple[str, str], str]
) -> None:
    summary = system_outputs[("newsroom-humaneval-8607", "abstractive")]  # "usatoday.com coverage"
    (sentence,) = evidence_for("newsroom-humaneval-8607").attribute(summary)  # type: ignore[operator]
    assert sentence.support is not None
    assert sentence.support < 0.15
    assert sentence.attributions == ()


def test_offsets_slice_back_into_the_summary(
    evidence_for: object, system_outputs: dict[tuple[str, str], str]
) -> None:
    summary = system_outputs[("newsroom-humaneval-8607", "pointer_n")]
    sentences = evidence_for("newsroom-humaneval-8607").attribute(summary)  # type: ignore[operator]
    assert len(sentences) == 2
    for sentence in sentences:
        assert summary[sentence.start : sentence.end] == sentence.text
        assert all(0 <= a.score <= 1 for a in sentence.attributions)
        assert sentence.attributions == tuple(sorted(sentence.attributions, key=lambda a: -a.score))


def test_embeddings_find_a_paraphrase_that_shares_few_words(
    sample_text: str, encoder: SentenceEncoder
) -> None:
    article = read_article(sample_text)
    # Sentence 14: "Hussein conveyed Iraq's concerns regarding recent allegations of
    # mass killings targeting the Alawite minority within Syria."
    paraphrase = (
        "Iraq voiced worry about reports that members of a religious minority in Syria "
        "were slaughtered."
    )
    (lexical,) = ArticleEvidence(article).attribute(paraphrase)
    (semantic,) = ArticleEvidence(article, encoder).attribute(paraphrase)
    assert semantic.attributions
    assert semantic.attributions[0].sentence == 14
    assert semantic.support is not None
    assert lexical.support is not None
    assert semantic.support > lexical.support


def test_extractive_sentences_are_their_own_exact_source(sample_text: str) -> None:
    report = summarize(read_article(sample_text), methods=["textrank"])
    assert report.summaries.textrank is not None
    for sentence in report.summaries.textrank.sentences:
        assert [(a.sentence, a.score) for a in sentence.attributions] == [
            (sentence.source_sentences[0], 1.0)
        ]
        assert sentence.support == 1.0


def test_attribute_summary_compares_with_lead_and_closing(sample_text: str) -> None:
    article = read_article(sample_text)
    summary = (
        "Syria’s interim Foreign Minister Asaad al-Shaibani visited Iraq to emphasize "
        "cooperation in combating IS remnants. The engagement highlights both nations’ desire "
        "to address security challenges amidst complex political relations."
    )
    report = attribute_summary(article, summary)
    assert [s.attributions[0].sentence for s in report.sentences] == [0, 18]
    assert report.comparison.position.lead > 0
    assert report.comparison.position.closing > 0
    assert report.comparison.vs_lead.rouge1 > 0.2


WORDS = "minister iraq syria talks security border visit state group deal oil the of".split()
SENTENCES = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(
    lambda words: " ".join(words).capitalize() + "."
)


@given(article=st.lists(SENTENCES, min_size=1, max_size=12), summary=SENTENCES)
def test_indexed_scores_and_cover_are_the_pairwise_definitions(
    article: list[str], summary: str
) -> None:
    """The inverted index gives every article sentence `_lexical`'s score, and the cover
    is the greedy one of the module docstring, ties to the higher score, then the earlier."""
    evidence = ArticleEvidence(read_article(" ".join(article), language="en"))
    words = words_of(summary, "en")
    pairwise = np.array([_lexical(words, candidate) for candidate in evidence._words])
    assert np.array_equal(evidence._lexical_scores(words), pairwise)

    scores = pairwise
    sources = [int(np.argmax(scores))]
    covered = set(words.terms & evidence._words[sources[0]].terms)
    while len(sources) < 3:
        gains = [
            (len((words.terms & candidate.terms) - covered), i)
            for i, candidate in enumerate(evidence._words)
            if i not in sources and scores[i] >= MIN_SOURCE_SCORE
        ]
        if not gains:
            break
        gain, chosen = max(gains, key=lambda g: (g[0], scores[g[1]], -g[1]))
        if gain / len(words.terms) < 0.2:
            break
        sources.append(chosen)
        covered |= words.terms & evidence._words[chosen].terms
    assert evidence._cover(words, scores) == sources


def test_a_long_summary_is_not_scored_pair_by_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    """400 summary sentences against 2,000 article sentences: the index scores them all;
    `_lexical` runs for the chosen sources only (it ran 800,000 times, 2.3 s)."""
    article = read_article(
        "\n".join(f"Topic{i % 700} met topic{(i * 7) % 700} on day {i}." for i in range(2_000))
    )
    summary = " ".join(f"Topic{i} met topic{(i * 3) % 700} again." for i in range(400))
    calls = 0
    pairwise = attribution._lexical

    def counted(*args: Any) -> float:
        nonlocal calls
        calls += 1
        return pairwise(*args)

    monkeypatch.setattr(attribution, "_lexical", counted)
    sentences = ArticleEvidence(article).attribute(summary)
    assert len(sentences) == 400
    assert all(s.attributions for s in sentences)
    assert calls <= 3 * len(sentences)
