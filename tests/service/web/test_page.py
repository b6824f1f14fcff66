"""The editor's page, end to end in Debian's headless Chromium driven by Playwright
(tests/service/web/chromium.py says which Chromium, and when the tests skip)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.service.conftest import LiveServer, live_server
from tests.service.web.chromium import IN_CHROMIUM, launched

ROOT = Path(__file__).parents[3]
ARTIFACTS = ROOT / "test-artifacts"
SAMPLE = (ROOT / "tests" / "data" / "sample_article.txt").read_text("utf-8")
pytestmark = IN_CHROMIUM


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live_server("--steps", "1", "--step-s", "0", max_article_chars="50000") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as browser:
        yield browser


def _opened(browser: Any, server: LiveServer) -> Iterator[Any]:
    """The editor's page of `server`; a script error on it fails the test."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/")
    yield page
    page.close()
    assert not errors, f"the page threw: {errors}"


@pytest.fixture
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    yield from _opened(browser, server)


def test_summaries_appear_and_hovering_highlights_their_sources(page: Any) -> None:
    page.fill("#article", SAMPLE)
    page.click("#summarize")
    page.wait_for_selector("#summaries .summary .sent")

    textrank, abstractive = page.locator("#summaries .summary").all()
    assert textrank.locator(".sent").count() == 3
    assert "slow-fake" in abstractive.inner_text()
    # The abstractive summary's whole support beside it; TextRank's sentences are the article's.
    assert abstractive.locator(".whole-support").count() == 1
    assert textrank.locator(".whole-support").count() == 0
    # The article: lead and closing marked, the trailer greyed as boilerplate.
    assert page.locator(".article .in-lead").count() == 4
    assert page.locator(".article .in-closing").count() == 3
    assert page.locator(".article .boilerplate").inner_text() == "Original Source: www.france24.com"

    # Hover the third TextRank sentence: its source, article sentence 5, lights up.
    # (The distinct pick: 0, 2 and 5 tell three facts; the classic 0, 4, 17 one.)
    textrank.locator(".sent").nth(2).hover()
    assert page.locator("#s-5.highlight").count() == 1
    assert page.locator(".article .highlight").count() == 1
    assert page.locator("#s-5 .score").inner_text() == "1.00"
    # Keyboard: focusing the second sentence moves the highlight to sentence 2.
    textrank.locator(".sent").nth(1).focus()
    assert page.locator("#s-2.highlight").count() == 1
    assert page.locator("#s-5.highlight").count() == 0

    # Under each summary, the lead's four sentences as a checklist.
    assert textrank.locator(".checklist li[data-sentence]").count() == 4
    rows = page.locator("#comparison tr").all_inner_texts()
    assert any(row.startswith("TextRank") for row in rows)
    assert any(row.startswith("the closing") and "lead sentences" in row for row in rows)
    assert any(row.startswith("Abstractive") for row in rows)
    bar = page.locator("#comparison .bar").first.get_attribute("aria-label")
    assert bar == "lead 67%, body 33%, closing 0%"

    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    textrank.locator(".sent").nth(2).hover()
    assert page.locator("#s-5.highlight").count() == 1
    page.screenshot(path=str(ARTIFACTS / "editor-page.png"), full_page=True)


def test_an_editors_own_summary_is_checked(page: Any) -> None:
    page.fill("#article", SAMPLE)
    page.click("#tab-check")
    page.fill(
        "#own-summary",
        "Shaibani met Iraqi Foreign Minister Fuad Hussein in Baghdad. "
        "Iraqi officials condemned the killing of 1,400 civilians.",
    )
    page.click("#check")
    page.wait_for_selector("#summaries .summary .sent")
    sentences = page.locator("#summaries .sent")
    assert sentences.count() == 2
    assert page.locator("mark.unsupported").inner_text() == "1,400"
    # The whole summary's support, and the invented figure's sentence marked weak (< 0.5).
    whole = page.locator("#summaries .whole-support strong").inner_text()
    assert 0 <= float(whole) <= 1
    assert page.locator("#summaries .sent.weak").count() == 1
    assert sentences.nth(1).locator(".weak-label").inner_text() == "weak support"
    assert "Weak support." in (sentences.nth(1).get_attribute("aria-label") or "")
    sentences.nth(1).hover()
    assert page.locator("#s-16.highlight").count() == 1
    page.screenshot(path=str(ARTIFACTS / "editor-check.png"), full_page=True)


