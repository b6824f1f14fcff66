"""A summary set against the article's own lead and closing: ROUGE overlap, what it
keeps, drops and adds (`models.coverage`), and where its sources lie.

ROUGE (Lin 2004) is F1, case-folded, without stemming, on our Unicode tokens
(`models.terms.rouge_tokens`: words of every script, single characters for
scripts written without spaces) in place of rouge-score's default tokenizer,
which keeps only [a-z0-9] and so scores any non-Latin text 0 by construction.
ROUGE-1 and ROUGE-2 are counted by Google's `rouge-score` package. ROUGE-L's
longest common subsequence comes from rapidfuzz's bit-parallel LCS (Hyyrö
2004): O(n·m/64) machine-word steps and O(n) memory, where rouge-score fills
an n×m table of Python integers (11 s and gigabytes for two 7,000-word
paragraphs); the F1 it gives is rouge-score's, to the bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from rapidfuzz.distance import LCSseq
from rouge_score import rouge_scorer, scoring, tokenizers

from newsum.models import coverage
from newsum.models.coverage import Encode, Side
from newsum.models.terms import rouge_tokens
from newsum.models.types import (
    Article,
    Attribution,
    Comparison,
    Position,
    Rouge,
    SupportPlace,
    Versus,
)

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


class UnicodeTokenizer(tokenizers.Tokenizer):  # type: ignore[misc]
    """rouge-score tokenizer over `models.terms.rouge_tokens`."""

    def tokenize(self, text: str) -> list[str]:
        return rouge_tokens(text)


def rouge(summary: str, reference: str) -> Rouge:
    """ROUGE-1/2/L F1 of `summary` against `reference`, each in [0, 1]."""
    return _rouge(rouge_tokens(summary), rouge_tokens(reference))


def position(article: Article, source_sentences: Iterable[int]) -> Position:
    """Shares of the source sentences that lie in the lead, the body and the closing.

    Each source sentence counts once. With a standfirst the lead has no
    sentences in the text, so nothing is counted as lead. No sources: all zero.
    """
    sources = set(source_sentences)
    if not sources:
        return Position(lead=0.0, body=0.0, closing=0.0)
    lead = sources & set(article.lead.sentences)
    closing = (sources & set(article.closing.sentences)) - lead if article.closing else set()
    body = len(sources) - len(lead) - len(closing)
    return Position(
        lead=len(lead) / len(sources),
        body=body / len(sources),
        closing=len(closing) / len(sources),
    )


class SummarySentence(Protocol):
    """A sentence of any summary, attributed: extracted, generated or an editor's."""

    @property
    def text(self) -> str: ...

    @property
    def attributions(self) -> tuple[Attribution, ...]: ...


def support_place(article: Article, attributions: Sequence[Attribution]) -> SupportPlace:
    """The article part of the best source: lead, body or closing; none without a source."""
    if not attributions:
        return "none"
    best = attributions[0].sentence
    if best in article.lead.sentences:
        return "lead"
    if article.closing and best in article.closing.sentences:
        return "closing"
    return "body"


def compare(
    article: Article,
    summary: str,
    sentences: Sequence[SummarySentence],
    encode: Encode | None = None,
) -> Comparison:
    """`summary` (split into `sentences`) against the lead and the closing.

    ROUGE, kept / dropped / added, and where its sources lie. With `encode`
    (the attribution's cached encoder), coverage uses embeddings as well.
    """
    tokens = rouge_tokens(summary)
    mine = coverage.side(
        range(len(sentences)), [s.text for s in sentences], article.language, encode
    )
    places = [support_place(article, s.attributions) for s in sentences]
    closing = coverage.closing_side(article, encode)
    return Comparison(
        vs_lead=_versus(
            tokens, lead_tokens(article), mine, coverage.lead_side(article, encode), places
        ),
        vs_closing=_versus(tokens, closing_tokens(article), mine, closing, places)
        if article.closing and closing
        else None,
        # The position shares count every article sentence the summary rests on.
        position=position(article, (a.sentence for s in sentences for a in s.attributions)),
    )


def lead_vs_closing(article: Article) -> Versus | None:
    """The closing as a summary of the lead: does it restate it, or add to it? None without one.

    Lexical evidence: both are the article's own sentences. The closing's
    sentences are article sentences, so `by` and `added` give article indexes.
    """
    closing = coverage.closing_side(article, None)
    if article.closing is None or closing is None:
        return None
    places: list[SupportPlace] = ["closing"] * len(closing.ids)
    lead = coverage.lead_side(article, None)
    return _versus(closing_tokens(article), lead_tokens(article), closing, lead, places)


def lead_tokens(article: Article) -> list[str]:
    """ROUGE tokens of the lead: a standfirst's own, or its article sentences' (analysed once)."""
    if article.lead.method == "standfirst":
        return rouge_tokens(article.lead.text)
    return _sentence_tokens(article, article.lead.sentences)


def closing_tokens(article: Article) -> list[str]:
    """ROUGE tokens of the closing (none without one)."""
    return _sentence_tokens(article, article.closing.sentences) if article.closing else []


def _sentence_tokens(article: Article, sentences: Iterable[int]) -> list[str]:
    # A lead's (closing's) text is its sentences joined by spaces, and no token
    # spans a space: its tokens are its sentences' tokens, in order.
    return [token for i in sentences for token in article.words[i].tokens]


def _versus(
    tokens: Sequence[str],
    reference: Sequence[str],
    summary: Side,
    sides: Side,
    places: Sequence[SupportPlace],
) -> Versus:
    scores = _rouge(tokens, reference)
    kept, dropped, added = coverage.cover(summary, sides, places)
    return Versus(scores.rouge1, scores.rouge2, scores.rougeL, kept, dropped, added)


def _rouge(summary: Sequence[str], reference: Sequence[str]) -> Rouge:
    # rouge-score's own n-gram counting (its module functions; the package is
    # pinned), on tokens made once per text rather than once per ROUGE type.
    ngrams = [
        rouge_scorer._score_ngrams(
            rouge_scorer._create_ngrams(reference, n), rouge_scorer._create_ngrams(summary, n)
        ).fmeasure
        for n in (1, 2)
    ]
    return Rouge(rouge1=ngrams[0], rouge2=ngrams[1], rougeL=_lcs_f1(summary, reference))


def _lcs_f1(summary: Sequence[str], reference: Sequence[str]) -> float:
    """rouge-score's `_score_lcs` F1, with the LCS length from rapidfuzz."""
    if not summary or not reference:
        return 0.0
    # Token ids, so rapidfuzz compares exact integers rather than string hashes.
    ids: dict[str, int] = {}
    reference_ids = [ids.setdefault(token, len(ids)) for token in reference]
    summary_ids = [ids.setdefault(token, len(ids)) for token in summary]
    lcs = LCSseq.similarity(reference_ids, summary_ids)
    # The same operations, in the same order, as rouge-score's: equal to the bit.
    precision = lcs / len(summary)
    recall = lcs / len(reference)
    return float(scoring.fmeasure(precision, recall))
