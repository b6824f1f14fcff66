"""Web and wire leftovers that are not part of the story.

Two kinds: whole units (a line or sentence that is only a byline, a credit, a
"Scroll down for video", a copyright or newsletter line) and prefixes glued to
the first real sentence by scrapers ("WASHINGTON (Reuters) - ", "Updated Jul 7,
2012 6:40 PM ET ", "(CNN) -- "). The patterns come from the leftovers seen in
the Newsroom corpus (Grusky et al. 2018) and common wire formats.
"""

from __future__ import annotations

import functools

import regex

_FLAGS = regex.IGNORECASE | regex.VERSION1

# Credit, sharing and newsletter lines are short; a long sentence that happens
# to start "Written by ..." is story text. Short in characters too (25 words
# of news run to ~150): the `regex` module backtracks in time quadratic in the
# span it scans on some of these patterns (a greedy run followed by a choice of
# characters), so they must never see a 50,000-character "word".
_SHORT_WORDS = 25
_SHORT_CHARS = 400
# Boilerplate lines repeat within a page and across pages ("Advertisement",
# "Share this"), and a flood of them is one unit a line: short units' kinds are
# remembered (at most this many x _SHORT_CHARS characters).
_CACHED_UNITS = 4096
# Prefixes glued to a sentence (datelines, staff bylines, photo credits) run to
# ~100 characters; their patterns read this much of the sentence, for the same
# reason, which bounds one sentence's cost whatever its length.
_PREFIX_WINDOW = 250
# A leading stamp has ~10 tokens ("updated 8:10 AM EDT, Tue July 29, 2014");
# reading more than this many only costs time on a sentence of digits.
_MAX_STAMP_TOKENS = 32

# (kind, pattern, applies only to short units)
_WHOLE_UNITS: tuple[tuple[str, regex.Pattern[str], bool], ...] = tuple(
    (kind, regex.compile(pattern, _FLAGS), short)
    for kind, pattern, short in (
        ("source", r"^(?:original\s+)?source\s*:\s*\S", True),
        ("video", r"^(?:scroll\s+down\s+for\b|watch\s+(?:the\s+)?video\b|video\s*:)", True),
        ("video", r"^media\s+playback\s+is\s+unsupported\b", True),
        (
            "credit",
            r"^(?:additional\s+)?(?:reporting|writing|editing|research|production|"
            r"compiled|edited|written|reported)\s+by\b",
            True,
        ),
        (
            "credit",
            r"^(?:photo(?:graph)?|image|picture|illustration|graphic)s?"
            r"(?:\s+(?:credit|copyright|caption))?\s*:",
            True,
        ),
        ("credit", r"^image\s+(?:copyright|caption)\b", True),
        (
            "social",
            r"^follow\s+(?:us|me|him|her|them|@\S+|\S+(?:\s+\S+)?\s+on\s+"
            r"(?:twitter|facebook|instagram|x|threads|bluesky|tiktok|linkedin))\b",
            True,
        ),
        ("social", r"^(?:like|find|join)\s+us\s+on\b", True),
        ("social", r"^(?:share|e-?mail|print|tweet|pin)\s+(?:this|on)\b", True),
        ("social", r"^(?:click|tap)\s+here\b", True),
        ("copyright", r"^(?:©|\(c\)\s|copyright\b)", True),
        ("copyright", r"\ball\s+rights\s+reserved\b", True),
        (
            "newsletter",
            r"\b(?:sign\s+up|subscribe)\b.*\b(?:newsletters?|e-?mails?|alerts?|updates)\b",
            True,
        ),
        (
            "related",
            r"^(?:related(?:\s+(?:articles?|stories|coverage))?|read\s+more|see\s+also|"
            r"recommended|advertisement|most\s+(?:read|popular)|trending|more\s+on\s+this)"
            r"\s*(?::|$)",
            True,
        ),
        (
            "byline",
            r"^by\s+\p{Lu}[\p{L}\p{M}.'’-]*(?:\s+(?:\p{Lu}[\p{L}\p{M}.'’-]*|and|&|de|van|von|da|"
            r"bin|al-\p{L}+))*(?:\s*(?:,|\||/|and)\s*[^.!?]{0,60})?$",
            True,
        ),
        ("timestamp", r"^(?:updated|posted|published|last\s+(?:updated|modified))\s*:", True),
    )
)

_DATELINE = regex.compile(
    r"^(?:(?P<place>\p{Lu}[\p{Lu}\p{M}.'’ -]*\p{Lu}\.?"
    r"(?:,\s*\p{Lu}[\p{L}\p{M}.]*(?:\s+\p{Lu}[\p{L}\p{M}.]*){0,2})?"
    r"(?:,\s*\p{Lu}\p{Ll}+\.?\s+\d{1,2})?)\s*)?"
    r"(?P<agency>\((?:AP|Reuters|AFP|CNN|UPI|Bloomberg|dpa|Xinhua|PTI|ANI|IANS|"
    r"\p{Lu}[\p{L} .]{1,24})\)\s*)?"
    r"(?:--|[-–—])\s*(?=[\p{Lu}\p{N}\"“‘'])",
    regex.VERSION1,
)

