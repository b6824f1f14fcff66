"""An article read into paragraphs, sentences, boilerplate, and its own lead and closing.

The lead is what the publisher put up front as a summary (the standfirst, or the
first paragraph, or the first sentences as in the Lead-3 baseline of See et al.
2017); the closing is the wrap-up paragraph many news stories end with.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from newsum.models import boilerplate as bp
from newsum.models.errors import EmptyInput, InputTooLong, InvalidUnicode
from newsum.models.language import guess_language
from newsum.models.segment import Span, split_paragraphs, split_sentences, trim
from newsum.models.terms import analyse
from newsum.models.types import (
    Article,
    Boilerplate,
    Closing,
    Lead,
    Paragraph,
    Sentence,
    StandfirstSource,
)
from newsum.models.types import Span as TextSpan

# Lead-3, the standard news baseline (See et al. 2017; Grusky et al. 2018).
LEAD_SENTENCES = 3
CLOSING_SENTENCES = 2
# A first line this short, with no full stop, is a headline rather than a lead.
_HEADLINE_MAX_WORDS = 20
_HEADLINE_END = regex.compile(r"[.!?…。！？][\"'”’»)\]]*$")
_SURROGATE = regex.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep one article's cost in check (TextRank is O(n²) in sentences)."""

    max_chars: int = 100_000
    max_sentences: int = 2_000


def read_article(
    text: str,
    *,
    title: str | None = None,
    standfirst: str | None = None,
    language: str | None = None,
    limits: Limits = Limits(),
    standfirst_source: StandfirstSource = "request",
) -> Article:
    """Segment `text` and find its lead, closing and boilerplate.

    `standfirst_source` says where a standfirst came from (the request, or the
    article page's own description), for the answer to report.
    """
    # Refuse what cannot be read: lone surrogates, blank text, too much text.
    check_text(text, "text", limits.max_chars)
    title = _optional_text(title, "title", limits.max_chars)
    standfirst = _optional_text(standfirst, "standfirst", limits.max_chars)
    language = language or guess_language(text)

    # Paragraphs of sentence spans, boilerplate set aside. Detection must never
    # eat a whole article: if nothing but "boilerplate" is left, it is the story.
    units, leftovers = _story_units(text, language, detect_boilerplate=True)
    if not units:
        units, leftovers = _story_units(text, language, detect_boilerplate=False)

    # A short first line without a full stop is the headline, not the lead.
    headline = _headline(text, units, title)
    if headline is not None:
        units = units[1:]

    sentences, paragraphs = _number(text, units)
    if len(sentences) > limits.max_sentences:
        raise InputTooLong("article sentences", limits.max_sentences, len(sentences))

    return Article(
        text=text,
        language=language,
        title=title,
        headline=headline,
        sentences=sentences,
        paragraphs=paragraphs,
        lead=_lead(sentences, paragraphs, standfirst, language),
        closing=_closing(sentences, paragraphs),
        boilerplate=tuple(leftovers),
        words=tuple(analyse([s.text for s in sentences], language)),
        standfirst_source=standfirst_source if standfirst else None,
    )


def check_text(text: str, field: str, max_chars: int) -> None:
    """Raise the domain error for text no engine can take."""
    surrogate = _SURROGATE.search(text)
    if surrogate:
        raise InvalidUnicode(
            f"{field} holds a lone surrogate code point at index {surrogate.start()}; "
            "send valid Unicode"
        )
    if len(text) > max_chars:
        raise InputTooLong(f"{field} length in characters", max_chars, len(text))
    if trim(text, 0, len(text))[0] == len(text):
        raise EmptyInput(f"{field} is empty or only whitespace ({len(text)} characters)")


def _optional_text(value: str | None, field: str, max_chars: int) -> str | None:
    # A blank optional field is as good as absent.
    if value is None or not value.strip():
        return None
    check_text(value, field, max_chars)
    return value.strip()


