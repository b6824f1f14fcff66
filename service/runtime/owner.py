"""Owners: threads that take work from one bounded queue, the only way work reaches a model.

Every piece of CPU work a request causes goes through an owner (STYLE.md,
"one owner per model, one way in"; TGI's router loop, LitServe's worker loop):

- the text owner: `cpu_workers` threads for page extraction, segmentation,
  TextRank, attribution and comparison, one job at a time each;
- one model owner per loaded seq2seq model: a single thread, the only one that
  touches the model and its tokenizer; it takes up to `max_batch` queued
  generations at once (micro-batching; 1 turns it off);
- the embedding owner: a single thread for the sentence encoder.

Admission is decided here, in one place. An interactive request finds the
queue full and is refused at once (503 `overloaded`, with Retry-After) rather
than queued into a timeout. Lines of a batch may hold only `batch_share` of the
queue; past it a line waits for room (within its own deadline), so a batch
never starves interactive requests. A request's deadline and its client
hanging up set its Cancellation: a queued job is taken out at once, a running
generation stops at its next decoding step. If an owner thread dies, every
request waiting on it gets `worker_failed` at once and a new thread takes its
place. No wait here is without a timeout.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.errors import DeadlineExceeded, WorkerFailed
from newsum.service.contract.errors import ApiError
from newsum.service.runtime.metrics import Metrics

log = logging.getLogger("newsum.owner")

P = TypeVar("P")
R = TypeVar("R")
# interactive: refused when the queue is full; batch: waits past its share;
# admitted: the later stage of a request already admitted, never refused.
Lane = Literal["interactive", "batch", "admitted"]
# How long an idle owner thread sleeps before it looks whether it should stop.
_IDLE_POLL_S = 0.5
# How often a batch line waiting for room, or a request for its client, is rechecked.
_POLL_S = 0.05
# A first estimate of one job's duration, for Retry-After before anything has run.
_FIRST_ESTIMATE_S = 1.0


@dataclass(eq=False)
class Job(Generic[P, R]):
    payload: P
    cancel: Cancellation
    lane: Lane
    enqueued: float = field(default_factory=time.perf_counter)
    result: Future[R] = field(default_factory=Future)

    def settle(self, outcome: R | BaseException) -> None:
        if self.result.done():
            return
        if isinstance(outcome, BaseException):
            self.result.set_exception(outcome)
        else:
            self.result.set_result(outcome)


# Runs a batch of jobs on an owner thread: one outcome (result or error) per job, in order.
Handler = Callable[[list[Job[P, R]]], Sequence[R | BaseException]]


class Owner(Generic[P, R]):
    def __init__(
        self,
        name: str,
        handle: Handler[P, R],
        metrics: Metrics,
        *,
        threads: int = 1,
        queue_size: int = 8,
        batch_share: float = 0.5,
        max_batch: int = 1,
        window_s: float = 0.0,
    ) -> None:
        self.name = name
        self._handle = handle
        self._metrics = metrics
        self._threads = threads
        self._queue_size = queue_size
        self._batch_room = max(1, math.floor(queue_size * batch_share))
        self._max_batch = max_batch
        self._window_s = window_s
        self._queue: deque[Job[P, R]] = deque()
        self._running: dict[int, list[Job[P, R]]] = {}  # thread id -> its jobs
        self._changed = threading.Condition()
        self._stopping = False
        self._recent_s = _FIRST_ESTIMATE_S
        self._thread_list: list[threading.Thread] = []
        for _ in range(threads):
            self._start_thread()

    # Submitting, from the event loop.

    async def run(self, payload: P, cancel: Cancellation, lane: Lane = "interactive") -> R:
        """`payload`'s outcome once an owner thread has handled it, within `cancel`'s deadline."""
        job: Job[P, R] = Job(payload, cancel, lane)
        while not self._try_enqueue(job):  # only a batch line waits here
            if cancel.should_stop():
                raise cancel.stop_error()
            await asyncio.sleep(_POLL_S)
        try:
            return await _wait(job, cancel)
        finally:
            self._withdraw(job)

    def admit(self, payload: P, cancel: Cancellation) -> Job[P, R]:
        """`payload` queued now, in the interactive lane, or 503 `overloaded` at once.

        For an answer that must know it is admitted before it starts (a stream's
        first event); `outcome` then waits for what the owner made of it.
        """
        job: Job[P, R] = Job(payload, cancel, "interactive")
        self._try_enqueue(job)  # the interactive lane never waits: queued, or refused
        return job

    async def outcome(self, job: Job[P, R]) -> R:
        """An admitted job's outcome, within its deadline; given up, it leaves the queue."""
        try:
            return await _wait(job, job.cancel)
        finally:
            self._withdraw(job)

    def call(self, payload: P, timeout_s: float) -> R:
        """The same from a thread (attribution asking the encoder), blocking up to `timeout_s`."""
        job: Job[P, R] = Job(payload, Cancellation(timeout_s), "admitted")
        self._try_enqueue(job)
        try:
            return job.result.result(timeout=timeout_s)
        except FutureTimeout:
            job.cancel.cancel()
            raise DeadlineExceeded(f"{self.name} did not answer within {timeout_s:g} s") from None
        finally:
            self._withdraw(job)

    def _try_enqueue(self, job: Job[P, R]) -> bool:
        with self._changed:
            if self._stopping:
                raise ApiError("not_ready", "the server is shutting down", retry_after_s=5)
            # Jobs an idle thread is about to take do not count as waiting.
            waiting = len(self._queue) - (self._threads - len(self._running))
            if job.lane == "interactive" and waiting >= self._queue_size:
                self._metrics.rejected.labels("overloaded").inc()
                raise self._overloaded(waiting)
            if job.lane == "batch":
                batch_waiting = sum(1 for queued in self._queue if queued.lane == "batch")
                if waiting >= self._queue_size or batch_waiting >= self._batch_room:
                    return False
            self._queue.append(job)
            self._record_depth()
            self._changed.notify()
            return True

    def _withdraw(self, job: Job[P, R]) -> None:
        # A job given up (deadline, client gone) leaves the queue at once.
        with self._changed:
            if job in self._queue:
                self._queue.remove(job)
                self._record_depth()

    def _overloaded(self, waiting: int) -> ApiError:
        retry = max(1, math.ceil(self._recent_s * (waiting + 1) / self._threads))
        return ApiError(
            "overloaded",
            f"the {self.name} queue is full: {waiting} requests wait (limit {self._queue_size}) "
            f"for {self._threads} thread(s); retry in {retry} s",
            retry_after_s=retry,
        )

    # Serving, on the owner's threads.

    def _start_thread(self) -> None:
        thread = threading.Thread(target=self._serve, name=f"newsum-{self.name}", daemon=True)
        self._thread_list = [t for t in self._thread_list if t.is_alive()] + [thread]
        thread.start()

    def _serve(self) -> None:
        me = threading.get_ident()
        try:
            while True:
                jobs = self._take()
                if jobs is None:
                    return
                outcomes = self._run(jobs)
                # Done before anyone hears of it: the gauges are 0 when the last answer goes.
                with self._changed:
                    del self._running[me]
                    self._record_depth()
                for job, outcome in outcomes:
                    job.settle(outcome)
        except BaseException as error:  # the thread is dying: nobody may wait on it
            self._fail_and_restart(me, error)

    def _take(self) -> list[Job[P, R]] | None:
        """The next jobs to run (up to a batch), or None when stopping."""
        with self._changed:
            while not self._queue:
                if self._stopping:
                    return None
                self._changed.wait(_IDLE_POLL_S)
            jobs = [self._queue.popleft()]
            closes = jobs[0].enqueued + self._window_s
            while len(jobs) < self._max_batch:
                if self._queue:
                    jobs.append(self._queue.popleft())
                    continue
                remaining = closes - time.perf_counter()
                if remaining <= 0 or self._stopping:
                    break
                self._changed.wait(remaining)
            self._running[threading.get_ident()] = jobs
            self._record_depth()
            return jobs

    def _run(self, jobs: list[Job[P, R]]) -> list[tuple[Job[P, R], R | BaseException]]:
        """Each job with its outcome; the caller settles them."""
        live = []
        stopped: list[tuple[Job[P, R], R | BaseException]] = []
        for job in jobs:
            if job.cancel.should_stop():  # gone or late before it started
                stopped.append((job, job.cancel.stop_error()))
            else:
                live.append(job)
        if not live:
            return stopped
        started = time.perf_counter()
        if self._max_batch > 1:
            self._metrics.batch_size.observe(len(live))
            for job in live:
                self._metrics.batch_wait.observe(started - job.enqueued)
        try:
            outcomes = self._handle(live)
        except Exception as error:  # a defect must reach every waiting request, not hang them
            log.exception("%s failed on a batch of %d", self.name, len(live))
            outcomes = [error for _ in live]
        seconds = (time.perf_counter() - started) / len(live)
        self._recent_s = 0.8 * self._recent_s + 0.2 * seconds
        return stopped + list(zip(live, outcomes, strict=True))

    def _fail_and_restart(self, me: int, error: BaseException) -> None:
        log.error("%s thread died; restarting it", self.name, exc_info=error)
        failure = WorkerFailed(
            f"the {self.name} thread failed ({type(error).__name__}) and was restarted; "
            "retry the request"
        )
        with self._changed:
            orphans = self._running.pop(me, []) + list(self._queue)
            self._queue.clear()
            self._record_depth()
            restart = not self._stopping
        for job in orphans:
            job.settle(failure)
        if restart:
            self._metrics.owner_restarts.labels(self.name).inc()
            self._start_thread()

    def _record_depth(self) -> None:
        self._metrics.queue_depth.labels(self.name).set(len(self._queue))
        self._metrics.in_flight.labels(self.name).set(sum(map(len, self._running.values())))

    def close(self, timeout_s: float = 30) -> None:
        """Finish what is queued, then let the threads end."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        deadline = time.monotonic() + timeout_s
        for thread in self._thread_list:
            thread.join(max(0.0, deadline - time.monotonic()))


async def _wait(job: Job[P, R], cancel: Cancellation) -> R:
    future = asyncio.wrap_future(job.result)
    # An abandoned job's error (its deadline passed first) is not news.
    future.add_done_callback(lambda done: done.cancelled() or done.exception())
    try:
        # shield: a deadline here must not cancel the future; the thread stops by itself.
        return await asyncio.wait_for(asyncio.shield(future), timeout=cancel.remaining_s())
    except TimeoutError:
        cancel.cancel()
        raise DeadlineExceeded(
            f"the request must finish within {cancel.timeout_s:g} s; its work was stopped"
        ) from None
    except asyncio.CancelledError:
        cancel.cancel()
        raise


async def cancel_on_disconnect(
    is_disconnected: Callable[[], Awaitable[bool]], cancel: Cancellation
) -> None:
    """Sets `cancel` once the client has gone; run it as a task beside the request's work."""
    while not cancel.should_stop():
        if await is_disconnected():
            cancel.cancel()
            return
        await asyncio.sleep(_POLL_S * 2)
