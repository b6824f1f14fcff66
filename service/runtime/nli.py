"""The NLI judge in the service (NEWSUM_NLI_MODEL): loaded at start, run on an owner of its own.

The judge (models.nli, SummaC zero-shot) scores each summary an answer carries:
TextRank's and the generated one of /v1/summarize, the given one of
/v1/attribute. It runs as jobs on one owner thread, the only one that touches
the classifier, behind a bounded queue (NEWSUM_MODEL_QUEUE_SIZE), in the lane
`admitted` (a request already admitted is never refused half-way) and with the
request's own Cancellation: a deadline or a hang-up stops it between batches of
pairs, and a dead thread is replaced (service.runtime.owner). A request whose
deadline passes while it is judged fails as any late request does (504); any
other failure leaves that summary unjudged, and its `support_signals` say why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.article import read_article
from newsum.models.errors import Cancelled, DeadlineExceeded, ModelUnavailable, NewsumError
from newsum.models.nli import NliLabelsRefused, load_nli_model
from newsum.models.nli.support import NliJudging, Verdict
from newsum.models.types import Article
from newsum.service.runtime.metrics import Metrics
from newsum.service.runtime.owner import Job, Owner
from newsum.service.settings import Settings

log = logging.getLogger("newsum")


@dataclass(frozen=True)
class NliJob:
    article: Article
    sentences: tuple[str, ...]


NliOwner = Owner[NliJob, Verdict | None]
_WARM_UP_TEXT = "The minister arrived in Baghdad on Friday. Officials welcomed him."


def open_nli(settings: Settings) -> NliJudging | str | None:
    """The judge with the settings' bounds; why it cannot load (fetch it, fix its files);
    None when off.

    Raises NliLabelsRefused for a checkpoint that is not an NLI classifier: a
    configuration mistake that `newsum serve` refuses before it starts (exit 2).
    """
    if not settings.nli_configured:
        return None
    started = time.perf_counter()
    try:
        model = load_nli_model(settings.nli_model, cache_dir=settings.model_cache_dir)
    except NliLabelsRefused:
        raise
    except ModelUnavailable as error:
        log.warning("NLI judge %s unavailable: %s", settings.nli_model, error.message)
        return error.message
    log.info(
        "NLI judge %s loaded in %.1f s; labels %s",
        model.name,
        time.perf_counter() - started,
        list(model.labels),
    )
    return NliJudging(model, settings.nli_max_pairs, settings.nli_batch_size)


def warm_up_nli(judging: NliJudging) -> None:
    """One small verdict before the owner starts, as generation is warmed up (runtime.state)."""
    article = read_article(_WARM_UP_TEXT)
    judging.verdict(article, [article.sentences[0].text])


def nli_owner(judging: NliJudging, settings: Settings, metrics: Metrics) -> NliOwner:
    """The one thread that uses the judge's model."""

    def judge_each(jobs: list[Job[NliJob, Verdict | None]]) -> list[Verdict | BaseException | None]:
        outcomes: list[Verdict | BaseException | None] = []
        for job in jobs:
            try:
                outcomes.append(
                    judging.verdict(job.payload.article, job.payload.sentences, job.cancel)
                )
            except NewsumError as error:  # stopped: the request's own end, raised where it waits
                outcomes.append(error)
            except Exception as error:  # a defect: this summary is not judged, the queue goes on
                log.exception("the NLI judge failed")
                outcomes.append(f"the NLI judge failed ({type(error).__name__}); it is logged")
        return outcomes

    return Owner("nli", judge_each, metrics, queue_size=settings.model_queue_size)


async def judge_summary(
    owner: NliOwner | str | None,
    article: Article,
    sentences: Sequence[str],
    cancel: Cancellation,
) -> Verdict | None:
    """The judge's verdict on the summary `sentences`, or why there is none (`owner` is
    that reason when the configured judge could not load); None when the judge is off."""
    if isinstance(owner, str):
        return owner
    if owner is None or not sentences:
        return None
    try:
        return await owner.run(NliJob(article, tuple(sentences)), cancel, "admitted")
    except (Cancelled, DeadlineExceeded):
        raise  # the request's own end
    except NewsumError as error:  # the owner's thread died, say
        return error.message