def checked(page: Any, summary: str) -> Any:
    """The one summary sentence the page shows once `summary` is checked against SAMPLE."""
    page.fill("#article", SAMPLE)
    page.click("#tab-check")
    page.fill("#own-summary", summary)
    page.click("#check")
    page.wait_for_selector("#summaries .summary .sent")
    sentences = page.locator("#summaries .sent")
    assert sentences.count() == 1
    return sentences.first


def test_unsupported_marks_leave_apostrophes_as_they_are(page: Any) -> None:
    """Marks go on the raw text, then each piece is escaped: "39" is not found inside
    an escaped apostrophe ("&#39;"), and "Zorglub's" is found although it holds one."""
    summary = "The council's 39 members didn't approve Zorglub's plan."
    sentence = checked(page, summary)
    assert sentence.inner_text().startswith(summary)
    assert "&#39;" not in page.locator("#summaries").inner_text()
    assert sentence.locator("mark.unsupported").all_inner_texts() == ["39", "Zorglub's"]


def test_a_summarys_ampersands_tags_and_quotes_show_as_written(page: Any) -> None:
    summary = 'Officials said "Tom & Jerry" met 17 <b>mayors</b> in Quaxley.'
    sentence = checked(page, summary)
    assert sentence.inner_text().startswith(summary)
    # The tag is text, not an element of the page.
    assert page.locator("#summaries b").count() == 0
    assert "&amp;" not in page.locator("#summaries").inner_text()
    marks = sentence.locator("mark.unsupported").all_inner_texts()
    assert marks == ["Tom", "Jerry", "17", "Quaxley"]


def test_a_name_next_to_punctuation_is_marked_without_it(page: Any) -> None:
    summary = "Officials thanked Zorglub, then Quaxley (Zorglub) left."
    sentence = checked(page, summary)
    assert sentence.inner_text().startswith(summary)
    marks = sentence.locator("mark.unsupported").all_inner_texts()
    assert marks == ["Zorglub", "Quaxley", "Zorglub"]


def test_a_summarys_keeps_drops_and_adds_are_shown_under_it(page: Any) -> None:
    """Lead sentence 1 plus a body sentence: lead 1 kept, lead 2-4 dropped, the body one adds."""
    lead_first = SAMPLE.splitlines()[0].split(". ")[0] + "."
    body = (
        "During his time in Baghdad, Shaibani held discussions with Iraqi Foreign Minister "
        "Fuad Hussein."
    )
    assert body in SAMPLE
    page.fill("#article", SAMPLE)
    page.click("#tab-check")
    page.fill("#own-summary", f"{lead_first} {body}")
    page.click("#check")
    page.wait_for_selector("#summaries .checklist")

    items = page.locator("#summaries .checklist li[data-sentence]")
    assert items.count() == 4
    assert items.nth(0).get_attribute("class") == "kept"
    assert items.nth(0).inner_text().startswith("✓")
    for i in (1, 2, 3):
        assert items.nth(i).get_attribute("class") == "dropped"
        assert items.nth(i).inner_text().startswith("✗")
    assert "1 of 4 sentences kept" in page.locator("#summaries .checklist h4").inner_text()
    # The kept sentence links to the summary sentence covering it; following the link
    # focuses that sentence, which lights up its source in the article.
    link = items.nth(0).locator("a")
    assert link.get_attribute("href") == "#own-0"
    link.click()
    assert page.locator("#own-0.target").count() == 1
    assert page.locator("#s-0.highlight").count() == 1
    # The body sentence is marked as what the summary adds, with where it comes from.
    sentences = page.locator("#summaries .sent")
    assert sentences.nth(0).locator(".adds").count() == 0
    assert sentences.nth(1).locator(".adds").inner_text() == "adds · from the body"
    assert "keeps 1 of 4, adds 1" in page.locator("#comparison").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "editor-keeps-drops-adds.png"), full_page=True)


