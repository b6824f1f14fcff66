"""Micro-batching across requests: generations that arrive together are decoded together.

A request's generation waits up to `window_ms` (or until `max_batch` have
gathered) for others with the same generation options, and the group goes to
the engine as one padded batch; each answer returns to its own request. A
request cancelled or past its deadline before its batch starts is left out; one
that stops during the batch loses its row only (the engine stops rows one by
one), so the others are unharmed. On 2 cores a batch of 4 costs far less than
4 generations one after another: the weights are read once per decoding step
for all rows.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from models.abstractive.cancel import Cancellation
from models.abstractive.checkpoint import GenerationOverrides
from models.errors import NewsumError
from models.types import AbstractiveSummary, Article
from service.metrics import Metrics

_STOP = object()


@dataclass
class _Pending:
    article: Article
    options: GenerationOverrides | None
    cancel: Cancellation
    enqueued: float = field(default_factory=time.perf_counter)
    result: Future[AbstractiveSummary | NewsumError] = field(default_factory=Future)


class MicroBatcher:
    """Stands where the engine stood (the AbstractiveEngine protocol) and batches its calls."""

    def __init__(self, engine: Any, window_ms: float, max_batch: int, metrics: Metrics) -> None:
        self.engine = engine
        self.window_s = window_ms / 1000
        self.max_batch = max_batch
        self.metrics = metrics
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="newsum-batcher", daemon=True)
        self._thread.start()

    # The engine's own face, for /v1/models and readiness.
    @property
    def name(self) -> str:
        return str(self.engine.name)

    @property
    def status(self) -> str:
        return str(self.engine.status)

    @property
    def reason(self) -> str | None:
        return self.engine.reason  # type: ignore[no-any-return]

    @property
    def checkpoint(self) -> Any:
        return self.engine.checkpoint

    def summarize(
        self,
        article: Article,
        options: GenerationOverrides | None = None,
        cancel: Cancellation | None = None,
    ) -> AbstractiveSummary:
        pending = _Pending(article, options, cancel or Cancellation())
        self._queue.put(pending)
        # Resolved promptly either way: dropped before its batch, or its row
        # stopped within one decoding step.
        outcome = pending.result.result()
        if isinstance(outcome, NewsumError):
            raise outcome
        return outcome

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            gathered = self._gather(first)
            # One generate() call shares one set of options.
            groups: dict[GenerationOverrides | None, list[_Pending]] = {}
            for pending in gathered:
                groups.setdefault(pending.options, []).append(pending)
            for options, group in groups.items():
                self._run(options, group)

    def _gather(self, first: _Pending) -> list[_Pending]:
        gathered = [first]
        closes = first.enqueued + self.window_s
        while len(gathered) < self.max_batch:
            remaining = closes - time.perf_counter()
            if remaining <= 0:
                break
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if item is _STOP:
                self._queue.put(_STOP)  # seen after this batch
                break
            gathered.append(item)
        return gathered

    def _run(self, options: GenerationOverrides | None, group: list[_Pending]) -> None:
        live = []
        for pending in group:
            if pending.cancel.should_stop():  # gone or late before its batch started
                pending.result.set_result(pending.cancel.stop_error())
            else:
                live.append(pending)
        if not live:
            return
        started = time.perf_counter()
        self.metrics.batch_size.observe(len(live))
        for pending in live:
            self.metrics.batch_wait.observe(started - pending.enqueued)
        try:
            outcomes = self.engine.summarize_batch(
                [p.article for p in live], options, [p.cancel for p in live]
            )
        except Exception as error:  # a defect must reach every waiting request, not hang them
            for pending in live:
                pending.result.set_exception(error)
            return
        for pending, outcome in zip(live, outcomes, strict=True):
            pending.result.set_result(outcome)
