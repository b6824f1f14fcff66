"""POST /v1/summarize as server-sent events (`Accept: text/event-stream`; ../shared/API.md).

The same stages as the JSON answer (service.pipeline), on the same owners and
within the same deadline, each sent as soon as it is done:

1. text owner, interactive lane: parse, read, TextRank and its comparison ->
   `article`, `lead_vs_closing`, `textrank`;
2. model owner: admitted before the answer starts (a full queue is a plain
   503, never an event), then generating as a batch of one; each sentence the
   engine hands over is attributed on the text owner (admitted lane) ->
   `sentence`;
3. text owner: the abstractive block, by the JSON answer's own `assemble`
   -> `abstractive`; then `done`.

Refusals (401, 413, 415, 422, 429, 503) happen before the first byte. Once
the stream has begun, an error is an `error` event and the stream ends. A
client that hangs up (Starlette cancels the stream) or a passed deadline stops
the generation at its next step.

Framing is the WHATWG HTML standard's "Server-sent events": FastAPI's
`format_sse_event` and `EventSourceResponse`. FastAPI's own streaming path
operations (a handler that yields) are not used: their handler only starts
once the 200 is on its way, too late to refuse a request with a 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from fastapi.sse import EventSourceResponse, format_sse_event
from pydantic import BaseModel

from models.abstractive.cancel import Cancellation
from models.attribution import ArticleEvidence
from models.summarize import assemble, settle_generation, unavailable
from models.types import AbstractiveSummary, GeneratedSentence
from service import pipeline
from service.errors import ApiError, describe
from service.owner import Job, cancel_on_disconnect
from service.owners import Generation, GenerationOutcome
from service.schemas import (
    AbstractiveOut,
    ArticleOut,
    ComparisonOut,
    GeneratedSentenceOut,
    SummarizeRequest,
    TextRankOut,
    VersusOut,
)

EVENT_STREAM = "text/event-stream"
# A comment line this often while nothing else is sent, so that proxies do not
# close a quiet stream (nginx's proxy_read_timeout is 60 s by default).
KEEP_ALIVE_S = 15.0
_HEADERS = {
    "Cache-Control": "no-cache",  # every stream is its own answer
    "X-Accel-Buffering": "no",  # nginx: pass each event on, do not buffer
}
_LOADING_RETRY_S = 5
_OFFSETS = ("start", "end")
Event = tuple[str, Any]


def wants_events(accept: str) -> bool:
    """Whether an Accept header asks for server-sent events."""
    return any(part.split(";")[0].strip().lower() == EVENT_STREAM for part in accept.split(","))


@dataclass(frozen=True)
class _Opening:
    prepared: pipeline.Prepared
    events: list[Event]  # article, lead_vs_closing, textrank


async def summarize_events(
    context: pipeline.Context,
    parse: Callable[[], SummarizeRequest],
    is_disconnected: Callable[[], Awaitable[bool]],
) -> EventSourceResponse:
    """The event stream for one summarize request, once it is admitted everywhere."""
    started = time.perf_counter()
    cancel = Cancellation(timeout_s=context.settings.request_timeout_s)
    # Until the answer starts, a client that hangs up cancels as in the JSON path;
    # afterwards Starlette cancels the stream itself.
    watcher = asyncio.create_task(cancel_on_disconnect(is_disconnected, cancel))
    try:
        opening = await pipeline.text_stage(
            context, lambda: _open(context, parse, cancel), cancel, "interactive"
        )
        sentences: asyncio.Queue[GeneratedSentence] = asyncio.Queue()
        generation = _admit(context, opening.prepared, cancel, _deliver_to(sentences))
    finally:
        watcher.cancel()
    events = _events(context, opening, generation, sentences, cancel, started)
    return EventSourceResponse(events, headers=_HEADERS)


def _open(
    context: pipeline.Context, parse: Callable[[], SummarizeRequest], cancel: Cancellation
) -> _Opening:
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
    return _Opening(prepared, events)


def _admit(
    context: pipeline.Context,
    prepared: pipeline.Prepared,
    cancel: Cancellation,
    on_sentence: Callable[[GeneratedSentence], None],
) -> Job[Generation, GenerationOutcome] | AbstractiveSummary | None:
    """The generation queued on the model owner (or refused: 503), the block of a model
    that cannot serve, or None when no abstractive summary was asked for."""
    body, state = prepared.body, context.state
    if "abstractive" not in body.methods:
        return None
    engine = state.engines.abstractive
    if state.model is None or engine is None:  # as the JSON path (pipeline._generate)
        if state.loading and prepared.textrank is None:
            raise ApiError(
                "not_ready",
                "the model is still loading; retry shortly",
                retry_after_s=_LOADING_RETRY_S,
            )
        outcome = (
            unavailable("no abstractive engine is loaded")
            if engine is None
            else engine.summarize(prepared.article)  # the stand-in's `unavailable` block
        )
        # Asked for alone, a model that cannot serve is the request's error (503).
        return settle_generation(outcome, with_textrank=prepared.textrank is not None)
    options = body.generation.overrides() if body.generation else None
    return state.model.admit(Generation(prepared.article, options, on_sentence), cancel)


def _deliver_to(queue: asyncio.Queue[GeneratedSentence]) -> Callable[[GeneratedSentence], None]:
    """A callback for the model's thread that hands each sentence to the event loop."""
    loop = asyncio.get_running_loop()

    def deliver(sentence: GeneratedSentence) -> None:
        # The loop has gone only when the server is stopping: nobody is listening.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(queue.put_nowait, sentence)

    return deliver


