"""Micro-batching across requests: concurrent generations decoded together, each answer its own."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from models.abstractive.cancel import Cancellation
from models.abstractive.checkpoint import GenerationOverrides
from models.article import read_article
from models.errors import Cancelled
from service.batcher import MicroBatcher
from service.metrics import Metrics
from tests.fakes import SlowEngine
from tests.service.conftest import live_server

ARTICLES = [
    read_article(f"Story number {n} happened today. Officials said more.") for n in range(4)
]


def test_concurrent_generations_share_one_batch_and_get_their_own_answers() -> None:
    engine = SlowEngine(steps=2, step_s=0.01)
    batcher = MicroBatcher(engine, window_ms=200, max_batch=8, metrics=Metrics())
    try:
        with ThreadPoolExecutor(4) as pool:
            summaries = list(pool.map(batcher.summarize, ARTICLES))
    finally:
        batcher.close()
    assert engine.batches == [4]
    assert [s.text for s in summaries] == [a.sentences[0].text for a in ARTICLES]


def test_a_request_cancelled_while_waiting_is_left_out() -> None:
    engine = SlowEngine(steps=2, step_s=0.01)
    batcher = MicroBatcher(engine, window_ms=200, max_batch=8, metrics=Metrics())
    gone = Cancellation()
    gone.cancel()
    try:
        with ThreadPoolExecutor(3) as pool:
            kept = [pool.submit(batcher.summarize, a) for a in ARTICLES[:2]]
            dropped = pool.submit(batcher.summarize, ARTICLES[2], None, gone)
            assert [f.result().status for f in kept] == ["ok", "ok"]
            with pytest.raises(Cancelled):
                dropped.result()
    finally:
        batcher.close()
    assert engine.batches == [2]


def test_different_generation_options_are_batched_apart() -> None:
    engine = SlowEngine(steps=2, step_s=0.01)
    batcher = MicroBatcher(engine, window_ms=200, max_batch=8, metrics=Metrics())
    short = GenerationOverrides(max_length=1)
    try:
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(batcher.summarize, a, short if i % 2 else None)
                       for i, a in enumerate(ARTICLES)]  # fmt: skip
            assert all(f.result().status == "ok" for f in futures)
    finally:
        batcher.close()
    assert sorted(engine.batches) == [2, 2]


@pytest.mark.live_server
def test_over_http_a_client_hanging_up_leaves_the_batch_for_the_others() -> None:
    body = {"text": " ".join(ARTICLES[0].text.split()), "methods": ["abstractive"]}
    with live_server("--steps", "20", "--step-s", "0.05", batch_window_ms="300",
                     max_batch_size="4", embedding_model="none") as server:  # fmt: skip
        raw = (
            "POST /v1/summarize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(httpx.Request('POST', '/', json=body).content)}\r\n\r\n"
        ).encode() + httpx.Request("POST", "/", json=body).content
        with ThreadPoolExecutor(3) as pool:
            answers = [pool.submit(httpx.post, f"{server.url}/v1/summarize", json=body, timeout=30)
                       for _ in range(3)]  # fmt: skip
            with socket.create_connection(("127.0.0.1", server.port)) as quitter:
                quitter.sendall(raw)
                time.sleep(0.4)  # inside the batch by now; then it hangs up
            assert [a.result().status_code for a in answers] == [200, 200, 200]
        text = httpx.get(f"{server.url}/metrics").text
        batches = float(_metric(text, "newsum_batch_size_count"))
        rows = float(_metric(text, "newsum_batch_size_sum"))
        assert rows / batches > 1, "concurrent requests were not batched"
        assert _metric(text, "newsum_model_in_flight") == "0.0"


def _metric(text: str, name: str) -> str:
    return next(line.split()[-1] for line in text.splitlines() if line.startswith(name + " "))