def test_errors_are_plain_sentences(page: Any) -> None:
    # Waiting with locators: the page's CSP (rightly) forbids evaluating strings.
    from playwright.sync_api import expect

    page.fill("#article", "   ")
    page.click("#summarize")
    expect(page.locator("#error")).to_have_text(
        "The article is empty. Paste or drop the article text first."
    )
    page.fill("#article", "word " * 12_000)  # 60,000 characters against a 50,000 limit
    page.click("#summarize")
    expect(page.locator("#error")).to_have_text(
        "The article is too long for this service: text length in characters must be at "
        "most 50000; given: 60000."
    )
    expect(page.locator("#summarize")).to_be_enabled()


@pytest.fixture(scope="module")
def slow_server() -> Iterator[LiveServer]:
    """A streaming double that writes three sentences in 2 s (40 steps of 50 ms)."""
    with live_server("--steps", "40", "--step-s", "0.05", "--sentences", "3") as server:
        yield server


@pytest.fixture
def slow_page(browser: Any, slow_server: LiveServer) -> Iterator[Any]:
    yield from _opened(browser, slow_server)


def test_textrank_shows_while_the_abstractive_summary_is_still_written(slow_page: Any) -> None:
    from playwright.sync_api import expect

    page = slow_page
    page.fill("#article", SAMPLE)
    page.click("#summarize")
    # The first sentence is in while two are still to come: TextRank is already complete.
    page.wait_for_selector("#abstractive-live .sent")
    textrank = page.locator("#summaries .summary").first
    assert textrank.locator(".sent").count() == 3
    live = page.locator("#abstractive-live")
    assert live.locator(".state").inner_text() == "Generating…"
    assert live.locator(".sent").count() < 3
    assert live.locator("[aria-live=polite] .sent").count() >= 1
    assert page.locator("#stop").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "stream-mid.png"), full_page=True)

    # Then the finished summary takes the column's place, with its whole support.
    expect(page.locator("#abstractive-live")).to_have_count(0, timeout=10_000)
    abstractive = page.locator("#summaries .summary").nth(1)
    assert abstractive.locator(".sent").count() == 3
    assert abstractive.locator(".whole-support").count() == 1
    assert "slow-fake" in abstractive.inner_text()
    assert not page.locator("#stop").is_visible()
    assert page.locator("#summarize").is_enabled()


def test_stop_ends_the_generation_and_leaves_the_page_usable(
    slow_page: Any, slow_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = slow_page
    page.fill("#article", SAMPLE)
    page.click("#summarize")
    page.wait_for_selector("#abstractive-live")
    assert slow_server.metric("newsum_in_flight") >= 1
    # By keyboard: Stop is a real button.
    page.focus("#stop")
    page.keyboard.press("Enter")
    expect(page.locator("#abstractive-live .state")).to_have_text(
        "Stopped: the summary was not finished."
    )
    expect(page.locator("#summarize")).to_be_enabled()
    expect(page.locator("#summarize")).to_be_focused()
    assert page.locator("#error").inner_text() == ""
    assert not page.locator("#stop").is_visible()
    # The server stopped the generation too (it would run 2 s).
    for _ in range(40):
        if slow_server.metric("newsum_in_flight") == 0:
            break
        page.wait_for_timeout(50)
    assert slow_server.metric("newsum_in_flight") == 0
    # And the page works again.
    page.click("#summarize")
    expect(page.locator("#summaries .whole-support")).to_have_count(1, timeout=10_000)
    assert page.locator("#abstractive-live").count() == 0
    assert page.locator("#summaries .summary").nth(1).locator(".sent").count() == 3
