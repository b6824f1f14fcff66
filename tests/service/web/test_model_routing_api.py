"""Several models served at once, each article routed by its language (API.md, issue 16).

The models are the tiny BART under three model cards (English, [de], none),
loaded from the settings through the production path: load_engines, warm-up,
one owner each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsum.service.corpus.rows import RowSummarizer
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.service.conftest import started

DATA = Path(__file__).parents[2] / "data"
GERMAN = (DATA / "german_article.txt").read_text(encoding="utf-8")


def serving(**settings: Any) -> TestClient:
    return TestClient(create_app(Settings(embedding_model="none", **settings)))


@pytest.fixture(scope="module")
def english_and_german(carded_barts: dict[str, Path]) -> Iterator[TestClient]:
    """NEWSUM_MODEL declares English; NEWSUM_MODELS adds one declaring [de]."""
    with serving(model=str(carded_barts["en"]), models=[str(carded_barts["de"])]) as client:
        yield started(client)


@pytest.fixture(scope="module")
def english_only(carded_barts: dict[str, Path]) -> Iterator[TestClient]:
    with serving(model=str(carded_barts["en"])) as client:
        yield started(client)


def post(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post("/v1/summarize", json=body)


def test_a_german_article_goes_to_the_german_declaring_model(
    english_and_german: TestClient, carded_barts: dict[str, Path], sample_text: str
) -> None:
    german = post(english_and_german, {"text": GERMAN}).json()
    assert german["article"]["language"] == "de"
    assert german["summaries"]["abstractive"]["status"] == "ok"
    assert german["summaries"]["abstractive"]["model"] == str(carded_barts["de"])
    english = post(english_and_german, {"text": sample_text}).json()
    assert english["summaries"]["abstractive"]["model"] == str(carded_barts["en"])


def test_the_requests_language_routes_over_the_detected_one(
    english_and_german: TestClient, carded_barts: dict[str, Path], sample_text: str
) -> None:
    body = post(english_and_german, {"text": sample_text, "language": "deu"}).json()
    assert body["summaries"]["abstractive"]["model"] == str(carded_barts["de"])


def test_an_english_only_model_does_not_serve_a_german_article(english_only: TestClient) -> None:
    body = post(english_only, {"text": GERMAN}).json()
    abstractive = body["summaries"]["abstractive"]
    assert abstractive["status"] == "unavailable"
    assert abstractive["model"] is None
    assert abstractive["text"] == ""
    assert "German (de)" in abstractive["reason"]
    assert "csebuetnlp/mT5_multilingual_XLSum" in abstractive["reason"]
    assert body["summaries"]["textrank"]["status"] == "ok"
    assert body["summaries"]["textrank"]["sentences"]


def test_abstractive_alone_without_a_model_for_the_language_is_503(
    english_only: TestClient,
) -> None:
    response = post(english_only, {"text": GERMAN, "methods": ["abstractive"]})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "model_unavailable"
    assert "German (de)" in response.json()["error"]["message"]


def test_a_requested_model_without_the_articles_language_is_422_naming_its_languages(
    english_and_german: TestClient, carded_barts: dict[str, Path]
) -> None:
    response = post(english_and_german, {"text": GERMAN, "model": str(carded_barts["en"])})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith(f"model {str(carded_barts['en'])!r} serves en (declared)")
    chosen = post(english_and_german, {"text": GERMAN, "model": str(carded_barts["de"])})
    assert chosen.json()["summaries"]["abstractive"]["model"] == str(carded_barts["de"])


def test_a_model_not_served_is_422_listing_every_served_model(
    english_and_german: TestClient, carded_barts: dict[str, Path]
) -> None:
    response = post(english_and_german, {"text": GERMAN, "model": "owner/other"})
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert str(carded_barts["en"]) in message
    assert str(carded_barts["de"]) in message


def test_the_document_offers_exactly_the_configured_models_as_model(
    english_and_german: TestClient, carded_barts: dict[str, Path]
) -> None:
    document = english_and_german.get("/openapi.json").json()
    names = [str(carded_barts["en"]), str(carded_barts["de"])]
    operation = document["paths"]["/v1/summarize"]["post"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["model"]["enum"] == names
    assert "contains" not in parameters["methods"]  # abstractive alone is served here
    for name in ("SummarizeRequest", "BatchRequestLine"):
        model = document["components"]["schemas"][name]["properties"]["model"]
        assert model["anyOf"] == [{"type": "string", "enum": names}, {"type": "null"}]


def test_the_batch_endpoint_routes_each_line_by_its_language(
    english_and_german: TestClient, carded_barts: dict[str, Path], sample_text: str
) -> None:
    lines = [{"id": "de", "text": GERMAN}, {"id": "en", "text": sample_text}]
    response = english_and_german.post(
        "/v1/summarize/batch",
        content="\n".join(json.dumps(line) for line in lines),
        headers={"Content-Type": "application/x-ndjson"},
    )
    models = [
        json.loads(line)["result"]["summaries"]["abstractive"]["model"]
        for line in response.text.splitlines()
    ]
    assert models == [str(carded_barts["de"]), str(carded_barts["en"])]


def test_newsum_batch_rows_route_as_the_server_does(carded_barts: dict[str, Path]) -> None:
    settings = Settings(
        model=str(carded_barts["en"]), models=[str(carded_barts["de"])], embedding_model="none"
    )
    rows = RowSummarizer(settings, ["textrank", "abstractive"], 2)
    answered = json.loads(rows.answer(1, json.dumps({"id": 1, "article": GERMAN}).encode()).json)
    assert answered["result"]["summaries"]["abstractive"]["model"] == str(carded_barts["de"])
    only_english = RowSummarizer(
        Settings(model=str(carded_barts["en"]), embedding_model="none"), ["abstractive"], 2
    )
    refused = json.loads(only_english.answer(1, json.dumps({"text": GERMAN}).encode()).json)
    assert refused["error"]["code"] == "model_unavailable"


def test_models_lists_each_models_languages_and_their_source(
    carded_barts: dict[str, Path],
) -> None:
    settings = {
        "model": str(carded_barts["en"]),
        "models": [str(carded_barts["de"]), str(carded_barts["none"]), "./missing-model"],
        "model_languages": f"{carded_barts['none']}=fr+it",
    }
    with serving(**settings) as client:
        models = started(client).get("/v1/models").json()["models"]
    abstractive = {m["id"]: m for m in models if m["method"] == "abstractive"}
    assert list(abstractive) == [str(carded_barts["en"]), *settings["models"]]
    scopes = {name: (m["languages"], m["language_scope"]) for name, m in abstractive.items()}
    assert scopes == {
        str(carded_barts["en"]): (["en"], "declared"),
        str(carded_barts["de"]): (["de"], "declared"),
        str(carded_barts["none"]): (["fr", "it"], "configured"),
        "./missing-model": (None, "unknown"),
    }
    assert abstractive["./missing-model"]["status"] == "unavailable"
    assert all(m["backend"] == "ctranslate2" for m in abstractive.values())


def test_a_checkpoint_without_a_card_serves_every_language_as_unknown(
    carded_barts: dict[str, Path],
) -> None:
    with serving(model=str(carded_barts["none"])) as client:
        info = started(client).get("/v1/models").json()["models"][1]
        answer = post(client, {"text": GERMAN}).json()["summaries"]["abstractive"]
    assert (info["languages"], info["language_scope"]) == (None, "unknown")
    assert answer["status"] == "ok"


def test_readyz_reports_every_model_and_names_the_missing(
    english_and_german: TestClient, carded_barts: dict[str, Path]
) -> None:
    """A model that did not load leaves the service ready, degraded, and says why."""
    ready = english_and_german.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["models"] == [str(carded_barts["en"]), str(carded_barts["de"])]
    with serving(model=str(carded_barts["en"]), models=["./missing-model"]) as client:
        response = started(client).get("/readyz")
        # The model that loaded serves meanwhile.
        served = post(client, {"text": GERMAN, "model": str(carded_barts["en"]), "language": "en"})
        metrics = client.get("/metrics").text
    assert response.status_code == 200
    assert response.json()["degraded"] is True
    assert response.json()["models"] == [str(carded_barts["en"])]
    abstractive = [e for e in response.json()["engines"] if e["engine"] == "abstractive"]
    assert [(e["id"], e["status"]) for e in abstractive] == [
        (str(carded_barts["en"]), "ready"),
        ("./missing-model", "unavailable"),
    ]
    assert abstractive[1]["reason"].startswith("model folder missing-model does not exist")
    assert served.json()["summaries"]["abstractive"]["status"] == "ok"
    assert (
        f'newsum_model_loaded{{engine="abstractive",model="{carded_barts["en"]}"}} 1.0' in metrics
    )
    assert 'newsum_model_loaded{engine="abstractive",model="./missing-model"} 0.0' in metrics


def test_a_stream_routes_the_article_like_the_json_answer(
    english_and_german: TestClient, carded_barts: dict[str, Path]
) -> None:
    """Streamed, a German article is summarised by the German-declaring model too."""
    from tests.service.web.test_stream import parse_events

    response = english_and_german.post(
        "/v1/summarize", json={"text": GERMAN}, headers={"Accept": "text/event-stream"}
    )
    events = dict(parse_events(response.text)[0])
    assert events["abstractive"]["summary"]["model"] == str(carded_barts["de"])
    assert "done" in events
