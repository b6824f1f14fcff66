"""The application factory: `create_app(settings=None, engines=None)`."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware

from newsum.models.abstractive.interface import AbstractiveEngine
from newsum.models.abstractive.routing import configured
from newsum.models.errors import ModelUnavailable
from newsum.models.nli.support import NliJudging
from newsum.service.contract.errors import install_error_handlers
from newsum.service.contract.schemas import (
    AttributeRequest,
    BatchRequestLine,
    BatchResultLine,
    SummarizeRequest,
)
from newsum.service.runtime.judge import Judge, open_judge
from newsum.service.runtime.judge import warm_up as warm_up_judge
from newsum.service.runtime.metrics import Metrics
from newsum.service.runtime.nli import nli_owner
from newsum.service.runtime.owners import OwnedEncoder, start_model_owners, text_owner
from newsum.service.runtime.readiness import cannot_load, engine_readiness
from newsum.service.runtime.state import (
    Engines,
    ServiceState,
    load_engines,
    record_load_state,
    warm_up,
)
from newsum.service.settings import Settings
from newsum.service.web.api_docs import install_api_docs
from newsum.service.web.middleware import AccessControl, BodyGuard, RequestContext
from newsum.service.web.openapi import publish_models
from newsum.service.web.routes import router

log = logging.getLogger("newsum")


def _loading(settings: Settings) -> Engines:
    from newsum.models.abstractive.engine import UnavailableEngine
    from newsum.models.abstractive.languages import UNKNOWN_SCOPE

    def stand_in(name: str) -> UnavailableEngine:
        return UnavailableEngine(
            name, "the model is still loading", settings.model_languages.get(name, UNKNOWN_SCOPE)
        )

    return Engines(
        abstractive=stand_in(settings.model),
        more_abstractive=[stand_in(name) for name in settings.models],
    )


def _judge(settings: Settings, engine: AbstractiveEngine, state: ServiceState) -> Judge | None:
    # A weights file that cannot be read keeps the service not ready, saying why: every
    # answer's `support` would otherwise differ from what was configured, and none would say so.
    try:
        return open_judge(settings, engine)
    except ModelUnavailable as error:
        state.judge_errors[engine.name] = error.message
        state.blocked.append(f"model support: {error.message}")
        return None


def _required_but_missing(settings: Settings, state: ServiceState) -> list[str]:
    """With NEWSUM_REQUIRE_MODEL: what stops the service, a line each (serve exits on it)."""
    if not settings.require_model:
        return []
    missing = [
        cannot_load(engine)
        for engine in engine_readiness(settings, state)
        if engine.status == "unavailable" and engine.engine != "judge"  # its own line is blocked
    ]
    return [*state.blocked, *missing]


def create_app(settings: Settings | None = None, engines: Engines | None = None) -> FastAPI:
    """The service. Without `engines`, the models the settings name load after startup."""
    settings = settings or Settings()
    metrics = Metrics()
    state = ServiceState(
        engines=engines or _loading(settings), from_settings=engines is None, loading=True
    )

    async def start() -> None:
        # Load (unless given) and warm up off the event loop; /healthz answers meanwhile.
        try:
            if engines is None:
                state.engines = await run_in_threadpool(load_engines, settings)
            await run_in_threadpool(warm_up, state.engines)
            # From here on, only their owner threads touch the models.
            # Each serving model judges summaries too when NEWSUM_MODEL_SUPPORT is on.
            for engine in state.engines.abstractive_models():
                judging = _judge(settings, engine, state) if engine.status == "ok" else None
                if judging is not None:
                    await run_in_threadpool(warm_up_judge, engine)
                    state.judges[engine.name] = judging
            state.models = start_model_owners(state.engines.abstractive_models(), settings, metrics)
            if state.engines.abstractive is not None:
                state.model = state.models.get(state.engines.abstractive.name)
            if state.engines.encoder is not None:
                state.encoder = OwnedEncoder(state.engines.encoder, settings, metrics)
            # The NLI judge's own thread, or why it cannot judge (NEWSUM_NLI_MODEL).
            nli = state.engines.nli
            state.nli = nli_owner(nli, settings, metrics) if isinstance(nli, NliJudging) else nli
        except Exception as error:  # a broken model must not take the service down
            log.exception("loading or warming up the models failed")
            state.blocked = [f"warm-up failed: {type(error).__name__} (the log says where)"]
        finally:
            # What loading made (models, tokenizers, tables) lives as long as the service. Out
            # of the cyclic collector's reach, a full collection scans only what requests make:
            # with the models' objects in reach it held the GIL for ~100 ms at a time, and
            # /healthz waited behind it (benchmarks/perf/worst_case.py --url).
            gc.collect()
            gc.freeze()
            state.loading = False
        # Degraded (a model did not load) is ready, unless the settings require every model.
        state.failed = _required_but_missing(settings, state)
        state.blocked = state.failed or state.blocked
        record_load_state(metrics, settings, state.engines)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.text = text_owner(settings, metrics)
        task = asyncio.create_task(start())
        yield
        # A model half loaded on a thread cannot be abandoned (torch aborts the
        # process at exit); loading takes seconds, so shutdown waits for it.
        await task
        await run_in_threadpool(state.close)
        gc.unfreeze()  # the process may go on (tests build app after app)

    app = FastAPI(
        title="newsum",
        version="0.1.0",
        summary="News summaries (TextRank and seq2seq) with source attribution, compared "
        "with the article's own lead and closing.",
        lifespan=lifespan,
        # FastAPI's own /docs and /redoc load their scripts from CDNs; these load ours.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.service = state
    install_error_handlers(app)
    app.include_router(router)
    install_api_docs(app)
    publish_models(
        app,
        (SummarizeRequest, AttributeRequest, BatchRequestLine, BatchResultLine),
        settings,
        lambda: (
            None
            if state.loading
            else [e.name for e in configured(state.engines.abstractive_models())]
        ),
    )

    # Added innermost first: the request context wraps everything, then CORS,
    # then keys and rate limit (before any body is read), then the body's size and time.
    app.add_middleware(
        BodyGuard,
        max_bytes=settings.max_body_bytes,
        read_timeout_s=settings.read_timeout_s,
        metrics=metrics,
        shutdown_grace_s=int(settings.shutdown_grace_s),  # as uvicorn reads it
        stopping_since=state.stopping_since,
    )
    app.add_middleware(
        AccessControl,
        keys=settings.api_keys,
        per_minute=settings.rate_limit_per_minute,
        metrics=metrics,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(RequestContext, metrics=metrics)
    return app
