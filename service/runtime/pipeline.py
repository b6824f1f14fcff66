"""A request's work in stages on the owners, never on the event loop.

1. text owner: parse the body (JSON, plain text, an article page), read the
   article, rank it with TextRank — admitted in the request's lane;
2. model owner: generate, when asked for and a model serves; then, with
   NEWSUM_MODEL_SUPPORT=on, score the summary under the model (service.runtime.judge;
   /v1/attribute too, between reading the article and attributing); then, with
   NEWSUM_NLI_MODEL, the NLI judge's owner judges each summary (service.runtime.nli);
3. text owner: attribute the generated sentences, compare every summary with
   the lead and closing — already admitted, so never refused after the model
   has done its part. A request with nothing for the models (no abstractive
   summary, no NLI judge) is answered at the end of stage 1, in the same job:
   one trip to the owner, not two.
Every stage runs within the request's one deadline; a client that hangs up
cancels whichever stage it is in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.interface import AbstractiveEngine, unavailable
from newsum.models.abstractive.routing import configured, requested_engine, route
from newsum.models.article import check_text, read_article
from newsum.models.attribution import summary_spans
from newsum.models.errors import MethodNotServed
from newsum.models.model_support import Judgement
from newsum.models.nli.support import Verdict
from newsum.models.summarize import (
    NliVerdicts,
    assemble,
    attribute_summary,
    check_methods,
    generated_sentences,
    settle_generation,
    textrank_sentences,
)
from newsum.models.textrank import summarize_textrank
from newsum.models.types import AbstractiveSummary, Article, ExtractiveSummary
from newsum.service.contract.errors import ApiError
from newsum.service.contract.schemas import (
    AttributeRequest,
    SummarizeRequest,
    attribute_response,
    summarize_response,
)
from newsum.service.runtime.judge import judge
from newsum.service.runtime.metrics import Metrics
from newsum.service.runtime.nli import judge_summary
from newsum.service.runtime.owner import Lane, cancel_on_disconnect
from newsum.service.runtime.owners import Generation, ModelOwner
from newsum.service.runtime.state import ServiceState
from newsum.service.settings import Settings

T = TypeVar("T")
_LOADING_RETRY_S = 5


@dataclass(frozen=True)
class Context:
    """What a request's work needs of the app."""

    settings: Settings
    state: ServiceState
    metrics: Metrics

    @classmethod
    def of(cls, app_state: Any) -> Context:
        return cls(app_state.settings, app_state.service, app_state.metrics)


@dataclass(frozen=True)
class Prepared:
    body: SummarizeRequest
    article: Article
    textrank: ExtractiveSummary | None
    engine: AbstractiveEngine | None = None  # the model routed to, when abstractive is asked


async def summarize(
    context: Context,
    parse: Callable[[], SummarizeRequest],
    lane: Lane,
    is_disconnected: Callable[[], Awaitable[bool]] | None = None,
) -> str:
    """The JSON answer to one summarize request whose body `parse` reads (on the text owner)."""
    cancel = Cancellation(timeout_s=context.settings.request_timeout_s)
    return await _watched(_summarize(context, parse, lane, cancel), cancel, is_disconnected)


async def attribute(
    context: Context,
    parse: Callable[[], AttributeRequest],
    is_disconnected: Callable[[], Awaitable[bool]] | None = None,
) -> str:
    """The JSON answer for any summary attributed to its article, made on the text owner."""
    cancel = Cancellation(timeout_s=context.settings.request_timeout_s)
    state = context.state

    def work() -> str | _Attributing:
        body = parse()
        article = _read(context.settings, body)
        check_text(body.summary, "summary", context.settings.max_summary_chars)
        cancel.raise_if_stopped()
        # The model that would summarise the article judges the summary first (stage 2,
        # when NEWSUM_MODEL_SUPPORT is on); attribution follows (stage 3).
        judge_name = route(state.engines.abstractive_models(), article.language).name
        judged = judge_name in state.judges and judge_name in state.models
        if judged or state.nli is not None:
            spans = summary_spans(body.summary, article.language)
            sentences = tuple(body.summary[s:e] for s, e in spans)
            return _Attributing(article, body.summary, sentences, judge_name)
        return _attributed(context, article, body.summary, None, None)

    async def stages() -> str:
        first = await _text(context, work, cancel, "interactive")
        if isinstance(first, str):
            return first
        judgement = await judge(
            state.judges.get(first.model),
            state.models.get(first.model),
            first.article,
            first.sentences,
            cancel,
        )
        verdict = await judge_summary(state.nli, first.article, first.sentences, cancel)
        return await _text(
            context,
            lambda: _attributed(context, first.article, first.summary, judgement, verdict),
            cancel,
            "admitted",
        )

    return await _watched(stages(), cancel, is_disconnected)


