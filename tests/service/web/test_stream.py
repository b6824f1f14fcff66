"""POST /v1/summarize with `Accept: text/event-stream` (service.web.stream)."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from newsum.models.abstractive.engine import Seq2SeqEngine, open_engine
from newsum.service.runtime.state import Engines
from newsum.service.settings import Settings
from newsum.service.web import stream
from newsum.service.web.app import create_app
from tests.fakes import SlowEngine
from tests.service.conftest import live_server, started

ROOT = Path(__file__).parents[3]
SAMPLE = (ROOT / "tests" / "data" / "sample_article.txt").read_text("utf-8")
EVENTS = {"Accept": "text/event-stream"}
Event = tuple[str, Any]


def parse_events(raw: str) -> tuple[list[Event], list[str]]:
    """The (event, data) pairs of an event stream, and its comment lines."""
    events, comments = [], []
    for block in raw.split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith(":"):
                comments.append(line)
            elif line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events, comments


def names(events: list[Event]) -> list[str]:
    return [name for name, _ in events]


def app_with(engine: Any, **settings: Any) -> TestClient:
    return TestClient(
        create_app(Settings(embedding_model="none", **settings), Engines(abstractive=engine)),
        raise_server_exceptions=False,
    )


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with app_with(SlowEngine(steps=6, step_s=0.01, sentences=3)) as client:
        yield started(client)


def post_events(client: TestClient, **kwargs: Any) -> tuple[httpx.Response, list[Event]]:
    headers = EVENTS | kwargs.pop("headers", {})
    response = client.post("/v1/summarize", headers=headers, **kwargs)
    return response, parse_events(response.text)[0]


def test_events_come_in_order_with_the_json_answers_blocks(client: TestClient) -> None:
    body = {"text": SAMPLE}
    response, events = post_events(client, json=body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    opening = ["article", "lead_vs_closing", "textrank"]
    assert names(events) == [*opening, *["sentence"] * 3, "abstractive", "done"]

    answer = client.post("/v1/summarize", json=body).json()
    data = dict(events)
    assert data["article"] == answer["article"]
    assert data["lead_vs_closing"] == answer["comparison"]["lead_vs_closing"]
    assert data["textrank"] == {
        "summary": answer["summaries"]["textrank"] | {"elapsed_ms": ANY_MS},
        "comparison": answer["comparison"]["textrank"],
    }
    generated = answer["summaries"]["abstractive"]
    sentences = [d for n, d in events if n == "sentence"]
    assert [s["index"] for s in sentences] == [0, 1, 2]
    assert [{k: v for k, v in s.items() if k != "index"} for s in sentences] == [
        {k: v for k, v in s.items() if k not in ("start", "end")} for s in generated["sentences"]
    ]
    final = data["abstractive"]
    assert final["summary"] == generated | {"elapsed_ms": ANY_MS}
    assert final["summary"]["text"] == " ".join(s["text"] for s in sentences)
    assert final["comparison"] == answer["comparison"]["abstractive"]
    assert data["done"]["elapsed_ms"] > 0


class _AnyMillis(float):
    """Equal to any duration: two runs never take the same time."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, int | float) and other >= 0

    __hash__ = float.__hash__


ANY_MS = _AnyMillis()


def test_events_of_methods_not_asked_for_are_absent(client: TestClient) -> None:
    _, events = post_events(client, json={"text": SAMPLE, "methods": ["textrank"]})
    assert names(events) == ["article", "lead_vs_closing", "textrank", "done"]
    _, events = post_events(client, json={"text": SAMPLE, "methods": ["abstractive"]})
    assert names(events) == ["article", "lead_vs_closing", *["sentence"] * 3, "abstractive", "done"]


def test_plain_text_and_article_pages_stream_too(client: TestClient) -> None:
    response, events = post_events(
        client,
        content=SAMPLE.encode(),
        headers=EVENTS | {"Content-Type": "text/plain"},
        params={"methods": "textrank"},
    )
    assert names(events) == ["article", "lead_vs_closing", "textrank", "done"]
    page = "<html><body><article><p>" + "</p><p>".join(SAMPLE.splitlines()) + "</p></article>"
    response, events = post_events(
        client, content=page.encode(), headers=EVENTS | {"Content-Type": "text/html"}
    )
    assert response.status_code == 200
    assert names(events)[:3] == ["article", "lead_vs_closing", "textrank"]
    assert names(events)[-1] == "done"


def test_without_the_accept_header_the_answer_is_json(client: TestClient) -> None:
    response = client.post("/v1/summarize", json={"text": SAMPLE, "methods": ["textrank"]})
    assert response.headers["content-type"] == "application/json"
    assert "summaries" in response.json()


def test_bad_input_is_a_plain_422_before_any_event(client: TestClient) -> None:
    response = client.post("/v1/summarize", headers=EVENTS, json={"text": "   "})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == "empty_input"


def test_a_full_model_queue_is_a_plain_503_before_any_event() -> None:
    engine = SlowEngine(steps=40, step_s=0.05)
    with app_with(engine, model_queue_size=1) as client:
        started(client)
        body = {"text": SAMPLE, "methods": ["abstractive"]}
        with ThreadPoolExecutor(2) as pool:
            # One generating, one queued: the queue (1) is full.
            running = [pool.submit(post_events, client, json=body) for _ in range(2)]
            time.sleep(0.5)
            refused = client.post("/v1/summarize", headers=EVENTS, json=body)
            assert [names(r.result()[1])[-1] for r in running] == ["done", "done"]
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/json"
    assert refused.json()["error"]["code"] == "overloaded"
    assert int(refused.headers["Retry-After"]) >= 1


