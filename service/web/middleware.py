"""Pure ASGI middleware: request context and access log, body size and time, keys and rate limit.

Pure ASGI rather than Starlette's BaseHTTPMiddleware, which buffers streaming
responses and hides client disconnects from the endpoint.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import ClientDisconnect

from newsum.service.contract.errors import error_body, status_of
from newsum.service.runtime.metrics import Metrics
from newsum.service.web.api_docs import DOCS_ASSETS

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("newsum.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Paths anyone may call: probes, metrics scrapers, and the API's own description.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/docs", "/openapi.json", "/"})
# ... and the files /docs loads (a browser sends them no key).
OPEN_PREFIX = DOCS_ASSETS + "/"
# Methods that get a metric label of their own; any other a client sends is "other",
# so made-up methods cannot grow the metrics (RFC 9110 section 9 and PATCH, RFC 5789).
_METHOD_LABELS = frozenset({"GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})
# Rate-limit buckets kept at once: 10,000 clients active within one minute.
MAX_BUCKETS = 10_000
# An empty bucket is full again after a minute, whatever the rate.
_REFILL_S = 60.0
# Once the server is shutting down, a body that stalls this long is no longer awaited.
STALLED_AT_SHUTDOWN_S = 1.0
# A client that hangs up before its whole answer is sent, as nginx counts it: not a 5xx.
CLIENT_CLOSED = 499


async def send_error(
    send: Send, code: str, message: str, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps(error_body(code, message), separators=(",", ":")).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status_of(code), "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


class RequestContext:
    """Request id in and out, security headers, access log line, request metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        # The client hung up before the answer was complete: 499, whatever the app answered.
        gone = complete = False

        async def watching_receive() -> Message:
            nonlocal gone
            message = await receive()
            if message["type"] == "http.disconnect" and not complete:
                gone = True
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status, complete
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                complete = True
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-request-id", request_id.encode()),
                    (b"x-content-type-options", b"nosniff"),
                ]
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, watching_receive, send_with_headers)
        except ClientDisconnect:
            # Raised by a body read once the client has gone: nobody is left to answer.
            gone = not complete
        finally:
            seconds = time.perf_counter() - started
            if gone:
                status = CLIENT_CLOSED
            route = scope.get("route")
            # Unmatched paths share one label, so scanners cannot grow the metric.
            endpoint = getattr(route, "path", None) or "unmatched"
            # Likewise methods; the access log keeps the one sent.
            method = scope["method"]
            label = method if method in _METHOD_LABELS else "other"
            self.metrics.requests.labels(endpoint, label, str(status)).inc()
            self.metrics.latency.labels(endpoint, label).observe(seconds)
            line: dict[str, Any] = {
                "request_id": request_id,
                "method": method,
                "path": scope["path"],
                "status": status,
                "ms": round(seconds * 1000, 1),
                "client": (scope.get("client") or ("?",))[0],
            }
            if status == CLIENT_CLOSED:
                line["code"] = "client_closed"
            # Structured, and never the request's text.
            access_log.info(json.dumps(line))


