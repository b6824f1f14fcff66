"""The corpus line's one rule for unknown fields: name the field that may have been meant."""

from __future__ import annotations

from newsum.models.corpus_line import LINE_FIELDS, REQUEST_OPTIONS, unknown_field


def test_a_misspelt_field_is_named_with_the_closest_known_one() -> None:
    assert unknown_field("titel", LINE_FIELDS) == 'unknown field; did you mean "title"?'
    assert unknown_field("Language", LINE_FIELDS) == 'unknown field; did you mean "language"?'
    assert unknown_field("refs", ("reference", "references")) == (
        "unknown field; known: reference, references"
    )


def test_article_where_no_alias_is_taken_points_to_text() -> None:
    known = ("text", *REQUEST_OPTIONS)
    assert unknown_field("article", known) == 'unknown field; did you mean "text"?'


def test_nothing_close_lists_every_known_field() -> None:
    assert unknown_field("colour", ("text", "title")) == "unknown field; known: text, title"
