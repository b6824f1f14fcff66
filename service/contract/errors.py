"""The one map from errors to HTTP statuses and the one error body shape.

Every error body is {"error": {"code", "message"}}; messages state the limit and
the value given, and never echo submitted text (FastAPI's default 422 does; it
is replaced here).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from newsum.models.errors import NewsumError

log = logging.getLogger("newsum.errors")

STATUS_BY_CODE = {
    "invalid_request": 422,
    "empty_input": 422,
    "invalid_unicode": 422,
    "input_too_long": 422,
    "method_not_served": 422,
    "unauthorized": 401,
    "not_found": 404,
    "method_not_allowed": 405,
    "request_timeout": 408,
    "payload_too_large": 413,
    "uri_too_long": 414,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "headers_too_large": 431,
    "model_unavailable": 503,
    "overloaded": 503,
    "not_ready": 503,
    "cancelled": 503,
    "generation_failed": 503,
    "worker_failed": 503,
    "deadline_exceeded": 504,
    "internal_error": 500,
}
_CODE_BY_HTTP_STATUS = {status: code for code, status in STATUS_BY_CODE.items()} | {
    422: "invalid_request",
    503: "overloaded",
}


class ApiError(Exception):
    """An error of the HTTP layer itself: media type, auth, capacity, body size."""

    def __init__(self, code: str, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


def status_of(code: str) -> int:
    return STATUS_BY_CODE.get(code, 422)


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def error_response(code: str, message: str, *, retry_after_s: int | None = None) -> JSONResponse:
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
    return JSONResponse(
        status_code=status_of(code), content=error_body(code, message), headers=headers
    )


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """Pydantic errors as one sentence per field, with numbers but never submitted text."""
    parts = []
    for error in errors:
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        message = str(error.get("msg", "invalid value"))
        given = error.get("input")
        # Numbers and booleans are options the client chose; strings may be article text.
        if isinstance(given, bool | int | float):
            message += f" (given: {given})"
        elif isinstance(given, str):
            message += f" (given: a string of {len(given)} characters)"
        parts.append(f"{location or 'body'}: {message}")
    return "; ".join(parts) or "the request does not match the schema"


def describe(error: BaseException) -> tuple[str, str]:
    """(code, message) for any error a request can end in; unexpected ones are logged."""
    if isinstance(error, NewsumError | ApiError):
        return error.code, error.message
    if isinstance(error, RequestValidationError):
        return "invalid_request", describe_validation_errors(error.errors())
    log.error("unhandled error", exc_info=error)
    return "internal_error", "an unexpected error occurred; it is logged"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NewsumError)
    async def domain_error(_: Request, error: NewsumError) -> JSONResponse:
        return error_response(error.code, error.message)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error.code, error.message, retry_after_s=error.retry_after_s)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        return error_response("invalid_request", describe_validation_errors(error.errors()))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        code = _CODE_BY_HTTP_STATUS.get(error.status_code, "invalid_request")
        response = error_response(code, str(error.detail))
        response.status_code = error.status_code
        # Starlette's own headers, e.g. the `Allow` a 405 must carry (RFC 9110 §15.5.6).
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
        # A defect, not an input problem: log it with the path only (no request body).
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response("internal_error", "an unexpected error occurred; it is logged")
