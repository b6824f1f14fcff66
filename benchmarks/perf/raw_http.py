"""Raw-socket HTTP for the edge benchmarks: send pieces, read what comes back, or a close.

No HTTP client library: the point is to send what a well-behaved client never would.
"""

from __future__ import annotations

import re
import selectors
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    """What a client got: a status code, "closed", "reset" or "no answer within N s"."""

    outcome: str
    seconds: float  # from the first byte sent
    sent_bytes: int = 0
    head: str = ""  # the status line and the content type


def exchange(port: int, pieces: Iterable[bytes], wait_cap_s: float) -> Answer:
    """Send `pieces` until the server answers or closes, then wait for either; give up
    `wait_cap_s` after the last byte went out."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setblocking(False)
        started = last_sent = time.monotonic()
        pending = iter(pieces)
        piece, sent = memoryview(next(pending, b"")), 0
        while (left := last_sent + wait_cap_s - time.monotonic()) > 0:
            writing = [sock] if piece else []
            readable, writable = _select([sock], writing, min(left, 0.5))
            if readable:
                return _answer(sock, started, sent)
            if writable:
                try:
                    count = sock.send(piece)
                except OSError:  # closed by the server: its answer (or none) is to read
                    piece, pending = memoryview(b""), iter(())
                    continue
                sent, last_sent = sent + count, time.monotonic()
                piece = piece[count:] if count < len(piece) else memoryview(next(pending, b""))
        return Answer(f"no answer within {wait_cap_s:g} s", time.monotonic() - started, sent)


def await_answer(sock: socket.socket, until: Callable[[], bool], cap_s: float) -> Answer:
    """What `sock` gets before `until()` turns true (and a moment after) or `cap_s` pass."""
    started = time.monotonic()
    while not until() and time.monotonic() - started < cap_s:
        if _select([sock], [], 0.02)[0]:
            return _answer(sock, started, 0)
    if _select([sock], [], 1.0)[0]:
        return _answer(sock, started, 0)
    return Answer(f"no answer within {time.monotonic() - started:.0f} s", cap_s)


def _answer(sock: socket.socket, started: float, sent: int) -> Answer:
    """Read the readable `sock`'s answer head, or its close."""
    seconds, data = time.monotonic() - started, b""
    deadline = time.monotonic() + 5
    while b"\r\n\r\n" not in data and time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except BlockingIOError:
            _select([sock], [], 0.1)
            continue
        except OSError:
            return Answer("reset", seconds, sent) if not data else _head(data, seconds, sent)
        if not chunk:
            break
        data += chunk
    return _head(data, seconds, sent) if data else Answer("closed", seconds, sent)


def _head(data: bytes, seconds: float, sent: int) -> Answer:
    lines = data.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    types = [ln.partition(":")[2].strip() for ln in lines if ln.lower().startswith("content-type")]
    return Answer(status_of(data) or "garbled", seconds, sent, "; ".join([lines[0], *types]))


def status_of(data: bytes) -> str | None:
    match = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return match.group(1).decode() if match else None


def _select(
    read: list[socket.socket], write: list[socket.socket], timeout: float
) -> tuple[bool, bool]:
    with selectors.DefaultSelector() as selector:
        for sock in {*read, *write}:
            events = (selectors.EVENT_READ if sock in read else 0) | (
                selectors.EVENT_WRITE if sock in write else 0
            )
            selector.register(sock, events)
        ready = selector.select(timeout)
    mask = 0
    for _, events in ready:
        mask |= events
    return bool(mask & selectors.EVENT_READ), bool(mask & selectors.EVENT_WRITE)


def trickle(port: int, request: bytes, clients: int, seconds: float) -> list[tuple[str, float]]:
    """`clients` connections sending `request` a byte a second each for `seconds`: how each
    that ended did (a status, "closed", "reset", "refused") and when."""
    started = time.monotonic()
    ended: list[tuple[str, float]] = []
    waiting: set[socket.socket] = set()
    for _ in range(clients):
        try:
            waiting.add(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            ended.append(("refused", time.monotonic() - started))
    selector = selectors.DefaultSelector()
    for sock in waiting:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, sock)

    def end(sock: socket.socket, outcome: str) -> None:
        ended.append((outcome, time.monotonic() - started))
        selector.unregister(sock)
        waiting.discard(sock)
        sock.close()

    offset, next_byte = 0, time.monotonic()
    while (now := time.monotonic()) < started + seconds and waiting:
        if now >= next_byte:
            for sock in list(waiting):
                try:
                    sock.send(request[offset : offset + 1])
                except OSError:
                    end(sock, "closed")
            offset, next_byte = offset + 1, next_byte + 1
        for key, _ in selector.select(max(min(next_byte, started + seconds) - now, 0)):
            sock = key.data
            try:
                data = sock.recv(4096)
            except OSError:
                end(sock, "reset")
                continue
            end(sock, (status_of(data) or "garbled") if data else "closed")
    for sock in waiting:
        sock.close()
    selector.close()
    return ended


# The cases: each starts a server, attacks it under a Watch, and returns its rows.
