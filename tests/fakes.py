"""Test doubles: an abstractive engine that takes its time and honours cancellation."""

from __future__ import annotations

import time

from models.abstractive.cancel import Cancellation
from models.abstractive.checkpoint import GenerationOverrides
from models.errors import NewsumError
from models.types import AbstractiveSummary, Article, GeneratedSentence


class SlowEngine:
    """'Generates' the article's first sentence in `steps` steps of `step_s` seconds
    (or in `max_length` steps when a request sets it, so a test picks the duration).

    Like the real engine it checks its Cancellation at every step; it records
    the size of each batch it is given.
    """

    status = "ok"
    reason = None

    def __init__(self, steps: int = 20, step_s: float = 0.05, name: str = "slow-fake") -> None:
        self.name = name
        self.steps = steps
        self.step_s = step_s
        self.batches: list[int] = []

    def summarize_batch(
        self,
        articles: list[Article],
        options: GenerationOverrides | None = None,
        cancels: list[Cancellation] | None = None,
    ) -> list[AbstractiveSummary | NewsumError]:
        """One pass of the steps for the whole batch; a stopped row gets its error."""
        cancels = cancels or [Cancellation() for _ in articles]
        self.batches.append(len(articles))
        steps = options.max_length if options and options.max_length else self.steps
        for _ in range(steps):
            if all(c.should_stop() for c in cancels):
                break
            time.sleep(self.step_s)
        return [
            c.stop_error() if c.should_stop() else self._summary(a, 0.0)
            for a, c in zip(articles, cancels, strict=True)
        ]

    def summarize(
        self,
        article: Article,
        options: GenerationOverrides | None = None,
        cancel: Cancellation | None = None,
    ) -> AbstractiveSummary:
        cancel = cancel or Cancellation()
        began = time.perf_counter()
        steps = options.max_length if options and options.max_length else self.steps
        for _ in range(steps):
            cancel.raise_if_stopped()
            time.sleep(self.step_s)
        return self._summary(article, (time.perf_counter() - began) * 1000)

    def _summary(self, article: Article, elapsed_ms: float) -> AbstractiveSummary:
        text = article.sentences[0].text
        return AbstractiveSummary(
            status="ok",
            reason=None,
            model=self.name,
            text=text,
            sentences=(GeneratedSentence(text, 0, len(text), (), None, ()),),
            input_tokens=len(text.split()),
            truncated=False,
            input_sentences=(0,),
            elapsed_ms=elapsed_ms,
        )
