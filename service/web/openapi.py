"""What the OpenAPI document says beyond what FastAPI infers: bodies parsed by hand, errors."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from newsum.models.page import VISIBLE_TEXT_PATTERN
from newsum.models.segment import NOT_BLANK_PATTERN
from newsum.service.contract.schemas import ErrorResponse
from newsum.service.settings import Settings

_ERROR_TEXT = {
    401: "unauthorized: API keys are configured and the request has none or a wrong one",
    408: "request_timeout: the body did not arrive whole within NEWSUM_READ_TIMEOUT_S (or "
    "stopped arriving as the server shut down); the connection is then closed",
    413: "payload_too_large: body over NEWSUM_MAX_BODY_BYTES (refused before it is read)",
    415: "unsupported_media_type: a content type this endpoint does not take",
    422: "invalid_request / empty_input / invalid_unicode / input_too_long / "
    "method_not_served: only `abstractive` asked for where no model is configured",
    429: "rate_limited: over NEWSUM_RATE_LIMIT_PER_MINUTE for this key (see Retry-After)",
    503: "overloaded: the queue in front of the text workers or the model is full "
    "(see Retry-After) / model_unavailable: only `abstractive` asked for and the configured "
    "models cannot serve it (not fetched, failed to load, not the article's language) / "
    "not_ready / generation_failed: the model "
    "failed on this request and only `abstractive` was asked for (with `textrank` too, the "
    'answer is 200 with `abstractive.status = "error"`) / worker_failed: the thread serving '
    "the request died and was replaced; retry",
    504: "deadline_exceeded: past NEWSUM_REQUEST_TIMEOUT_S; its work was stopped",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": ErrorResponse, "description": _ERROR_TEXT[status]} for status in statuses
    }


def not_ready_response() -> dict[int | str, dict[str, Any]]:
    """GET /readyz: 200 ready (perhaps degraded), 503 not_ready (service.runtime.readiness)."""
    return {
        200: {
            "description": "Ready: the service answers what it is configured for. Every "
            "configured engine is listed with its status; `degraded` when one is unavailable "
            "(a model not fetched), which each answer needing it also says."
        },
        503: {
            "model": ErrorResponse,
            "description": "not_ready (with Retry-After): the models are loading and warming "
            "up, the server is draining after SIGTERM, or nothing can be served as configured "
            "(the warm-up failed; a judge weights file cannot be read; NEWSUM_REQUIRE_MODEL is "
            "on and a model cannot be loaded). The message says which, then lists every "
            "engine's status and reason, as the 200 body does: errors keep one shape.",
        },
    }


def event_stream() -> dict[int | str, dict[str, Any]]:
    """The 200 answer's other form: server-sent events, for `Accept: text/event-stream`."""
    example = "".join(
        f"event: {name}\ndata: {data}\n\n"
        for name, data in (
            ("article", '{"text": "...", "sentences": [...], "lead": {...}, ...}'),
            ("lead_vs_closing", '{"rouge1": 0.31, ..., "kept": [...], "dropped": [...]}'),
            ("textrank", '{"summary": {...}, "comparison": {...}}'),
            ("sentence", '{"index": 0, "text": "...", "attributions": [...], '
             '"support": 0.71, "unsupported": []}'),
            ("abstractive", '{"summary": {...}, "comparison": {...}}'),
            ("done", '{"elapsed_ms": 2140.5}'),
        )
    )  # fmt: skip
    return {
        200: {
            "description": "The summaries (JSON), or with `Accept: text/event-stream` the same "
            "as server-sent events, each part as soon as it is ready, in this order: `article` "
            "(the article block); `lead_vs_closing` (comparison.lead_vs_closing); `textrank` "
            "(`summary`: summaries.textrank, `comparison`: "
            "comparison.textrank); one `sentence` per generated sentence (`index`, `text`, "
            "`attributions`, `support`, `unsupported`); `abstractive` (`summary`: "
            "summaries.abstractive, `comparison`: comparison.abstractive); `done` "
            "(`elapsed_ms`). Events of methods not asked for are absent. An error after the "
            "stream has begun (e.g. deadline_exceeded) is an `error` event with the error "
            "shape, and the stream ends; refusals (401, 413, 415, 422, 429, 503) are ordinary "
            "responses before any event. A `: keep-alive` comment line every 15 s of silence.",
            "content": {
                "text/event-stream": {
                    "schema": {"type": "string", "description": "text/event-stream (WHATWG)"},
                    "example": example,
                }
            },
        }
    }


def json_body(schema: str) -> dict[str, Any]:
    reference = {"$ref": f"#/components/schemas/{schema}"}
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": reference}}}
    }


def summarize_body(query_fields: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """JSON, plain text or an article page; options of the last two as query parameters."""
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": "text/plain and text/html bodies only. "
                + str(query_fields[name].get("description", "")),
                "schema": _query_schema(query_fields[name]),
            }
            for name in names
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SummarizeRequest"}},
                "text/plain": {
                    "schema": {"type": "string", "description": "The article body."},
                    "example": "Syria's interim Foreign Minister visited Iraq on Friday.\n"
                    "He met his Iraqi counterpart in Baghdad.",
                },
                "text/html": {
                    "schema": {
                        "type": "string",
                        "description": "An article page: its main text is read (trafilatura), "
                        "else its visible text; a page with no text outside its markup is "
                        "422 empty_input. The page is bounded by the body limit in bytes "
                        "(413), its text by the article limit in characters (422 "
                        "input_too_long).",
                    },
                    "example": "<html><body><article><p>Syria's interim Foreign Minister "
                    "visited Iraq on Friday.</p><p>He met his Iraqi counterpart.</p>"
                    "</article></body></html>",
                },
            },
        },
    }