@dataclass(frozen=True)
class _Attributing:
    article: Article
    summary: str
    sentences: tuple[str, ...]  # as attribution splits the summary
    model: str  # the model that judges it


def _attributed(
    context: Context,
    article: Article,
    summary: str,
    judgement: Judgement | None,
    verdict: Verdict | None,
) -> str:
    """The attribute answer: `summary` attributed (and judged, when the model or the NLI
    judge did), as JSON."""
    started = time.perf_counter()
    report = attribute_summary(
        article, summary, encoder=context.state.encoder, judgement=judgement, nli=verdict
    )
    context.metrics.observe_stages({"attribution": (time.perf_counter() - started) * 1000})
    return attribute_response(report).model_dump_json()


async def _summarize(
    context: Context, parse: Callable[[], SummarizeRequest], lane: Lane, cancel: Cancellation
) -> str:
    state = context.state

    def prepare() -> Prepared | str:
        prepared = read_request(context, parse, cancel)
        if "abstractive" not in prepared.body.methods and state.nli is None:
            # Nothing for the models: answer in this same job, one trip to the owner, not two.
            return _finish(context, prepared, None)
        return prepared

    prepared = await _text(context, prepare, cancel, lane)
    if isinstance(prepared, str):
        return prepared
    generated, judgement = None, None
    if "abstractive" in prepared.body.methods:
        outcome = await _generate(context, prepared, cancel, lane)
        generated = settle_generation(outcome, with_textrank=prepared.textrank is not None)
        # The model judges its own summary when NEWSUM_MODEL_SUPPORT is on (runtime.judge).
        model = prepared.engine.name if prepared.engine is not None else ""
        judgement = await judge(
            state.judges.get(model),
            state.models.get(model),
            prepared.article,
            generated_sentences(generated),
            cancel,
        )
    verdicts = await nli_verdicts(context, prepared, generated, cancel)
    return await _text(
        context,
        lambda: _finish(context, prepared, generated, judgement, verdicts),
        cancel,
        "admitted",
    )


async def nli_verdicts(
    context: Context,
    prepared: Prepared,
    generated: AbstractiveSummary | None,
    cancel: Cancellation,
) -> NliVerdicts | None:
    """The NLI judge's verdicts on each summary (runtime.nli); None when it is off."""
    owner, article = context.state.nli, prepared.article
    if owner is None:
        return None
    return NliVerdicts(
        textrank=await judge_summary(owner, article, textrank_sentences(prepared.textrank), cancel),
        abstractive=await judge_summary(owner, article, generated_sentences(generated), cancel),
    )


def read_request(
    context: Context, parse: Callable[[], SummarizeRequest], cancel: Cancellation
) -> Prepared:
    """Stage 1 (on the text owner): the body parsed and checked, the article read, TextRank."""
    body = parse()
    check_methods(body.methods)
    _check_served(context.state, body)
    started = time.perf_counter()
    article = _read(context.settings, body)
    context.metrics.observe_stages({"segmentation": (time.perf_counter() - started) * 1000})
    cancel.raise_if_stopped()
    wants_textrank = "textrank" in body.methods
    textrank = (
        summarize_textrank(article, body.max_sentences, body.textrank_pick)
        if wants_textrank
        else None
    )
    if "abstractive" not in body.methods:
        return Prepared(body, article, textrank)
    # The model for the article's language, or the one asked for (422 if it lacks it).
    engine = route(context.state.engines.abstractive_models(), article.language, body.model)
    return Prepared(body, article, textrank, engine)


