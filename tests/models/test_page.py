"""Article pages into text: main text, title, description; no state across pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from newsum.models.errors import EmptyInput
from newsum.models.page import VISIBLE_TEXT_PATTERN, read_page
from newsum.models.segment import NOT_BLANK_PATTERN, is_blank

PAGES = Path(__file__).parents[1] / "data" / "pages"
EXPECTED = json.loads((PAGES / "expected.json").read_text("utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_paragraph_a_reader_sees_is_read(name: str) -> None:
    """News layouts (related links, paywall, live blog, gallery, legacy CJK charsets)."""
    page = read_page((PAGES / f"{name}.html").read_bytes())
    for paragraph in EXPECTED[name]["paragraphs"]:
        assert paragraph in page.text
    assert page.title
    assert page.description == EXPECTED[name]["description"]


def test_boxes_around_the_story_are_left_out() -> None:
    text = read_page((PAGES / "related_links.html").read_bytes()).text
    for aside in ("Bus fares to rise", "Sign up for our morning briefing", "Privacy", "Home"):
        assert aside not in text


def test_the_same_page_read_five_times_gives_the_same_text() -> None:
    """trafilatura's repeated-segment filter must not carry over from one page to the next."""
    raw = (PAGES / "related_links.html").read_bytes()
    texts = {read_page(raw).text for _ in range(5)}
    assert len(texts) == 1
    # Two pages sharing paragraphs: the second keeps them.
    other = raw.replace(b"Council approves", b"Council backs")
    assert read_page(other).text.count("tram network") == read_page(raw).text.count("tram network")


def test_a_page_with_no_article_structure_gives_its_visible_text() -> None:
    page = read_page(b"<div>Short notice: the bridge is closed.</div><script>var x = 1;</script>")
    assert "the bridge is closed" in page.text
    assert "var x" not in page.text


@pytest.mark.parametrize("raw", [b"", b"   ", b"<p></p>", b"<script>only();</script>"])
def test_a_page_without_text_is_empty_input(raw: bytes) -> None:
    with pytest.raises(EmptyInput):
        read_page(raw)


@given(st.text(max_size=60))
def test_the_non_blank_pattern_is_the_servers_own_test(text: str) -> None:
    """The OpenAPI pattern and the server agree on which text is blank."""
    assert bool(regex.search(NOT_BLANK_PATTERN, text)) == any(not is_blank(c) for c in text)


@given(st.text(alphabet=st.sampled_from("<>ab \n\t/&;x"), max_size=40))
def test_a_page_the_schema_accepts_always_has_text(body: str) -> None:
    """VISIBLE_TEXT_PATTERN is what read_page promises: a match is never EmptyInput."""
    if regex.search(VISIBLE_TEXT_PATTERN, body):
        assert read_page(body.encode()).text.strip()


def test_a_page_is_read_without_a_date_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """The date search (htmldate) holds the GIL on whole-page regexes and is never used."""
    import trafilatura.metadata

    def no_date_search(*_: object, **__: object) -> None:
        raise AssertionError("the page's date was searched for")

    monkeypatch.setattr(trafilatura.metadata, "find_date", no_date_search)
    page = read_page((PAGES / "related_links.html").read_bytes())
    assert page.title
    assert page.description == EXPECTED["related_links"]["description"]
