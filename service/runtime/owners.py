"""The owners a running service has, and what each does with a batch of jobs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.checkpoint import GenerationOverrides
from newsum.models.abstractive.interface import AbstractiveEngine
from newsum.models.abstractive.likelihood import ScoresLikelihood, SummaryLikelihood
from newsum.models.abstractive.streaming import SentenceObserver, summarize_streaming
from newsum.models.embeddings import SentenceEncoder
from newsum.models.errors import GenerationFailed, ModelUnavailable, NewsumError
from newsum.models.types import AbstractiveSummary, Article
from newsum.service.runtime.metrics import Metrics
from newsum.service.runtime.owner import Job, Owner
from newsum.service.settings import Settings

log = logging.getLogger("newsum.owner")
TextWork = Callable[[], Any]


@dataclass(frozen=True)
class Generation:
    article: Article
    options: GenerationOverrides | None
    # A streamed request's: gets each sentence as it is complete, on the owner thread.
    on_sentence: SentenceObserver | None = None


@dataclass(frozen=True)
class Scoring:
    """A summary to score under the model (models.abstractive.likelihood), not to generate."""

    article: Article
    sentences: tuple[str, ...]


GenerationOutcome = AbstractiveSummary | NewsumError
ModelOutcome = GenerationOutcome | SummaryLikelihood
TextOwner = Owner[TextWork, Any]
ModelOwner = Owner[Generation | Scoring, ModelOutcome]


def text_owner(settings: Settings, metrics: Metrics) -> TextOwner:
    """`cpu_workers` threads for everything but generation and embeddings."""
    return Owner(
        "text",
        _run_each,
        metrics,
        threads=settings.cpu_workers,
        queue_size=settings.cpu_queue_size,
        batch_share=settings.batch_queue_share,
    )


def start_model_owners(
    engines: Sequence[AbstractiveEngine], settings: Settings, metrics: Metrics
) -> dict[str, ModelOwner]:
    """An owner for each abstractive model that serves, by model id; `engines` default first.

    The default model's queue is `model` in the metrics, another's `model:<id>`:
    a label per configured model, a bounded set.
    """
    owners: dict[str, ModelOwner] = {}
    for position, engine in enumerate(engines):
        if engine.status == "ok":
            queue = "model" if position == 0 else f"model:{engine.name}"
            owners[engine.name] = model_owner(engine, settings, metrics, queue)
    return owners


def model_owner(
    engine: AbstractiveEngine, settings: Settings, metrics: Metrics, queue: str = "model"
) -> ModelOwner:
    """The one thread that uses `engine`; with micro-batching it takes several requests at once."""
    batching = settings.batch_window_ms > 0

    def generate(jobs: list[Job[Generation | Scoring, ModelOutcome]]) -> list[ModelOutcome]:
        # One generate() call shares one set of options: group, then answer in order.
        groups: dict[GenerationOverrides | None, list[tuple[int, Generation]]] = {}
        outcomes: list[ModelOutcome | None] = [None] * len(jobs)
        for position, job in enumerate(jobs):
            generation = job.payload
            if isinstance(generation, Scoring):  # one scoring pass each, in the batch's turn
                outcomes[position] = _score(engine, generation, job.cancel)
            elif generation.on_sentence is not None:  # a stream: a batch of one, handed on
                outcomes[position] = summarize_streaming(
                    engine, generation.article, generation.options, job.cancel,
                    generation.on_sentence,
                )  # fmt: skip
            else:
                groups.setdefault(generation.options, []).append((position, generation))
        for options, members in groups.items():
            results = engine.summarize_batch(
                [generation.article for _, generation in members],
                options,
                [jobs[position].cancel for position, _ in members],
            )
            for (position, _), result in zip(members, results, strict=True):
                outcomes[position] = result
        return [outcome for outcome in outcomes if outcome is not None]

    return Owner(
        queue,
        generate,
        metrics,
        queue_size=settings.model_queue_size,
        batch_share=settings.batch_queue_share,
        max_batch=settings.max_batch_size if batching else 1,
        window_s=settings.batch_window_ms / 1000,
    )


class OwnedEncoder:
    """A SentenceEncoder whose model only its owner thread touches; callers wait for it."""

    def __init__(self, encoder: SentenceEncoder, settings: Settings, metrics: Metrics) -> None:
        self.name = encoder.name
        self._timeout_s = settings.request_timeout_s

        def encode(jobs: list[Job[list[str], np.ndarray]]) -> list[np.ndarray]:
            return [encoder.encode(job.payload) for job in jobs]

        # Its callers are the text owner's threads, so at most cpu_workers jobs wait.
        self.owner: Owner[list[str], np.ndarray] = Owner(
            "embeddings", encode, metrics, queue_size=settings.cpu_workers
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.owner.call(list(texts), self._timeout_s)


def _score(engine: AbstractiveEngine, scoring: Scoring, cancel: Cancellation) -> ModelOutcome:
    if not isinstance(engine, ScoresLikelihood):
        return ModelUnavailable(f"the model {engine.name} cannot score a summary")
    try:
        return engine.likelihood(scoring.article, scoring.sentences, cancel)
    except NewsumError as error:  # stopped (deadline, client gone): that request's error
        return error
    except Exception as error:  # a defect: this summary is not scored, the batch goes on
        log.exception("the model failed while scoring a summary")
        return GenerationFailed(f"the model failed while scoring ({type(error).__name__})")


def _run_each(jobs: list[Job[TextWork, Any]]) -> list[Any]:
    outcomes: list[Any] = []
    for job in jobs:
        try:
            outcomes.append(job.payload())
        except Exception as error:  # the request's own error, raised again where it waits
            outcomes.append(error)
    return outcomes
