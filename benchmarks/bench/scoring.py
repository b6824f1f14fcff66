"""Scores for one summary against its references and its article; intervals over a corpus."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence

from rouge_score import rouge_scorer

from newsum.models.compare import SummarySentence, UnicodeTokenizer, compare
from newsum.models.segment import split_paragraphs, split_sentences
from newsum.models.terms import rouge_tokens
from newsum.models.types import Article

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
SCORER_CONFIG = (
    "rouge-score 0.1.2, F1; tokenizer: newsum's Unicode words (case-folded, every script; "
    "single characters for scripts without spaces); no stemming; ROUGE-Lsum over newsum's "
    "sentence split; several references: the best-matching one per summary"
)
_SCORER = rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=UnicodeTokenizer())


def reference_scores(summary: str, references: Sequence[str], language: str) -> dict[str, float]:
    """ROUGE-1/2/L/Lsum F1 of `summary` against the best of `references`."""
    targets = [_lines(reference, language) for reference in references]
    scores = _SCORER.score_multi(targets, _lines(summary, language))
    return {kind: float(scores[kind].fmeasure) for kind in ROUGE_TYPES}


def lead_scores(
    article: Article, summary: str, sentences: Sequence[SummarySentence]
) -> dict[str, object]:
    """The summary against the article's own lead: ROUGE, the shares of lead sentences it
    keeps and of its sentences it adds (None when either side has none), and where its
    sources lie."""
    comparison = compare(article, summary, sentences)
    versus, shares = comparison.vs_lead, comparison.position
    lead_sentences = len(versus.kept) + len(versus.dropped)
    return {
        "vs_lead": {"rouge1": versus.rouge1, "rouge2": versus.rouge2, "rougeL": versus.rougeL},
        "lead_kept": len(versus.kept) / lead_sentences if lead_sentences else None,
        "summary_added": len(versus.added) / len(sentences) if sentences else None,
        "position": {"lead": shares.lead, "body": shares.body, "closing": shares.closing},
    }


def words(text: str) -> int:
    return len(rouge_tokens(text))


def mean_interval(values: Sequence[float], samples: int = 1000, seed: int = 0) -> dict[str, float]:
    """Mean and 95 % bootstrap interval (percentile method, resampling articles)."""
    if not values:
        return {"mean": float("nan"), "low": float("nan"), "high": float("nan")}
    rng = random.Random(seed)
    means = sorted(statistics.fmean(rng.choices(values, k=len(values))) for _ in range(samples))
    return {
        "mean": statistics.fmean(values),
        "low": means[int(0.025 * samples)],
        "high": means[min(samples - 1, int(0.975 * samples))],
    }


def _lines(text: str, language: str) -> str:
    # ROUGE-Lsum reads one sentence per line.
    return "\n".join(
        text[s:e]
        for p_start, p_end in split_paragraphs(text)
        for s, e in split_sentences(text, p_start, p_end, language)
    )
