"""The rest of the contract, in process: article pages, batches, readiness, metrics, access."""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsum.service.runtime.state import Engines
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.fakes import SlowEngine
from tests.service.conftest import started

SAMPLE_LINES = (Path(__file__).parents[2] / "data" / "sample_article.txt").read_text().splitlines()
PAGE = (
    "<html><head><title>Syria FM visits Iraq</title></head><body>"
    "<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/sport'>Sport</a></nav>"
    "<article><h1>Syria FM visits Iraq</h1>"
    + "".join(f"<p>{line}</p>" for line in SAMPLE_LINES[:-1])
    + "</article><footer>© 2025 France 24. All rights reserved. Contact us.</footer>"
    "</body></html>"
)


def make_client(**settings: Any) -> TestClient:
    engines = Engines(abstractive=SlowEngine(steps=1, step_s=0))
    return TestClient(create_app(Settings(**settings), engines))


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with make_client() as client:
        yield started(client)


def test_an_article_page_is_read_for_its_main_text(client: TestClient) -> None:
    response = client.post(
        "/v1/summarize?methods=textrank",
        content=PAGE.encode(),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    assert response.status_code == 200
    article = response.json()["article"]
    assert article["title"] == "Syria FM visits Iraq"
    assert "Home" not in article["text"]
    assert "All rights reserved" not in article["text"]
    assert len(article["paragraphs"]) == 7
    assert article["lead"]["text"] == SAMPLE_LINES[0]


def test_a_page_without_article_text_is_empty_input(client: TestClient) -> None:
    response = client.post(
        "/v1/summarize",
        content=b"<html><body></body></html>",
        headers={"Content-Type": "text/html"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "empty_input"


def test_a_batch_answers_every_line_in_order_with_per_line_errors(client: TestClient) -> None:
    lines = [
        {"id": "a", "text": "First article here. It has two sentences."},
        {"id": 7, "text": "   "},
        "not json at all",
        {"id": "c", "text": "Third article.", "methods": ["textrank"], "max_sentences": 99},
        {"text": "No id. But fine.", "methods": ["abstractive"]},
    ]
    body = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    response = client.post(
        "/v1/summarize/batch", content=body, headers={"Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    results = [json.loads(line) for line in response.text.splitlines()]
    assert [r["line"] for r in results] == [1, 2, 3, 4, 5]
    assert [r["id"] for r in results] == ["a", 7, None, "c", None]
    assert results[0]["result"]["summaries"]["textrank"]["status"] == "ok"
    assert results[1]["error"]["code"] == "empty_input"
    assert results[2]["error"]["code"] == "invalid_request"
    assert "line 3" in results[2]["error"]["message"]
    assert results[3]["error"]["code"] == "invalid_request"
    assert results[4]["result"]["summaries"]["abstractive"]["model"] == "slow-fake"


def test_a_batch_over_the_line_limit_is_refused(client: TestClient) -> None:
    with make_client(max_batch_lines=2) as small:
        body = "\n".join(json.dumps({"text": f"Article {n}."}) for n in range(3))
        response = small.post(
            "/v1/summarize/batch", content=body, headers={"Content-Type": "application/x-ndjson"}
        )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "batch lines must be at most 2; given: 3"


def test_readyz_turns_200_after_warm_up(client: TestClient) -> None:
    deadline = time.monotonic() + 10
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # Handed-in engines stand for the settings': no encoder was handed in, none is listed.
    assert client.get("/readyz").json() == {
        "status": "ready",
        "degraded": False,
        "models": ["slow-fake"],
        "engines": [
            {"engine": "textrank", "id": "textrank", "status": "ready", "reason": None},
            {"engine": "abstractive", "id": "slow-fake", "status": "ready", "reason": None},
        ],
    }


def test_readyz_is_503_before_the_app_has_started_and_says_why() -> None:
    app = create_app(Settings(), Engines())
    response = TestClient(app).get("/readyz")  # no lifespan: nothing has started
    assert response.status_code == 503
    assert response.json()["error"] == {
        "code": "not_ready",
        "message": "not ready: the models are loading and warming up. "
        "Engines: extractive textrank loading",
    }
    assert response.headers["Retry-After"]


def test_metrics_count_requests_stages_and_model_state(client: TestClient) -> None:
    client.post("/v1/summarize", json={"text": " ".join(SAMPLE_LINES)})
    text = client.get("/metrics").text
    assert 'newsum_requests_total{endpoint="/v1/summarize",method="POST",status="200"}' in text
    assert 'newsum_request_seconds_bucket{endpoint="/v1/summarize"' in text
    for stage in ("segmentation", "textrank", "generation", "attribution"):
        assert f'newsum_stage_seconds_count{{stage="{stage}"}}' in text
    assert 'newsum_queue_depth{queue="text"} 0.0' in text
    assert 'newsum_in_flight{queue="text"} 0.0' in text
    client.get("/no/such/path")
    assert 'endpoint="unmatched"' in client.get("/metrics").text


def test_every_response_has_a_request_id_and_nosniff(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(generated.headers["X-Request-ID"]) == 32


def test_api_keys_guard_everything_but_health_and_metrics() -> None:
    with make_client(api_keys="k-one,k-two") as guarded:
        body = {"text": "An article. With sentences.", "methods": ["textrank"]}
        missing = guarded.post("/v1/summarize", json=body)
        assert missing.status_code == 401
        assert missing.json()["error"]["code"] == "unauthorized"
        wrong = guarded.post("/v1/summarize", json=body, headers={"Authorization": "Bearer k-x"})
        assert wrong.status_code == 401
        right = guarded.post("/v1/summarize", json=body, headers={"Authorization": "Bearer k-two"})
        assert right.status_code == 200
        for path in ("/healthz", "/metrics", "/openapi.json"):
            assert guarded.get(path).status_code == 200


def test_the_rate_limit_answers_429_with_retry_after() -> None:
    with make_client(api_keys="k", rate_limit_per_minute=2) as limited:
        headers = {"Authorization": "Bearer k"}
        statuses = [limited.get("/v1/models", headers=headers).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        refused = limited.get("/v1/models", headers=headers)
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 30


def test_cors_is_off_by_default_and_lists_origins_when_on(client: TestClient) -> None:
    origin = {"Origin": "https://cms.example"}
    assert "access-control-allow-origin" not in client.get("/v1/models", headers=origin).headers
    with make_client(cors_origins="https://cms.example") as open_to_cms:
        allowed = open_to_cms.get("/v1/models", headers=origin)
        assert allowed.headers["access-control-allow-origin"] == "https://cms.example"
        other = open_to_cms.get("/v1/models", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_the_body_limit_counts_declared_bytes(client: TestClient) -> None:
    with make_client(max_body_bytes=1_000) as small:
        response = small.post(
            "/v1/summarize", content=b"x" * 1_001, headers={"Content-Type": "text/plain"}
        )
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "payload_too_large",
        "message": "request bodies must be at most 1000 bytes; given: 1001 bytes",
    }


def test_the_openapi_document_tells_the_configured_limits() -> None:
    with make_client(max_article_chars=5_000) as small:
        schemas = small.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["SummarizeRequest"]["properties"]["text"]["maxLength"] == 5_000
    assert schemas["AttributeRequest"]["properties"]["summary"]["maxLength"] == 20_000
    assert "BatchResultLine" in schemas


def test_request_text_is_never_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    marker = "Zanzibar-quokka-marker"
    with caplog.at_level("DEBUG"):
        client.post("/v1/summarize", json={"text": f"{marker} went home. It rained."})
        lone_surrogate = json.dumps({"text": f"{marker} \ud800"})  # ASCII-escaped: valid JSON
        client.post(
            "/v1/summarize", content=lone_surrogate, headers={"Content-Type": "application/json"}
        )
    assert caplog.records, "the access log wrote nothing"
    assert marker not in caplog.text
    assert '"path": "/v1/summarize"' in caplog.text


def test_what_loading_made_is_frozen_for_the_service_s_life() -> None:
    """Out of the cyclic collector's reach while serving (its full passes held the GIL for
    ~100 ms with the models in reach), and given back when the app shuts down."""
    app = create_app(Settings(), Engines(abstractive=SlowEngine(steps=1, step_s=0)))
    with TestClient(app) as client:
        started(client)
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
