"""Checkable facts in a summary sentence — numbers, amounts, dates, names — that the article lacks.

A number is found in the article when the same value occurs there, allowing
for format variants ("1,383" = "1383", "$1.2 billion" = "1.2 billion" =
"1,200,000,000", "5%" = "5 percent", "three" = "3"). A name (a capitalised
word sequence) is found when each of its words occurs in the article, compared
case-folded and without dots ("U.S." = "US").
"""

from __future__ import annotations

import math

import regex

_SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9,
    "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12,
}  # fmt: skip
_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
    "dozen": 12, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
}  # fmt: skip
_NUMBER = regex.compile(
    r"(?<![\p{L}\p{N}.,])(?P<currency>[$€£¥])?\s?"
    r"(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:st|nd|rd|th)?"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|mn|bn|tn|[kmb])\b)?"
    r"(?:\s?(?P<percent>%|percent\b|per\s+cent\b))?",
    regex.IGNORECASE,
)
_NUMBER_WORD = regex.compile(r"\b(" + "|".join(_WORDS) + r")\b", regex.IGNORECASE)
# A capitalised word (Unicode upper case or title case), possibly with inner dots
# ("U.S.") or hyphens ("al-Shaibani"), and runs of them joined by spaces.
_CAPITALISED = r"(?:\p{Lu}|\p{Lt})[\p{L}\p{M}\p{N}'’.-]*"
_NAME = regex.compile(rf"{_CAPITALISED}(?:\s+{_CAPITALISED})*")
# Words with inner dots, apostrophes and hyphens kept together ("U.S", "al-Shaibani").
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+(?:[.'’-][\p{L}\p{M}\p{N}]+)*")
_JOINERS = regex.compile(r"[-'’]")
_RELATIVE_TOLERANCE = 1e-6
# Tokenizer markers a model may leave in its output ("[UNK]", "<unk>"): not names.
_SPECIAL_MARKER = regex.compile(r"[\[<]\s*/?\s*[\p{L}_]+\s*[\]>]")


class ArticleFacts:
    """The numbers and words of an article, indexed for lookups."""

    def __init__(self, text: str) -> None:
        self.values = _number_values(text)
        self.words: set[str] = set()
        for word in _WORD.findall(text):
            self.words.add(_plain(word))
            self.words.update(_plain(part) for part in _JOINERS.split(word))

    def has_value(self, value: float) -> bool:
        return any(math.isclose(value, v, rel_tol=_RELATIVE_TOLERANCE) for v in self.values)

    def has_name(self, name: str) -> bool:
        return all(self._has_word(word) for word in _WORD.findall(name))

    def _has_word(self, word: str) -> bool:
        plain = _plain(word)
        # Plurals and demonyms' plurals: "Alawites" is found by "Alawite".
        if any(form in self.words for form in (plain, plain.removesuffix("s"), plain + "s")):
            return True
        parts = [_plain(part) for part in _JOINERS.split(word) if part]
        return len(parts) > 1 and all(part in self.words for part in parts)


def unsupported_facts(sentence: str, article: ArticleFacts) -> list[str]:
    """Surface forms of the numbers and names in `sentence` that `article` does not contain."""
    sentence = _SPECIAL_MARKER.sub(lambda m: " " * len(m.group(0)), sentence)
    missing: list[str] = []
    for match in _NUMBER.finditer(sentence):
        if not any(article.has_value(v) for v in _readings(match)):
            missing.append(match.group(0).strip())
    first_word_end = _first_word_end(sentence)
    for match in _NAME.finditer(sentence):
        name = match.group(0).rstrip(".'’-")
        words = name.split()
        if match.start() < first_word_end and len(words) == 1:
            # One capitalised word opening the sentence is usually just capitalised.
            continue
        if not article.has_name(name):
            missing.append(name)
    return missing


def _number_values(text: str) -> set[float]:
    values: set[float] = set()
    for match in _NUMBER.finditer(text):
        values.update(_readings(match))
    for match in _NUMBER_WORD.finditer(text):
        values.add(float(_WORDS[match.group(1).lower()]))
    return values


def _readings(match: regex.Match[str]) -> set[float]:
    """The values a number may stand for: as written, and scaled by its unit word."""
    digits = match.group("digits").replace(",", "")
    value = float(digits)
    readings = {value}
    scale = match.group("scale")
    if scale:
        readings.add(value * _SCALES[scale.lower()])
    return readings


def _plain(word: str) -> str:
    # "U.S." = "US"; possessives go: "Assad’s" = "Assad".
    word = word.casefold().replace(".", "")
    for suffix in ("'s", "’s"):
        word = word.removesuffix(suffix)
    return word


def _first_word_end(sentence: str) -> int:
    stripped = sentence.lstrip(" \"'“‘(")
    offset = len(sentence) - len(stripped)
    space = stripped.find(" ")
    return offset + (space if space >= 0 else len(stripped))
