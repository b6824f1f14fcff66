"""The endpoints of ../shared/API.md. Handlers parse, then hand the work to threads."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import asdict
from functools import partial
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from models.abstractive.cancel import Cancellation
from models.article import check_text, read_article
from models.errors import InputTooLong, InvalidOption
from models.summarize import attribute_summary, summarize
from models.types import Article
from service import bodies
from service.errors import ApiError, describe
from service.metrics import Metrics
from service.openapi import batch_body, error_responses, json_body, summarize_body
from service.schemas import (
    AttributeRequest,
    AttributeResponse,
    BatchRequestLine,
    HealthResponse,
    ModelInfo,
    ModelsResponse,
    ReadyResponse,
    SummarizeRequest,
    SummarizeResponse,
    attribute_response,
    summarize_response,
)
from service.settings import Settings
from service.state import Engines, ServiceState
from service.worker import ModelWorker

router = APIRouter()
_PAGE = (resources.files("service") / "static" / "index.html").read_text(encoding="utf-8")
_LOADING_RETRY_S = 5


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


@router.get("/readyz", response_model=ReadyResponse, responses=error_responses(503))
async def readyz(request: Request) -> ReadyResponse:
    """Readiness: 200 once the configured models are loaded and warmed up, else 503."""
    state: ServiceState = request.app.state.service
    if state.ready:
        return ReadyResponse(status="ready")
    waiting = "; ".join(state.waiting_for) or "models are loading"
    raise ApiError("not_ready", f"not ready: {waiting}", retry_after_s=_LOADING_RETRY_S)


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus text format."""
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")


@router.get("/v1/models", response_model=ModelsResponse)
async def list_models(request: Request) -> ModelsResponse:
    """The engines and models this server runs, each with its status."""
    engines: Engines = request.app.state.service.engines
    models = [ModelInfo(id="textrank", method="textrank", status="ok", reason=None)]
    engine = engines.abstractive
    if engine is not None:
        checkpoint = getattr(engine, "checkpoint", None)
        models.append(
            ModelInfo(
                id=engine.name,
                method="abstractive",
                status="ok" if engine.status == "ok" else "unavailable",
                reason=engine.reason,
                generation_defaults=asdict(checkpoint.defaults) if checkpoint else None,
                max_input_tokens=checkpoint.max_input_tokens if checkpoint else None,
            )
        )
    return ModelsResponse(models=models)


@router.post(
    "/v1/summarize",
    response_model=SummarizeResponse,
    responses=error_responses(401, 413, 415, 422, 429, 503, 504),
    openapi_extra=summarize_body(
        SummarizeRequest.model_json_schema()["properties"], bodies.PLAIN_TEXT_PARAMETERS
    ),
)
async def summarize_article(request: Request) -> Response:
    """Summarise an article: JSON, plain text or an article page (HTML)."""
    body = await bodies.summarize_request(request)
    return _json(await _summary(request, body, may_queue=False))


@router.post(
    "/v1/summarize/batch",
    responses=error_responses(401, 413, 415, 422, 429),
    openapi_extra=batch_body(),
)
async def summarize_batch(request: Request) -> StreamingResponse:
    """Summarise many articles: NDJSON in, one result line per line out, in order."""
    bodies.require(request, bodies.NDJSON)
    settings: Settings = request.app.state.settings
    lines = [line for line in (await request.body()).split(b"\n") if line.strip()]
    if len(lines) > settings.max_batch_lines:
        raise InputTooLong("batch lines", settings.max_batch_lines, len(lines))

    async def results() -> AsyncIterator[str]:
        for number, line in enumerate(lines, start=1):
            yield await _batch_line(request, number, line) + "\n"
            if await request.is_disconnected():
                return

    return StreamingResponse(results(), media_type=bodies.NDJSON)


