"""Owners: one thread per model behind a bounded queue; micro-batching; admission; failure."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.checkpoint import GenerationOverrides
from newsum.models.abstractive.likelihood import SummaryLikelihood
from newsum.models.article import read_article
from newsum.models.errors import Cancelled, DeadlineExceeded, ModelUnavailable, WorkerFailed
from newsum.service.contract.errors import ApiError
from newsum.service.runtime.metrics import Metrics
from newsum.service.runtime.owner import Job, Lane, Owner
from newsum.service.runtime.owners import Generation, Scoring, model_owner
from newsum.service.settings import Settings
from tests.fakes import SlowEngine
from tests.service.conftest import live_server

ARTICLES = [
    read_article(f"Story number {n} happened today. Officials said more.") for n in range(4)
]


def _generate(
    owner: Owner[Generation, Any],
    articles: Sequence[Any],
    options: Sequence[GenerationOverrides | None] | None = None,
    cancels: Sequence[Cancellation] | None = None,
) -> list[Any]:
    """Submit every article at once from an event loop; outcomes (or errors) in order."""

    async def all_of() -> list[Any]:
        runs = [
            owner.run(
                Generation(article, options[i] if options else None),
                cancels[i] if cancels else Cancellation(10),
            )
            for i, article in enumerate(articles)
        ]
        return await asyncio.gather(*runs, return_exceptions=True)

    return asyncio.run(all_of())


def _batching(engine: SlowEngine, **settings: Any) -> Owner[Generation, Any]:
    merged = {"batch_window_ms": 200, "max_batch_size": 8, **settings}
    return model_owner(engine, Settings(**merged), Metrics())


def test_concurrent_generations_share_one_batch_and_get_their_own_answers() -> None:
    engine = SlowEngine(steps=2, step_s=0.01)
    owner = _batching(engine)
    try:
        summaries = _generate(owner, ARTICLES)
    finally:
        owner.close()
    assert engine.batches == [4]
    assert [s.text for s in summaries] == [a.sentences[0].text for a in ARTICLES]


def test_a_request_cancelled_while_waiting_is_left_out() -> None:
    engine = SlowEngine(steps=2, step_s=0.01)
    owner = _batching(engine)
    gone = Cancellation()
    gone.cancel()
    try:
        outcomes = _generate(
            owner, ARTICLES[:3], cancels=[Cancellation(10), Cancellation(10), gone]
        )
    finally:
        owner.close()
    assert [o.status for o in outcomes[:2]] == ["ok", "ok"]
    assert isinstance(outcomes[2], Cancelled)
    assert engine.batches == [2]


def test_different_generation_options_are_batched_apart() -> None:
    engine = SlowEngine(steps=2, step_s=0.01)
    owner = _batching(engine)
    short = GenerationOverrides(max_length=1)
    try:
        outcomes = _generate(owner, ARTICLES, options=[None, short, None, short])
    finally:
        owner.close()
    assert all(o.status == "ok" for o in outcomes)
    assert sorted(engine.batches) == [2, 2]


class _Judging(SlowEngine):
    """Scores a summary by how many sentences it has (wiring only), recording each call."""

    def __init__(self) -> None:
        super().__init__(steps=2, step_s=0.01)
        self.scored: list[tuple[str, ...]] = []

    def likelihood(
        self, article: Any, sentences: Sequence[str], cancel: Cancellation | None = None
    ) -> SummaryLikelihood:
        self.scored.append(tuple(sentences))
        return SummaryLikelihood(self.name, -float(len(sentences)), (), len(sentences), False)


def test_scorings_in_a_batch_are_answered_beside_its_generations() -> None:
    engine = _Judging()
    owner = _batching(engine)
    jobs: list[Generation | Scoring] = [
        Generation(ARTICLES[0], None),
        Scoring(ARTICLES[1], ("One.", "Two.")),
        Generation(ARTICLES[2], None),
    ]

    async def all_of() -> list[Any]:
        return await asyncio.gather(*(owner.run(job, Cancellation(10)) for job in jobs))

    try:
        generated, judged, also_generated = asyncio.run(all_of())
    finally:
        owner.close()
    assert engine.batches == [2], "the two generations still share one batch"
    assert engine.scored == [("One.", "Two.")]
    assert judged.summary == -2.0
    assert [generated.text, also_generated.text] == [
        ARTICLES[0].sentences[0].text,
        ARTICLES[2].sentences[0].text,
    ]


def test_an_engine_that_cannot_score_answers_a_scoring_with_model_unavailable() -> None:
    owner = _batching(SlowEngine(steps=1, step_s=0))
    try:
        with pytest.raises(ModelUnavailable, match="cannot score"):
            asyncio.run(owner.run(Scoring(ARTICLES[0], ("One.",)), Cancellation(10)))
    finally:
        owner.close()


def test_without_a_window_the_owner_runs_one_generation_at_a_time() -> None:
    engine = SlowEngine(steps=2, step_s=0.01)
    owner = model_owner(engine, Settings(batch_window_ms=0), Metrics())
    try:
        _generate(owner, ARTICLES)
    finally:
        owner.close()
    assert engine.batches == [1, 1, 1, 1]


def test_the_model_is_used_by_its_owner_thread_only() -> None:
    seen: set[str] = set()

    class Recording(SlowEngine):
        def summarize_batch(self, *args: Any, **kwargs: Any) -> Any:
            seen.add(threading.current_thread().name)
            return super().summarize_batch(*args, **kwargs)

    owner = model_owner(Recording(steps=1, step_s=0), Settings(batch_window_ms=0), Metrics())
    try:
        _generate(owner, ARTICLES * 3)
    finally:
        owner.close()
    assert seen == {"newsum-model"}


def _sleeper(metrics: Metrics | None = None, **kwargs: Any) -> Owner[float, float]:
    def handle(jobs: list[Job[float, float]]) -> list[float]:
        for job in jobs:
            time.sleep(job.payload)
        return [job.payload for job in jobs]

    return Owner("text", handle, metrics or Metrics(), **kwargs)


def _run_all(
    owner: Owner[float, float], work: Sequence[tuple[float, Lane]], timeout: float = 10
) -> list[Any]:
    async def all_of() -> list[Any]:
        runs = [owner.run(seconds, Cancellation(timeout), lane) for seconds, lane in work]
        return await asyncio.gather(*runs, return_exceptions=True)

    return asyncio.run(all_of())


def test_a_full_queue_refuses_interactive_requests_with_retry_after() -> None:
    owner = _sleeper(queue_size=2)
    try:
        outcomes = _run_all(owner, [(0.2, "interactive")] * 6)
    finally:
        owner.close()
    refused = [o for o in outcomes if isinstance(o, ApiError)]
    # One runs, two wait, three are refused at once.
    assert [o for o in outcomes if o == 0.2] == [0.2] * 3
    assert len(refused) == 3
    assert all(o.code == "overloaded" and o.retry_after_s and o.retry_after_s >= 1 for o in refused)


def test_batch_lines_wait_past_their_share_and_leave_room_for_interactive_requests() -> None:
    owner = _sleeper(queue_size=4, batch_share=0.5)
    try:
        # Six batch lines and two interactive requests at once: the batch may hold
        # two places in the queue, so both interactive requests get in, and no
        # batch line is refused: each waits for room.
        outcomes = _run_all(owner, [(0.05, "batch")] * 6 + [(0.05, "interactive")] * 2)
    finally:
        owner.close()
    assert outcomes == [0.05] * 8


def test_a_deadline_while_queued_answers_at_once_and_leaves_the_queue() -> None:
    metrics = Metrics()
    owner = _sleeper(metrics, queue_size=4)
    try:
        started = time.monotonic()
        outcomes = _run_all(owner, [(1.0, "interactive"), (0.1, "interactive")], timeout=0.3)
        elapsed = time.monotonic() - started
    finally:
        owner.close()
    assert all(isinstance(o, DeadlineExceeded) for o in outcomes)
    assert elapsed < 1.5
    assert b'newsum_queue_depth{queue="text"} 0.0' in metrics.render()


class _Death(BaseException):
    """Escapes the owner's per-batch handler: its thread dies."""


