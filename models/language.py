"""Which language an article is in, and which scripts are written without spaces.

Language identification is py3langid (Lui & Baldwin 2012, langid.py), whose
model ships inside the wheel, so nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

DEFAULT_LANGUAGE = "en"
# Below this normalised probability the guess is noise (e.g. "The end." scores
# 0.06 as Zulu); fall back on the script, then on English.
_MIN_CONFIDENCE = 0.5
# Identification reads the start of the text only: its cost grows with length,
# and the first few thousand characters settle the language of a news story.
_SAMPLE_CHARS = 4000

# Languages we identify among: those with a Snowball stemmer or a stop-word list
# that matter for news, plus the major scripts. A short list raises confidence.
_CANDIDATES = (
    "ar bg ca cs da de el en es et eu fa fi fr ga he hi hu hy id it ja ko lt nl no "
    "pl pt ro ru sr sv ta th tr uk ur vi zh"
).split()

# Unicode script prefixes (from character names) -> a language to fall back on
# when identification is unsure.
_SCRIPT_LANGUAGE = {
    "CJK": "zh",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "HANGUL": "ko",
    "ARABIC": "ar",
    "HEBREW": "he",
    "CYRILLIC": "ru",
    "GREEK": "el",
    "DEVANAGARI": "hi",
    "THAI": "th",
}


@functools.cache
def _identifier() -> Any:
    # Loaded once (about 0.5 s): the model file is decompressed on first use.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(_CANDIDATES)
    return identifier


def guess_language(text: str) -> str:
    """An ISO 639-1 code for `text`: identified when confident, else by script, else English."""
    sample = text[:_SAMPLE_CHARS]
    language, confidence = _identifier().classify(sample)
    if confidence >= _MIN_CONFIDENCE:
        return str(language)
    return _language_of_script(sample)


def _language_of_script(sample: str) -> str:
    counts: dict[str, int] = {}
    for char in sample:
        if not char.isalpha():
            continue
        script = unicodedata.name(char, "").split(" ", 1)[0]
        language = _SCRIPT_LANGUAGE.get(script)
        if language:
            counts[language] = counts.get(language, 0) + 1
    # Kana marks Japanese even where Han characters outnumber it.
    if counts.get("ja"):
        return "ja"
    letters = sum(1 for char in sample if char.isalpha())
    if counts and max(counts.values()) * 2 >= letters:
        return max(counts, key=lambda name: counts[name])
    return DEFAULT_LANGUAGE
