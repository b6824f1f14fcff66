"""Running the app under uvicorn, with a shutdown that ends in exit status 0."""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn
from fastapi import FastAPI

from newsum.service.settings import Settings


def run_server(app: FastAPI, settings: Settings, host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM; then stop accepting, finish in-flight requests, return.

    uvicorn handles the signal gracefully, then raises it again for the handler
    that was installed before it started. The default handler would end the
    process with "killed by SIGTERM" although nothing went wrong; this one lets
    the shutdown end normally, with status 0, as process managers expect.
    """

    def finished(signum: int, frame: FrameType | None) -> None:
        pass

    previous = {s: signal.signal(s, finished) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=settings.log_level,
            access_log=False,  # service.web.middleware writes one structured line per request
            timeout_graceful_shutdown=int(settings.shutdown_grace_s),
        )
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