def test_an_owner_that_dies_fails_its_waiting_requests_at_once_and_is_restarted() -> None:
    metrics = Metrics()
    calls = []

    def handle(jobs: list[Job[str, str]]) -> list[str]:
        calls.append(len(jobs))
        if len(calls) == 1:
            time.sleep(0.1)  # the others queue up behind the first
            raise _Death
        return [job.payload for job in jobs]

    owner: Owner[str, str] = Owner("model", handle, metrics, queue_size=8)
    try:

        async def first_three() -> list[Any]:
            runs = [owner.run(str(n), Cancellation(10)) for n in range(3)]
            return await asyncio.gather(*runs, return_exceptions=True)

        started = time.monotonic()
        outcomes = asyncio.run(first_three())
        assert time.monotonic() - started < 2, "waiting requests were not failed at once"
        assert all(isinstance(o, WorkerFailed) for o in outcomes)
        # A new thread serves the next request.
        assert asyncio.run(owner.run("again", Cancellation(5))) == "again"
    finally:
        owner.close()
    assert b'newsum_owner_restarts_total{queue="model"} 1.0' in metrics.render()


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
        assert _metric(text, 'newsum_in_flight{queue="model"}') == "0.0"


def _metric(text: str, name: str) -> str:
    return next(line.split()[-1] for line in text.splitlines() if line.startswith(name + " "))
