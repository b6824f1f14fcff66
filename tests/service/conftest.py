from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

ROOT = Path(__file__).parents[2]


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/task"))

    def open_files(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def metric(self, name: str) -> float:
        """The metric's value, summed over its labels (e.g. every owner's queue)."""
        text = httpx.get(f"{self.url}/metrics").text
        values = [
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(name + " ") or line.startswith(name + "{")
        ]
        if not values:
            raise AssertionError(f"metric {name} not found")
        return sum(values)


def post_ok(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    """A JSON POST that must answer 200; its JSON."""
    response = client.post(
        path, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def started(client: TestClient, timeout_s: float = 60) -> TestClient:
    """The client once its app has finished loading and warming up (its lifespan runs them)."""
    deadline = time.monotonic() + timeout_s
    while client.app.state.service.loading:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "models did not finish loading"
        time.sleep(0.02)
    return client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_server(*args: str, ready: bool = True, **env: str) -> Iterator[LiveServer]:
    """The service in a process of its own on 127.0.0.1, with NEWSUM_* settings from `env`.

    With `ready`, waits until /readyz says 200 (models warmed up), else only /healthz.
    """
    port = free_port()
    env.setdefault("log_level", "warning")
    environment = {**os.environ, **{f"NEWSUM_{k.upper()}": v for k, v in env.items()}}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.service.live_app", "--port", str(port), *args],
        cwd=ROOT,
        env=environment,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", port, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                probe = "/readyz" if ready else "/healthz"
                if httpx.get(f"{server.url}{probe}", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "the server process exited at startup"
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
