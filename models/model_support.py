"""The served model's log-likelihood of a summary, folded into `support` with the weight it earned.

    support = sigmoid(intercept + lexical_weight * logit(lexical support)
                      + weight * (log-likelihood - mean) / scale)

The lexical support is models.faithfulness's; the log-likelihood is the mean
token log-probability of the summary under the served seq2seq model given the
article (models.abstractive.likelihood: BARTScore's faithfulness direction). The
weights are fitted, per served model and per mode (lexical; with embeddings),
by `python -m research.fit_model_support` on labelled summaries, and read from
a JSON file (`WEIGHTS_FILE` next to the checkpoint, or `NEWSUM_MODEL_SUPPORT_WEIGHTS`).
A weight is never invented: without a fitted one for the served model (its name
and architecture), the score is reported in `support_signals` and `support` is
left as it was.

`support_signals` gains one entry, read by its name before "=" or ":":
- `model_loglik=-2.314 (sentences: -1.921, -2.710)`: scored and folded in;
- the same followed by `; not folded: <why>`: scored, `support` unchanged;
- `model_loglik: not scored: <why>`: the model could not score it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from newsum.models.errors import ModelUnavailable
from newsum.models.faithfulness import SummarySupport, sigmoid

if TYPE_CHECKING:  # the engine's modules are heavy; this one is read by models.summarize
    from newsum.models.abstractive.likelihood import SummaryLikelihood

MODEL_SIGNAL = "model_loglik"
WEIGHTS_FILE = "model_support.json"  # the fit's output, looked for in the checkpoint's folder
WEIGHTS_FORMAT = 1
NO_WEIGHT = "no fitted weight for this model"
# logit(support) is bounded so that a support of exactly 0 or 1 stays finite.
_SUPPORT_CLAMP = 1e-6


@dataclass(frozen=True, slots=True)
class FoldWeights:
    """The stacked logistic regression of one mode (fitted; see the module docstring)."""

    intercept: float
    lexical_weight: float
    mean: float  # of the model's log-likelihood on the fit's summaries
    scale: float
    weight: float

    def support(self, lexical: float, loglik: float) -> float:
        clamped = min(1 - _SUPPORT_CLAMP, max(_SUPPORT_CLAMP, lexical))
        logit = math.log(clamped / (1 - clamped))
        total = self.intercept + self.lexical_weight * logit
        total += self.weight * (loglik - self.mean) / self.scale
        return sigmoid(total)


@dataclass(frozen=True, slots=True)
class FittedWeights:
    """What a weights file holds for one model: its weights per mode (lexical, embeddings)."""

    model: str
    architecture: str
    modes: Mapping[str, FoldWeights]


@dataclass(frozen=True, slots=True)
class Judgement:
    """What the served model said of one summary (or why it said nothing), and its weights."""

    judged: SummaryLikelihood | str
    weights: FittedWeights | None


def load_weights(path: Path, model: str, architecture: str) -> FittedWeights | None:
    """The weights fitted for `model` (with that architecture) in `path`; None if it has none.

    A file that exists but cannot be read is an operator's mistake: ModelUnavailable says
    which file and why, at start, rather than a request finding out.
    """
    if not path.is_file():
        return None
    try:
        stored = json.loads(path.read_text())
        if stored.get("format") != WEIGHTS_FORMAT:
            raise ValueError(f"format must be {WEIGHTS_FORMAT}; given: {stored.get('format')!r}")
        entry = stored["models"].get(model)
        if entry is None or entry["architecture"] != architecture:
            return None
        modes = {mode: FoldWeights(**fields) for mode, fields in entry["modes"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ModelUnavailable(
            f"the model-support weights in {path} cannot be read ({type(error).__name__}: "
            f"{error}); refit them with `python -m research.fit_model_support`"
        ) from error
    if any(w.scale <= 0 or not all(map(math.isfinite, _numbers(w))) for w in modes.values()):
        raise ModelUnavailable(
            f"the model-support weights in {path} hold a non-finite value or a scale <= 0"
        )
    return FittedWeights(model, architecture, modes)


def fold(whole: SummarySupport, mode: str, judgement: Judgement) -> SummarySupport:
    """`whole` with the model's judgement (or why there is none) folded in and listed."""
    judged, weights = judgement.judged, judgement.weights
    if isinstance(judged, str):
        entry = f"{MODEL_SIGNAL}: not scored: {judged}"
        return SummarySupport(whole.support, (*whole.signals, entry))
    if judged.summary is None:
        entry = f"{MODEL_SIGNAL}: not scored: the summary has no token the model can score"
        return SummarySupport(whole.support, (*whole.signals, entry))
    entry = f"{MODEL_SIGNAL}={judged.summary:.3f} (sentences: {_sentences(judged)})"
    fitted = weights.modes.get(mode) if weights is not None else None
    if fitted is None:
        why = NO_WEIGHT if weights is None else f"{NO_WEIGHT} in the {mode} mode"
        return SummarySupport(whole.support, (*whole.signals, f"{entry}; not folded: {why}"))
    return SummarySupport(fitted.support(whole.support, judged.summary), (*whole.signals, entry))


def _sentences(judged: SummaryLikelihood) -> str:
    return ", ".join("past the token bound" if s is None else f"{s:.3f}" for s in judged.sentences)


def _numbers(weights: FoldWeights) -> tuple[float, ...]:
    return (weights.intercept, weights.lexical_weight, weights.mean, weights.scale, weights.weight)
