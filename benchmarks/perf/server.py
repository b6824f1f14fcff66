"""`newsum serve` in a process of its own, for benchmarks that measure it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


class Server:
    """The service with `environment`'s NEWSUM_* settings on a free local port, ready on entry."""

    def __init__(self, environment: dict[str, str], ready_within_s: float = 600) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._ready_within_s = ready_within_s
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("newsum")), "serve"],
            env={**os.environ, **environment, "NEWSUM_PORT": str(self.port)},
        )

    def __enter__(self) -> str:
        deadline = time.monotonic() + self._ready_within_s
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < deadline:
                try:
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        return self.url
                except httpx.TransportError:
                    pass
                if self.process.poll() is not None:
                    raise SystemExit("the service exited while starting")
                time.sleep(0.5)
        raise SystemExit(f"the service was not ready within {self._ready_within_s:.0f} s")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=120)