def batch_body() -> dict[str, Any]:
    # An array in the document, one item per line on the wire: a generator given
    # an NDJSON serializer (tests/service/web/schemathesis_hooks.py) can produce it.
    lines = "Newline-delimited JSON: one BatchRequestLine per line (an array here)."
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {
                    "schema": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/BatchRequestLine"},
                        "minItems": 1,
                        "description": lines,
                    },
                    "example": [
                        {"id": "a1", "text": "First article. It has two sentences."},
                        {"id": "a2", "text": "Second article here.", "methods": ["textrank"]},
                    ],
                }
            },
        },
        "responses": {
            "200": {
                "description": "One BatchResultLine (JSON) per input line, in order, "
                "streamed as each completes; a line that fails carries its `error` and the "
                "batch goes on, so a batch with bad lines is still a 200.",
                "content": {
                    "application/x-ndjson": {
                        "schema": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/BatchResultLine"},
                        }
                    }
                },
            }
        },
    }


def publish_models(
    app: FastAPI,
    models: tuple[type[BaseModel], ...],
    settings: Settings,
    served_models: Callable[[], list[str] | None],
) -> None:
    """Add request models FastAPI cannot see (bodies parsed by hand) to the components.

    The document tells this server's truth: its configured lengths, the models
    it serves (`served_models`, None while they load), and text
    that must hold a character that is not blank (`NOT_BLANK_PATTERN`, the
    same test the server applies), on every body type.
    """
    text_limits = {
        ("SummarizeRequest", "text"): settings.max_article_chars,
        ("BatchRequestLine", "text"): settings.max_article_chars,
        ("BatchRequestLine", "article"): settings.max_article_chars,
        ("AttributeRequest", "text"): settings.max_article_chars,
        ("AttributeRequest", "summary"): settings.max_summary_chars,
    }
    non_blank = {"minLength": 1, "pattern": NOT_BLANK_PATTERN}

    def openapi() -> dict[str, Any]:
        # Kept once the models have loaded: until then, which are served is not known.
        names = served_models()
        if app.openapi_schema and names is not None:
            return app.openapi_schema
        # Built afresh, and a copy: FastAPI shares the routes' `openapi_extra` with it.
        app.openapi_schema = None
        document = copy.deepcopy(FastAPI.openapi(app))
        components: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            definitions: Mapping[str, Any] = schema.pop("$defs", {})
            components.update(definitions)
            components[model.__name__] = schema
        for (name, field), most in text_limits.items():
            components[name]["properties"][field] |= non_blank | {"maxLength": most}
        summarize = document["paths"]["/v1/summarize"]["post"]["requestBody"]["content"]
        summarize["text/plain"]["schema"] |= non_blank | {"maxLength": settings.max_article_chars}
        # A page's size is bounded in bytes (413), its text in characters (422).
        summarize["text/html"]["schema"] |= {"pattern": VISIBLE_TEXT_PATTERN}
        if names is not None:
            _publish_served(document, names)
        batch = document["paths"]["/v1/summarize/batch"]["post"]["requestBody"]["content"]
        batch["application/x-ndjson"]["schema"]["maxItems"] = settings.max_batch_lines
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _publish_served(document: dict[str, Any], names: list[str]) -> None:
    """`model` is one of the configured models (GET /v1/models), on every body type; with
    none, it has no value to take and `methods` must hold textrank (abstractive alone
    is 422 method_not_served)."""
    operation = document["paths"]["/v1/summarize"]["post"]
    lines = [document["components"]["schemas"][n] for n in ("SummarizeRequest", "BatchRequestLine")]
    if names:
        served = {"type": "string", "enum": names}
        for line in lines:
            line["properties"]["model"] = {
                "anyOf": [served, {"type": "null"}],
                "description": "Abstractive model id, one of GET /v1/models.",
            }
        for parameter in operation["parameters"]:
            if parameter["name"] == "model":
                parameter["schema"] = served
        return
    with_textrank = {"contains": {"const": "textrank"}}
    note = (
        " No abstractive model is configured here (NEWSUM_MODEL=none): `textrank` must be "
        "among them; `abstractive` alone is 422 method_not_served."
    )
    for line in lines:
        line["properties"]["model"] = {
            "type": "null",
            "description": "No abstractive model is configured here (NEWSUM_MODEL=none).",
        }
        methods = line["properties"]["methods"]
        methods |= with_textrank | {"description": methods.get("description", "") + note}
    operation["parameters"] = [p for p in operation["parameters"] if p["name"] != "model"]
    for parameter in operation["parameters"]:
        if parameter["name"] == "methods":
            parameter["schema"] |= with_textrank
            parameter["description"] += note


def _query_schema(field: Mapping[str, Any]) -> dict[str, Any]:
    # A query parameter is never JSON null: keep the non-null branch of Optional fields.
    options = [o for o in field.get("anyOf", [field]) if o.get("type") != "null"]
    return {k: v for k, v in options[0].items() if k not in ("title", "description")}
