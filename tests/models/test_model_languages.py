"""A checkpoint's language scope: its model card's `language:`, normalised, or configured."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from newsum.models.abstractive.languages import (
    UNKNOWN_SCOPE,
    LanguageScope,
    language_name,
    normalise_language,
    parse_configured_languages,
    read_declared_scope,
)


def card(folder: Path, front_matter: str, body: str = "# A model\n") -> Path:
    (folder / "README.md").write_text(f"---\n{front_matter}---\n{body}", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("front_matter", "languages"),
    [
        ("language: en\n", ("en",)),
        ("language:\n- de\n", ("de",)),
        ("language: [de, en-US, fra, German]\n", ("de", "en", "fr")),
        ("license: mit\nlanguage:\n  - en\n  - ar\ntags: [summarization]\n", ("en", "ar")),
    ],
)
def test_a_declared_code_or_list_is_the_scope(
    tmp_path: Path, front_matter: str, languages: tuple[str, ...]
) -> None:
    assert read_declared_scope(card(tmp_path, front_matter)) == LanguageScope(languages, "declared")


def test_multilingual_declares_every_language(tmp_path: Path) -> None:
    scope = read_declared_scope(card(tmp_path, "language: [multilingual, en]\n"))
    assert scope == LanguageScope(None, "declared")
    assert scope.serves("ja")
    assert scope.serves("de")


def test_a_long_list_serves_what_it_lists(tmp_path: Path) -> None:
    codes = "am ar az bn my zh en fr gu ha hi ig id ja rn ko ky mr ne om ps fa pt pa ru".split()
    scope = read_declared_scope(card(tmp_path, f"language: [{', '.join(codes)}]\n"))
    assert scope.languages == tuple(codes)
    assert scope.serves("ja")
    assert not scope.serves("de")


@pytest.mark.parametrize(
    "front_matter",
    ["license: mit\n", "language:\n", "{}\n"],
)
def test_a_card_without_a_language_leaves_the_scope_unknown(
    tmp_path: Path, front_matter: str
) -> None:
    assert read_declared_scope(card(tmp_path, front_matter)) == UNKNOWN_SCOPE


def test_no_card_leaves_the_scope_unknown(tmp_path: Path) -> None:
    assert read_declared_scope(tmp_path) == UNKNOWN_SCOPE
    (tmp_path / "README.md").write_text("# No front matter at all\n", encoding="utf-8")
    assert read_declared_scope(tmp_path) == UNKNOWN_SCOPE


@pytest.mark.parametrize(
    "front_matter",
    [
        "language: [en\n",  # YAML that does not parse
        "- a list, not a mapping\n",
        "language: {en: yes}\n",
        "language: [en, 42]\n",
        "language: e1\n",
    ],
)
def test_a_broken_card_is_an_unknown_scope_and_a_log_line_not_a_crash(
    tmp_path: Path, front_matter: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="newsum"):
        assert read_declared_scope(card(tmp_path, front_matter)) == UNKNOWN_SCOPE
    assert any("NEWSUM_MODEL_LANGUAGES" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("en", "en"), ("EN", "en"), ("en-US", "en"), ("pt_BR", "pt"), ("eng", "en"),
     ("ger", "de"), ("deu", "de"), ("zh-Hans", "zh"), ("German", "de"), ("pcm", "pcm")],
)  # fmt: skip
def test_codes_are_compared_as_the_detector_writes_them(given: str, expected: str) -> None:
    assert normalise_language(given) == expected


def test_a_configured_scope_per_model() -> None:
    scopes = parse_configured_languages(" owner/a=en+de ; ./folder=multilingual;")
    assert scopes == {
        "owner/a": LanguageScope(("en", "de"), "configured"),
        "./folder": LanguageScope(None, "configured"),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("owner/a", "each entry is model=code+code"),
        ("=en", "each entry is model=code+code"),
        ("owner/a=", "'' is not a language code"),
        ("owner/a=en+12", "'12' is not a language code"),
        ("owner/a=en;owner/a=de", "listed twice"),
    ],
)
def test_a_bad_configured_scope_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_configured_languages(text)


def test_every_language_the_detector_names_has_its_iso_639_2_codes_and_name() -> None:
    """A card's `deu` or `German` must meet the detector's `de`, for each language it names."""
    from newsum.models.language import _CANDIDATES

    for code in _CANDIDATES:
        assert normalise_language(code) == code
        assert language_name(code) != code  # "German (de)", not the bare code
