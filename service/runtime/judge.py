"""The served model as a second faithfulness judge, on the model's owner (NEWSUM_MODEL_SUPPORT).

When it is on and a seq2seq model serves, each summary an answer carries (the
generated one of /v1/summarize, the given one of /v1/attribute) is scored by
its log-likelihood under the model (models.abstractive.likelihood) as one more
job on the model owner: lane `admitted` (a request already admitted is never
refused half-way) and the request's own Cancellation, so it waits in the same
bounded queue as generation and ends with the request's deadline. A request
whose deadline passes while it waits for, or runs, the scoring fails as any
request past its deadline does (504 deadline_exceeded): the score is part of the
answer that was asked for, not an optional extra that silently disappears under
load. Any other failure drops the score, and `support_signals` says why.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.interface import AbstractiveEngine
from newsum.models.abstractive.likelihood import ScoresLikelihood, SummaryLikelihood
from newsum.models.article import read_article
from newsum.models.errors import Cancelled, DeadlineExceeded, ModelUnavailable, NewsumError
from newsum.models.model_support import WEIGHTS_FILE, FittedWeights, Judgement, load_weights
from newsum.models.types import Article
from newsum.service.runtime.owners import ModelOwner, Scoring
from newsum.service.settings import Settings

log = logging.getLogger("newsum")
_WARM_UP_TEXT = "The minister arrived in Baghdad on Friday. Officials welcomed him."


@dataclass(frozen=True)
class Judge:
    """The model's judging, switched on, with the weights fitted for it (None: none fitted)."""

    weights: FittedWeights | None


def open_judge(settings: Settings, engine: AbstractiveEngine | None) -> Judge | None:
    """The judge when NEWSUM_MODEL_SUPPORT is on and the served model can score; else None.

    Raises ModelUnavailable for a weights file that cannot be read (or, when named
    by NEWSUM_MODEL_SUPPORT_WEIGHTS, does not exist): the operator's mistake, said at start.
    """
    if settings.model_support == "off" or not isinstance(engine, ScoresLikelihood):
        return None
    checkpoint = getattr(engine, "checkpoint", None)
    if checkpoint is None:
        return Judge(weights=None)
    named = settings.model_support_weights
    path = Path(named) if named else Path(checkpoint.path) / WEIGHTS_FILE
    if named and not path.is_file():
        raise ModelUnavailable(f"NEWSUM_MODEL_SUPPORT_WEIGHTS names {path}, which does not exist")
    architecture = (getattr(checkpoint.config, "architectures", None) or ["unknown"])[0]
    weights = load_weights(path, checkpoint.name, architecture)
    log.info(
        "model support on for %s: %s",
        checkpoint.name,
        f"weights from {path}" if weights else "scored, not folded (no fitted weights)",
    )
    return Judge(weights)


def warm_up(engine: AbstractiveEngine) -> None:
    """One scoring pass before the owner starts, as generation is warmed up (runtime.state)."""
    if isinstance(engine, ScoresLikelihood):
        article = read_article(_WARM_UP_TEXT)
        engine.likelihood(article, [article.sentences[0].text])


async def judge(
    judging: Judge | None,
    owner: ModelOwner | None,
    article: Article,
    sentences: Sequence[str],
    cancel: Cancellation,
) -> Judgement | None:
    """The model's judgement of the summary `sentences`; None when judging is off."""
    if judging is None or owner is None or not sentences:
        return None
    try:
        outcome = await owner.run(Scoring(article, tuple(sentences)), cancel, "admitted")
    except (Cancelled, DeadlineExceeded):
        raise  # the request's own end
    except NewsumError as error:
        return Judgement(error.message, judging.weights)
    if not isinstance(outcome, SummaryLikelihood):  # the owner raises errors; this is a defect
        return Judgement("the model answered something other than a score", judging.weights)
    return Judgement(outcome, judging.weights)
