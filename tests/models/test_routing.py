"""Routing an article to a model by language, with checkpoints whose model cards differ."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsum.models.abstractive.engine import Seq2SeqEngine, UnavailableEngine, open_engine
from newsum.models.abstractive.interface import AbstractiveEngine
from newsum.models.abstractive.languages import LanguageScope
from newsum.models.abstractive.routing import route
from newsum.models.errors import InvalidOption


@pytest.fixture(scope="module")
def engines(carded_barts: dict[str, Path]) -> dict[str, Seq2SeqEngine]:
    """Each carded checkpoint loaded through the production loader."""
    loaded = {key: open_engine(str(folder)) for key, folder in carded_barts.items()}
    for engine in loaded.values():
        assert isinstance(engine, Seq2SeqEngine), engine.reason
    return loaded  # type: ignore[return-value]


def test_the_loader_reads_each_model_cards_languages(engines: dict[str, Seq2SeqEngine]) -> None:
    assert engines["en"].scope == LanguageScope(("en",), "declared")
    assert engines["de"].scope == LanguageScope(("de",), "declared")
    assert engines["none"].scope == LanguageScope(None, "unknown")


def test_a_configured_scope_replaces_the_cards(carded_barts: dict[str, Path]) -> None:
    configured = LanguageScope(("fr", "de"), "configured")
    engine = open_engine(str(carded_barts["en"]), languages=configured)
    assert engine.scope == configured


def test_an_article_goes_to_the_first_model_of_its_language(
    engines: dict[str, Seq2SeqEngine],
) -> None:
    ordered = [engines["en"], engines["de"], engines["none"]]
    assert route(ordered, "en") is engines["en"]
    assert route(ordered, "de") is engines["de"]
    assert route(ordered, "deu") is engines["de"]
    # A model of unknown scope is assumed to serve every language, in its turn.
    assert route(ordered, "fr") is engines["none"]
    assert route([engines["none"], engines["de"]], "de") is engines["none"]


def test_an_english_only_model_does_not_serve_german(engines: dict[str, Seq2SeqEngine]) -> None:
    chosen = route([engines["en"]], "de")
    assert chosen.status == "unavailable"
    reason = chosen.reason or ""
    assert "German (de)" in reason
    assert f"{engines['en'].name}: en" in reason
    assert "csebuetnlp/mT5_multilingual_XLSum" in reason
    assert "NEWSUM_MODELS" in reason


def test_a_model_that_serves_is_preferred_to_one_that_failed_to_load(
    engines: dict[str, Seq2SeqEngine],
) -> None:
    broken = UnavailableEngine("owner/broken", "not fetched", LanguageScope(("de",), "configured"))
    assert route([broken, engines["de"]], "de") is engines["de"]
    assert route([broken, engines["en"]], "de") is broken  # its reason says what to fetch


def test_a_requested_model_must_serve_the_articles_language(
    engines: dict[str, Seq2SeqEngine],
) -> None:
    ordered: list[AbstractiveEngine] = [engines["en"], engines["de"]]
    assert route(ordered, "de", engines["de"].name) is engines["de"]
    with pytest.raises(InvalidOption) as refused:
        route(ordered, "de", engines["en"].name)
    assert refused.value.message.startswith(f"model {engines['en'].name!r} serves en (declared)")
    assert "the article is in German (de)" in refused.value.message


def test_a_requested_model_not_served_is_refused_with_the_list(
    engines: dict[str, Seq2SeqEngine],
) -> None:
    with pytest.raises(InvalidOption, match="GET /v1/models lists"):
        route([engines["en"]], "en", "facebook/bart-large-cnn")


def test_with_the_engine_off_its_stand_in_says_so() -> None:
    off = UnavailableEngine("none", "the abstractive engine is off (NEWSUM_MODEL=none)")
    assert route([off], "de") is off
    assert route([], "de").reason == "no abstractive engine is loaded"
