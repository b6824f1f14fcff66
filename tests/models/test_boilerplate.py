from __future__ import annotations

import time

import pytest

from newsum.models.boilerplate import prefix_length, whole_unit_kind


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Original Source: www.france24.com", "source"),
        ("Scroll down for video", "video"),
        ("Reporting by Jane Doe; Editing by John Smith", "credit"),
        ("Additional reporting by Tom Brown in Paris", "credit"),
        ("Follow us on Twitter", "social"),
        ("Follow CNN Opinion on Twitter.", "social"),
        ("By John Smith, Reuters", "byline"),
        ("By DEXTER FORD", "byline"),
        ("© 2015 Cable News Network. All rights reserved.", "copyright"),
        ("Copyright 2016 The Associated Press.", "copyright"),
        ("Sign up for our daily newsletter", "newsletter"),
        ("RELATED: Five things to know", "related"),
        ("Advertisement", "related"),
        ("Published: 12:03 EST, 3 June 2013 | UPDATED: 14:22 EST, 3 June 2013", "timestamp"),
        ("12/28/2015", "timestamp"),
        ("Photo: AP", "credit"),
    ],
)
def test_whole_boilerplate_lines_are_recognised(line: str, kind: str) -> None:
    assert whole_unit_kind(line) == kind


@pytest.mark.parametrize(
    "sentence",
    [
        "By the end of the year, prices had risen by a third.",
        "Follow the money, he said.",
        "Source: a person familiar with the talks said the deal was close to done and would be "
        "signed soon by both parties at the summit in Geneva next week, weeks after it stalled.",
        "The visit marks a significant step in reinforcing cooperation against terrorism.",
        "Written by Shakespeare in 1600, the play has been staged in every decade since then, "
        "and the new production at the Globe is the most ambitious yet, critics said on Monday.",
    ],
)
def test_story_sentences_are_not_boilerplate(sentence: str) -> None:
    assert whole_unit_kind(sentence) is None
    assert prefix_length(sentence) is None


@pytest.mark.parametrize(
    ("sentence", "prefix", "kind"),
    [
        ("WASHINGTON — President Obama is pressing.", "WASHINGTON — ", "dateline"),
        ("MADRID (AP) – Spain's misery will get worse.", "MADRID (AP) – ", "dateline"),
        ('(CNN) -- Former "Jersey Shore" star.', "(CNN) -- ", "dateline"),
        ("CEDAR RAPIDS, Iowa — Officially, Romney returned.", "CEDAR RAPIDS, Iowa — ", "dateline"),
        (
            "12/28/2015 AT 04:50 PM EST Like a lot of funny people.",
            "12/28/2015 AT 04:50 PM EST",
            "timestamp",
        ),
        (
            "Updated Jul 7, 2012 6:40 PM ET Juventus are leading.",
            "Updated Jul 7, 2012 6:40 PM ET",
            "timestamp",
        ),
        (
            "Tuesday, August 25, 2015, 12:41 AM A Kansas man used his dog.",
            "Tuesday, August 25, 2015, 12:41 AM",
            "timestamp",
        ),
        (
            "Jim Herron Zamora, Chronicle Staff Writer Larry and Muriel fight back tears.",
            "Jim Herron Zamora, Chronicle Staff Writer ",
            "byline",
        ),
    ],
)
def test_prefixes_glued_to_the_first_sentence_are_cut_off(
    sentence: str, prefix: str, kind: str
) -> None:
    assert prefix_length(sentence) == (len(prefix), kind)


@pytest.mark.parametrize(
    "sentence",
    [
        "On Jan. 5, 2015 Obama said hello.",
        "May 5 was the day it happened.",
        "NATO — the alliance — met on Monday.",
    ],
)
def test_sentences_that_merely_start_with_a_date_or_acronym_keep_it(sentence: str) -> None:
    assert prefix_length(sentence) is None


@pytest.mark.parametrize(
    "unit",
    [
        "A'" * 50_000,  # a dateline's place, backtracked over at every character
        "WASHINGTON " + "A’ " * 30_000,
        "Photo: " + " " * 100_000 + "x",  # a credit's spaces before its 80 free characters
        "1," * 50_000,  # stamp tokens, none of them a time, date or year
        "Updated " + "-- " * 30_000,
        "By " + "A." * 50_000,  # one 100,000-character "word": few words, yet not a byline
    ],
)
def test_pathological_units_cost_linear_time(unit: str) -> None:
    """The first five took 0.7-2 s each, quadratic in their length; now about a millisecond."""
    started = time.process_time()
    assert whole_unit_kind(unit) is None
    prefix_length(unit)
    assert time.process_time() - started < 0.05


def test_a_few_long_words_are_not_a_short_boilerplate_line() -> None:
    assert whole_unit_kind("Follow us " + "x" * 50) == "social"
    assert whole_unit_kind("Follow us " + "x" * 500) is None
