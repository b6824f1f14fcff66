"""A summary set against the article's own lead and closing: ROUGE overlap and position.

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

from rapidfuzz.distance import LCSseq
from rouge_score import rouge_scorer, scoring, tokenizers

from models.terms import rouge_tokens
from models.types import Article, Comparison, Position, Rouge

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


def compare(article: Article, summary: str, source_sentences: Iterable[int]) -> Comparison:
    """ROUGE of `summary` against the lead and the closing, and where its sources lie."""
    tokens = rouge_tokens(summary)
    return Comparison(
        vs_lead=_rouge(tokens, rouge_tokens(article.lead.text)),
        vs_closing=_rouge(tokens, rouge_tokens(article.closing.text)) if article.closing else None,
        position=position(article, source_sentences),
    )


def lead_vs_closing(article: Article) -> Rouge | None:
    """How much the closing restates the lead; None without a closing."""
    return rouge(article.closing.text, article.lead.text) if article.closing else None


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
