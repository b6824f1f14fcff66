"""One article in, both summaries and their comparison with the article's own lead out."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Literal, Protocol

from models.attribution import ArticleEvidence
from models.compare import compare, lead_vs_closing
from models.embeddings import SentenceEncoder
from models.errors import InvalidOption, ModelUnavailable
from models.textrank import summarize_textrank
from models.types import (
    AbstractiveSummary,
    Article,
    AttributionReport,
    Comparison,
    Comparisons,
    ExtractedSentence,
    GeneratedSentence,
    Report,
    Summaries,
)

if TYPE_CHECKING:  # the engine's modules import torch lazily; keep this module light
    from models.abstractive.cancel import Cancellation
    from models.abstractive.checkpoint import GenerationOverrides

Method = Literal["textrank", "abstractive"]
METHODS: tuple[Method, ...] = ("textrank", "abstractive")


class AbstractiveEngine(Protocol):
    """What `summarize` needs of a seq2seq engine (models.abstractive.engine has two)."""

    @property
    def name(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def reason(self) -> str | None: ...

    def summarize(
        self,
        article: Article,
        options: GenerationOverrides | None = None,
        cancel: Cancellation | None = None,
    ) -> AbstractiveSummary: ...


def summarize(
    article: Article,
    *,
    methods: Sequence[Method] = METHODS,
    max_sentences: int = 3,
    abstractive: AbstractiveEngine | None = None,
    encoder: SentenceEncoder | None = None,
    generation: GenerationOverrides | None = None,
    cancel: Cancellation | None = None,
) -> Report:
    """Run the asked-for methods on `article` and compare each with its lead and closing.

    Raises ModelUnavailable when abstractive is the only method asked for and
    no model can serve it; with TextRank asked for too, the abstractive block
    says `unavailable` instead.
    """
    if not methods or any(m not in METHODS for m in methods):
        raise InvalidOption(
            f"methods must be a non-empty subset of {list(METHODS)}; given: {list(methods)}"
        )
    timings: dict[str, float] = {}
    textrank = summarize_textrank(article, max_sentences) if "textrank" in methods else None
    if textrank:
        timings["textrank"] = textrank.elapsed_ms
    generated = None
    if "abstractive" in methods:
        generated = (
            abstractive.summarize(article, generation, cancel)
            if abstractive
            else unavailable("no abstractive engine is loaded")
        )
        if generated.status != "ok" and textrank is None:
            raise ModelUnavailable(generated.reason or "the abstractive model is unavailable")
        if generated.status == "ok":
            timings["generation"] = generated.elapsed_ms or 0.0
            # Tie each generated sentence to the article sentences behind it.
            started = time.perf_counter()
            spans = [(s.start, s.end) for s in generated.sentences]
            sentences = ArticleEvidence(article, encoder).attribute_sentences(generated.text, spans)
            generated = replace(generated, sentences=sentences)
            timings["attribution"] = (time.perf_counter() - started) * 1000

    return Report(
        article=article,
        summaries=Summaries(textrank=textrank, abstractive=generated),
        comparison=Comparisons(
            textrank=_compare(article, textrank.text, textrank.sentences) if textrank else None,
            abstractive=_compare(article, generated.text, generated.sentences)
            if generated and generated.status == "ok"
            else None,
            lead_vs_closing=lead_vs_closing(article),
        ),
        timings_ms=timings,
    )


def attribute_summary(
    article: Article, summary: str, *, encoder: SentenceEncoder | None = None
) -> AttributionReport:
    """Any summary attributed sentence by sentence, and compared with the lead and closing."""
    sentences = ArticleEvidence(article, encoder).attribute(summary)
    return AttributionReport(
        article=article, sentences=sentences, comparison=_compare(article, summary, sentences)
    )


def _compare(
    article: Article, text: str, sentences: Sequence[ExtractedSentence | GeneratedSentence]
) -> Comparison:
    # The position shares count every article sentence the summary rests on.
    return compare(article, text, (a.sentence for s in sentences for a in s.attributions))


def unavailable(reason: str, model: str | None = None) -> AbstractiveSummary:
    """The abstractive block for a model that cannot serve, with what the operator can do."""
    return AbstractiveSummary(
        status="unavailable",
        reason=reason,
        model=model,
        text="",
        sentences=(),
        input_tokens=None,
        truncated=None,
        input_sentences=(),
        elapsed_ms=None,
    )
