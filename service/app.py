"""The FastAPI application factory."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from models.abstractive.cancel import Cancellation
from models.article import check_text, read_article
from models.embeddings import SentenceEncoder
from models.errors import InvalidOption, InvalidUnicode
from models.summarize import AbstractiveEngine, attribute_summary, summarize
from service.errors import ApiError, install_error_handlers
from service.schemas import (
    AttributeRequest,
    AttributeResponse,
    ErrorResponse,
    HealthResponse,
    ModelInfo,
    ModelsResponse,
    SummarizeRequest,
    SummarizeResponse,
    attribute_response,
    summarize_response,
)
from service.settings import Settings

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        415: "unsupported_media_type: a content type other than JSON or plain text",
        422: "invalid_request / empty_input / invalid_unicode / input_too_long",
        503: "model_unavailable: only abstractive was asked for and no model can serve",
        504: "deadline_exceeded: generation ran past NEWSUM_GENERATION_TIMEOUT_S",
    }.items()
}
log = logging.getLogger("newsum")
_PLAIN_TEXT_PARAMETERS = ("title", "standfirst", "methods", "max_sentences", "model", "language")


RequestModel = TypeVar("RequestModel", bound=BaseModel)


@dataclass
class Engines:
    """The engines an app serves with; None where an engine is off."""

    abstractive: AbstractiveEngine | None = None
    encoder: SentenceEncoder | None = None  # sentence embeddings for attribution


def create_app(settings: Settings | None = None, engines: Engines | None = None) -> FastAPI:
    """The service. Without `engines`, the model named by the settings loads at startup."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if engines is None:
            # Models load here, never at import time, and off the event loop.
            app.state.engines = await run_in_threadpool(_load_engines, settings)
        yield

    app = FastAPI(
        title="newsum",
        version="0.1.0",
        summary="News summaries (TextRank and seq2seq) compared with the article's own lead.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engines = engines or Engines()
    install_error_handlers(app)

    @app.get("/healthz", response_model=HealthResponse)
    async def healthz() -> HealthResponse:
        """Liveness: answers without touching any model."""
        return HealthResponse(status="ok")

    @app.get("/v1/models", response_model=ModelsResponse)
    async def list_models() -> ModelsResponse:
        """The engines and models this server runs, each with its status."""
        return _models(app.state.engines)

    @app.post(
        "/v1/summarize",
        response_model=SummarizeResponse,
        responses=_ERRORS,
        openapi_extra=_summarize_openapi(),
    )
    async def summarize_article(request: Request) -> Response:
        """Summarise an article (JSON, or plain text with options as query parameters)."""
        body = await _summarize_request(request)
        report = await run_in_threadpool(_summarize, app, body)
        return _json(report)

    @app.post(
        "/v1/attribute",
        response_model=AttributeResponse,
        responses={k: v for k, v in _ERRORS.items() if k in (415, 422)},
        openapi_extra=_json_body("AttributeRequest"),
    )
    async def attribute(request: Request) -> Response:
        """Attribute any summary to the article sentences that support it."""
        if _media_type(request) != "application/json":
            raise ApiError(
                "unsupported_media_type",
                f"Content-Type {_media_type(request)!r} is not supported; send application/json",
            )
        body = _validate(AttributeRequest, _parse_json(await request.body()))
        report = await run_in_threadpool(_attribute, app, body)
        return _json(report)

    _publish_request_schemas(app, (SummarizeRequest, AttributeRequest))
    return app


def _load_engines(settings: Settings) -> Engines:
    from models.abstractive.engine import open_engine
    from models.embeddings import load_encoder

    started = time.perf_counter()
    engine = open_engine(
        settings.model, threads=settings.torch_threads, cache_dir=settings.model_cache_dir
    )
    if engine.status == "ok":
        log.info(
            "abstractive model %s loaded in %.1f s", engine.name, time.perf_counter() - started
        )
    else:
        log.warning("abstractive engine unavailable: %s", engine.reason)
    return Engines(abstractive=engine, encoder=load_encoder(settings.embedding_model))


def _models(engines: Engines) -> ModelsResponse:
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


def _summarize(app: FastAPI, body: SummarizeRequest) -> SummarizeResponse:
    settings: Settings = app.state.settings
    engines: Engines = app.state.engines
    served = engines.abstractive.name if engines.abstractive else None
    if body.model is not None and body.model != served:
        raise InvalidOption(
            f"model {body.model!r} is not served here; GET /v1/models lists: {served!r}"
        )
    article = read_article(
        body.text,
        title=body.title,
        standfirst=body.standfirst,
        language=body.language,
        limits=settings.limits,
    )
    report = summarize(
        article,
        methods=body.methods,
        max_sentences=body.max_sentences,
        abstractive=engines.abstractive,
        encoder=engines.encoder,
        generation=body.generation.overrides() if body.generation else None,
        cancel=Cancellation(timeout_s=settings.generation_timeout_s),
    )
    return summarize_response(report)


def _attribute(app: FastAPI, body: AttributeRequest) -> AttributeResponse:
    settings: Settings = app.state.settings
    article = read_article(
        body.text,
        title=body.title,
        standfirst=body.standfirst,
        language=body.language,
        limits=settings.limits,
    )
    check_text(body.summary, "summary", settings.max_summary_chars)
    report = attribute_summary(article, body.summary, encoder=app.state.engines.encoder)
    return attribute_response(report)


def _media_type(request: Request) -> str:
    media_type = request.headers.get("content-type", "application/json").partition(";")[0]
    media_type = media_type.strip().lower()
    return "application/json" if media_type.endswith("+json") else media_type


async def _summarize_request(request: Request) -> SummarizeRequest:
    media_type = _media_type(request)
    parameters = request.headers.get("content-type", "").partition(";")[2]
    raw = await request.body()
    if media_type == "application/json":
        return _validate(SummarizeRequest, _parse_json(raw))
    if media_type == "text/plain":
        fields = _query_fields(request.query_params.multi_items())
        fields["text"] = _decode(raw, _charset(parameters))
        return _validate(SummarizeRequest, fields)
    raise ApiError(
        "unsupported_media_type",
        f"Content-Type {media_type!r} is not supported; "
        "send application/json, or text/plain with options as query parameters",
    )


def _parse_json(raw: bytes) -> Any:
    # The standard library keeps lone surrogates ("\ud800") as they are, so the
    # domain check can answer invalid_unicode rather than a parse error.
    try:
        return json.loads(raw)
    except UnicodeDecodeError as error:
        raise InvalidUnicode(f"the body is not valid UTF-8 at byte {error.start}") from None
    except json.JSONDecodeError as error:
        raise ApiError(
            "invalid_request",
            f"the body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}",
        ) from None


def _query_fields(items: list[tuple[str, str]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in items:
        if name not in _PLAIN_TEXT_PARAMETERS:
            raise ApiError(
                "invalid_request",
                f"unknown query parameter {name!r}; known: {', '.join(_PLAIN_TEXT_PARAMETERS)}",
            )
        if name == "methods":
            # Both ?methods=a,b and ?methods=a&methods=b.
            fields.setdefault("methods", []).extend(m for m in value.split(",") if m)
        else:
            fields[name] = value
    return fields


def _charset(parameters: str) -> str:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower() or "utf-8"
    return "utf-8"


def _decode(raw: bytes, charset: str) -> str:
    try:
        return raw.decode(charset)
    except LookupError:
        raise ApiError("invalid_request", f"unknown charset {charset!r}; send UTF-8") from None
    except UnicodeDecodeError as error:
        raise InvalidUnicode(f"the body is not valid {charset} at byte {error.start}") from None


def _validate(model: type[RequestModel], data: Any) -> RequestModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None


def _json(model: BaseModel) -> Response:
    # Serialised by pydantic directly: one pass, and byte-identical to `newsum summarize --json`.
    return Response(content=model.model_dump_json(), media_type="application/json")


def _json_body(schema: str) -> dict[str, Any]:
    reference = {"$ref": f"#/components/schemas/{schema}"}
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": reference}}}
    }


def _summarize_openapi() -> dict[str, Any]:
    reference = {"$ref": "#/components/schemas/SummarizeRequest"}
    fields = SummarizeRequest.model_json_schema()["properties"]
    return {
        # Query parameters apply to text/plain bodies only; a JSON body carries its options.
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": f"text/plain bodies only. {fields[name].get('description', '')}",
                "schema": _query_schema(fields[name]),
            }
            for name in _PLAIN_TEXT_PARAMETERS
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": reference},
                "text/plain": {
                    "schema": {"type": "string", "description": "The article body."},
                    "example": "Syria's interim Foreign Minister visited Iraq on Friday.",
                },
            },
        },
    }


def _query_schema(field: dict[str, Any]) -> dict[str, Any]:
    # A query parameter is never JSON null: keep the non-null branch of Optional fields.
    options = [o for o in field.get("anyOf", [field]) if o.get("type") != "null"]
    return {k: v for k, v in options[0].items() if k not in ("title", "description")}


def _publish_request_schemas(app: FastAPI, models: tuple[type[BaseModel], ...]) -> None:
    # Request bodies are parsed by hand (summarize takes JSON and plain text, and
    # both keep lone surrogates for an invalid_unicode answer), so FastAPI does
    # not see the request models; add them to the document's components.
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = FastAPI.openapi(app)
        components: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            definitions: Mapping[str, Any] = schema.pop("$defs", {})
            components.update(definitions)
            components[model.__name__] = schema
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