async def _events(
    context: pipeline.Context,
    opening: _Opening,
    generation: Job[Generation, GenerationOutcome] | AbstractiveSummary | None,
    sentences: asyncio.Queue[GeneratedSentence],
    cancel: Cancellation,
    started: float,
) -> AsyncIterator[bytes]:
    try:
        for name, data in opening.events:
            yield _event(name, data)
        if generation is not None:
            generated = generation
            if not isinstance(generation, AbstractiveSummary):
                attribute = _SentenceAttribution(context, opening.prepared, cancel)
                async for item in _generate(context, generation, sentences, attribute):
                    if isinstance(item, bytes):
                        yield item
                    else:
                        generated = item
            assert isinstance(generated, AbstractiveSummary)
            yield _event("abstractive", await _final(context, opening, generated, cancel))
        yield _event("done", {"elapsed_ms": round((time.perf_counter() - started) * 1000, 2)})
    except Exception as error:  # past the first byte, an error is the stream's last event
        code, message = describe(error)
        yield _event("error", {"error": {"code": code, "message": message}})
    finally:
        # However it ended (done, error, client gone), nothing of it may run on.
        cancel.cancel()


async def _generate(
    context: pipeline.Context,
    job: Job[Generation, GenerationOutcome],
    sentences: asyncio.Queue[GeneratedSentence],
    attribute: _SentenceAttribution,
) -> AsyncIterator[bytes | AbstractiveSummary]:
    """`sentence` events (and keep-alives) while the model generates, then the summary."""
    model = context.state.model
    assert model is not None  # it admitted the job
    # Ends at the deadline even if the model cannot stop (CTranslate2's beam search).
    outcome = asyncio.ensure_future(model.outcome(job))
    try:
        while True:
            if not sentences.empty():
                yield _event("sentence", await attribute(sentences.get_nowait()))
                continue
            if outcome.done():  # its sentences were queued before it settled
                break
            arrival = asyncio.ensure_future(sentences.get())
            done, _ = await asyncio.wait(
                {arrival, outcome}, timeout=KEEP_ALIVE_S, return_when=asyncio.FIRST_COMPLETED
            )
            if arrival in done:
                yield _event("sentence", await attribute(arrival.result()))
                continue
            arrival.cancel()  # an item it was woken for stays in the queue
            if not done:
                yield format_sse_event(comment="keep-alive")
        generated = settle_generation(
            outcome.result(), with_textrank=attribute.prepared.textrank is not None
        )
    finally:
        outcome.cancel()  # a stream given up: the job leaves the queue or stops
    yield generated


class _SentenceAttribution:
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


async def _final(
    context: pipeline.Context,
    opening: _Opening,
    generated: AbstractiveSummary,
    cancel: Cancellation,
) -> dict[str, Any]:
    """The `abstractive` event: the JSON answer's block and comparison (`assemble`)."""

    def work() -> dict[str, Any]:
        article = opening.prepared.article
        report = assemble(article, None, generated, context.state.encoder)
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


def _event(name: str, data: Any) -> bytes:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return format_sse_event(event=name, data_str=text)
