"""A summary set against the article's own lead and closing: ROUGE overlap and position.

ROUGE (Lin 2004) is computed by Google's `rouge-score` package with our
Unicode tokenizer in place of its default, which keeps only [a-z0-9] and so
scores any non-Latin text 0 by construction. Scorer configuration: F1,
case-folded, no stemming, words of every script, single characters for
scripts written without spaces.
"""

from __future__ import annotations

from collections.abc import Iterable

from rouge_score import rouge_scorer, tokenizers

from models.terms import rouge_tokens
from models.types import Article, Comparison, Position, Rouge

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


class UnicodeTokenizer(tokenizers.Tokenizer):  # type: ignore[misc]
    """rouge-score tokenizer over `models.terms.rouge_tokens`."""

    def tokenize(self, text: str) -> list[str]:
        return rouge_tokens(text)


_SCORER = rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=UnicodeTokenizer())


def rouge(summary: str, reference: str) -> Rouge:
    """ROUGE-1/2/L F1 of `summary` against `reference`, each in [0, 1]."""
    scores = _SCORER.score(reference, summary)
    return Rouge(
        rouge1=scores["rouge1"].fmeasure,
        rouge2=scores["rouge2"].fmeasure,
        rougeL=scores["rougeL"].fmeasure,
    )


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
    return Comparison(
        vs_lead=rouge(summary, article.lead.text),
        vs_closing=rouge(summary, article.closing.text) if article.closing else None,
        position=position(article, source_sentences),
    )


def lead_vs_closing(article: Article) -> Rouge | None:
    """How much the closing restates the lead; None without a closing."""
    return rouge(article.closing.text, article.lead.text) if article.closing else None
