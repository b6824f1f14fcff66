"""One article in, both summaries and their comparison with the article's own lead out."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from newsum.models.abstractive.interface import AbstractiveEngine, failed, unavailable
from newsum.models.attribution import ArticleEvidence
from newsum.models.compare import compare, lead_vs_closing
from newsum.models.coverage import Encode
from newsum.models.embeddings import SentenceEncoder
from newsum.models.errors import (
    Cancelled,
    DeadlineExceeded,
    GenerationFailed,
    InvalidOption,
    ModelUnavailable,
    NewsumError,
)
from newsum.models.faithfulness import SummarySupport, summary_support
from newsum.models.model_support import Judgement, fold
from newsum.models.nli.support import (
    NliJudging,
    Verdict,
    judged_sentences,
    judged_support,
    summary_verdict,
)
from newsum.models.textrank import Pick, summarize_textrank
from newsum.models.types import (
    METHODS,
    AbstractiveSummary,
    Article,
    AttributionReport,
    Comparisons,
    ExtractiveSummary,
    Method,
    Report,
    Summaries,
)

if TYPE_CHECKING:  # the engine's modules import torch lazily; keep this module light
    from newsum.models.abstractive.cancel import Cancellation
    from newsum.models.abstractive.checkpoint import GenerationOverrides

log = logging.getLogger("newsum.summarize")


@dataclass(frozen=True)
class NliVerdicts:
    """What the NLI judge said of each summary (models.nli.support); None: not judged."""

    textrank: Verdict | None = None
    abstractive: Verdict | None = None


def summarize(
    article: Article,
    *,
    methods: Sequence[Method] = METHODS,
    max_sentences: int = 3,
    textrank_pick: Pick = "distinct",
    abstractive: AbstractiveEngine | None = None,
    encoder: SentenceEncoder | None = None,
    generation: GenerationOverrides | None = None,
    cancel: Cancellation | None = None,
    nli: NliJudging | str | None = None,
) -> Report:
    """Run the asked-for methods on `article` and compare each with its lead and closing.

    The whole pipeline on the calling thread (the CLI, benchmarks); the service
    runs the same three steps on its owners: TextRank, generation, `assemble`.
    `nli`: the NLI judge, or why the configured one cannot judge (None: off).
    """
    check_methods(methods)
    textrank = (
        summarize_textrank(article, max_sentences, textrank_pick) if "textrank" in methods else None
    )
    generated = None
    if "abstractive" in methods:
        outcome: AbstractiveSummary | Exception
        if abstractive is None:
            outcome = unavailable("no abstractive engine is loaded")
        else:
            try:
                outcome = abstractive.summarize(article, generation, cancel)
            except Exception as error:  # settled below: degrade, or the request's error
                outcome = error
        generated = settle_generation(outcome, with_textrank=textrank is not None)
    verdicts = None
    if nli is not None:
        verdicts = NliVerdicts(
            textrank=judge_in_process(nli, article, textrank_sentences(textrank), cancel),
            abstractive=judge_in_process(nli, article, generated_sentences(generated), cancel),
        )
    return assemble(article, textrank, generated, encoder, nli=verdicts)


def judge_in_process(
    nli: NliJudging | str,
    article: Article,
    sentences: Sequence[str],
    cancel: Cancellation | None = None,
) -> Verdict | None:
    """The judge's verdict on one summary, on this thread (or why the judge cannot give one)."""
    if not sentences:
        return None
    return nli if isinstance(nli, str) else nli.verdict(article, sentences, cancel)


def textrank_sentences(textrank: ExtractiveSummary | None) -> list[str]:
    """What the NLI judge reads of TextRank's summary: its sentences."""
    return [s.text for s in textrank.sentences] if textrank is not None else []


def generated_sentences(generated: AbstractiveSummary | None) -> list[str]:
    """What the NLI judge reads of a generated summary: its sentences, when there is one."""
    if generated is None or generated.status != "ok":
        return []
    return [s.text for s in generated.sentences]


def check_methods(methods: Sequence[str]) -> None:
    if not methods or any(m not in METHODS for m in methods):
        raise InvalidOption(
            f"methods must be a non-empty subset of {list(METHODS)}; given: {list(methods)}"
        )


