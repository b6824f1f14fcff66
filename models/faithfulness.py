"""Summary-level `support`: how likely a whole summary is faithful to its article, 0-1.

A logistic regression (Cox 1958) over the signals of models.faithfulness_signals,
each standardised by the mean and spread it had on the dev set:

    support = 1 / (1 + exp(-(intercept + sum(weight * (value - mean) / scale))))

The coefficients below are fitted, not tuned by hand, by
`python -m research.fit_faithfulness --write` on SummEval's expert consistency
labels (../shared/data/dev_summeval_outputs.jsonl: 1,552 CNN/DailyMail
summaries of 16 systems; faithful = 5.0 from all three experts), keeping only
the signals that raised the area under the ROC curve under 5-fold
cross-validation by article. So `support` is a probability calibrated to that
set, whose summaries are faithful 82 % of the time; on sources with more
invention (XSum-style one-sentence summaries) read it as a ranking first.

Two fits: with the sentence encoder's similarity (`embeddings`) and without it
(`lexical`), chosen by whether the encoder is loaded. A signal that does not
apply (an English-only cue on another language) sits at its dev mean, which
adds nothing to the sum, and is left out of `signals`. Nothing is fitted at run
time: scoring is a few floating-point operations per summary.
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


@dataclass(frozen=True, slots=True)
class SupportModel:
    intercept: float
    coefficients: Mapping[str, Coefficient]

    def logit(self, signals: Mapping[str, float | None]) -> float:
        total = self.intercept
        for name, c in self.coefficients.items():
            value = signals.get(name)
            if value is not None:
                total += c.weight * (value - c.mean) / c.scale
        return total


@dataclass(frozen=True, slots=True)
class SummarySupport:
    """The whole summary's support and the signals it was made from."""

    support: float
    signals: tuple[str, ...]


# BEGIN FITTED: written by `python -m research.fit_faithfulness --write`; do not edit.
MODELS: dict[str, SupportModel] = {
    "lexical": SupportModel(
        intercept=1.740069,
        coefficients={
            "precision_4": Coefficient(mean=0.838640, scale=0.234568, weight=0.543352),
            "weakest_support": Coefficient(mean=0.837250, scale=0.225482, weight=0.490805),
        },
    ),
    "embeddings": SupportModel(
        intercept=1.844606,
        coefficients={
            "mean_support": Coefficient(mean=0.897695, scale=0.154844, weight=0.173312),
            "precision_4": Coefficient(mean=0.838640, scale=0.234568, weight=0.457733),
            "weakest_similarity": Coefficient(mean=0.802719, scale=0.187734, weight=0.645906),
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
    # Only the signals the fit kept are computed.
    mode = "embeddings" if evidence.encoder is not None else "lexical"
    signals = summary_signals(evidence, sentences, words, MODELS[mode].coefficients)
    return score(signals, mode)


def score(signals: Mapping[str, float | None], mode: str) -> SummarySupport:
    """The support the `mode` fit ("lexical" or "embeddings") gives to `signals`."""
    model = MODELS[mode]
    used = tuple(name for name in model.coefficients if signals.get(name) is not None)
    return SummarySupport(support=sigmoid(model.logit(signals)), signals=used)


def sigmoid(logit: float) -> float:
    # Written both ways so that exp never overflows, whatever the signals.
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    odds = math.exp(logit)
    return odds / (1.0 + odds)
