"""Request bodies into request models: JSON, plain text, article pages (HTML), NDJSON lines.

JSON goes through the standard library, which keeps lone surrogates ("\\ud800")
as they are, so the domain check answers `invalid_unicode` instead of a parse
error. An HTML page's main text is extracted by trafilatura (Barbaresi 2021),
which keeps paragraph breaks and drops navigation, comments and footers.
"""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from models.errors import EmptyInput, InvalidUnicode
from service.errors import ApiError
from service.schemas import TITLE_MAX_CHARS, SummarizeRequest

RequestModel = TypeVar("RequestModel", bound=BaseModel)
# trafilatura logs ERROR for every page it cannot parse; for us that is a 422, not news.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

JSON = "application/json"
PLAIN = "text/plain"
HTML = "text/html"
NDJSON = "application/x-ndjson"
PLAIN_TEXT_PARAMETERS = ("title", "standfirst", "methods", "max_sentences", "model", "language")


def media_type(request: Request) -> str:
    value = request.headers.get("content-type", JSON).partition(";")[0].strip().lower()
    return JSON if value.endswith("+json") else value


def require(request: Request, *accepted: str) -> str:
    given = media_type(request)
    if given not in accepted:
        raise ApiError(
            "unsupported_media_type",
            f"Content-Type {given!r} is not supported here; send {' or '.join(accepted)}",
        )
    return given


async def summarize_request(request: Request) -> SummarizeRequest:
    """The summarize request in any of the body types the endpoint takes."""
    kind = require(request, JSON, PLAIN, HTML)
    raw = await request.body()
    if kind == JSON:
        return validate(SummarizeRequest, parse_json(raw))
    fields = _query_fields(request.query_params.multi_items())
    if kind == PLAIN:
        fields["text"] = _decode(raw, _charset(request))
    else:
        fields["text"], title = _article_page(raw)
        fields.setdefault("title", title)
    return validate(SummarizeRequest, fields)


def parse_json(raw: bytes, where: str = "the body") -> Any:
    try:
        return json.loads(raw)
    except UnicodeDecodeError as error:
        raise InvalidUnicode(f"{where} is not valid UTF-8 at byte {error.start}") from None
    except json.JSONDecodeError as error:
        raise ApiError(
            "invalid_request",
            f"{where} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}",
        ) from None


def validate(model: type[RequestModel], data: Any) -> RequestModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None


def _query_fields(items: list[tuple[str, str]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in items:
        if name not in PLAIN_TEXT_PARAMETERS:
            raise ApiError(
                "invalid_request",
                f"unknown query parameter {name!r}; known: {', '.join(PLAIN_TEXT_PARAMETERS)}",
            )
        if name == "methods":
            # Both ?methods=a,b and ?methods=a&methods=b.
            fields.setdefault("methods", []).extend(m for m in value.split(",") if m)
        else:
            fields[name] = value
    return fields


def _charset(request: Request) -> str:
    for parameter in request.headers.get("content-type", "").split(";")[1:]:
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


def _article_page(raw: bytes) -> tuple[str, str | None]:
    """The main text of an article page, paragraphs on their own lines, and its title."""
    import trafilatura

    # trafilatura reads the page's own charset declaration from the bytes.
    text = trafilatura.extract(
        raw, output_format="txt", include_comments=False, include_tables=False, deduplicate=True
    )
    if not text or not text.strip():
        raise EmptyInput(f"no article text found in the HTML page ({len(raw)} bytes)")
    metadata = trafilatura.extract_metadata(raw)
    title = metadata.title if metadata and metadata.title else None
    return text, title[:TITLE_MAX_CHARS] if title else None