def _story_units(
    text: str, language: str, *, detect_boilerplate: bool
) -> tuple[list[list[Span]], list[Boilerplate]]:
    units: list[list[Span]] = []
    leftovers: list[Boilerplate] = []

    def set_aside(start: int, end: int, kind: str) -> None:
        leftovers.append(Boilerplate(start, end, text[start:end], kind))

    for p_start, p_end in split_paragraphs(text):
        kind = bp.whole_unit_kind(text[p_start:p_end]) if detect_boilerplate else None
        if kind:
            set_aside(p_start, p_end, kind)
            continue
        story: list[Span] = []
        for start, end in split_sentences(text, p_start, p_end, language):
            if detect_boilerplate:
                prefix = bp.prefix_length(text[start:end])
                if prefix:
                    cut = trim(text, start, start + prefix[0])
                    set_aside(cut[0], cut[1], prefix[1])
                    start, end = trim(text, start + prefix[0], end)
                    if start == end:
                        continue
                # A sentence that is the whole paragraph was checked as one above.
                whole = (start, end) == (p_start, p_end)
                kind = None if whole else bp.whole_unit_kind(text[start:end])
                if kind:
                    set_aside(start, end, kind)
                    continue
            story.append((start, end))
        if story:
            units.append(story)
    return units, leftovers


def _headline(text: str, units: list[list[Span]], title: str | None) -> TextSpan | None:
    if len(units) < 2 or len(units[0]) != 1:
        return None
    start, end = units[0][0]
    line = text[start:end]
    is_title = title is not None and line.casefold() == title.casefold()
    looks_like_headline = (
        len(line.split()) <= _HEADLINE_MAX_WORDS and _HEADLINE_END.search(line) is None
    )
    return TextSpan(start, end, line) if is_title or looks_like_headline else None


def _number(
    text: str, units: list[list[Span]]
) -> tuple[tuple[Sentence, ...], tuple[Paragraph, ...]]:
    sentences: list[Sentence] = []
    paragraphs: list[Paragraph] = []
    for p_index, spans in enumerate(units):
        first = len(sentences)
        for start, end in spans:
            sentences.append(Sentence(len(sentences), start, end, text[start:end], p_index))
        paragraphs.append(
            Paragraph(p_index, spans[0][0], spans[-1][1], tuple(range(first, len(sentences))))
        )
    return tuple(sentences), tuple(paragraphs)


def _lead(
    sentences: tuple[Sentence, ...],
    paragraphs: tuple[Paragraph, ...],
    standfirst: str | None,
    language: str,
) -> Lead:
    if standfirst is not None:
        # The standfirst is not part of the text, so it has no sentence indices:
        # its own sentences are spans with offsets into it.
        spans = tuple(
            TextSpan(s, e, standfirst[s:e])
            for p_start, p_end in split_paragraphs(standfirst)
            for s, e in split_sentences(standfirst, p_start, p_end, language)
        )
        return Lead("standfirst", (), standfirst, spans)
    if len(paragraphs) >= 2:
        return Lead("first_paragraph", paragraphs[0].sentences, _join(sentences, paragraphs[0]))
    chosen = tuple(range(min(LEAD_SENTENCES, len(sentences))))
    return Lead("first_sentences", chosen, _join_indices(sentences, chosen))


def _closing(sentences: tuple[Sentence, ...], paragraphs: tuple[Paragraph, ...]) -> Closing | None:
    if len(paragraphs) >= 2:
        return Closing("last_paragraph", paragraphs[-1].sentences, _join(sentences, paragraphs[-1]))
    # Without paragraphs, a closing needs sentences of its own beyond the lead's.
    if len(sentences) < LEAD_SENTENCES + CLOSING_SENTENCES:
        return None
    chosen = tuple(range(len(sentences) - CLOSING_SENTENCES, len(sentences)))
    return Closing("last_sentences", chosen, _join_indices(sentences, chosen))


def _join(sentences: tuple[Sentence, ...], paragraph: Paragraph) -> str:
    return _join_indices(sentences, paragraph.sentences)


def _join_indices(sentences: tuple[Sentence, ...], indices: tuple[int, ...]) -> str:
    # Joined rather than sliced, so boilerplate inside the span stays out.
    return " ".join(sentences[i].text for i in indices)
