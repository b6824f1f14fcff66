"""The edge, with raw sockets against a real server process: what a connection may cost.

Each case asserts the status (or the close) and the time it took; the big header
also asserts the server CPU it cost. Part of the reliability suite (live_server).
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import LiveServer, live_server

pytestmark = [pytest.mark.live_server, pytest.mark.slow]

TIMEOUT_S = 1.0  # the header and read timeouts of `edge_server`
POST_HEAD = (
    b"POST /v1/summarize HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 1000\r\n\r\n"
)


@pytest.fixture(scope="module")
def edge_server() -> Iterator[LiveServer]:
    with live_server(
        "--engine",
        "settings",
        model="none",
        embedding_model="none",
        header_timeout_s=str(TIMEOUT_S),
        read_timeout_s=str(TIMEOUT_S),
        max_connections="300",
    ) as server:
        yield server


def answer(client: socket.socket, wait_s: float = 10) -> tuple[int | None, dict[str, str], bytes]:
    """(status, headers, body) of the response read until the server closes; None: no answer."""
    client.settimeout(wait_s)
    data = b""
    try:
        while chunk := client.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    if not data:
        return None, {}, b""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def refused(client: socket.socket, status: int, code: str) -> None:
    got, headers, body = answer(client)
    assert got == status, body
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == code


def cpu_seconds(server: LiveServer) -> float:
    stat = Path(f"/proc/{server.process.pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


def test_a_huge_header_is_431_at_once_and_costs_what_a_small_one_does(
    edge_server: LiveServer,
) -> None:
    cpu = cpu_seconds(edge_server)
    started = time.monotonic()
    sent = 0
    with socket.create_connection(("127.0.0.1", edge_server.port)) as client:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ")
        try:
            for _ in range(20 * 16):  # 20 MB in 64 KB pieces, if the server keeps reading
                client.sendall(b"a" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused and closed before the 20 MB were sent
        refused(client, 431, "headers_too_large")
    seconds, cost = time.monotonic() - started, cpu_seconds(edge_server) - cpu
    print(f"\n20 MB header: 431 after {seconds:.2f} s, {sent} bytes sent, server CPU {cost:.2f} s")
    assert seconds < 3
    assert cost < 0.5


def test_many_headers_are_431(edge_server: LiveServer) -> None:
    headers = b"".join(b"X-%d: a\r\n" % i for i in range(10_000))
    with socket.create_connection(("127.0.0.1", edge_server.port)) as client:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        refused(client, 431, "headers_too_large")
    few = b"".join(b"X-%d: a\r\n" % i for i in range(101))  # one over the default 100
    with socket.create_connection(("127.0.0.1", edge_server.port)) as client:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + few + b"\r\n")
        refused(client, 431, "headers_too_large")


def test_a_request_line_over_the_limit_is_414(edge_server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", edge_server.port)) as client:
        client.sendall(b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        refused(client, 414, "uri_too_long")


@pytest.mark.parametrize(
    ("case", "sent", "code"),
    [
        ("a stalled header block", b"GET /healthz HTTP/1.1\r\nHost: x\r\n", "request_timeout"),
        ("a short Content-Length body", POST_HEAD + b"x" * 10, "request_timeout"),
        (
            "a stalled chunked body",
            POST_HEAD.replace(b"Content-Length: 1000", b"Transfer-Encoding: chunked")
            + b"5\r\nabcde\r\n",
            "request_timeout",
        ),
    ],
)
def test_what_stops_arriving_is_408_within_its_timeout(
    edge_server: LiveServer, case: str, sent: bytes, code: str
) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", edge_server.port)) as client:
        client.sendall(sent)
        refused(client, 408, code)
    seconds = time.monotonic() - started
    print(f"\n{case}: 408 after {seconds:.2f} s (timeout {TIMEOUT_S} s)")
    assert TIMEOUT_S - 0.1 <= seconds < TIMEOUT_S + 1.5


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(
    edge_server: LiveServer,
) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", edge_server.port)) as client:
        assert answer(client)[0] is None  # closed, with nothing to answer
    assert time.monotonic() - started < TIMEOUT_S + 1.5


def test_a_hang_up_mid_upload_is_499_never_500(edge_server: LiveServer) -> None:
    def count(status: str) -> float:
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in httpx.get(f"{edge_server.url}/metrics").text.splitlines()
            if line.startswith('newsum_requests_total{endpoint="/v1/summarize"')
            and f'status="{status}"' in line
        )

    before = count("499")
    with socket.create_connection(("127.0.0.1", edge_server.port)) as client:
        client.sendall(POST_HEAD + b"x" * 10)
        time.sleep(0.2)
    deadline = time.monotonic() + 5
    while count("499") < before + 1:
        assert time.monotonic() < deadline, "the hang-up was not counted as 499"
        time.sleep(0.1)
    assert count("500") == 0


def test_connections_past_the_cap_are_503_at_once() -> None:
    with live_server("--engine", "settings", model="none", max_connections="5") as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(5)]
        try:
            time.sleep(0.2)
            with socket.create_connection(("127.0.0.1", server.port)) as client:
                started = time.monotonic()
                got, headers, body = answer(client)
                assert (got, json.loads(body)["error"]["code"]) == (503, "overloaded")
                assert headers["retry-after"] == "1"
                assert time.monotonic() - started < 1
        finally:
            for client in held:
                client.close()
        time.sleep(0.2)
        assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_healthz_stays_fast_while_200_clients_send_headers_a_byte_a_second() -> None:
    with live_server("--engine", "settings", model="none", embedding_model="none") as server:
        slow = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(200)]
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
        stop = threading.Event()

        def drip() -> None:
            for offset in range(len(head)):
                for client in slow:
                    with contextlib.suppress(OSError):  # closed by the header timeout
                        client.send(head[offset : offset + 1])
                if stop.wait(1.0):
                    return

        dripping = threading.Thread(target=drip)
        dripping.start()
        latencies = []
        try:
            with httpx.Client() as probe:
                until = time.monotonic() + 6
                while time.monotonic() < until:
                    started = time.monotonic()
                    assert probe.get(f"{server.url}/healthz", timeout=5).status_code == 200
                    latencies.append(time.monotonic() - started)
                    time.sleep(0.05)
        finally:
            stop.set()
            dripping.join()
            for client in slow:
                client.close()
        p99 = statistics.quantiles(latencies, n=100)[98] * 1000
        worst = max(latencies) * 1000
        print(f"\n/healthz beside 200 slow headers: p99 {p99:.1f} ms, max {worst:.1f} ms")
        assert p99 <= 100


def test_sigterm_with_a_stalled_upload_answers_408_json_and_exits_soon() -> None:
    with live_server(
        "--engine", "settings", model="none", embedding_model="none", shutdown_grace_s="10"
    ) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as client:
            client.sendall(POST_HEAD + b"x" * 10)
            time.sleep(0.3)
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            refused(client, 408, "request_timeout")
            answered = time.monotonic() - started
        code = server.process.wait(timeout=15)
        exited = time.monotonic() - started
    print(f"\nSIGTERM, stalled upload: 408 after {answered:.2f} s; exit {code} at {exited:.2f} s")
    assert answered < 3
    assert exited < 6
    assert code == 0
