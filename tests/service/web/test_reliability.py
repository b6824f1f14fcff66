"""The reliability suite: a real server process on 127.0.0.1, with a slow abstractive double."""

from __future__ import annotations

import signal
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import LiveServer, live_server

pytestmark = [pytest.mark.live_server, pytest.mark.slow]

SAMPLE = (Path(__file__).parents[2] / "data" / "sample_article.txt").read_text("utf-8")
ABSTRACTIVE_ONLY = {"text": SAMPLE, "methods": ["abstractive"]}


def generate(server: LiveServer, steps: int | None = None, timeout: float = 30) -> httpx.Response:
    body = dict(ABSTRACTIVE_ONLY)
    if steps is not None:
        body["generation"] = {"max_length": steps}  # the slow double runs this many steps
    return httpx.post(f"{server.url}/v1/summarize", json=body, timeout=timeout)


@pytest.fixture(scope="module")
def busy_server() -> Iterator[LiveServer]:
    """One generation slot, a queue of 2, 1 s per generation (20 steps of 50 ms)."""
    with live_server(
        "--steps", "20", "--step-s", "0.05", model_queue_size="2", request_timeout_s="1.5"
    ) as server:
        yield server


def test_overload_answers_only_200_or_503_with_retry_after(busy_server: LiveServer) -> None:
    with ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(lambda _: generate(busy_server, steps=4), range(12)))
    statuses = [r.status_code for r in responses]
    print(f"\noverload: 12 clients, 1 slot, queue 2: {sorted(statuses)}")
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(200) >= 1
    refused = [r for r in responses if r.status_code == 503]
    assert refused, "12 clients against 1 slot and a queue of 2 must see some refusals"
    for response in refused:
        assert response.json()["error"]["code"] == "overloaded"
        assert int(response.headers["Retry-After"]) >= 1


def test_a_deadline_gives_504_on_time_and_frees_the_slot(busy_server: LiveServer) -> None:
    started = time.monotonic()
    late = generate(busy_server, steps=200)  # 10 s of work against a 1.5 s deadline
    elapsed = time.monotonic() - started
    print(f"\ndeadline 1.5 s: answered {late.status_code} after {elapsed:.2f} s")
    assert late.status_code == 504
    assert late.json()["error"]["code"] == "deadline_exceeded"
    assert 1.4 <= elapsed < 2.5
    # The stopped generation released its slot within one step: the next one runs at once.
    assert generate(busy_server, steps=4).status_code == 200


def test_healthz_stays_fast_while_the_model_is_busy(busy_server: LiveServer) -> None:
    # One client for the probes: httpx.get() builds a client (and its TLS
    # context) per call, ~40 ms of the prober's own CPU, which is not the server's.
    with ThreadPoolExecutor(2) as pool, httpx.Client() as probe:
        pending = [pool.submit(generate, busy_server, 12) for _ in range(2)]
        time.sleep(0.1)
        latencies = []
        for _ in range(20):
            began = time.monotonic()
            assert probe.get(f"{busy_server.url}/healthz").status_code == 200
            latencies.append(time.monotonic() - began)
        for future in pending:
            assert future.result().status_code in (200, 503)
    print(
        f"\n/healthz during generations: median {1000 * statistics.median(latencies):.1f} ms, "
        f"max {1000 * max(latencies):.1f} ms"
    )
    assert statistics.median(latencies) < 0.05
    assert max(latencies) < 0.25


def test_a_client_that_hangs_up_stops_its_generation_without_leaks(
    busy_server: LiveServer,
) -> None:
    assert generate(busy_server, steps=2).status_code == 200  # warm every pool first
    threads, files = busy_server.threads(), busy_server.open_files()
    request = _raw_request(
        "/v1/summarize",
        b'{"text": "One sentence here. Another one.", "methods": ["abstractive"],'
        b' "generation": {"max_length": 100}}',
    )
    for _ in range(50):
        with socket.create_connection(("127.0.0.1", busy_server.port)) as client:
            client.sendall(request)
            time.sleep(0.05)
    # Every generation stops (5 s each if it ran on); nothing waits or runs afterwards.
    deadline = time.monotonic() + 10
    while busy_server.metric("newsum_in_flight") or busy_server.metric("newsum_queue_depth"):
        assert time.monotonic() < deadline, "generations went on after their clients left"
        time.sleep(0.1)
    print(
        f"\n50 hang-ups: threads {threads} -> {busy_server.threads()}, "
        f"open files {files} -> {busy_server.open_files()}"
    )
    assert busy_server.threads() <= threads + 2
    assert busy_server.open_files() <= files + 2
    assert generate(busy_server, steps=2).status_code == 200