def test_the_deadline_mid_stream_is_an_error_event_and_the_end() -> None:
    with app_with(SlowEngine(steps=200, step_s=0.05), request_timeout_s=1.0) as client:
        started(client)
        began = time.monotonic()
        response, events = post_events(client, json={"text": SAMPLE})
        elapsed = time.monotonic() - began
    assert response.status_code == 200
    assert names(events) == ["article", "lead_vs_closing", "textrank", "error"]
    assert events[-1][1]["error"]["code"] == "deadline_exceeded"
    assert elapsed < 2.5  # the 10 s generation stopped at the deadline


def test_keep_alive_comments_fill_the_silences(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "KEEP_ALIVE_S", 0.05)
    with app_with(SlowEngine(steps=10, step_s=0.05)) as client:
        started(client)
        response = client.post("/v1/summarize", headers=EVENTS, json={"text": SAMPLE})
    events, comments = parse_events(response.text)
    assert names(events)[-1] == "done"
    assert len(comments) >= 3
    assert set(comments) == {": keep-alive"}


@pytest.mark.parametrize("backend", ["ctranslate2", "torch"])
def test_streamed_sentences_equal_the_json_answers_on_the_tiny_bart(
    tiny_bart: Path, backend: str
) -> None:
    """Greedy: sentences as they are generated, then the same summary as the JSON path's."""
    engine = open_engine(str(tiny_bart), backend=backend, compute_type="float32")
    assert isinstance(engine, Seq2SeqEngine)
    body = {"text": SAMPLE, "generation": {"num_beams": 1, "min_length": 10, "max_length": 120}}
    with app_with(engine) as client:
        started(client)
        _, events = post_events(client, json=body)
        answer = client.post("/v1/summarize", json=body).json()
        # Its default is beam search (2 beams): by default, sentences come at the end.
        assert client.get("/v1/models").json()["models"][1]["streams"] == "at_end"
    expected = answer["summaries"]["abstractive"]["sentences"]
    assert len(expected) >= 2, "the test needs a summary of several sentences"
    streamed = [data for name, data in events if name == "sentence"]
    assert [s["text"] for s in streamed] == [s["text"] for s in expected]
    assert [s["attributions"] for s in streamed] == [s["attributions"] for s in expected]
    assert [s["support"] for s in streamed] == [s["support"] for s in expected]
    assert dict(events)["abstractive"]["summary"]["sentences"] == expected


def test_models_say_how_the_abstractive_summary_streams(client: TestClient) -> None:
    models = client.get("/v1/models").json()["models"]
    # The slow double has no checkpoint defaults: it does not say.
    assert models[1]["streams"] is None


def test_the_openapi_document_lists_the_event_stream() -> None:
    with app_with(None) as client:
        document = client.get("/openapi.json").json()
    content = document["paths"]["/v1/summarize"]["post"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/event-stream"}
    assert "event: sentence" in content["text/event-stream"]["example"]


@pytest.mark.live_server
def test_a_client_that_hangs_up_stops_its_generation() -> None:
    # 100 steps of 50 ms: the generation would run 5 s if nothing stopped it.
    with live_server("--steps", "100", "--step-s", "0.05") as server:
        url = f"{server.url}/v1/summarize"
        with httpx.stream("POST", url, json={"text": SAMPLE}, headers=EVENTS) as response:
            # Held, not dropped: a dropped line iterator closes the connection (httpcore).
            lines = response.iter_lines()
            for line in lines:
                if line == "event: textrank":
                    break
            time.sleep(0.3)  # the generation is under way
            assert server.metric("newsum_in_flight") == 1
        hung_up = time.monotonic()
        while server.metric("newsum_in_flight"):
            assert time.monotonic() - hung_up < 2, "the generation went on after the hang-up"
            time.sleep(0.05)


@pytest.mark.live_server
def test_sigterm_lets_an_open_stream_finish() -> None:
    with live_server("--steps", "30", "--step-s", "0.05", "--sentences", "3") as server:
        received: list[str] = []

        def listen() -> None:
            with httpx.stream(
                "POST", f"{server.url}/v1/summarize", json={"text": SAMPLE}, headers=EVENTS,
                timeout=20,
            ) as response:  # fmt: skip
                received.extend(response.iter_lines())

        flight = threading.Thread(target=listen)
        flight.start()
        time.sleep(0.5)  # the 1.5 s generation is under way
        server.process.send_signal(signal.SIGTERM)
        flight.join(timeout=20)
        assert server.process.wait(timeout=20) == 0
    events, _ = parse_events("\n".join(received))
    assert names(events)[-3:] == ["sentence", "abstractive", "done"]


def test_a_stream_is_generated_alone_while_json_requests_share_a_batch() -> None:
    engine = SlowEngine(steps=10, step_s=0.02)
    with app_with(engine, batch_window_ms=500, max_batch_size=8) as client:
        started(client)
        engine.batches.clear()
        body = {"text": SAMPLE, "methods": ["abstractive"]}
        with ThreadPoolExecutor(4) as pool:
            streams = [pool.submit(post_events, client, json=body) for _ in range(2)]
            answers = [pool.submit(client.post, "/v1/summarize", json=body) for _ in range(2)]
            assert all(names(s.result()[1])[-1] == "done" for s in streams)
            assert all(a.result().status_code == 200 for a in answers)
    # Four generations in: the two JSON ones together, each stream a batch of its own.
    assert sorted(engine.batches) == [1, 1, 2]
