"""Checkable facts in a summary sentence — numbers, amounts, dates, names — that the article lacks.

A number is found in the article when the same quantity occurs there, allowing
for format variants: "1,383" = "1383"; "$1.2 billion" = "1.2bn" = "$1.2bn" =
"1,200 million" = "1,200,000,000"; "5%" = "5 percent" = "5 per cent" = "5pc";
"three" = "3". The magnitude and the unit must agree, because a wrong one is
the error an editor most needs flagged:
- a number with a scale word ("million", "bn", "$5m") or a unit ("%",
  "percentage points", "points", "basis points") is found only by the same
  scaled value of the same kind — "$1.2 million" is not found in "$1.2 billion",
  nor "5 points" in "5 percent", nor "5%" in "5 people";
- a bare number (no scale, no unit; a currency sign does not count, the article
  may write the amount "1.2 billion dollars") is found by the same digits with
  any scale or unit: "1.2" in "1.2 billion", "5" in "5%", "1,200,000,000" in
  "$1.2 billion";
- a one-letter scale without a currency sign may be a unit of its own ("100m
  sprint", "5k run"), so "100m" is found by 100 million or by a plain 100, but
  not by 100 billion; "$100m" only by 100 million.
Comparisons are case-insensitive: many systems' outputs are lower-cased.
A name (a capitalised word sequence) is found when each of its words occurs in
the article, compared case-folded and without dots ("U.S." = "US").
"""

from __future__ import annotations

import bisect
import math
from typing import Literal

import regex

_SCALES = {
    "hundred": 1e2, "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6,
    "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12,
}  # fmt: skip
_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
    "dozen": 12, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
}  # fmt: skip
# What a number counts: an amount (of money, people, years), a percentage, or points
# (percentage points, index points; a basis point is a hundredth of one).
_Kind = Literal["amount", "percent", "points"]
_UNITS: dict[str, tuple[_Kind, float]] = {
    "%": ("percent", 1), "percent": ("percent", 1), "per cent": ("percent", 1),
    "pc": ("percent", 1), "percentage point": ("points", 1), "point": ("points", 1),
    "pt": ("points", 1), "pp": ("points", 1), "basis point": ("points", 0.01),
    "bp": ("points", 0.01),
}  # fmt: skip
# After the number: an ordinal ending, a scale (a word, optionally after a space or
# hyphen: "$10-million"; a single letter only attached: "5 m" is rarely millions),
# then a unit.
_SUFFIX = (
    r"(?:st|nd|rd|th)?"
    r"(?:[\s-]?(?P<scale>hundred|thousand|million|billion|trillion|mn|bn|tn)\b"
    r"|(?P<letter>[kmb])\b)?"
    r"(?:[\s-]?(?P<unit>%|(?:percent|per\s+cent|pc|percentage\s+points?|basis\s+points?"
    r"|points?|pts|pp|bps)\b))?"
)
_NUMBER = regex.compile(
    r"(?<![\p{L}\p{N}.,])(?P<currency>[$€£¥])?\s?"
    r"(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)" + _SUFFIX,
    regex.IGNORECASE,
)
# Number words count in the article only ("first", "one" are everywhere in summaries).
_NUMBER_WORD = regex.compile(
    r"(?<![\p{L}\p{N}])(?P<word>" + "|".join(_WORDS) + r")\b" + _SUFFIX,
    regex.IGNORECASE,
)
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
        # Every quantity of the article by kind, and every number as written or scaled
        # (what a bare number of a summary may match).
        quantities: dict[_Kind, set[float]] = {"amount": set(), "percent": set(), "points": set()}
        numbers: set[float] = set()
        for match in (*_NUMBER.finditer(text), *_NUMBER_WORD.finditer(text)):
            number = _Number(match)
            numbers.add(number.written)
            for kind, value in number.readings:
                quantities[kind].add(value)
                numbers.add(value)
        # Sorted, so a lookup is a binary search, not a scan of every value.
        self.quantities = {kind: _Values(values) for kind, values in quantities.items()}
        self.numbers = _Values(numbers)
        self.words: set[str] = set()
        # Each distinct word once (an article repeats most of its words).
        for word in set(_WORD.findall(text)):
            self.words.add(_plain(word))
            if _JOINERS.search(word):
                self.words.update(_plain(part) for part in _JOINERS.split(word))

    def has_number(self, match: regex.Match[str]) -> bool:
        """Whether the number `match` found in a summary stands for a quantity of the article."""
        number = _Number(match)
        if number.bare:
            return self.numbers.has(number.written)
        return any(self.quantities[kind].has(value) for kind, value in number.readings)

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
        if not article.has_number(match):
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


class _Number:
    """A number as written ("$1.2bn": 1.2) and the quantities it may stand for."""

    def __init__(self, match: regex.Match[str]) -> None:
        found = match.groupdict()
        word, unit = found.get("word"), found["unit"]
        scale = found["scale"] or found["letter"]
        if word:
            self.written = float(_WORDS[word.lower()])
        else:
            self.written = float(found["digits"].replace(",", ""))
        kind, per_unit = _UNITS[_unit_name(unit)] if unit else ("amount", 1.0)
        value = self.written * per_unit
        # No scale and no unit: found by the same digits, whatever scale or unit they have.
        self.bare = not (scale or unit)
        self.readings: set[tuple[_Kind, float]] = {
            (kind, value * _SCALES[scale.lower()] if scale else value)
        }
        if found["letter"] and not found.get("currency"):
            # "100m sprint", "5k run": the letter may be a unit of length, not a scale.
            self.readings.add((kind, value))


class _Values:
    """Numbers, sorted: whether one is among them (to a relative tolerance) in O(log n)."""

    def __init__(self, values: set[float]) -> None:
        self._sorted = sorted(values)

    def has(self, value: float) -> bool:
        # Twice isclose's window on each side, then isclose itself decides.
        margin = 2 * _RELATIVE_TOLERANCE * abs(value)
        index = bisect.bisect_left(self._sorted, value - margin)
        while index < len(self._sorted) and self._sorted[index] <= value + margin:
            if math.isclose(value, self._sorted[index], rel_tol=_RELATIVE_TOLERANCE):
                return True
            index += 1
        return False


def _unit_name(unit: str) -> str:
    # "Percentage  Points" -> "percentage point", "bps" -> "bp".
    return " ".join(unit.lower().split()).removesuffix("s")


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
