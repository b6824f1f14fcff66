"""What the OpenAPI document says beyond what FastAPI infers: bodies parsed by hand, errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from service.schemas import ErrorResponse

_ERROR_TEXT = {
    401: "unauthorized: API keys are configured and the request has none or a wrong one",
    413: "payload_too_large: body over NEWSUM_MAX_BODY_BYTES (refused before it is read)",
    415: "unsupported_media_type: a content type this endpoint does not take",
    422: "invalid_request / empty_input / invalid_unicode / input_too_long",
    429: "rate_limited: over NEWSUM_RATE_LIMIT_PER_MINUTE for this key (see Retry-After)",
    503: "overloaded: the queue in front of the text workers or the model is full "
    "(see Retry-After) / model_unavailable / not_ready / generation_failed: the model "
    "failed on this request and only `abstractive` was asked for (with `textrank` too, the "
    'answer is 200 with `abstractive.status = "error"`) / worker_failed: the thread serving '
    "the request died and was replaced; retry",
    504: "deadline_exceeded: past NEWSUM_REQUEST_TIMEOUT_S; its work was stopped",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": ErrorResponse, "description": _ERROR_TEXT[status]} for status in statuses
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
                    "schema": {"type": "string", "description": "An article page."},
                    "example": "<html><body><article><p>Syria's interim Foreign Minister "
                    "visited Iraq on Friday.</p><p>He met his Iraqi counterpart.</p>"
                    "</article></body></html>",
                },
            },
        },
    }


def batch_body() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {
                    "schema": {
                        "type": "string",
                        "description": "One BatchRequestLine (JSON) per line.",
                    },
                    "example": '{"id": "a1", "text": "First article. It has two sentences."}\n'
                    '{"id": "a2", "text": "Second article here.", "methods": ["textrank"]}\n',
                }
            },
        },
        "responses": {
            "200": {
                "description": "One BatchResultLine (JSON) per input line, in order, "
                "streamed as each completes.",
                "content": {
                    "application/x-ndjson": {
                        "schema": {"$ref": "#/components/schemas/BatchResultLine"}
                    }
                },
            }
        },
    }


def publish_models(
    app: FastAPI,
    models: tuple[type[BaseModel], ...],
    limits: Mapping[tuple[str, str], int],
) -> None:
    """Add request models FastAPI cannot see (bodies parsed by hand) to the components.

    `limits` puts this server's configured lengths into the document, so it
    tells the truth: {(model name, field): most characters}.
    """

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
        for (name, field), most in limits.items():
            properties = components[name]["properties"]
            properties[field] |= {"minLength": 1, "maxLength": most}
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _query_schema(field: Mapping[str, Any]) -> dict[str, Any]:
    # A query parameter is never JSON null: keep the non-null branch of Optional fields.
    options = [o for o in field.get("anyOf", [field]) if o.get("type") != "null"]
    return {k: v for k, v in options[0].items() if k not in ("title", "description")}
