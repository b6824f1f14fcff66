"""The abstractive engine: prepare (fit the input) -> run (generate) -> finish (decode, split).

The split follows the transformers pipelines' preprocess / _forward /
postprocess, without the pipeline (gone in transformers v5).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from models.abstractive.cancel import Cancellation, stopping_criteria
from models.abstractive.checkpoint import (
    MODEL_OFF,
    Checkpoint,
    GenerationOverrides,
    GenerationSettings,
    load_checkpoint,
)
from models.abstractive.model_input import ModelInput, fit_article
from models.errors import ModelUnavailable
from models.segment import split_paragraphs, split_sentences
from models.summarize import unavailable
from models.types import AbstractiveSummary, Article, GeneratedSentence


class Seq2SeqEngine:
    """Summaries from one loaded checkpoint. Thread-safe: one generation runs at a time."""

    status = "ok"

    def __init__(self, checkpoint: Checkpoint, *, threads: int | None = None) -> None:
        import torch

        if threads:
            # Process-wide: torch has one intra-op pool.
            torch.set_num_threads(threads)
        self.checkpoint = checkpoint
        # torch modules are not documented as safe for concurrent generate()
        # calls, and two on 2 cores only slow each other down.
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.checkpoint.name

    @property
    def reason(self) -> str | None:
        return None

    def summarize(
        self,
        article: Article,
        options: GenerationOverrides | None = None,
        cancel: Cancellation | None = None,
    ) -> AbstractiveSummary:
        return self.summarize_batch([article], options, cancel)[0]

    def summarize_batch(
        self,
        articles: Sequence[Article],
        options: GenerationOverrides | None = None,
        cancel: Cancellation | None = None,
    ) -> list[AbstractiveSummary]:
        """Summaries of several articles from one padded generate() call (throughput)."""
        settings = (options or GenerationOverrides()).apply(self.checkpoint.defaults)
        cancel = cancel or Cancellation()
        started = time.perf_counter()
        # Prepare: choose what each model input holds, within the model's limit.
        inputs = [self.prepare(article) for article in articles]
        # Run: the hot path, stoppable between decoding steps.
        texts = self.run([i.text for i in inputs], settings, cancel)
        # Finish: one summary per article, split into sentences with offsets.
        elapsed_ms = (time.perf_counter() - started) * 1000
        return [
            self.finish(article, model_input, text, elapsed_ms)
            for article, model_input, text in zip(articles, inputs, texts, strict=True)
        ]

    def prepare(self, article: Article) -> ModelInput:
        c = self.checkpoint
        return fit_article(article, c.tokenizer, c.prefix, c.max_input_tokens)

    def run(
        self, texts: list[str], settings: GenerationSettings, cancel: Cancellation
    ) -> list[str]:
        import torch
        from transformers import StoppingCriteriaList

        c = self.checkpoint
        batch = c.tokenizer(
            texts,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=c.max_input_tokens,
        )
        with self._lock, torch.inference_mode():
            cancel.raise_if_stopped()  # it may have waited for the lock past its deadline
            output = c.model.generate(
                **batch,
                num_beams=settings.num_beams,
                min_length=settings.min_length,
                max_length=settings.max_length,
                length_penalty=settings.length_penalty,
                no_repeat_ngram_size=settings.no_repeat_ngram_size,
                early_stopping=settings.early_stopping,
                do_sample=False,
                stopping_criteria=StoppingCriteriaList([stopping_criteria(cancel)]),
            )
        cancel.raise_if_stopped()
        decoded: list[str] = c.tokenizer.batch_decode(output, skip_special_tokens=True)
        return [text.strip() for text in decoded]

    def finish(
        self, article: Article, model_input: ModelInput, text: str, elapsed_ms: float
    ) -> AbstractiveSummary:
        return AbstractiveSummary(
            status="ok",
            reason=None,
            model=self.name,
            text=text,
            sentences=_sentences(text, article.language),
            input_tokens=model_input.input_tokens,
            truncated=model_input.truncated,
            input_sentences=model_input.sentences,
            elapsed_ms=elapsed_ms,
        )


class UnavailableEngine:
    """Stands in for a model that cannot serve, and says why and what to do."""

    status = "unavailable"

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason: str | None = reason

    def summarize(
        self,
        article: Article,
        options: GenerationOverrides | None = None,
        cancel: Cancellation | None = None,
    ) -> AbstractiveSummary:
        return unavailable(self.reason or "unavailable", self.name)


def open_engine(
    name: str, *, threads: int | None = None, cache_dir: str | None = None
) -> Seq2SeqEngine | UnavailableEngine:
    """The engine for `name`, or a stand-in that reports why it cannot serve."""
    if name.strip().lower() == MODEL_OFF:
        return UnavailableEngine(MODEL_OFF, "the abstractive engine is off (NEWSUM_MODEL=none)")
    try:
        return Seq2SeqEngine(load_checkpoint(name, cache_dir=cache_dir), threads=threads)
    except ModelUnavailable as error:
        return UnavailableEngine(name, error.message)


def _sentences(summary: str, language: str) -> tuple[GeneratedSentence, ...]:
    # Attribution to article sentences happens later (models.summarize).
    return tuple(
        GeneratedSentence(summary[s:e], s, e, attributions=(), support=None, unsupported=())
        for p_start, p_end in split_paragraphs(summary)
        for s, e in split_sentences(summary, p_start, p_end, language)
    )
