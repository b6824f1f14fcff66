"""The endpoints of ../shared/API.md. Handlers read the body; runtime.pipeline does the work."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import asdict
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from newsum.models.abstractive.backends import STOPPABLE_DECODING
from newsum.models.abstractive.interface import AbstractiveEngine
from newsum.models.abstractive.routing import scope_of
from newsum.models.abstractive.streaming import streams
from newsum.models.errors import EmptyInput, InputTooLong
from newsum.models.nli.support import NliJudging
from newsum.service.contract.errors import ApiError, describe
from newsum.service.contract.json_body import parse_json, validate
from newsum.service.contract.schemas import (
    AttributeRequest,
    AttributeResponse,
    BatchRequestLine,
    EngineReadiness,
    HealthResponse,
    JudgeInfo,
    ModelInfo,
    ModelsResponse,
    ReadyResponse,
    SummarizeRequest,
    SummarizeResponse,
)
from newsum.service.runtime import pipeline, readiness
from newsum.service.runtime.state import Engines, ServiceState
from newsum.service.settings import Settings
from newsum.service.web import bodies, stream
from newsum.service.web.openapi import (
    batch_body,
    error_responses,
    event_stream,
    json_body,
    not_ready_response,
    summarize_body,
)

router = APIRouter()
_PAGE = (resources.files("newsum.service.web") / "static" / "index.html").read_text(
    encoding="utf-8"
)
_LOADING_RETRY_S = 5
# Reading one line's id is parsing at most one body's worth of JSON: well under this.
_READ_ID_TIMEOUT_S = 10.0


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def editor_page() -> HTMLResponse:
    """The editor's page: paste an article, see both summaries and their sources."""
    # A fresh nonce per answer: only the page's own inline script may run.
    nonce = secrets.token_urlsafe(16)
    page = _PAGE.replace("<script>", f'<script nonce="{nonce}">', 1)
    policy = (
        f"default-src 'self'; script-src 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": policy})


@router.get("/healthz", response_model=HealthResponse)
async def healthz() -> HealthResponse:
    """Liveness: answers without touching any model."""
    return HealthResponse(status="ok")


