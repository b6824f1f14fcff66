"""Request bodies into request models: JSON, plain text, article pages (HTML), NDJSON lines.

JSON is parsed by `service.contract.json_body` (RFC 8259 with linear limits); an HTML
page is read by `models.page` (its main text, title and description); query
parameters are options for every body type, held to their fields' limits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from newsum.models.abstractive.routing import requested_engine
from newsum.models.errors import InvalidUnicode, quoted
from newsum.models.page import read_page
from newsum.service.contract.errors import ApiError
from newsum.service.contract.json_body import parse_json, validate
from newsum.service.contract.schemas import SummarizeRequest

JSON = "application/json"
PLAIN = "text/plain"
HTML = "text/html"
NDJSON = "application/x-ndjson"
PLAIN_TEXT_PARAMETERS = (
    "title",
    "standfirst",
    "methods",
    "max_sentences",
    "textrank_pick",
    "model",
    "language",
)


def media_type(request: Request) -> str:
    value = request.headers.get("content-type", JSON).partition(";")[0].strip().lower()
    return JSON if value.endswith("+json") else value


def require(request: Request, *accepted: str) -> str:
    given = media_type(request)
    if given not in accepted:
        raise ApiError(
            "unsupported_media_type",
            f"Content-Type {quoted(given)} is not supported here; send {' or '.join(accepted)}",
        )
    return given


async def summarize_request(request: Request) -> Callable[[], SummarizeRequest]:
    """The summarize request's body, read; parsing it is CPU work, left to the caller's thread.

    JSON, plain text or an article page; the media type and the query are
    checked here, at once. Query parameters are options for every body type:
    with a JSON body they fill in the fields the body leaves out, and are
    held to the same limits.
    """
    kind = require(request, JSON, PLAIN, HTML)
    raw = await request.body()
    query = _query_fields(query_items(request.scope.get("query_string", b"")))
    if "model" in query:
        # A model the query names must be served, even where a JSON body's own `model`
        # (null included) overrides it: a bad option is refused, never silently dropped.
        requested_engine(request.app.state.service.engines.abstractive_models(), query["model"])
    charset = _charset(request)

    def parse() -> SummarizeRequest:
        if kind == JSON:
            data = parse_json(raw)
            return validate(SummarizeRequest, {**query, **data} if isinstance(data, dict) else data)
        fields = dict(query)
        if kind == PLAIN:
            fields["text"] = _decode(raw, charset)
            return validate(SummarizeRequest, fields)
        page = read_page(raw)
        fields["text"] = page.text
        fields.setdefault("title", page.title)
        # The page's own description is its standfirst unless the request gives one.
        from_page = "standfirst" not in fields and page.description is not None
        if from_page:
            fields["standfirst"] = page.description
        body = validate(SummarizeRequest, fields)
        body.standfirst_from_page = from_page
        return body

    return parse


def query_items(raw: bytes) -> list[tuple[str, str]]:
    """The query's (name, value) pairs, percent-decoded as UTF-8, strictly.

    Starlette's parsing replaces bytes that are not UTF-8 with U+FFFD; here they
    are `invalid_unicode`, as they are in a body.
    """
    items = []
    for number, part in enumerate((p for p in raw.split(b"&") if p), start=1):
        name, _, value = part.partition(b"=")
        decoded: list[str] = []
        for escaped in (name, value):
            octets = unquote_to_bytes(escaped.replace(b"+", b" "))
            try:
                decoded.append(octets.decode("utf-8"))
            except UnicodeDecodeError as error:
                whose = (
                    f"the value of {quoted(decoded[0])}"
                    if decoded
                    else f"parameter {number}'s name"
                )
                raise InvalidUnicode(
                    f"the query is not valid UTF-8: {whose}, at byte {error.start} once "
                    "percent-decoded; send percent-encoded UTF-8"
                ) from None
        items.append((decoded[0], decoded[1]))
    return items


def _query_fields(items: list[tuple[str, str]]) -> dict[str, Any]:
    """The query's options, each held to its field's limits, whatever the body type."""
    fields: dict[str, Any] = {}
    for name, value in items:
        if name not in PLAIN_TEXT_PARAMETERS:
            raise ApiError(
                "invalid_request",
                f"unknown query parameter {quoted(name)}; "
                f"known: {', '.join(PLAIN_TEXT_PARAMETERS)}",
            )
        if name == "methods":
            # Both ?methods=a,b and ?methods=a&methods=b.
            fields.setdefault("methods", []).extend(m for m in value.split(",") if m)
        elif name in fields:
            raise ApiError("invalid_request", f"query parameter {name!r} is given twice")
        else:
            fields[name] = value
    problems = []
    for name, value in fields.items():
        try:
            fields[name] = _QUERY_FIELDS[name].validate_python(value)
        except ValidationError as error:
            problems += [{**d, "loc": ("query", name, *d["loc"])} for d in error.errors()]
    if problems:
        raise RequestValidationError(problems)
    return fields


# Each query parameter validated as its request field is (type, limits, pattern).
_QUERY_FIELDS: dict[str, TypeAdapter[Any]] = {
    name: TypeAdapter(Annotated[field.annotation, field])  # type: ignore[arg-type]
    for name, field in SummarizeRequest.model_fields.items()
    if name in PLAIN_TEXT_PARAMETERS
}


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
        raise ApiError(
            "invalid_request", f"unknown charset {quoted(charset)}; send UTF-8"
        ) from None
    except UnicodeDecodeError as error:
        raise InvalidUnicode(
            f"the body is not valid {quoted(charset)} at byte {error.start}"
        ) from None