_STAFF_BYLINE = regex.compile(
    r"^\p{Lu}[\p{L}.'’-]+(?:\s+\p{Lu}[\p{L}.'’-]+){1,3},\s+(?:\p{Lu}[\p{L}&.'’-]*\s+){0,3}"
    r"(?:Staff\s+Writer|Correspondent|Reporter|Contributor|Editor)\s+(?=\p{Lu})",
    regex.VERSION1,
)

_PHOTO_CREDIT = regex.compile(
    r"^(?:Photo(?:graph)?|Image|Picture)(?:\s+credit)?\s*:\s*[^.!?]{0,80}?"
    r"(?:Getty\s+Images|AP|AFP|Reuters|EPA|PA|Shutterstock|Alamy|Bloomberg)\s+(?=\p{Lu})",
    regex.VERSION1,
)

# Date and time stamps scraped in front of the story: "12/28/2015 AT 04:50 PM EST",
# "Tuesday, August 25, 2015, 12:41 AM", "updated 8:10 AM EDT, Tue July 29, 2014".
_STAMP_WORD = (
    r"updated|posted|published|modified|last|at|on|"
    r"mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|"
    r"sat(?:urday)?|sun(?:day)?|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|"
    r"june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    r"[ap]\.?m\.?|e[sd]t|c[sd]t|m[sd]t|p[sd]t|et|pt|gmt|utc|bst|cet|cest|aest|ist"
)
_STAMP_TOKEN = regex.compile(
    rf"\s*(?:(?P<time>\d{{1,2}}[:.]\d{{2}}(?:\s*[ap]\.?m\.?)?)"
    rf"|(?P<date>\d{{1,2}}/\d{{1,2}}/\d{{2,4}})"
    rf"|(?P<year>(?:19|20)\d{{2}})"
    rf"|(?P<number>\d{{1,2}}(?:st|nd|rd|th)?)"
    rf"|(?P<word>(?:{_STAMP_WORD})\b\.?)"
    rf"|(?P<punct>[,|:–—-]))",
    regex.IGNORECASE,
)
_STORY_START = regex.compile(r"\s+[\p{Lu}\"“‘'(]")


def whole_unit_kind(unit: str) -> str | None:
    """The boilerplate kind of a whole line or sentence, or None for story text."""
    if len(unit) <= _SHORT_CHARS:
        return _short_unit_kind(unit)
    return _unit_kind(unit, short=False)


@functools.lru_cache(maxsize=_CACHED_UNITS)
def _short_unit_kind(unit: str) -> str | None:
    return _unit_kind(unit, short=len(unit.split()) <= _SHORT_WORDS)


def _unit_kind(unit: str, *, short: bool) -> str | None:
    for kind, pattern, short_only in _WHOLE_UNITS:
        if (short or not short_only) and pattern.search(unit):
            return kind
    if _stamp_length(unit) == len(unit):
        return "timestamp"
    return None


def prefix_length(sentence: str) -> tuple[int, str] | None:
    """(length, kind) of boilerplate glued to the front of a story sentence, or None."""
    stamp = _stamp_length(sentence)
    if stamp:
        return stamp, "timestamp"
    for kind, pattern in (
        ("dateline", _DATELINE),
        ("byline", _STAFF_BYLINE),
        ("credit", _PHOTO_CREDIT),
    ):
        match = pattern.match(sentence, 0, _PREFIX_WINDOW)
        if match and match.end() > 0 and (kind != "dateline" or _has_dateline_head(match)):
            return match.end(), kind
    return None


def _has_dateline_head(match: regex.Match[str]) -> bool:
    return bool(match.group("place") or match.group("agency"))


def _stamp_length(unit: str) -> int:
    """Length of a leading date/time stamp that a story sentence follows, else 0.

    A stamp must hold a clock time, a numeric date or a year, must not start
    with a preposition (real sentences open "On Jan. 5, 2015 ..."), and must be
    followed by the end of the unit or a capitalised word.
    """
    position = 0
    best = 0
    valid = False
    first = True
    for _ in range(_MAX_STAMP_TOKENS):
        match = _STAMP_TOKEN.match(unit, position)
        if match is None or match.end() == position:
            break
        word = (match.group("word") or "").lower().rstrip(".")
        if first and word in {"at", "on"}:
            return 0
        first = False
        position = match.end()
        valid = valid or bool(match.group("time") or match.group("date") or match.group("year"))
        if valid and (position == len(unit) or _STORY_START.match(unit, position)):
            best = position
    return best