def _finish(
    context: Context,
    prepared: Prepared,
    generated: AbstractiveSummary | None,
    judgement: Judgement | None = None,
    verdicts: NliVerdicts | None = None,
) -> str:
    """The answer: attribution and comparison, then the JSON text."""
    report = assemble(
        prepared.article,
        prepared.textrank,
        generated,
        context.state.encoder,
        judgement,
        nli=verdicts,
    )
    context.metrics.observe_stages(report.timings_ms)
    # Serialised here, not on the event loop: a long article's answer takes
    # tens of milliseconds to build (50,000 boilerplate spans: hundreds).
    return summarize_response(report).model_dump_json()


async def _generate(
    context: Context, prepared: Prepared, cancel: Cancellation, lane: Lane
) -> AbstractiveSummary | Exception:
    """The generation's outcome: a summary (maybe `unavailable`), or the error it ended in."""
    owner = model_owner_for(context, prepared)
    if isinstance(owner, AbstractiveSummary):
        return owner
    body = prepared.body
    options = body.generation.overrides() if body.generation else None
    try:
        outcome = await owner.run(Generation(prepared.article, options), cancel, lane)
    except ApiError:  # refused at admission: the whole request is
        raise
    except Exception as error:  # settled by the caller: degrade, or the request's error
        return error
    assert isinstance(outcome, AbstractiveSummary)  # a generation's job answers a summary
    return outcome


def model_owner_for(context: Context, prepared: Prepared) -> ModelOwner | AbstractiveSummary:
    """The owner of the model the article was routed to, or the `unavailable` block of a
    model that cannot serve (503 `not_ready` while models load and nothing else was asked)."""
    state, engine = context.state, prepared.engine
    owner = state.models.get(engine.name) if engine is not None else None
    if owner is not None:
        return owner
    if state.loading and prepared.textrank is None:
        raise ApiError(
            "not_ready", "the model is still loading; retry shortly", retry_after_s=_LOADING_RETRY_S
        )
    if engine is None:
        return unavailable("no abstractive engine is loaded")
    return engine.summarize(prepared.article)  # the stand-in's `unavailable` block


async def text_stage(
    context: Context, work: Callable[[], T], cancel: Cancellation, lane: Lane
) -> T:
    """`work` on the text owner within a request's `cancel`, in `lane` (a stream's stages)."""
    return await _text(context, work, cancel, lane)


async def text_work(context: Context, work: Callable[[], T], timeout_s: float) -> T:
    """`work` on the text owner, as part of a request already admitted, within `timeout_s`."""
    return await _text(context, work, Cancellation(timeout_s=timeout_s), "admitted")


def _check_served(state: ServiceState, body: SummarizeRequest) -> None:
    engines = state.engines.abstractive_models()
    # Whatever the methods: a request naming a model this server lacks is a mistake.
    if body.model is not None:
        requested_engine(engines, body.model)
    # Abstractive alone where no model is configured: the client's error (422), as no
    # retry can help; a configured model that cannot serve is the server's (503).
    if "textrank" not in body.methods and not configured(engines):
        raise MethodNotServed(
            "methods ['abstractive'] cannot be served here: no abstractive model is "
            "configured (NEWSUM_MODEL=none); ask for textrank, alone or with abstractive"
        )


async def _text(context: Context, work: Callable[[], T], cancel: Cancellation, lane: Lane) -> T:
    owner = context.state.text
    if owner is None:
        raise ApiError("not_ready", "the server is starting", retry_after_s=_LOADING_RETRY_S)
    result: T = await owner.run(work, cancel, lane)
    return result


async def _watched(
    work: Coroutine[Any, Any, T],
    cancel: Cancellation,
    is_disconnected: Callable[[], Awaitable[bool]] | None,
) -> T:
    # A client that hangs up cancels whatever stage its request is in.
    watcher = (
        asyncio.create_task(cancel_on_disconnect(is_disconnected, cancel))
        if is_disconnected is not None
        else None
    )
    try:
        return await work
    finally:
        if watcher is not None:
            watcher.cancel()


def _read(settings: Settings, body: SummarizeRequest | AttributeRequest) -> Article:
    from_page = isinstance(body, SummarizeRequest) and body.standfirst_from_page
    return read_article(
        body.text,
        title=body.title,
        standfirst=body.standfirst,
        language=body.language,
        limits=settings.limits,
        standfirst_source="page" if from_page else "request",
    )
