"""`newsum serve`: listen first, load the models, drain on SIGTERM, end in exit status 0."""

from __future__ import annotations

import errno
import logging
import signal
import socket
import sys
import time
from types import FrameType

import uvicorn
from fastapi import FastAPI

from newsum.service.runtime.readiness import refused_nli_labels, unfetched_models
from newsum.service.runtime.state import ServiceState
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from newsum.service.web.edge import EdgeLimits, guarded_protocol

log = logging.getLogger("newsum")
_BACKLOG = 2048  # uvicorn's default


def serve(settings: Settings, host: str, port: int) -> int:
    """The service on host:port until a signal (0); 1 at once if it cannot start as configured,
    2 if NEWSUM_NLI_MODEL names a checkpoint that is not an NLI classifier.

    Status 1, with one line on stderr, within seconds and before any model loads: the
    port cannot be had, or NEWSUM_REQUIRE_MODEL is on and a model's files are not there.
    Later, a required model that cannot be loaded stops the server, also with status 1.
    """
    try:
        sockets = listen(host, port)
    except OSError as error:
        return _refuse([f"cannot listen on {host}:{port}: {_why(error)}"])
    refused = refused_nli_labels(settings)
    if refused:
        for sock in sockets:
            sock.close()
        print(f"newsum: {refused}", file=sys.stderr)
        return 2  # a setting's mistake, as a bad NEWSUM_* value is
    missing = unfetched_models(settings) if settings.require_model else []
    if missing:
        for sock in sockets:
            sock.close()
        return _refuse(missing)
    app = create_app(settings)
    log.info("listening on http://%s:%d", host, sockets[0].getsockname()[1])
    run_server(app, settings, sockets)
    return _refuse(app.state.service.failed) if app.state.service.failed else 0


def _refuse(lines: list[str]) -> int:
    for line in lines:
        print(f"newsum: {line}", file=sys.stderr)
    return 1


def _why(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            "the port is in use (another newsum serve?); stop that process, or choose another "
            "port with --port or NEWSUM_PORT"
        )
    return error.strerror or str(error)


def listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets on every address `host` names, taken before any model loads.

    uvicorn would bind only after the app's startup, which starts loading the models:
    a second server on a busy port loaded them before it failed. Raises OSError.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            # Listening now: a connection made while the app starts waits in the backlog.
            sock.listen(_BACKLOG)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def run_server(app: FastAPI, settings: Settings, sockets: list[socket.socket]) -> None:
    """Serve on `sockets` until SIGINT/SIGTERM; drain, finish in-flight requests, return.

    uvicorn handles the signal gracefully, then raises it again for the handler
    that was installed before it started. The default handler would end the
    process with "killed by SIGTERM" although nothing went wrong; this one lets
    the shutdown end normally, with status 0, as process managers expect.
    With NEWSUM_REQUIRE_MODEL, a model that cannot be loaded ends it too
    (`ServiceState.failed`; the caller says why and exits non-zero).
    """

    def finished(signum: int, frame: FrameType | None) -> None:
        pass

    limits = EdgeLimits(
        max_header_bytes=settings.max_header_bytes,
        max_headers=settings.max_headers,
        header_timeout_s=settings.header_timeout_s,
        max_connections=settings.max_connections,
    )
    config = uvicorn.Config(
        app,
        # httptools (uvicorn's fastest parser) with the head's bounds in front.
        http=guarded_protocol(limits, app.state.metrics),
        log_level=settings.log_level,
        access_log=False,  # service.web.middleware writes one structured line per request
        timeout_graceful_shutdown=int(settings.shutdown_grace_s),
    )
    server = _Server(config, app.state.service, settings)
    previous = {s: signal.signal(s, finished) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run(sockets=sockets)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class _Server(uvicorn.Server):
    """uvicorn's server, which drains on SIGTERM and stops when a required model failed.

    Draining: /readyz answers 503 at once, and for NEWSUM_DRAIN_DELAY_S the server
    goes on accepting (a load balancer takes it out of rotation meanwhile) before
    uvicorn's shutdown stops accepting and lets requests in flight finish.
    """

    def __init__(self, config: uvicorn.Config, state: ServiceState, settings: Settings) -> None:
        super().__init__(config)
        self._state = state
        self._delay_s = settings.drain_delay_s
        self._drain_until: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._state.draining = True
        if sig == signal.SIGTERM and self._delay_s > 0 and self._drain_until is None:
            self._captured_signals.append(sig)  # raised again at the end, as uvicorn does
            self._drain_until = time.monotonic() + self._delay_s
            return
        super().handle_exit(sig, frame)  # a second signal stops accepting at once

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Bodies still awaited stop being awaited once they stall, and before uvicorn's
        # grace ends, when it would cancel their requests with a plain-text 500.
        self._state.stopped_accepting_at = time.monotonic()
        await super().shutdown(sockets)

    async def on_tick(self, counter: int) -> bool:
        # Ticks come every 0.1 s while serving.
        drained = self._drain_until is not None and time.monotonic() >= self._drain_until
        if drained or self._state.failed:
            self.should_exit = True
        return await super().on_tick(counter)