class BodyGuard:
    """The body's two bounds: its size (413) and the time it takes to arrive (408).

    Size: by Content-Length before reading, or as chunks arrive. Time: the whole
    body must arrive within `read_timeout_s` of the request's start (the end of its
    head), so a client that stops sending holds its connection that long at most.
    Once the server is shutting down (`stopping_since`), a body is awaited only
    while it arrives: a read that gets nothing for STALLED_AT_SHUTDOWN_S is
    answered 408, and none is awaited past the shutdown grace less a second, so
    each is answered in the JSON shape before uvicorn would cancel its request
    with a plain-text 500. Reads after the body (waiting for a hang-up while an
    answer streams) are not timed.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        read_timeout_s: float,
        metrics: Metrics,
        shutdown_grace_s: float = 0.0,
        stopping_since: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout_s = read_timeout_s
        self.metrics = metrics
        self.shutdown_grace_s = shutdown_grace_s
        self.stopping_since = stopping_since

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, int(declared))
            return
        deadline = time.monotonic() + self.read_timeout_s
        received = 0
        body_done = started = False

        async def guarded_receive() -> Message:
            nonlocal received, body_done
            if body_done:
                return await receive()
            message = await self._within_time(receive, deadline)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
                body_done = not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, guarded_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, None)
        except _TooSlow as late:
            if not started:
                self.metrics.rejected.labels("request_timeout").inc()
                await send_error(send, "request_timeout", str(late), {"Connection": "close"})

    async def _within_time(self, receive: Receive, deadline: float) -> Message:
        """The next message, or _TooSlow once the deadline (or the shutdown's cut) passes."""
        waiting_since = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise _TooSlow(f"the request's body must arrive within {self.read_timeout_s:g} s")
            limit = deadline
            since = self.stopping_since()
            if since is not None:
                cut = min(
                    since + max(0.0, self.shutdown_grace_s - 1.0),
                    max(since, waiting_since) + STALLED_AT_SHUTDOWN_S,
                )
                if now >= cut:
                    raise _TooSlow("the request's body stopped arriving as the server shut down")
                limit = min(limit, cut)
            try:
                # Looked at again each second: a shutdown may start while the body is awaited.
                async with asyncio.timeout(min(limit - now, 1.0)):
                    return await receive()
            except TimeoutError:
                continue

    async def _refuse(self, send: Send, declared: int | None) -> None:
        self.metrics.rejected.labels("payload_too_large").inc()
        size = f"{declared} bytes" if declared is not None else "more than that (chunked)"
        await send_error(
            send,
            "payload_too_large",
            f"request bodies must be at most {self.max_bytes} bytes; given: {size}",
        )


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


class AccessControl:
    """Bearer API keys (constant-time compare) and a per-key token-bucket rate limit.

    A bucket holds `per_minute` tokens and refills at `per_minute` a minute, so one
    left alone for a minute is full again, and a full bucket is the same as none.
    Buckets are kept in order of last use, and on each request those unused for a
    minute are dropped (they carry no information), then the least recently used
    past MAX_BUCKETS: memory is bounded whoever calls. Past MAX_BUCKETS clients
    within one minute, the least recent of them start afresh; a client that keeps
    calling is always recent, so its limit holds.
    """

    def __init__(
        self,
        app: ASGIApp,
        keys: list[str],
        per_minute: int,
        metrics: Metrics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.keys = [key.encode() for key in keys]
        self.per_minute = per_minute
        self.metrics = metrics
        self._clock = clock
        # who -> (tokens, last refill), least recently used first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _is_open(scope["path"]) or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        who = self._identify(scope)
        if who is None:
            await send_error(
                send,
                "unauthorized",
                "send a valid API key as 'Authorization: Bearer <key>'",
                {"WWW-Authenticate": 'Bearer realm="newsum"'},
            )
            return
        wait_s = self._take_token(who)
        if wait_s > 0:
            self.metrics.rejected.labels("rate_limited").inc()
            retry = math.ceil(wait_s)
            await send_error(
                send,
                "rate_limited",
                f"at most {self.per_minute} requests per minute per key; retry in {retry} s",
                {"Retry-After": str(retry)},
            )
            return
        await self.app(scope, receive, send)

    def _identify(self, scope: Scope) -> str | None:
        if not self.keys:
            return (scope.get("client") or ("anonymous",))[0]
        authorization = _header(scope, b"authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        given = token.strip().encode()
        # Compare with every key, whatever matches, so timing says nothing.
        matches = [hmac.compare_digest(given, key) for key in self.keys]
        return f"key{matches.index(True)}" if any(matches) else None

    def _take_token(self, who: str) -> float:
        """0 if a request may go now, else seconds until it may."""
        if not self.per_minute:
            return 0.0
        now = self._clock()
        rate = self.per_minute / 60.0
        tokens, last = self._buckets.pop(who, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - last) * rate)
        # Put back last, as the most recently used.
        if tokens >= 1:
            self._buckets[who] = (tokens - 1, now)
            wait_s = 0.0
        else:
            self._buckets[who] = (tokens, now)
            wait_s = (1 - tokens) / rate
        self._forget(now)
        return wait_s

    def _forget(self, now: float) -> None:
        """Drop the buckets full by now, and the least recently used past MAX_BUCKETS."""
        buckets = self._buckets
        while buckets:
            _, last = next(iter(buckets.values()))
            if now - last < _REFILL_S and len(buckets) <= MAX_BUCKETS:
                break
            buckets.popitem(last=False)


def _is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIX)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None