def test_a_hang_up_is_counted_as_499_client_closed_never_500(busy_server: LiveServer) -> None:
    """A stalled uploader that hangs up, and one that leaves while its answer is worked on."""

    def hang_ups() -> float:
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in httpx.get(f"{busy_server.url}/metrics").text.splitlines()
            if line.startswith('newsum_requests_total{endpoint="/v1/summarize"')
            and 'status="499"' in line
        )

    before = hang_ups()
    head = (
        b"POST /v1/summarize HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", busy_server.port), timeout=5) as client:
        client.sendall(head + b"x" * 10)  # 10 of the 1,000 bytes promised
        time.sleep(0.2)
    with socket.create_connection(("127.0.0.1", busy_server.port), timeout=5) as client:
        client.sendall(
            _raw_request("/v1/summarize", b'{"text": "One. Two.", "methods": ["abstractive"]}')
        )
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    while hang_ups() < before + 2:
        assert time.monotonic() < deadline, "the hang-ups were not counted as 499"
        time.sleep(0.1)
    metrics = httpx.get(f"{busy_server.url}/metrics").text
    assert 'status="500"' not in metrics


def test_a_body_over_the_limit_is_refused_before_it_is_read() -> None:
    with live_server(max_body_bytes="100000") as server:
        head = (
            b"POST /v1/summarize HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 1000000000\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
            client.sendall(head)  # and not one byte of the promised gigabyte
            answer = _read_response(client)
        assert answer.startswith(b"HTTP/1.1 413")
        assert b'"payload_too_large"' in answer

        chunk = b"x" * 50_000
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4)) + b"0\r\n\r\n"
        head = (
            b"POST /v1/summarize HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
            client.sendall(head + chunked)
            answer = _read_response(client)
        assert answer.startswith(b"HTTP/1.1 413")


def test_sigterm_lets_requests_in_flight_finish_then_exits_0() -> None:
    with live_server("--steps", "30", "--step-s", "0.05") as server:
        result: dict[str, httpx.Response] = {}
        flight = threading.Thread(target=lambda: result.update(r=generate(server)))
        flight.start()
        time.sleep(0.3)  # the 1.5 s generation is under way
        server.process.send_signal(signal.SIGTERM)
        flight.join(timeout=20)
        assert result["r"].status_code == 200
        code = server.process.wait(timeout=20)
        print(f"\nSIGTERM mid-generation: request answered 200, process exit status {code}")
        assert code == 0
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.url}/healthz", timeout=2)


def test_sigterm_drains_with_readyz_503_while_still_serving_then_exits_0() -> None:
    """NEWSUM_DRAIN_DELAY_S: time for a load balancer to see the 503 and stop sending."""
    with live_server("--steps", "1", "--step-s", "0", drain_delay_s="2") as server:
        assert httpx.get(f"{server.url}/readyz").status_code == 200
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        draining = httpx.get(f"{server.url}/readyz")
        served = httpx.post(f"{server.url}/v1/summarize", json={"text": SAMPLE}, timeout=30)
        alive = httpx.get(f"{server.url}/healthz")
        code = server.process.wait(timeout=30)
    assert draining.status_code == 503
    assert draining.headers["Retry-After"]
    assert draining.json()["error"]["code"] == "not_ready"
    assert draining.json()["error"]["message"].startswith(
        "not ready: draining: the server is shutting down. Engines: "
    )
    assert (served.status_code, alive.status_code) == (200, 200)
    assert code == 0


def test_the_sample_article_without_a_model(tmp_path: Path) -> None:
    """200 with textrank ok and abstractive unavailable, with the reason; /readyz: degraded."""
    with live_server(
        "--engine",
        "settings",
        ready=False,
        model="sshleifer/distilbart-cnn-12-6",
        model_cache_dir=str(tmp_path),
        embedding_model="none",
    ) as server:
        deadline = time.monotonic() + 30
        while "still loading" in str(httpx.get(f"{server.url}/v1/models").json()):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        response = httpx.post(
            f"{server.url}/v1/summarize",
            content=SAMPLE.encode(),
            headers={"Content-Type": "text/plain"},
        )
        assert response.status_code == 200
        body = response.json()
        assert body["summaries"]["textrank"]["status"] == "ok"
        assert body["summaries"]["abstractive"]["status"] == "unavailable"
        assert "newsum fetch-model" in body["summaries"]["abstractive"]["reason"]
        ready = httpx.get(f"{server.url}/readyz")
        assert ready.status_code == 200
        assert ready.json()["degraded"] is True
        (abstractive,) = [e for e in ready.json()["engines"] if e["engine"] == "abstractive"]
        assert abstractive["status"] == "unavailable"
        assert "not in the local Hugging Face cache" in abstractive["reason"]


def _read_response(client: socket.socket) -> bytes:
    """One whole HTTP response (headers and Content-Length bytes of body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += client.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))  # fmt: skip
    while len(body) < length:
        body += client.recv(4096)
    return head + b"\r\n\r\n" + body


def _raw_request(path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
