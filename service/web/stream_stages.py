"""The owners' side of a streamed summary (service.web.stream): the work of each stage and the
data of its events, made with the JSON answer's own functions and models."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.attribution import ArticleEvidence
from newsum.models.nli.support import judged_sentences, summary_verdict
from newsum.models.summarize import NliVerdicts, assemble, settle_generation, textrank_sentences
from newsum.models.types import AbstractiveSummary, GeneratedSentence
from newsum.service.contract.schemas import (
    AbstractiveOut,
    ArticleOut,
    ComparisonOut,
    GeneratedSentenceOut,
    SummarizeRequest,
    TextRankOut,
    VersusOut,
)
from newsum.service.runtime import pipeline
from newsum.service.runtime.judge import judge
from newsum.service.runtime.nli import judge_summary
from newsum.service.runtime.owner import Job
from newsum.service.runtime.owners import Generation, ModelOutcome, ModelOwner, Scoring

_OFFSETS = ("start", "end")
Event = tuple[str, Any]


@dataclass(frozen=True)
class Opening:
    prepared: pipeline.Prepared
    events: list[Event]  # article, lead_vs_closing, textrank


def open_stream(
    context: pipeline.Context, parse: Callable[[], SummarizeRequest], cancel: Cancellation
) -> Opening:
    """Stage 1 on the text owner, and the first events' data."""
    prepared = pipeline.read_request(context, parse, cancel)
    report = assemble(prepared.article, prepared.textrank, None, context.state.encoder)
    context.metrics.observe_stages(report.timings_ms)
    events: list[Event] = [("article", _dump(ArticleOut, report.article))]
    # Not in the API.md list: the closing against the lead, a property of the article
    # alone (the JSON answer's comparison.lead_vs_closing), for the editor's page.
    versus = report.comparison.lead_vs_closing
    events.append(("lead_vs_closing", None if versus is None else _dump(VersusOut, versus)))
    if report.summaries.textrank is not None:
        comparison = report.comparison.textrank
        textrank = {
            "summary": _dump(TextRankOut, report.summaries.textrank),
            "comparison": None if comparison is None else _dump(ComparisonOut, comparison),
        }
        events.append(("textrank", textrank))
    return Opening(prepared, events)


async def judged_opening(
    context: pipeline.Context, opening: Opening, cancel: Cancellation
) -> Opening:
    """The opening with TextRank's summary judged by the NLI judge, when it is on."""
    textrank = opening.prepared.textrank
    verdict = await judge_summary(
        context.state.nli, opening.prepared.article, textrank_sentences(textrank), cancel
    )
    if verdict is None or textrank is None:
        return opening
    judged = replace(
        textrank,
        sentences=judged_sentences(textrank.sentences, verdict),
        nli=summary_verdict(verdict),
    )
    events = [
        (name, data | {"summary": _dump(TextRankOut, judged)} if name == "textrank" else data)
        for name, data in opening.events
    ]
    return Opening(replace(opening.prepared, textrank=judged), events)


def admit_generation(
    context: pipeline.Context,
    prepared: pipeline.Prepared,
    cancel: Cancellation,
    on_sentence: Callable[[GeneratedSentence], None],
) -> Admitted | AbstractiveSummary | None:
    """The generation queued on the routed model's owner (or refused: 503), the block of
    a model that cannot serve, or None when no abstractive summary was asked for."""
    body = prepared.body
    if "abstractive" not in body.methods:
        return None
    owner = pipeline.model_owner_for(context, prepared)
    if isinstance(owner, AbstractiveSummary):
        # Asked for alone, a model that cannot serve is the request's error (503).
        return settle_generation(owner, with_textrank=prepared.textrank is not None)
    options = body.generation.overrides() if body.generation else None
    return Admitted(owner, owner.admit(Generation(prepared.article, options, on_sentence), cancel))


@dataclass(frozen=True)
class Admitted:
    """A generation queued on its model's owner, which alone can wait for its outcome."""

    owner: ModelOwner
    job: Job[Generation | Scoring, ModelOutcome]


def deliver_to(queue: asyncio.Queue[GeneratedSentence]) -> Callable[[GeneratedSentence], None]:
    """A callback for the model's thread that hands each sentence to the event loop."""
    loop = asyncio.get_running_loop()

    def deliver(sentence: GeneratedSentence) -> None:
        # The loop has gone only when the server is stopping: nobody is listening.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(queue.put_nowait, sentence)

    return deliver


class SentenceAttribution:
    """Each streamed sentence attributed on the text owner, with one ArticleEvidence."""

    def __init__(
        self, context: pipeline.Context, prepared: pipeline.Prepared, cancel: Cancellation
    ) -> None:
        self.context = context
        self.prepared = prepared
        self.cancel = cancel
        self.evidence: ArticleEvidence | None = None
        self.count = 0

    async def __call__(self, sentence: GeneratedSentence) -> dict[str, Any]:
        attributed = await pipeline.text_stage(
            self.context, lambda: self._attribute(sentence), self.cancel, "admitted"
        )
        dumped = _dump(GeneratedSentenceOut, attributed)
        # Offsets into a summary not yet written would say little: the event has none.
        data = {"index": self.count} | {k: v for k, v in dumped.items() if k not in _OFFSETS}
        self.count += 1
        return data

    def _attribute(self, sentence: GeneratedSentence) -> GeneratedSentence:
        # The evidence is built once, with the first sentence, on an owner thread.
        if self.evidence is None:
            self.evidence = ArticleEvidence(self.prepared.article, self.context.state.encoder)
        # Attribution reads each sentence alone: the same as within the whole summary.
        (one,) = self.evidence.attribute_sentences(sentence.text, [(0, len(sentence.text))])
        return replace(one, start=sentence.start, end=sentence.end)


async def final_block(
    context: pipeline.Context,
    opening: Opening,
    generated: AbstractiveSummary,
    cancel: Cancellation,
    attribution: SentenceAttribution | None = None,
) -> dict[str, Any]:
    """The `abstractive` event: the JSON answer's block and comparison (`assemble`), with the
    evidence the streamed sentences were attributed with, not a second one, and the NLI
    judge's verdict on the whole summary."""

    # The model judges its own summary when NEWSUM_MODEL_SUPPORT is on (service.runtime.judge).
    state, article = context.state, opening.prepared.article
    sentences = [s.text for s in generated.sentences] if generated.status == "ok" else []
    model = generated.model or ""
    judgement = await judge(
        state.judges.get(model), state.models.get(model), article, sentences, cancel
    )

    evidence = attribution.evidence if attribution is not None else None
    # The NLI judge reads the whole summary, as for the JSON answer: a sentence's verdict
    # depends on the others (the pairs cap is shared, blocks fit the longest sentence).
    verdict = await judge_summary(context.state.nli, article, sentences, cancel)
    verdicts = NliVerdicts(abstractive=verdict) if verdict is not None else None

    def work() -> dict[str, Any]:
        report = assemble(
            article, None, generated, context.state.encoder, judgement, evidence, nli=verdicts
        )
        context.metrics.observe_stages(report.timings_ms)
        assert report.summaries.abstractive is not None
        summary = _dump(AbstractiveOut, report.summaries.abstractive)
        comparison = report.comparison.abstractive
        return {
            "summary": summary,
            "comparison": None if comparison is None else _dump(ComparisonOut, comparison),
        }

    return await pipeline.text_stage(context, work, cancel, "admitted")


def _dump(schema: type[BaseModel], value: object) -> dict[str, Any]:
    # The JSON answer's own models: the same fields, names and rounding.
    return schema.model_validate(value).model_dump(mode="json")
