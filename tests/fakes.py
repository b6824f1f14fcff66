"""Test doubles: an abstractive engine that takes its time, streams, and honours cancellation."""

from __future__ import annotations

import time
from dataclasses import replace

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.checkpoint import GenerationOverrides
from newsum.models.abstractive.streaming import SentenceObserver
from newsum.models.errors import NewsumError
from newsum.models.types import AbstractiveSummary, Article, GeneratedSentence


class SlowEngine:
    """'Generates' the article's first `sentences` sentences in `steps` steps of `step_s`
    seconds (or in `max_length` steps when a request sets it, so a test picks the duration).

    Like the real engine it checks its Cancellation at every step; it records
    the size of each batch it is given. Streamed, it hands over each sentence
    once its share of the steps is done, as greedy decoding would.
    """

    status = "ok"
    reason = None

    def __init__(
        self, steps: int = 20, step_s: float = 0.05, name: str = "slow-fake", sentences: int = 1
    ) -> None:
        self.name = name
        self.steps = steps
        self.step_s = step_s
        self.sentences = sentences
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

    def summarize_streaming(
        self,
        article: Article,
        options: GenerationOverrides | None,
        cancel: Cancellation,
        on_sentence: SentenceObserver,
    ) -> AbstractiveSummary | NewsumError:
        self.batches.append(1)
        began = time.perf_counter()
        summary = self._summary(article, 0.0)
        steps = options.max_length if options and options.max_length else self.steps
        handed = 0
        for step in range(1, steps + 1):
            if cancel.should_stop():
                return cancel.stop_error()
            time.sleep(self.step_s)
            # Sentence i is complete after (i + 1) / n of the steps.
            while handed < len(summary.sentences) * step // steps:
                on_sentence(summary.sentences[handed])
                handed += 1
        return replace(summary, elapsed_ms=(time.perf_counter() - began) * 1000)

    def _summary(self, article: Article, elapsed_ms: float) -> AbstractiveSummary:
        chosen = article.sentences[: self.sentences]
        text = " ".join(s.text for s in chosen)
        sentences, offset = [], 0
        for sentence in chosen:
            end = offset + len(sentence.text)
            sentences.append(GeneratedSentence(sentence.text, offset, end, (), None, ()))
            offset = end + 1
        return AbstractiveSummary(
            status="ok",
            reason=None,
            model=self.name,
            text=text,
            sentences=tuple(sentences),
            input_tokens=len(text.split()),
            truncated=False,
            input_sentences=tuple(range(len(chosen))),
            elapsed_ms=elapsed_ms,
        )