def settle_generation(
    outcome: AbstractiveSummary | BaseException, *, with_textrank: bool
) -> AbstractiveSummary:
    """The abstractive block for a generation's outcome, or the error the request ends in.

    A stopped request (deadline, client gone) and a bad option end the request.
    A model that cannot serve or fails degrades to a block with `status`
    `unavailable` or `error` and a reason when TextRank was asked for too; asked
    for alone, it is the request's error (503 model_unavailable / generation_failed).
    """
    if isinstance(outcome, Cancelled | DeadlineExceeded | InvalidOption):
        raise outcome
    if isinstance(outcome, BaseException):
        if isinstance(outcome, NewsumError):
            error = outcome
        else:
            log.error("the abstractive model failed", exc_info=outcome)
            error = GenerationFailed(
                f"the model failed while generating ({type(outcome).__name__}); it is logged"
            )
        if not with_textrank:
            raise error
        return failed(error.message)
    if outcome.status != "ok" and not with_textrank:
        raise ModelUnavailable(outcome.reason or "the abstractive model is unavailable")
    return outcome


def assemble(
    article: Article,
    textrank: ExtractiveSummary | None,
    generated: AbstractiveSummary | None,
    encoder: SentenceEncoder | None = None,
    judgement: Judgement | None = None,
    evidence: ArticleEvidence | None = None,
    nli: NliVerdicts | None = None,
) -> Report:
    """Attribute the generated sentences and compare every summary with the lead and closing.

    `judgement`: the served model's score of the generated summary, when it is on.
    `evidence`: the article's evidence when the caller has built it already (a stream,
    which attributed each sentence as it came); else it is built here.
    `nli`: the NLI judge's verdicts, when it is on (models.nli.support).
    """
    nli = nli or NliVerdicts()
    timings: dict[str, float] = {}
    if textrank:
        timings["textrank"] = textrank.elapsed_ms
        if nli.textrank is not None:
            textrank = replace(
                textrank,
                sentences=judged_sentences(textrank.sentences, nli.textrank),
                nli=summary_verdict(nli.textrank),
            )
    if generated is not None and generated.status == "ok":
        timings["generation"] = generated.elapsed_ms or 0.0
        # Tie each generated sentence to the article sentences behind it.
        started = time.perf_counter()
        evidence = evidence or ArticleEvidence(article, encoder)
        spans = [(s.start, s.end) for s in generated.sentences]
        sentences = evidence.attribute_sentences(generated.text, spans)
        whole = _judged(summary_support(evidence, sentences), evidence, judgement)
        whole = judged_support(whole, nli.abstractive)
        generated = replace(
            generated,
            sentences=judged_sentences(sentences, nli.abstractive),
            support=whole.support if whole else None,
            support_signals=whole.signals if whole else (),
            nli=summary_verdict(nli.abstractive),
        )
        timings["attribution"] = (time.perf_counter() - started) * 1000
    # Each summary against the lead and the closing: what it keeps, drops and adds.
    # TextRank's sentences are the article's own, compared on lexical evidence; a
    # generated summary on the evidence (and the vectors) of its attribution.
    started = time.perf_counter()
    comparison = Comparisons(
        textrank=compare(article, textrank.text, textrank.sentences) if textrank else None,
        abstractive=compare(article, generated.text, generated.sentences, _encode(evidence))
        if generated and generated.status == "ok"
        else None,
        lead_vs_closing=lead_vs_closing(article),
    )
    timings["comparison"] = (time.perf_counter() - started) * 1000
    return Report(
        article=article,
        summaries=Summaries(textrank=textrank, abstractive=generated),
        comparison=comparison,
        timings_ms=timings,
    )


def attribute_summary(
    article: Article,
    summary: str,
    *,
    encoder: SentenceEncoder | None = None,
    judgement: Judgement | None = None,
    nli: Verdict | None = None,
) -> AttributionReport:
    """Any summary attributed sentence by sentence, and compared with the lead and closing.

    `nli`: the NLI judge's verdict on the summary's sentences as `summary_spans` cuts
    them, as attribution does (models.nli.support), when the judge is on.
    """
    evidence = ArticleEvidence(article, encoder)
    sentences = evidence.attribute(summary)
    whole = _judged(summary_support(evidence, sentences), evidence, judgement)
    whole = judged_support(whole, nli)
    return AttributionReport(
        article=article,
        sentences=judged_sentences(sentences, nli),
        comparison=compare(article, summary, sentences, _encode(evidence)),
        support=whole.support if whole else None,
        support_signals=whole.signals if whole else (),
        nli=summary_verdict(nli),
    )


def _judged(
    whole: SummarySupport | None, evidence: ArticleEvidence, judgement: Judgement | None
) -> SummarySupport | None:
    # The model's score joins the lexical support fitted for the same mode.
    if whole is None or judgement is None:
        return whole
    return fold(whole, "embeddings" if evidence.encoder is not None else "lexical", judgement)


def _encode(evidence: ArticleEvidence | None) -> Encode | None:
    # The attribution's encoder and the vectors it made, when it had embeddings.
    return evidence.encode if evidence is not None and evidence.encoder is not None else None