@router.get("/readyz", response_model=ReadyResponse, responses=not_ready_response())
async def readyz(request: Request) -> ReadyResponse:
    """Readiness: 200 once the service answers what it is configured for, each engine listed."""
    state: ServiceState = request.app.state.service
    engines = readiness.engine_readiness(request.app.state.settings, state)
    if not state.ready:
        message = readiness.not_ready_message(state, engines)
        raise ApiError("not_ready", message, retry_after_s=_LOADING_RETRY_S)
    return ReadyResponse(
        status="ready",
        degraded=any(engine.status != "ready" for engine in engines),
        models=list(state.models),
        engines=[EngineReadiness.model_validate(asdict(engine)) for engine in engines],
    )


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus text format."""
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")


@router.get("/v1/models", response_model=ModelsResponse)
async def list_models(request: Request) -> ModelsResponse:
    """The engines and models this server runs, each with its status."""
    engines: Engines = request.app.state.service.engines
    settings: Settings = request.app.state.settings
    models = [ModelInfo(id="textrank", method="textrank", status="ok", reason=None)]
    models += [_abstractive_info(engine, settings) for engine in engines.abstractive_models()]
    return ModelsResponse(models=models, judges=_judges(request.app.state.service, settings))


def _judges(state: ServiceState, settings: Settings) -> list[JudgeInfo]:
    bounds = {"max_pairs": settings.nli_max_pairs, "batch_size": settings.nli_batch_size}
    judging = state.engines.nli
    if isinstance(judging, NliJudging):
        model = judging.model
        return [
            JudgeInfo(
                id=model.name,
                kind="nli",
                status="ok",
                reason=None,
                labels=list(model.labels),
                max_input_tokens=model.max_tokens,
                max_pair_tokens=model.max_length,
                **bounds,
            )
        ]
    if judging is None and not settings.nli_configured:
        return []
    reason = judging if isinstance(judging, str) else "the NLI judge is loading"
    return [
        JudgeInfo(id=settings.nli_model, kind="nli", status="unavailable", reason=reason, **bounds)
    ]


def _abstractive_info(engine: AbstractiveEngine, settings: Settings) -> ModelInfo:
    checkpoint = getattr(engine, "checkpoint", None)
    # The loaded generator's own; the configured ones while it loads or cannot.
    generator = getattr(engine, "generator", None)
    backend = generator.backend if generator else settings.backend
    scope = scope_of(engine)
    return ModelInfo(
        id=engine.name,
        method="abstractive",
        status="ok" if engine.status == "ok" else "unavailable",
        reason=engine.reason,
        generation_defaults=asdict(checkpoint.defaults) if checkpoint else None,
        max_input_tokens=checkpoint.max_input_tokens if checkpoint else None,
        backend=backend,
        compute_type=generator.compute_type if generator else settings.compute_type,
        languages=list(scope.languages) if scope.languages is not None else None,
        language_scope=scope.source,
        stoppable_decoding=list(STOPPABLE_DECODING[backend]),
        streams=streams(checkpoint.defaults.num_beams) if checkpoint else None,
    )


@router.post(
    "/v1/summarize",
    response_model=SummarizeResponse,
    responses=error_responses(401, 408, 413, 415, 422, 429, 503, 504) | event_stream(),
    openapi_extra=summarize_body(
        SummarizeRequest.model_json_schema()["properties"], bodies.PLAIN_TEXT_PARAMETERS
    ),
)
async def summarize_article(request: Request) -> Response:
    """Summarise an article: JSON, plain text or an article page (HTML).

    With `Accept: text/event-stream`, the answer comes as server-sent events, each
    part as soon as it is ready: `article`, `textrank`, one `sentence` per generated
    sentence, `abstractive`, then `done` (or `error`).
    """
    parse = await bodies.summarize_request(request)
    context = pipeline.Context.of(request.app.state)
    if stream.wants_events(request.headers.get("accept", "")):
        return await stream.summarize_events(context, parse, request.is_disconnected)
    answer = await pipeline.summarize(context, parse, "interactive", request.is_disconnected)
    return _json(answer)


@router.post(
    "/v1/summarize/batch",
    responses=error_responses(401, 408, 413, 415, 422, 429),
    openapi_extra=batch_body(),
)
async def summarize_batch(request: Request) -> StreamingResponse:
    """Summarise many articles: NDJSON in, one result line per line out, in order."""
    bodies.require(request, bodies.NDJSON)
    settings: Settings = request.app.state.settings
    lines = [line for line in (await request.body()).split(b"\n") if line.strip()]
    if len(lines) > settings.max_batch_lines:
        raise InputTooLong("batch lines", settings.max_batch_lines, len(lines))
    if not lines:
        raise EmptyInput("the batch holds no lines; send one JSON request per line")
    context = pipeline.Context.of(request.app.state)

    async def results() -> AsyncIterator[str]:
        for number, line in enumerate(lines, start=1):
            yield await _batch_line(context, number, line) + "\n"
            if await request.is_disconnected():
                return

    return StreamingResponse(results(), media_type=bodies.NDJSON)


@router.post(
    "/v1/attribute",
    response_model=AttributeResponse,
    responses=error_responses(401, 408, 413, 415, 422, 429, 503, 504),
    openapi_extra=json_body("AttributeRequest"),
)
async def attribute(request: Request) -> Response:
    """Attribute any summary's sentences to the article sentences that support them."""
    bodies.require(request, bodies.JSON)
    raw = await request.body()
    context = pipeline.Context.of(request.app.state)
    return _json(
        await pipeline.attribute(
            context,
            lambda: validate(AttributeRequest, parse_json(raw)),
            request.is_disconnected,
        )
    )


class _BatchLine:
    """Parses one NDJSON line (on the text owner), keeping its id for the answer line."""

    def __init__(self, number: int, line: bytes) -> None:
        self.number = number
        self.line = line
        self.item_id: str | int | None = None
        self.read = False

    def __call__(self) -> BatchRequestLine:
        return validate(BatchRequestLine, self.read_id())

    def read_id(self) -> Any:
        data = parse_json(self.line, where=f"line {self.number}")
        given = data.get("id") if isinstance(data, dict) else None
        if isinstance(given, str | int) and not isinstance(given, bool):
            self.item_id = given
        # Only now: a line whose deadline passed while it was being read must be read
        # again for its id (the answer line names it), not taken as read.
        self.read = True
        return data


async def _batch_line(context: pipeline.Context, number: int, line: bytes) -> str:
    parse = _BatchLine(number, line)
    try:
        # Batch lines take only their share of each queue, so interactive requests keep theirs.
        result = await pipeline.summarize(context, parse, "batch")
        return f'{{"id":{json.dumps(parse.item_id)},"line":{number},"result":{result}}}'
    except Exception as error:  # each line answers for itself; the batch goes on
        if not parse.read:
            # Refused or late before the line was read: read its id now (one line, bounded).
            with contextlib.suppress(Exception):
                await pipeline.text_work(context, parse.read_id, _READ_ID_TIMEOUT_S)
        code, message = describe(error)
        detail = json.dumps(
            {"code": code, "message": message}, ensure_ascii=False, separators=(",", ":")
        )
        return f'{{"id":{json.dumps(parse.item_id)},"line":{number},"error":{detail}}}'


def _json(answer: str) -> Response:
    # Serialised by pydantic in one pass (on the text owner); byte-identical to the CLI's --json.
    return Response(content=answer, media_type="application/json")
