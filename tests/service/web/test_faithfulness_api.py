"""The whole summary's `support` and `support_signals`, in /v1/attribute and /v1/summarize."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from newsum.service.runtime.state import Engines
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.fakes import SlowEngine
from tests.service.conftest import post_ok, started

COPIED = (
    "Shaibani held discussions with Iraqi Foreign Minister Fuad Hussein. "
    "Iraqi officials condemned the massacre of over 1,383 civilians in coastal Syria."
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    engines = Engines(abstractive=SlowEngine(steps=1, step_s=0.0))
    with TestClient(create_app(Settings(), engines)) as client:
        yield started(client)


def test_attribute_answers_the_whole_summary_support(client: TestClient, sample_text: str) -> None:
    copied = post_ok(client, "/v1/attribute", {"text": sample_text, "summary": COPIED})
    invented = post_ok(
        client, "/v1/attribute", {"text": sample_text, "summary": COPIED.replace("1,383", "9,400")}
    )
    assert 0.0 <= invented["support"] < copied["support"] <= 1.0
    assert copied["support_signals"], "the signals the score was made of are listed"
    assert "weakest_similarity" not in copied["support_signals"]  # no encoder loaded
    assert invented["sentences"][1]["unsupported"] == ["9,400"]


def test_abstractive_summary_carries_its_support(client: TestClient, sample_text: str) -> None:
    body = post_ok(client, "/v1/summarize", {"text": sample_text, "methods": ["abstractive"]})
    abstractive = body["summaries"]["abstractive"]
    # The fake engine "generates" the article's first sentence: a copy.
    assert abstractive["status"] == "ok"
    assert abstractive["support"] > 0.8
    assert abstractive["support_signals"]


def test_the_schema_documents_both_fields(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("AttributeResponse", "AbstractiveOut"):
        properties = schemas[name]["properties"]
        assert "support" in properties
        assert "support_signals" in properties
        assert "0-1" in properties["support"]["description"]
