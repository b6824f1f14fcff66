"""Summary-level `support`: how likely a whole summary is faithful to its article, 0-1.

Copied n-grams say much about a near-extractive summary and little about a highly
abstractive one: on CNN/DailyMail highlights bigram precision ranks faithful summaries
above unfaithful ones better than unigram precision; on XSum's one-sentence summaries,
which reword most of their bigrams, unigram precision does. So the summary's own
share of copied n-grams decides which counts (the score never sees where a summary
came from):

    copied  = max(precision_2, unigram_floor * precision_1)
    support = 1 / (1 + exp(-(intercept + sum(weight * (value - mean) / scale))))

over `copied` and the weakest sentence's `support` (models.attribution), each
standardised by its mean and spread on the dev sets. A summary that copies at least
`unigram_floor` of its bigrams is judged by them (its unigram share times the floor
cannot exceed them); one that rewords most of them is judged by its words, and placed
below every near-extractive summary whose weakest sentence is as well supported.
Monotone: more copied words, more copied bigrams or a better-supported weakest sentence
never lower `support`.

The constants below are fitted, not tuned by hand, by
`python -m research.faithfulness_sets --write` on the two dev sets with faithfulness
labels: SummEval (../shared/data/dev_summeval_outputs.jsonl: 1,552 CNN/DailyMail
summaries of 16 systems; faithful = consistency 5.0 from all three experts) and
QAGS-XSum (dev_qags_xsum.jsonl: 235 BBC one-sentence summaries). `unigram_floor`
is the grid value with the best mean of the two sets' ROC AUCs, the weights a logistic
regression (Cox 1958) with each set weighted equally: in-sample on both. The figures
the choice rests on are leave-one-set-out (everything fitted on one set, measured on
the other; docs/attribution.md). So `support` is a probability calibrated to an even
mix of the two sets (faithful 82 % and 49 % of the time); elsewhere read it as a
ranking first.

Two fits: with the sentence encoder (`embeddings`: the weakest sentence's support is
then attribution's with embeddings) and without it (`lexical`), chosen by whether the
encoder is loaded. A signal that does not apply sits at its dev mean, which adds
nothing to the sum, and is left out of `signals`. Nothing is fitted at run time:
scoring is a few floating-point operations per summary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from newsum.models.attribution import ArticleEvidence
from newsum.models.faithfulness_signals import ArticleWords, summary_signals
from newsum.models.types import GeneratedSentence


@dataclass(frozen=True, slots=True)
class Coefficient:
    """One signal's standardisation on the dev set and its weight in the logit."""

    mean: float
    scale: float
    weight: float


# The input made from the n-gram precisions (see the module docstring), not a measured signal.
COPIED = "copied"
_PRECISIONS = ("precision_1", "precision_2")


@dataclass(frozen=True, slots=True)
class SupportModel:
    """One mode's fit: the floor that decides between bigrams and words, and the logit."""

    unigram_floor: float
    intercept: float
    coefficients: Mapping[str, Coefficient]  # over COPIED and measured signals

    @property
    def signals(self) -> tuple[str, ...]:
        """The measured signals (models.faithfulness_signals) the fit reads."""
        return (*_PRECISIONS, *(name for name in self.coefficients if name != COPIED))

    def inputs(self, signals: Mapping[str, float | None]) -> dict[str, float | None]:
        """`signals` with COPIED made from them (None without both precisions)."""
        unigrams, bigrams = (signals.get(name) for name in _PRECISIONS)
        copied = None
        if unigrams is not None and bigrams is not None:
            copied = max(bigrams, self.unigram_floor * unigrams)
        return {**signals, COPIED: copied}

    def logit(self, signals: Mapping[str, float | None]) -> float:
        inputs = self.inputs(signals)
        total = self.intercept
        for name, c in self.coefficients.items():
            value = inputs.get(name)
            if value is not None:
                total += c.weight * (value - c.mean) / c.scale
        return total


@dataclass(frozen=True, slots=True)
class SummarySupport:
    """The whole summary's support and the signals it was made from."""

    support: float
    signals: tuple[str, ...]


# BEGIN FITTED: written by `python -m research.faithfulness_sets --write`; do not edit.
MODELS: dict[str, SupportModel] = {
    "lexical": SupportModel(
        unigram_floor=0.875,
        intercept=1.537773,
        coefficients={
            "copied": Coefficient(mean=0.919362, scale=0.106139, weight=0.687817),
            "weakest_support": Coefficient(mean=0.785070, scale=0.258027, weight=0.410236),
        },
    ),
    "embeddings": SupportModel(
        unigram_floor=0.875,
        intercept=1.518420,
        coefficients={
            "copied": Coefficient(mean=0.919362, scale=0.106139, weight=0.745625),
            "weakest_support": Coefficient(mean=0.783299, scale=0.246037, weight=0.470662),
        },
    ),
}
# END FITTED


def summary_support(
    evidence: ArticleEvidence,
    sentences: Sequence[GeneratedSentence],
    words: ArticleWords | None = None,
) -> SummarySupport | None:
    """The support of the attributed summary `sentences`; None for a summary with none."""
    if not sentences:
        return None
    # Only the signals the fit reads are computed.
    mode = "embeddings" if evidence.encoder is not None else "lexical"
    signals = summary_signals(evidence, sentences, words, MODELS[mode].signals)
    return score(signals, mode)


def score(signals: Mapping[str, float | None], mode: str) -> SummarySupport:
    """The support the `mode` fit ("lexical" or "embeddings") gives to `signals`."""
    model = MODELS[mode]
    used = tuple(name for name in model.signals if signals.get(name) is not None)
    return SummarySupport(support=sigmoid(model.logit(signals)), signals=used)


def sigmoid(logit: float) -> float:
    # Written both ways so that exp never overflows, whatever the signals.
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    odds = math.exp(logit)
    return odds / (1.0 + odds)
