"""POST /v1/summarize as server-sent events (`Accept: text/event-stream`; ../shared/API.md).

The same stages as the JSON answer (service.runtime.pipeline), on the same owners and
within the same deadline, each sent as soon as it is done:

1. text owner, interactive lane: parse, read, TextRank and its comparison (and
   the NLI judge's verdict on TextRank's summary, when it is on) ->
   `article`, `lead_vs_closing`, `textrank`;
2. model owner: admitted before the answer starts (a full queue is a plain
   503, never an event), then generating as a batch of one; each sentence the
   engine hands over is attributed on the text owner (admitted lane) ->
   `sentence`;
3. the NLI judge's owner, when it is on: the whole generated summary, as the
   JSON answer judges it; text owner: the abstractive block, by the JSON
   answer's own `assemble` -> `abstractive` (each sentence's `nli` in it);
   then `done`.

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
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi.sse import EventSourceResponse, format_sse_event

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.likelihood import SummaryLikelihood
from newsum.models.summarize import settle_generation
from newsum.models.types import AbstractiveSummary, GeneratedSentence
from newsum.service.contract.errors import describe
from newsum.service.contract.schemas import SummarizeRequest
from newsum.service.runtime import pipeline
from newsum.service.runtime.owner import cancel_on_disconnect
from newsum.service.web import stream_stages as stages

EVENT_STREAM = "text/event-stream"
# A comment line this often while nothing else is sent, so that proxies do not
# close a quiet stream (nginx's proxy_read_timeout is 60 s by default).
KEEP_ALIVE_S = 15.0
_HEADERS = {
    "Cache-Control": "no-cache",  # every stream is its own answer
    "X-Accel-Buffering": "no",  # nginx: pass each event on, do not buffer
}


def wants_events(accept: str) -> bool:
    """Whether an Accept header asks for server-sent events."""
    return any(part.split(";")[0].strip().lower() == EVENT_STREAM for part in accept.split(","))


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
            context, lambda: stages.open_stream(context, parse, cancel), cancel, "interactive"
        )
        opening = await stages.judged_opening(context, opening, cancel)
        sentences: asyncio.Queue[GeneratedSentence] = asyncio.Queue()
        generation = stages.admit_generation(
            context, opening.prepared, cancel, stages.deliver_to(sentences)
        )
    finally:
        watcher.cancel()
    events = _events(context, opening, generation, sentences, cancel, started)
    return EventSourceResponse(events, headers=_HEADERS)


async def _events(
    context: pipeline.Context,
    opening: stages.Opening,
    generation: stages.Admitted | AbstractiveSummary | None,
    sentences: asyncio.Queue[GeneratedSentence],
    cancel: Cancellation,
    started: float,
) -> AsyncIterator[bytes]:
    try:
        for name, data in opening.events:
            yield _event(name, data)
        if generation is not None:
            generated, attribution = generation, None
            if not isinstance(generation, AbstractiveSummary):
                attribution = stages.SentenceAttribution(context, opening.prepared, cancel)
                async for item in _generate(context, generation, sentences, attribution):
                    if isinstance(item, bytes):
                        yield item
                    else:
                        generated = item
            assert isinstance(generated, AbstractiveSummary)
            block = await stages.final_block(context, opening, generated, cancel, attribution)
            yield _event("abstractive", block)
        yield _event("done", {"elapsed_ms": round((time.perf_counter() - started) * 1000, 2)})
    except Exception as error:  # past the first byte, an error is the stream's last event
        code, message = describe(error)
        yield _event("error", {"error": {"code": code, "message": message}})
    finally:
        # However it ended (done, error, client gone), nothing of it may run on.
        cancel.cancel()


async def _generate(
    context: pipeline.Context,
    admitted: stages.Admitted,
    sentences: asyncio.Queue[GeneratedSentence],
    attribute: stages.SentenceAttribution,
) -> AsyncIterator[bytes | AbstractiveSummary]:
    """`sentence` events (and keep-alives) while the model generates, then the summary."""
    # Ends at the deadline even if the model cannot stop (CTranslate2's beam search).
    outcome = asyncio.ensure_future(admitted.owner.outcome(admitted.job))
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
        result = outcome.result()
        assert not isinstance(result, SummaryLikelihood)  # a generation's job answers a summary
        generated = settle_generation(result, with_textrank=attribute.prepared.textrank is not None)
    finally:
        outcome.cancel()  # a stream given up: the job leaves the queue or stops
    yield generated


def _event(name: str, data: Any) -> bytes:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return format_sse_event(event=name, data_str=text)