@router.post(
    "/v1/attribute",
    response_model=AttributeResponse,
    responses=error_responses(401, 413, 415, 422, 429),
    openapi_extra=json_body("AttributeRequest"),
)
async def attribute(request: Request) -> Response:
    """Attribute any summary's sentences to the article sentences that support them."""
    bodies.require(request, bodies.JSON)
    body = bodies.validate(AttributeRequest, bodies.parse_json(await request.body()))
    app = request.app.state
    return _json(await run_in_threadpool(_attribute, app.settings, app.service, app.metrics, body))


async def _summary(
    request: Request, body: SummarizeRequest, *, may_queue: bool
) -> SummarizeResponse:
    state: ServiceState = request.app.state.service
    settings: Settings = request.app.state.settings
    engine = state.engines.abstractive
    if body.model is not None and (engine is None or body.model != engine.name):
        served = engine.name if engine else None
        raise InvalidOption(
            f"model {body.model!r} is not served here; GET /v1/models lists: {served!r}"
        )
    wants_model = "abstractive" in body.methods
    if wants_model and state.loading and "textrank" not in body.methods:
        raise ApiError(
            "not_ready", "the model is still loading; retry shortly", retry_after_s=_LOADING_RETRY_S
        )
    cancel = Cancellation(timeout_s=settings.request_timeout_s)
    work = partial(_summarize, settings, state, request.app.state.metrics, body, cancel)
    if wants_model and engine is not None and engine.status == "ok":
        worker: ModelWorker = request.app.state.worker
        return await worker.run(work, cancel, request, may_queue=may_queue)
    return await run_in_threadpool(work)


def _summarize(
    settings: Settings,
    state: ServiceState,
    metrics: Metrics,
    body: SummarizeRequest,
    cancel: Cancellation,
) -> SummarizeResponse:
    started = time.perf_counter()
    article = _read(settings, body)
    segmentation_ms = (time.perf_counter() - started) * 1000
    report = summarize(
        article,
        methods=body.methods,
        max_sentences=body.max_sentences,
        abstractive=state.engines.abstractive,
        encoder=state.engines.encoder,
        generation=body.generation.overrides() if body.generation else None,
        cancel=cancel,
    )
    metrics.observe_stages({"segmentation": segmentation_ms, **report.timings_ms})
    return summarize_response(report)


def _attribute(
    settings: Settings, state: ServiceState, metrics: Metrics, body: AttributeRequest
) -> AttributeResponse:
    article = _read(settings, body)
    check_text(body.summary, "summary", settings.max_summary_chars)
    started = time.perf_counter()
    report = attribute_summary(article, body.summary, encoder=state.engines.encoder)
    metrics.observe_stages({"attribution": (time.perf_counter() - started) * 1000})
    return attribute_response(report)


def _read(settings: Settings, body: SummarizeRequest | AttributeRequest) -> Article:
    return read_article(
        body.text,
        title=body.title,
        standfirst=body.standfirst,
        language=body.language,
        limits=settings.limits,
    )


async def _batch_line(request: Request, number: int, line: bytes) -> str:
    item_id: str | int | None = None
    try:
        data = bodies.parse_json(line, where=f"line {number}")
        given = data.get("id") if isinstance(data, dict) else None
        if isinstance(given, str | int) and not isinstance(given, bool):
            item_id = given
        body = bodies.validate(BatchRequestLine, data)
        result = await _summary(request, body, may_queue=True)
        return f'{{"id":{json.dumps(item_id)},"line":{number},"result":{result.model_dump_json()}}}'
    except Exception as error:  # each line answers for itself; the batch goes on
        code, message = describe(error)
        detail = json.dumps(
            {"code": code, "message": message}, ensure_ascii=False, separators=(",", ":")
        )
        return f'{{"id":{json.dumps(item_id)},"line":{number},"error":{detail}}}'


def _json(model: SummarizeResponse | AttributeResponse) -> Response:
    # Serialised by pydantic in one pass; byte-identical to the CLI's --json.
    return Response(content=model.model_dump_json(), media_type="application/json")
