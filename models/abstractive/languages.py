"""Which languages a checkpoint serves: its model card's `language:`, or the operator's word.

A Hugging Face model card is the checkpoint's `README.md`; its YAML front
matter holds `language:`, a code or a list of codes (the hub's model-card
specification, https://huggingface.co/docs/hub/model-cards#model-card-metadata),
read here with huggingface_hub's own parser (`repocard.metadata_load`), which
reads a local file and never the network. `multilingual` declares every
language. A card without the field (or without a card, or one that does not
parse) declares nothing: the model is assumed to serve every language, and
says so as an unknown scope.

Codes are compared as models.language detects them: ISO 639-1, lower case.
A region form (`en-US`, `pt_BR`) counts as its language, and the ISO 639-2
codes (`deu`, `ger`) and English names (`German`) of the languages newsum
identifies map to theirs; another 3-letter code stays as given (it can match a
request's `language`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

log = logging.getLogger("newsum")

ScopeSource = Literal["declared", "configured", "unknown"]
EVERY_LANGUAGE = "multilingual"  # the hub's value for a model of many languages
_CODE = re.compile(r"^[a-z]{2,3}$")
# ISO 639-1 -> (ISO 639-2/T, ISO 639-2/B, English name) for the languages
# models.language identifies among; the names make a reason readable.
_ISO_639 = {
    "ar": ("ara", "ara", "Arabic"), "bg": ("bul", "bul", "Bulgarian"),
    "ca": ("cat", "cat", "Catalan"), "cs": ("ces", "cze", "Czech"),
    "da": ("dan", "dan", "Danish"), "de": ("deu", "ger", "German"),
    "el": ("ell", "gre", "Greek"), "en": ("eng", "eng", "English"),
    "es": ("spa", "spa", "Spanish"), "et": ("est", "est", "Estonian"),
    "eu": ("eus", "baq", "Basque"), "fa": ("fas", "per", "Persian"),
    "fi": ("fin", "fin", "Finnish"), "fr": ("fra", "fre", "French"),
    "ga": ("gle", "gle", "Irish"), "he": ("heb", "heb", "Hebrew"),
    "hi": ("hin", "hin", "Hindi"), "hu": ("hun", "hun", "Hungarian"),
    "hy": ("hye", "arm", "Armenian"), "id": ("ind", "ind", "Indonesian"),
    "it": ("ita", "ita", "Italian"), "ja": ("jpn", "jpn", "Japanese"),
    "ko": ("kor", "kor", "Korean"), "lt": ("lit", "lit", "Lithuanian"),
    "nl": ("nld", "dut", "Dutch"), "no": ("nor", "nor", "Norwegian"),
    "pl": ("pol", "pol", "Polish"), "pt": ("por", "por", "Portuguese"),
    "ro": ("ron", "rum", "Romanian"), "ru": ("rus", "rus", "Russian"),
    "sr": ("srp", "srp", "Serbian"), "sv": ("swe", "swe", "Swedish"),
    "ta": ("tam", "tam", "Tamil"), "th": ("tha", "tha", "Thai"),
    "tr": ("tur", "tur", "Turkish"), "uk": ("ukr", "ukr", "Ukrainian"),
    "ur": ("urd", "urd", "Urdu"), "vi": ("vie", "vie", "Vietnamese"),
    "zh": ("zho", "chi", "Chinese"),
}  # fmt: skip
# ISO 639-2 codes and English names (some cards say `language: English`) -> ISO 639-1.
_TWO_LETTER = {
    alias: two
    for two, (terminology, bibliographic, name) in _ISO_639.items()
    for alias in (terminology, bibliographic, name.lower())
}


@dataclass(frozen=True, slots=True)
class LanguageScope:
    """The languages a model serves; `languages` None: every language."""

    languages: tuple[str, ...] | None
    source: ScopeSource

    def serves(self, language: str) -> bool:
        return self.languages is None or normalise_language(language) in self.languages

    def describe(self) -> str:
        return "every language" if self.languages is None else ", ".join(self.languages)


UNKNOWN_SCOPE = LanguageScope(None, "unknown")


def normalise_language(code: str) -> str:
    """`code` as models.language writes it: `en-US` -> en, `deu` -> de, `German` -> de."""
    base = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    return _TWO_LETTER.get(base, base)


def language_name(code: str) -> str:
    """`German (de)` for de; the code alone where newsum knows no name."""
    known = _ISO_639.get(code)
    return f"{known[2]} ({code})" if known else code


def scope_of_codes(codes: Iterable[str], source: ScopeSource) -> LanguageScope:
    """The scope a list of codes declares; raises ValueError naming a code that is none."""
    normalised: list[str] = []
    for code in codes:
        if code.strip().lower() == EVERY_LANGUAGE:
            return LanguageScope(None, source)
        language = normalise_language(code)
        if not _CODE.match(language):
            raise ValueError(
                f"{code!r} is not a language code (ISO 639-1 like 'de', ISO 639-2 like "
                f"'deu', a region form like 'de-CH', or {EVERY_LANGUAGE!r})"
            )
        if language not in normalised:
            normalised.append(language)
    if not normalised:
        raise ValueError("a language list needs at least one code")
    return LanguageScope(tuple(normalised), source)


def read_declared_scope(folder: Path) -> LanguageScope:
    """The scope `folder`'s model card declares; unknown (and a log line) when it says none."""
    from huggingface_hub.repocard import metadata_load

    card = folder / "README.md"
    if not card.is_file():
        return UNKNOWN_SCOPE
    try:
        declared = (metadata_load(card) or {}).get("language")
        if declared is None:
            return UNKNOWN_SCOPE
        codes = [declared] if isinstance(declared, str) else declared
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ValueError(f"`language` must be a code or a list of codes; given: {declared!r}")
        return scope_of_codes(codes, "declared")
    except Exception as error:  # a broken card must not stop the model from serving
        log.warning(
            "model card %s: its language field cannot be read (%s: %s); the model is taken "
            "to serve every language; set NEWSUM_MODEL_LANGUAGES to say which",
            card,
            type(error).__name__,
            str(error).splitlines()[0][:200] if str(error) else "",
        )
        return UNKNOWN_SCOPE


def parse_configured_languages(text: str) -> dict[str, LanguageScope]:
    """NEWSUM_MODEL_LANGUAGES: `model=en+de;other=fr` -> each model's configured scope."""
    scopes: dict[str, LanguageScope] = {}
    for entry in (part.strip() for part in text.split(";")):
        if not entry:
            continue
        # A model id holds no '='; the codes never do: split at the last one.
        model, equals, codes = entry.rpartition("=")
        if not equals or not model.strip():
            raise ValueError(
                f"each entry is model=code+code (like sshleifer/distilbart-cnn-12-6=en); "
                f"given: {entry!r}"
            )
        if model.strip() in scopes:
            raise ValueError(f"model {model.strip()!r} is listed twice")
        scopes[model.strip()] = scope_of_codes(codes.split("+"), "configured")
    return scopes
