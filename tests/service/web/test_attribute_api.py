"""POST /v1/attribute: any summary tied to the article sentences behind it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsum.models.embeddings import SentenceEncoder
from newsum.service.runtime.state import Engines
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.service.conftest import started

SUMMARY = (
    "Syria’s interim Foreign Minister Asaad al-Shaibani visited Iraq to emphasize cooperation "
    "in combating IS remnants. Iraqi officials condemned the killing of 1,400 civilians."
)


@pytest.fixture(scope="module")
def client(encoder: SentenceEncoder) -> Iterator[TestClient]:
    app = create_app(Settings(max_summary_chars=2_000), Engines(encoder=encoder))
    with TestClient(app) as client:
        yield started(client)


def post(client: TestClient, body: Any, content_type: str = "application/json") -> Any:
    return client.post(
        "/v1/attribute", content=json.dumps(body), headers={"Content-Type": content_type}
    )


def test_attributes_each_summary_sentence(client: TestClient, sample_text: str) -> None:
    response = post(client, {"text": sample_text, "summary": SUMMARY})
    assert response.status_code == 200
    body = response.json()
    first, second = body["sentences"]
    for sentence in (first, second):
        assert SUMMARY[sentence["start"] : sentence["end"]] == sentence["text"]
    assert first["attributions"][0] == {"sentence": 0, "score": 1.0}
    assert first["support"] == 1.0
    assert second["attributions"][0]["sentence"] == 16
    assert second["unsupported"] == ["1,400"]
    assert second["support"] < 0.5
    assert body["article"]["sentences"][16]["text"].startswith("In a recent incident")
    assert body["comparison"]["position"]["lead"] > 0
    assert body["comparison"]["vs_closing"] is not None
    # The first sentence is the lead's first; the second adds to the lead.
    vs_lead = body["comparison"]["vs_lead"]
    assert [(k["sentence"], k["by"]) for k in vs_lead["kept"]] == [(0, [0])]
    assert vs_lead["dropped"] == [1, 2, 3]
    assert vs_lead["added"] == [{"sentence": 1, "support_in": "body"}]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": "An article here.", "summary": "  "}, "empty_input"),
        ({"text": "An article here.", "summary": "x" * 2_001}, "input_too_long"),
        ({"text": "An article here."}, "invalid_request"),
        ({"text": "An article here.", "summary": "Fine.", "extra": 1}, "invalid_request"),
        ({"text": "", "summary": "Fine."}, "empty_input"),
    ],
)
def test_bad_requests_get_documented_422s(client: TestClient, body: Any, code: str) -> None:
    response = post(client, body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


def test_only_json_is_taken(client: TestClient) -> None:
    response = post(client, {"text": "a", "summary": "b"}, content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_openapi_documents_the_attribute_body(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    body = document["paths"]["/v1/attribute"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"]["$ref"].endswith("/AttributeRequest")
    assert "summary" in document["components"]["schemas"]["AttributeRequest"]["required"]
