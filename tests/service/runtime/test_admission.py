"""Every request's work is admitted and time-bounded; a failing model degrades, never a 500."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.checkpoint import GenerationOverrides
from newsum.models.errors import NewsumError
from newsum.models.types import AbstractiveSummary, Article
from newsum.service.runtime.state import Engines
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.fakes import SlowEngine
from tests.service.conftest import started

SAMPLE = (Path(__file__).parents[2] / "data" / "sample_article.txt").read_text("utf-8")


class BrokenEngine(SlowEngine):
    """Raises from inside generation, as a model out of memory or a backend bug would."""

    def summarize_batch(
        self,
        articles: list[Article],
        options: GenerationOverrides | None = None,
        cancels: list[Cancellation] | None = None,
    ) -> list[AbstractiveSummary | NewsumError]:
        raise RuntimeError("CUDA error: out of memory")


@pytest.fixture(scope="module")
def broken() -> Iterator[TestClient]:
    app = create_app(Settings(embedding_model="none"), Engines(abstractive=BrokenEngine()))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield started(client)


def test_a_failing_generation_beside_textrank_is_a_200_with_status_error(
    broken: TestClient,
) -> None:
    response = broken.post("/v1/summarize", json={"text": SAMPLE})
    assert response.status_code == 200
    body = response.json()
    assert body["summaries"]["textrank"]["status"] == "ok"
    abstractive = body["summaries"]["abstractive"]
    assert abstractive["status"] == "error"
    assert "RuntimeError" in abstractive["reason"]
    assert "out of memory" not in abstractive["reason"]  # the details go to the log only
    assert body["comparison"]["abstractive"] is None


def test_a_failing_generation_alone_is_a_documented_503(broken: TestClient) -> None:
    response = broken.post("/v1/summarize", json={"text": SAMPLE, "methods": ["abstractive"]})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "generation_failed"
    # The documented codes include it.
    document = broken.get("/openapi.json").json()
    errors = document["paths"]["/v1/summarize"]["post"]["responses"]["503"]["description"]
    assert "generation_failed" in errors


def test_the_model_owner_keeps_serving_after_a_failure(broken: TestClient) -> None:
    for _ in range(3):
        assert broken.post("/v1/summarize", json={"text": SAMPLE}).status_code == 200


def _long_article(words: int = 12_000) -> str:
    # Distinct-ish words in long paragraphs: a costly, valid text-only request.
    return "\n".join(" ".join(f"w{p}x{i} story" for i in range(words // 8)) + "." for p in range(4))


def test_text_work_past_the_deadline_is_a_504() -> None:
    settings = Settings(embedding_model="none", model="none", request_timeout_s=0.001)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        started(client)
        response = client.post(
            "/v1/summarize", json={"text": _long_article(), "methods": ["textrank"]}
        )
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "deadline_exceeded"


def test_text_only_requests_are_refused_with_retry_after_when_the_text_queue_is_full() -> None:
    settings = Settings(embedding_model="none", model="none", cpu_workers=1, cpu_queue_size=1)
    body = {"text": _long_article(), "methods": ["textrank"]}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        started(client)
        barrier = threading.Barrier(8)

        def post(_: int) -> Any:
            barrier.wait()
            return client.post("/v1/summarize", json=body)

        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(post, range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(503) >= 1, statuses
    assert statuses.count(200) >= 2, statuses
    for response in responses:
        if response.status_code == 503:
            assert response.json()["error"]["code"] == "overloaded"
            assert int(response.headers["Retry-After"]) >= 1


def test_attribution_goes_through_the_same_admission() -> None:
    settings = Settings(embedding_model="none", model="none", request_timeout_s=0.001)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        started(client)
        response = client.post(
            "/v1/attribute", json={"text": _long_article(), "summary": SAMPLE[:2000]}
        )
    assert response.status_code == 504


def test_batch_lines_report_their_own_deadline() -> None:
    settings = Settings(embedding_model="none", model="none", request_timeout_s=0.001)
    lines = "\n".join(
        httpx.Request("POST", "/", json={"id": n, "text": _long_article(4000)}).content.decode()
        for n in range(2)
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        started(client)
        response = client.post(
            "/v1/summarize/batch",
            content=lines,
            headers={"Content-Type": "application/x-ndjson"},
        )
    assert response.status_code == 200
    rows = [httpx.Response(200, content=line).json() for line in response.text.splitlines()]
    assert [row["id"] for row in rows] == [0, 1]
    assert all(row["error"]["code"] == "deadline_exceeded" for row in rows)
