"""What a running service holds: its engines, whether they are ready, and how they load.

Models load after the server has started listening, so /healthz answers at
once and /readyz says 503 until every configured model has loaded (or failed
to: service.runtime.readiness) and run one warm-up request (the first call to
a torch model is several times slower than the next: allocator, thread pool
and kernel choices).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from newsum.models.abstractive.checkpoint import MODEL_OFF
from newsum.models.abstractive.interface import AbstractiveEngine
from newsum.models.article import read_article
from newsum.models.attribution import ArticleEvidence
from newsum.models.embeddings import SentenceEncoder
from newsum.models.nli.support import NliJudging
from newsum.service.runtime.judge import Judge
from newsum.service.runtime.metrics import Metrics
from newsum.service.runtime.nli import NliOwner, open_nli, warm_up_nli
from newsum.service.runtime.owners import ModelOwner, OwnedEncoder, TextOwner
from newsum.service.settings import Settings

log = logging.getLogger("newsum")
_WARM_UP_TEXT = (
    "The minister arrived in Baghdad on Friday for talks on border security. "
    "Officials said the two countries agreed to share intelligence. "
    "A joint statement is expected next week."
)


@dataclass
class Engines:
    """The engines an app serves with; None where an engine is off."""

    abstractive: AbstractiveEngine | None = None  # NEWSUM_MODEL's
    encoder: SentenceEncoder | None = None  # sentence embeddings for attribution
    more_abstractive: list[AbstractiveEngine] = field(default_factory=list)  # NEWSUM_MODELS'
    # The NLI judge (NEWSUM_NLI_MODEL), or why it cannot judge; None when off.
    nli: NliJudging | str | None = None

    def abstractive_models(self) -> list[AbstractiveEngine]:
        """Every abstractive engine in routing order (models.abstractive.routing): default first."""
        default = [self.abstractive] if self.abstractive is not None else []
        return default + self.more_abstractive


@dataclass
class ServiceState:
    engines: Engines = field(default_factory=Engines)
    from_settings: bool = True  # the engines load from the settings (not handed in by a test)
    loading: bool = False
    draining: bool = False  # SIGTERM came: finishing, not taking new work for long
    # When the server stopped accepting (time.monotonic()): from then on, bodies still
    # awaited are awaited only while they arrive (service.web.middleware.BodyGuard).
    stopped_accepting_at: float | None = None
    # What keeps the service from serving as configured, each said in a line (readiness).
    blocked: list[str] = field(default_factory=list)
    # With NEWSUM_REQUIRE_MODEL, each configured model that could not load: serve then exits.
    failed: list[str] = field(default_factory=list)
    # The owners every request's work goes through (service.runtime.owners); the model's
    # and the encoder's start once their engines have loaded.
    text: TextOwner | None = None
    model: ModelOwner | None = None  # the default model's, also in `models`
    encoder: OwnedEncoder | None = None
    models: dict[str, ModelOwner] = field(default_factory=dict)  # each serving model's owner
    # Each model that judges summaries (NEWSUM_MODEL_SUPPORT on), by name (service.runtime.judge).
    judges: dict[str, Judge] = field(default_factory=dict)
    judge_errors: dict[str, str] = field(default_factory=dict)  # why a model does not judge
    # The NLI judge's owner once it has loaded (service.runtime.nli), or why it cannot judge.
    nli: NliOwner | str | None = None

    @property
    def ready(self) -> bool:
        """Serving as configured, degraded or not (service.runtime.readiness)."""
        return not (self.loading or self.draining or self.blocked) and self.text is not None

    def stopping_since(self) -> float | None:
        return self.stopped_accepting_at

    def close(self) -> None:
        nli = self.nli if not isinstance(self.nli, str) else None
        owners = [
            *self.models.values(),
            self.encoder.owner if self.encoder else None,
            self.text,
            nli,
        ]
        if self.model is not None and self.model not in owners:
            owners.append(self.model)
        for owner in owners:
            if owner is not None:
                owner.close()


def load_engines(settings: Settings) -> Engines:
    """The engines the settings name; an engine that cannot load reports why."""
    from newsum.models.embeddings import load_encoder

    # Loaded at start, one after another: each model holds its weights (and its
    # converted copy) in memory from then on; see docs/models.md (Memory) for what each costs.
    return Engines(
        abstractive=open_abstractive(settings, settings.model),
        encoder=load_encoder(settings.embedding_model),
        more_abstractive=[open_abstractive(settings, name) for name in settings.models],
        nli=open_nli(settings),
    )


def open_abstractive(
    settings: Settings, name: str, *, log_unavailable: bool = True
) -> AbstractiveEngine:
    """Model `name` on the configured backend, with its configured languages if any.

    `log_unavailable`: log why it cannot serve (off where the caller says it itself).
    """
    from newsum.models.abstractive.engine import Seq2SeqEngine, open_engine

    started = time.perf_counter()
    # On CTranslate2 (the default), a checkpoint without a converted copy is converted
    # here, once, and logged as such (models.abstractive.convert).
    engine = open_engine(
        name,
        backend=settings.backend,
        compute_type=settings.compute_type,
        threads=settings.torch_threads,
        cache_dir=settings.model_cache_dir,
        languages=settings.model_languages.get(name),
    )
    if isinstance(engine, Seq2SeqEngine):
        log.info(
            "abstractive model %s loaded on %s in %.1f s; languages: %s (%s)",
            engine.name,
            engine.generator.name,
            time.perf_counter() - started,
            engine.scope.describe(),
            engine.scope.source,
        )
    elif log_unavailable:
        log.warning("abstractive engine %s unavailable: %s", name, engine.reason)
    return engine


def warm_up(engines: Engines) -> None:
    """One small request through every loaded engine."""
    article = read_article(_WARM_UP_TEXT)
    for engine in engines.abstractive_models():
        if engine.status == "ok":
            engine.summarize(article)
    if engines.encoder is not None:
        ArticleEvidence(article, engines.encoder).attribute(_WARM_UP_TEXT)
    if isinstance(engines.nli, NliJudging):
        warm_up_nli(engines.nli)


def record_load_state(metrics: Metrics, settings: Settings, engines: Engines) -> None:
    for engine in engines.abstractive_models():
        if engine.name != MODEL_OFF:
            metrics.model_loaded.labels("abstractive", engine.name).set(
                1 if engine.status == "ok" else 0
            )
    metrics.model_loaded.labels("embeddings", settings.embedding_model).set(
        1 if engines.encoder is not None else 0
    )
    if engines.nli is not None:
        metrics.model_loaded.labels("nli", settings.nli_model).set(
            1 if isinstance(engines.nli, NliJudging) else 0
        )
