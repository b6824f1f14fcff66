"""Model work on a bounded pool with a bounded queue: backpressure, deadlines, cancellation.

A generation uses every core of a small machine, so by default one runs at a
time; a few requests may wait; the rest are refused at once (503 overloaded,
with Retry-After) rather than queued into timeouts. A request's deadline and
its client hanging up both set its Cancellation, which the decoding loop checks
at every step; its slot is released when the thread is done, never before, so
no second generation starts beside a stopping one.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from starlette.requests import Request

from models.abstractive.cancel import Cancellation
from models.errors import DeadlineExceeded
from service.errors import ApiError
from service.metrics import Metrics

T = TypeVar("T")
# How often a waiting request looks whether its client is still there.
_DISCONNECT_POLL_S = 0.1


class ModelWorker:
    def __init__(self, concurrency: int, queue_size: int, metrics: Metrics) -> None:
        self._concurrency = concurrency
        self._queue_size = queue_size
        self._metrics = metrics
        self._executor = ThreadPoolExecutor(concurrency, thread_name_prefix="newsum-model")
        self._slots: asyncio.Semaphore | None = None
        self._waiting = 0
        self._running = 0
        self._recent_seconds = 5.0  # a generation's duration, smoothed; Retry-After's basis

    async def run(
        self,
        work: Callable[[], T],
        cancel: Cancellation,
        request: Request | None,
        *,
        may_queue: bool = False,
    ) -> T:
        """Run `work` on a model thread once a slot is free, within `cancel`'s deadline.

        `may_queue` lets batch lines wait past the queue limit: a batch asks for
        one slot at a time and has nobody waiting on each single line.
        """
        slots = self._slots or self._create_slots()
        if slots.locked() and self._waiting >= self._queue_size and not may_queue:
            self._metrics.rejected.labels("overloaded").inc()
            retry = math.ceil(self._recent_seconds * (self._waiting + 1) / self._concurrency)
            raise ApiError(
                "overloaded",
                f"all {self._concurrency} generation slots are busy and {self._waiting} "
                f"requests wait (queue limit {self._queue_size}); retry in {retry} s",
                retry_after_s=max(1, retry),
            )
        watcher = asyncio.create_task(_cancel_on_disconnect(request, cancel))
        try:
            await self._acquire(slots, cancel)
            return await self._execute(slots, work, cancel)
        finally:
            watcher.cancel()

    async def _acquire(self, slots: asyncio.Semaphore, cancel: Cancellation) -> None:
        self._waiting += 1
        self._metrics.queue_depth.set(self._waiting)
        try:
            await asyncio.wait_for(slots.acquire(), timeout=cancel.remaining_s())
        except TimeoutError:
            raise DeadlineExceeded(
                f"no generation slot came free within the request's deadline "
                f"({cancel.timeout_s:g} s)"
            ) from None
        finally:
            self._waiting -= 1
            self._metrics.queue_depth.set(self._waiting)

    async def _execute(
        self, slots: asyncio.Semaphore, work: Callable[[], T], cancel: Cancellation
    ) -> T:
        started = time.perf_counter()
        self._running += 1
        self._metrics.in_flight.set(self._running)

        def release(done: asyncio.Future[T]) -> None:
            # Runs when the thread is done (after a cancel, within one decoding step).
            if not done.cancelled():
                done.exception()  # retrieved: an abandoned request's error is not news
            self._running -= 1
            self._metrics.in_flight.set(self._running)
            self._recent_seconds = 0.8 * self._recent_seconds + 0.2 * (
                time.perf_counter() - started
            )
            loop.call_soon_threadsafe(slots.release)

        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, work)
        future.add_done_callback(release)
        try:
            # shield: a deadline here must not cancel the future; the thread stops by itself.
            return await asyncio.wait_for(asyncio.shield(future), timeout=cancel.remaining_s())
        except TimeoutError:
            cancel.cancel()
            raise DeadlineExceeded(
                f"the request must finish within {cancel.timeout_s:g} s; its generation was stopped"
            ) from None
        except asyncio.CancelledError:
            cancel.cancel()
            raise

    def _create_slots(self) -> asyncio.Semaphore:
        # Made on first use, inside the serving event loop.
        self._slots = asyncio.Semaphore(self._concurrency)
        return self._slots

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


async def _cancel_on_disconnect(request: Request | None, cancel: Cancellation) -> None:
    if request is None:
        return
    while not cancel.should_stop():
        if await request.is_disconnected():
            cancel.cancel()
            return
        await asyncio.sleep(_DISCONNECT_POLL_S)
