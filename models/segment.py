"""Paragraphs and sentences as exact code-point spans of the submitted text.

Nothing here copies or rewrites the text: every span is a (start, end) pair into
it, trimmed of surrounding whitespace, so `text[start:end]` is always the span's
text. Sentence boundaries come from sentencex (Wikimedia's rule-based
segmenter: abbreviation lists and rules for ~300 languages, no data download).
"""

from __future__ import annotations

import re

import sentencex

Span = tuple[int, int]

# Every line terminator Python's str.splitlines() knows; CRLF counts as one break.
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_LINE_BREAK = re.compile(f"\r\n|[{_LINE_BREAKS}]")
# Line breaks inside a paragraph become spaces (same length, so offsets hold).
_BREAKS_TO_SPACES = str.maketrans(dict.fromkeys(_LINE_BREAKS, " "))
# Invisible characters that may sit at a span's edge (a UTF-8 byte-order mark,
# zero-width space, direction marks) are trimmed like whitespace.
_INVISIBLE = frozenset("\ufeff\u200b\u200e\u200f\u2060")
# A line ending in one of these (possibly inside closing quotes or brackets)
# ends a sentence, so the line break after it is a paragraph break.
_SENTENCE_END = frozenset(".!?…。！？:;")
_CLOSERS = frozenset("\"'”’»)]」』】")


def is_blank(char: str) -> bool:
    return char.isspace() or char in _INVISIBLE


# The same test as a regular expression (JSON Schema's `pattern`, ECMA-262 and
# Python alike): text that holds one character that is not blank. Every
# character Python calls whitespace lies below U+3001.
BLANK_CHARACTERS = "".join(sorted({chr(c) for c in range(0x3001) if chr(c).isspace()} | _INVISIBLE))
BLANK_CLASS = "".join(f"\\u{ord(c):04x}" for c in BLANK_CHARACTERS)  # for inside [...]
NOT_BLANK_PATTERN = f"[^{BLANK_CLASS}]"


def trim(text: str, start: int, end: int) -> Span:
    """The span without leading and trailing whitespace (possibly empty)."""
    while start < end and is_blank(text[start]):
        start += 1
    while end > start and is_blank(text[end - 1]):
        end -= 1
    return start, end


def split_paragraphs(text: str) -> list[Span]:
    """Paragraph spans: text between line breaks, with hard-wrapped lines joined.

    Each line is a paragraph (the way CMSs and plain-text exports write them),
    except that a single line break is only a wrap when the line before it does
    not end a sentence and the line after it starts in lower case
    ("...the minister\\nsaid on Monday") — a break inside a sentence.
    """
    paragraphs: list[Span] = []
    current: Span | None = None
    for start, end in _lines(text):
        line = trim(text, start, end)
        if current is not None and line[0] < line[1] and _is_wrap(text, current, line):
            current = (current[0], line[1])
            continue
        if current is not None:
            paragraphs.append(current)
        # A blank line ends the paragraph and starts none.
        current = line if line[0] < line[1] else None
    if current is not None:
        paragraphs.append(current)
    return paragraphs


def split_sentences(text: str, start: int, end: int, language: str) -> list[Span]:
    """Sentence spans inside the paragraph text[start:end]."""
    # Line breaks inside a paragraph are wraps (see split_paragraphs); sentencex
    # would end a sentence at each, so it sees spaces there. Same length, so
    # its offsets stay ours.
    chunk = text[start:end].translate(_BREAKS_TO_SPACES)
    cuts = sorted({int(b["end_index"]) for b in sentencex.get_sentence_boundaries(language, chunk)})
    sentences: list[Span] = []
    previous = 0
    for cut in [*cuts, len(chunk)]:
        if cut <= previous:
            continue
        piece = trim(text, start + previous, start + cut)
        previous = cut
        if piece[0] == piece[1]:
            continue
        if sentences and _continues_sentence(text[piece[0]]):
            # sentencex cut after an abbreviation it does not know ("5 pct. to
            # 120"); a sentence does not begin in lower case, so rejoin.
            sentences[-1] = (sentences[-1][0], piece[1])
        else:
            sentences.append(piece)
    return sentences


def _lines(text: str) -> list[Span]:
    starts = [0]
    ends = []
    for match in _LINE_BREAK.finditer(text):
        ends.append(match.start())
        starts.append(match.end())
    ends.append(len(text))
    return list(zip(starts, ends, strict=True))


def _is_wrap(text: str, previous: Span, line: Span) -> bool:
    last = previous[1] - 1
    while last > previous[0] and text[last] in _CLOSERS:
        last -= 1
    return text[last] not in _SENTENCE_END and _continues_sentence(text[line[0]])


def _continues_sentence(char: str) -> bool:
    return char.islower()
