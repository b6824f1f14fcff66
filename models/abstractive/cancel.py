"""Stopping a generation from outside: a flag and a deadline, checked at every decoding step."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from newsum.models.errors import Cancelled, DeadlineExceeded, NewsumError


class Cancellation:
    """Set by whoever owns the request (deadline, client gone); read by the decoding loop."""

    def __init__(self, timeout_s: float | None = None) -> None:
        self._event = threading.Event()
        self._timeout_s = timeout_s
        self._deadline = None if timeout_s is None else time.monotonic() + timeout_s

    def cancel(self) -> None:
        self._event.set()

    @property
    def timeout_s(self) -> float | None:
        return self._timeout_s

    def remaining_s(self) -> float | None:
        """Seconds to the deadline (0 when past it); None without a deadline."""
        return None if self._deadline is None else max(0.0, self._deadline - time.monotonic())

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    @property
    def expired(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def should_stop(self) -> bool:
        return self.cancelled or self.expired

    def stop_error(self) -> NewsumError:
        """The error a stopped request ends in: Cancelled, or DeadlineExceeded."""
        if self.cancelled:
            return Cancelled("the request was cancelled (client gone or server shutting down)")
        return DeadlineExceeded(
            f"generation must finish within {self._timeout_s:g} s; stopped at the deadline"
        )

    def raise_if_stopped(self) -> None:
        if self.should_stop():
            raise self.stop_error()


def stopping_criteria(
    cancellations: list[Cancellation],
    on_tokens: Callable[[int, list[int]], None] | None = None,
) -> Any:
    """A transformers StoppingCriteria that ends each batch row once its Cancellation says stop.

    Rows come in batch order; beam search hands in every beam (and its spare
    candidates) of a row one after another, so a row's answer is repeated.
    In greedy search (one sequence per row) it also hands `on_tokens` each
    row's tokens so far, without the decoder start token, after every step.
    """
    import torch
    from transformers import StoppingCriteria

    class _StopWhenCancelled(StoppingCriteria):
        def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **_: Any) -> torch.Tensor:
            if on_tokens is not None:
                for row, tokens in enumerate(input_ids.tolist()):
                    on_tokens(row, tokens[1:])
            rows = torch.tensor(
                [c.should_stop() for c in cancellations], dtype=torch.bool, device=input_ids.device
            )
            return rows.repeat_interleave(input_ids.shape[0] // len(cancellations))

    return _StopWhenCancelled()
