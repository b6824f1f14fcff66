"""Middleware state stays bounded whatever clients send: rate-limit buckets, metric labels."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from newsum.models.errors import Cancelled
from newsum.service.contract.errors import install_error_handlers
from newsum.service.runtime.metrics import Metrics
from newsum.service.web.middleware import (
    MAX_BUCKETS,
    AccessControl,
    Message,
    Receive,
    RequestContext,
    Scope,
    Send,
)


async def _ok(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _limited(per_minute: int, clock: _Clock) -> AccessControl:
    return AccessControl(_ok, keys=[], per_minute=per_minute, metrics=Metrics(), clock=clock)


async def _status(control: AccessControl, client: str) -> int:
    """The status `control` answers a POST from `client` with."""
    statuses: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/summarize",
        "headers": [],
        "client": (client, 40000),
    }
    await control(scope, receive, send)
    return statuses[0]


def _statuses(control: AccessControl, *clients: str) -> list[int]:
    async def all_of_them() -> list[int]:
        return [await _status(control, client) for client in clients]

    return asyncio.run(all_of_them())


def test_buckets_stay_bounded_and_a_hot_client_stays_limited() -> None:
    """20,000 distinct clients in one minute keep at most MAX_BUCKETS buckets."""
    clock = _Clock()
    control = _limited(2, clock)
    assert _statuses(control, *["10.0.0.1"] * 3) == [200, 200, 429]

    async def crowd() -> int:
        largest = 0
        for n in range(20_000):
            assert await _status(control, f"198.51.{n // 256}.{n % 256}") == 200
            largest = max(largest, len(control._buckets))
            if n % 1_000 == 0:
                clock.now += 0.01
                assert await _status(control, "10.0.0.1") == 429, f"let through after {n}"
        return largest

    assert asyncio.run(crowd()) == MAX_BUCKETS


def test_buckets_left_alone_for_a_minute_are_dropped() -> None:
    """They have refilled completely: a full bucket carries no information."""
    clock = _Clock()
    control = _limited(60, clock)
    _statuses(control, *(f"198.51.100.{n}" for n in range(100)))
    clock.now += 30
    _statuses(control, "10.0.0.2")
    assert len(control._buckets) == 101
    clock.now += 30  # the first hundred were last seen a minute ago
    _statuses(control, "10.0.0.3")
    assert list(control._buckets) == ["10.0.0.2", "10.0.0.3"]


def test_a_dropped_bucket_would_have_been_full() -> None:
    """Forgetting a client a minute after it emptied its bucket lets it no further."""
    clock = _Clock()
    control = _limited(3, clock)
    assert _statuses(control, *["10.0.0.4"] * 4) == [200, 200, 200, 429]
    clock.now += 40  # two tokens back
    assert _statuses(control, *["10.0.0.4"] * 3) == [200, 200, 429]
    clock.now += 60
    _statuses(control, "10.0.0.5")  # forgets 10.0.0.4
    assert "10.0.0.4" not in control._buckets
    assert _statuses(control, *["10.0.0.4"] * 4) == [200, 200, 200, 429]


def test_a_made_up_method_is_counted_as_other() -> None:
    """A client's method string never becomes a metric label of its own."""
    metrics = Metrics()
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(RequestContext, metrics=metrics)
    with TestClient(app) as client:
        assert client.request("FOOBAR", "/healthz").status_code == 405
        assert client.request("FOOBAR", "/nowhere").status_code == 404
        assert client.get("/healthz").status_code == 200
    exposition = metrics.render().decode()
    assert "FOOBAR" not in exposition
    assert 'method="other",status="405"' in exposition
    assert 'newsum_requests_total{endpoint="unmatched",method="other",status="404"}' in exposition
    assert 'newsum_requests_total{endpoint="/healthz",method="GET",status="200"}' in exposition


def _hang_up_app(metrics: Metrics) -> FastAPI:
    """An app with the service's error handlers: one route reads its body, one waits for it."""
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/read")
    async def read(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.post("/wait")
    async def wait(request: Request) -> dict[str, str]:
        await request.body()
        for _ in range(100):
            if await request.is_disconnected():
                break
            await asyncio.sleep(0.01)
        raise Cancelled("the request was cancelled (client gone or server shutting down)")

    app.add_middleware(RequestContext, metrics=metrics)
    return app


def _hang_up(app: FastAPI, path: str, first_body: bytes, more_body: bool) -> list[Message]:
    """POSTs `first_body` (of a promised 1,000 bytes), then the client is gone."""
    messages: list[Message] = [
        {"type": "http.request", "body": first_body, "more_body": more_body},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        # As uvicorn's: once the client has gone, every receive answers at once.
        return messages.pop(0) if len(messages) > 1 else messages[0]

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-length", b"1000"), (b"content-type", b"text/plain")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize(
    ("path", "more_body"), [("/read", True), ("/wait", False)], ids=["reading", "working"]
)
def test_a_client_that_hangs_up_is_499_client_closed_never_500(
    path: str, more_body: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Hung up while its body is read, or while its answer is worked on: info, no traceback."""
    metrics = Metrics()
    with caplog.at_level(logging.DEBUG):
        _hang_up(_hang_up_app(metrics), path, b"x" * 10, more_body)
    exposition = metrics.render().decode()
    assert f'newsum_requests_total{{endpoint="{path}",method="POST",status="499"}} 1.0' in (
        exposition
    )
    assert 'status="500"' not in exposition
    assert 'status="503"' not in exposition
    access = [json.loads(r.getMessage()) for r in caplog.records if r.name == "newsum.access"]
    assert [(line["status"], line.get("code")) for line in access] == [(499, "client_closed")]
    assert all(r.levelno <= logging.INFO and not r.exc_info for r in caplog.records)


def test_an_answer_sent_in_full_keeps_its_status() -> None:
    """A disconnect seen after the last byte went out (the client is done) is no hang-up."""
    metrics = Metrics()
    app = FastAPI()

    @app.post("/read")
    async def read(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    app.add_middleware(RequestContext, metrics=metrics)
    with TestClient(app) as client:
        assert client.post("/read", content=b"x" * 10).status_code == 200
    assert 'endpoint="/read",method="POST",status="200"} 1.0' in metrics.render().decode()
