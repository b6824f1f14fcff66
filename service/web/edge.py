"""The HTTP edge before the application: header limits, a header timeout, a connection cap.

uvicorn's httptools parser has no limit on a request's head and no timeout
before a request is complete: one 200 MB header was accepted after 40 s of
server CPU (httptools joins a header's pieces, so the cost grows with the
square of its size), and a header block never finished held its connection
for good. This protocol is uvicorn's own (`HttpToolsProtocol`, the fastest
parser uvicorn has) with those bounds in front, all checked on the event
loop before any application code runs:

- **Head size** (`NEWSUM_MAX_HEADER_BYTES`: the request line and every header
  together): the bytes of a head are counted as they arrive, before the parser
  sees them, and past the limit the answer is 431 `headers_too_large` (414
  `uri_too_long` while the request line is not yet complete) and the
  connection is closed. So a 200 MB header costs what a 32 KB one does.
- **Header count** (`NEWSUM_MAX_HEADERS`): past it, 431 `headers_too_large`.
- **Header timeout** (`NEWSUM_HEADER_TIMEOUT_S`): a head must be complete
  this long after its first byte (after the connection opens, for a first
  request). Past it: 408 `request_timeout` when some of a head came, or the
  connection simply closed when nothing did (an idle connection).
- **Connection cap** (`NEWSUM_MAX_CONNECTIONS`): a connection over the cap is
  answered 503 `overloaded` at once and closed.

Each refusal is a JSON error body, a `newsum_rejected{reason}` count and an
access log line, as the application's own refusals are. The body's own
timeout is the application's (service.web.middleware.BodyGuard): the request
has an id and an access log line by then.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from newsum.service.contract.errors import error_body, status_of
from newsum.service.runtime.metrics import Metrics

access_log = logging.getLogger("newsum.access")
# A connection's logger once it is refused: uvicorn's own lines about it would say less.
# Made outside logging's registry, so no logging configuration turns it back on.
_QUIET = logging.Logger("newsum.edge.refused")
_QUIET.disabled = True
# "\r\n\r\n" ends a head; three bytes of one chunk may end it with the next one's first.
_HEAD_END = b"\r\n\r\n"


@dataclass(frozen=True)
class EdgeLimits:
    max_header_bytes: int
    max_headers: int
    header_timeout_s: float
    max_connections: int


class _TooManyHeaders(Exception):
    """Raised from a parser callback: httptools stops parsing, and the head is refused."""


def guarded_protocol(limits: EdgeLimits, metrics: Metrics) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with `limits` in front (see the module docstring)."""

    class GuardedProtocol(_Guarded):
        pass

    GuardedProtocol.limits = limits
    GuardedProtocol.metrics = metrics
    return GuardedProtocol


class _Guarded(HttpToolsProtocol):
    limits: EdgeLimits
    metrics: Metrics

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        # The head being read: its bytes so far, the last three of them (a head's end
        # may straddle two chunks), whether its request line is complete, its headers.
        self._in_head = True
        self._head_bytes = 0
        self._head_tail = b""
        self._line_complete = False
        self._header_count = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._refusal: tuple[str, str] | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.metrics.connections.set(len(self.connections))
        if len(self.connections) > self.limits.max_connections:
            self._refuse(
                "overloaded",
                f"the server holds its most connections ({self.limits.max_connections}); "
                "retry shortly",
                retry_after_s=1,
                reason="connections_full",
            )
            return
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)
        self.metrics.connections.set(len(self.connections))

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None or self.transport.is_closing():
            return
        if self._in_head:
            room = self.limits.max_header_bytes - self._head_bytes
            if not self._line_complete:
                self._line_complete = b"\n" in data[: max(room, 0)]
            if len(data) > room and _HEAD_END not in (self._head_tail + data[: room + 1]):
                # Refused before the parser sees it: parsing cost stays linear.
                self._refuse_head()
                return
            self._head_bytes += len(data)
            self._head_tail = (self._head_tail + data)[-3:]
        super().data_received(data)

    # httptools callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:  # a keep-alive connection's next request
            self._arm_head_timer()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            limit = self.limits.max_headers
            self._refuse("headers_too_large", f"requests may have at most {limit} headers")
            # Raised to stop the parser, which uvicorn then logs as "Invalid HTTP request
            # received" before its 400: this refusal is answered and logged already.
            self.logger = _QUIET
            raise _TooManyHeaders
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._cancel_head_timer()
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        # What follows on this connection is the next request's head.
        self._in_head, self._head_bytes, self._head_tail = True, 0, b""
        self._line_complete, self._header_count = False, 0

    def send_400_response(self, msg: str) -> None:
        # uvicorn answers any parser error with this; a refusal of ours has been answered.
        if self._refusal is None:
            super().send_400_response(msg)

    # The bounds

    def _refuse_head(self) -> None:
        limit = self.limits.max_header_bytes
        if self._line_complete:
            self._refuse(
                "headers_too_large",
                f"the request line and headers must be at most {limit} bytes together",
            )
        else:
            self._refuse("uri_too_long", f"the request line must be at most {limit} bytes")

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.limits.header_timeout_s, self._head_late)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._in_head:
            return
        if self._head_bytes == 0:
            self.transport.close()  # nothing came: an idle connection, no one to answer
            self.metrics.rejected.labels("idle_connection").inc()
            return
        seconds = self.limits.header_timeout_s
        self._refuse("request_timeout", f"the request's headers must arrive within {seconds:g} s")

    def _refuse(
        self, code: str, message: str, retry_after_s: int | None = None, reason: str = ""
    ) -> None:
        """Answer `code` in the JSON error shape, close, count it (as `reason`, default
        the code), and log one line."""
        self._refusal = (code, message)
        self._cancel_head_timer()
        status = status_of(code)
        body = json.dumps(error_body(code, message), separators=(",", ":")).encode()
        head = [
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
            "content-type: application/json",
            f"content-length: {len(body)}",
            "x-content-type-options: nosniff",
            "connection: close",
        ]
        if retry_after_s is not None:
            head.append(f"retry-after: {retry_after_s}")
        self.transport.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        self.transport.close()
        self.metrics.rejected.labels(reason or code).inc()
        line = {"status": status, "code": code, "client": (self.client or ("?",))[0]}
        access_log.info(json.dumps(line))
