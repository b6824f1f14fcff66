"""Which abstractive model summarises an article: the one asked for, else the first of its language.

The service (JSON, batch endpoint) and the CLI (`newsum summarize`, `newsum
batch`) all call `route`, so an article goes to the same model wherever it is
summarised. Models are tried in configuration order: NEWSUM_MODEL, then
NEWSUM_MODELS. Among those whose scope includes the article's language, one
that serves is preferred to one that failed to load (whose stand-in says why).
"""

from __future__ import annotations

from collections.abc import Sequence

from newsum.models.abstractive.checkpoint import MODEL_OFF
from newsum.models.abstractive.engine import UnavailableEngine
from newsum.models.abstractive.interface import AbstractiveEngine
from newsum.models.abstractive.languages import (
    UNKNOWN_SCOPE,
    LanguageScope,
    language_name,
    normalise_language,
)
from newsum.models.errors import InvalidOption, quoted

# A checkpoint to suggest for languages no configured model serves: mT5 fine-tuned
# on XL-Sum, BBC articles in 45 languages (Hasan et al. 2021).
MULTILINGUAL_EXAMPLE = "csebuetnlp/mT5_multilingual_XLSum"


def scope_of(engine: AbstractiveEngine) -> LanguageScope:
    """An engine's language scope; one that keeps none (a test's fake) serves every language."""
    scope = getattr(engine, "scope", None)
    return scope if isinstance(scope, LanguageScope) else UNKNOWN_SCOPE


def configured(engines: Sequence[AbstractiveEngine]) -> list[AbstractiveEngine]:
    """The engines of configured models, loaded or not: never the stand-in of NEWSUM_MODEL=none."""
    return [engine for engine in engines if engine.name != MODEL_OFF]


def route(
    engines: Sequence[AbstractiveEngine], language: str, requested: str | None = None
) -> AbstractiveEngine:
    """The engine for an article in `language`, or a stand-in whose reason names the language.

    `requested`: the request's `model`; InvalidOption (422) when no such model
    is served here or when its scope excludes `language`.
    """
    language = normalise_language(language)
    served = configured(engines)
    if not served and requested is None:  # off: its stand-in says so
        return engines[0] if engines else UnavailableEngine("", "no abstractive engine is loaded")
    if requested is not None:
        engine = requested_engine(engines, requested)
        scope = scope_of(engine)
        if not scope.serves(language):
            raise InvalidOption(
                f"model {quoted(requested)} serves {scope.describe()} ({scope.source}); the "
                f"article is in {language_name(language)}: leave `model` out to route by language, "
                f"or set `language` if the detection is wrong"
            )
        return engine
    # Tried in configuration order: one that serves before one that failed to load.
    candidates = [engine for engine in served if scope_of(engine).serves(language)]
    ready = [engine for engine in candidates if engine.status == "ok"]
    if ready or candidates:
        return (ready or candidates)[0]
    return UnavailableEngine("", _no_model_for(language, served))


def requested_engine(engines: Sequence[AbstractiveEngine], requested: str) -> AbstractiveEngine:
    """The engine a request's `model` names, or InvalidOption (422) listing those served."""
    served = configured(engines)
    engine = next((e for e in served if e.name == requested), None)
    if engine is None:
        raise InvalidOption(
            f"model {quoted(requested)} is not served here; GET /v1/models lists: "
            f"{[e.name for e in served]}"
        )
    return engine


def _no_model_for(language: str, served: Sequence[AbstractiveEngine]) -> str:
    scopes = "; ".join(f"{e.name}: {scope_of(e).describe()}" for e in served)
    return (
        f"no abstractive model here serves {language_name(language)} ({scopes}); add one "
        f"that does to NEWSUM_MODELS, e.g. a multilingual checkpoint such as "
        f"{MULTILINGUAL_EXAMPLE} (45 languages), fetched with `newsum fetch-model`"
    )
