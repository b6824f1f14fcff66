"""The editor's page with the NLI judge's verdicts (NEWSUM_NLI_MODEL), in Debian's headless
Chromium: a contradicted sentence is marked, a supported one is not. /v1/attribute is
answered by a real answer of the app with the judge on, its numbers edited."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsum.service.contract.schemas import AttributeResponse
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.service.conftest import LiveServer, live_server, post_ok, started
from tests.service.web.chromium import IN_CHROMIUM, launched
from tests.tiny_models import build_tiny_nli

ROOT = Path(__file__).parents[3]
SAMPLE = (ROOT / "tests" / "data" / "sample_article.txt").read_text("utf-8")
SUMMARY = (
    "Shaibani held discussions with Iraqi Foreign Minister Fuad Hussein. "
    "Iraqi officials condemned the massacre of over 1,383 civilians in coastal Syria."
)
pytestmark = IN_CHROMIUM


@pytest.fixture(scope="module")
def canned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The app's own /v1/attribute answer with the judge on, edited: the first sentence
    contradicted (0.8 > 0.1), the second entailed (0.9)."""
    checkpoint = build_tiny_nli(
        tmp_path_factory.mktemp("nli") / "bert", "bert", SAMPLE.splitlines()
    )
    settings = Settings(model="none", embedding_model="none", nli_model=str(checkpoint))
    with TestClient(create_app(settings)) as client:
        real = post_ok(started(client), "/v1/attribute", {"text": SAMPLE, "summary": SUMMARY})
    answer: dict[str, Any] = copy.deepcopy(real)
    first, second = answer["sentences"]
    first["nli"] |= {"entailment": 0.1, "contradiction": 0.8, "score": -0.7}
    second["nli"] |= {"entailment": 0.9, "contradiction": 0.05, "score": 0.85}
    answer["nli"] |= {"mean": 0.075, "min": -0.7}
    answer["support"] = (0.075 + 1) / 2
    # Still an answer the app could give: its schema takes it, and it was edited.
    AttributeResponse.model_validate(answer)
    assert answer != real
    return answer


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live_server("--steps", "1", "--step-s", "0") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as browser:
        yield browser


@pytest.fixture
def page(browser: Any, server: LiveServer, canned: dict[str, Any]) -> Iterator[Any]:
    """The editor's page whose /v1/attribute answers `canned`; a script error fails the test."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    answered: list[str] = []

    def answer(route: Any) -> None:
        answered.append(route.request.url)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(canned))

    page.route("**/v1/attribute", answer)
    page.goto(f"{server.url}/")
    yield page
    page.close()
    assert not errors, f"the page threw: {errors}"
    assert len(answered) == 1, "the page asked /v1/attribute once, and got the canned answer"


def test_a_sentence_the_judge_finds_contradicted_is_marked_and_an_entailed_one_is_not(
    page: Any,
) -> None:
    page.fill("#article", SAMPLE)
    page.click("#tab-check")
    page.fill("#own-summary", SUMMARY)
    page.click("#check")
    page.wait_for_selector("#summaries .summary .sent")
    sentences = page.locator("#summaries .sent")
    assert sentences.count() == 2
    contradicted, entailed = sentences.nth(0), sentences.nth(1)

    assert "contradicted" in (contradicted.get_attribute("class") or "").split()
    verdict = contradicted.locator(".nli.contradicted")
    assert verdict.inner_text() == "contradicted · entails 0.10 · contradicts 0.80"
    assert "contradicted" in (contradicted.get_attribute("aria-label") or "")

    assert "contradicted" not in (entailed.get_attribute("class") or "").split()
    assert entailed.locator(".nli.contradicted").count() == 0
    assert entailed.locator(".nli").inner_text() == "NLI · entails 0.90 · contradicts 0.05"
    assert page.locator("#summaries .sent.contradicted").count() == 1
