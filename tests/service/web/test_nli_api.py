"""NEWSUM_NLI_MODEL: the NLI judge's verdicts in /v1/summarize (JSON and stream), /v1/attribute,
/v1/models and /readyz, on a tiny random BERT NLI classifier loaded from the settings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsum.models.article import read_article
from newsum.models.attribution import summary_spans
from newsum.models.nli import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_PAIRS,
    NliModel,
    SummaryNli,
    load_nli_model,
)
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.service.conftest import post_ok, started
from tests.service.web.test_stream import EVENTS, names, parse_events
from tests.tiny_models import MNLI_LABELS, build_tiny_nli

SUMMARY = (
    "Shaibani held discussions with Iraqi Foreign Minister Fuad Hussein. "
    "Iraqi officials condemned the massacre of over 1,383 civilians in coastal Syria."
)
# The service's defaults (NEWSUM_NLI_MAX_PAIRS, NEWSUM_NLI_BATCH_SIZE).
MAX_PAIRS, BATCH_SIZE = DEFAULT_MAX_PAIRS, DEFAULT_BATCH_SIZE
# Greedy, long enough for a summary of several sentences from the tiny BART (test_stream's).
GREEDY = {"num_beams": 1, "min_length": 10, "max_length": 120}


@pytest.fixture(scope="module")
def checkpoint(
    tmp_path_factory: pytest.TempPathFactory, sample_text: str, newsroom_rows: list[dict[str, str]]
) -> Path:
    corpus = [*sample_text.splitlines(), *(row["article"] for row in newsroom_rows)]
    return build_tiny_nli(tmp_path_factory.mktemp("nli") / "bert", "bert", corpus)


@pytest.fixture(scope="module")
def judge(checkpoint: Path) -> NliModel:
    """The same checkpoint in process, judged as the service is configured by default."""
    return load_nli_model(str(checkpoint))


@contextmanager
def serving(**settings: Any) -> Iterator[TestClient]:
    """The app loading its engines from these settings (the production path), warmed up."""
    settings = {"model": "none", "embedding_model": "none", **settings}
    with TestClient(create_app(Settings(**settings))) as client:
        yield started(client)


@pytest.fixture(scope="module")
def on(checkpoint: Path, tiny_bart: Path) -> Iterator[TestClient]:
    with serving(nli_model=str(checkpoint), model=str(tiny_bart)) as client:
        yield client


@pytest.fixture(scope="module")
def off(tiny_bart: Path) -> Iterator[TestClient]:
    with serving(model=str(tiny_bart)) as client:
        yield client


def _verdict(judge: NliModel, text: str, sentences: Sequence[str]) -> SummaryNli:
    return judge.judge(
        read_article(text), list(sentences), max_pairs=MAX_PAIRS, batch_size=BATCH_SIZE
    )


def _same_verdict(sentences: list[Any], summary_nli: Any, expected: SummaryNli) -> None:
    """The wire's verdicts are `expected`'s: scores to 1e-5, the same evidence blocks."""
    assert len(sentences) == len(expected.sentences)
    for sentence, verdict in zip(sentences, expected.sentences, strict=True):
        nli = sentence["nli"]
        assert nli["entailment"] == pytest.approx(verdict.entailment, abs=1e-5)
        assert nli["contradiction"] == pytest.approx(verdict.contradiction, abs=1e-5)
        assert nli["score"] == pytest.approx(verdict.score, abs=1e-5)
        evidence = nli["evidence"]
        assert (evidence["start_sentence"], evidence["end_sentence"]) == (
            verdict.start_sentence,
            verdict.end_sentence,
        )
    assert summary_nli["mean"] == pytest.approx(expected.mean, abs=1e-5)
    assert summary_nli["min"] == pytest.approx(expected.min, abs=1e-5)
    assert (summary_nli["pairs"], summary_nli["capped"]) == (expected.pairs, expected.capped)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _keys(value: Any) -> set[str]:
    """Every key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value).union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value))
    return set()


def test_textrank_sentences_carry_the_in_process_judges_verdicts(
    on: TestClient, judge: NliModel, sample_text: str
) -> None:
    body = post_ok(on, "/v1/summarize", {"text": sample_text, "methods": ["textrank"]})
    summary = body["summaries"]["textrank"]
    sentences = summary["sentences"]
    assert len(sentences) == 3
    article_sentences = len(body["article"]["sentences"])
    for sentence in sentences:
        evidence = sentence["nli"]["evidence"]
        assert 0 <= evidence["start_sentence"] <= evidence["end_sentence"] < article_sentences
        assert -1 <= sentence["nli"]["score"] <= 1
    scores = [s["nli"]["score"] for s in sentences]
    assert summary["nli"]["mean"] == pytest.approx(_mean(scores), abs=1e-5)
    assert summary["nli"]["min"] == pytest.approx(min(scores), abs=1e-5)
    expected = _verdict(judge, sample_text, [s["text"] for s in sentences])
    _same_verdict(sentences, summary["nli"], expected)


def test_the_cap_bounds_the_pairs_and_says_so(
    checkpoint: Path, on: TestClient, sample_text: str
) -> None:
    request = {"text": sample_text, "methods": ["textrank"]}
    default = post_ok(on, "/v1/summarize", request)["summaries"]["textrank"]["nli"]
    assert MAX_PAIRS >= default["pairs"] > 3
    with serving(nli_model=str(checkpoint), nli_max_pairs=10_000) as uncapped:
        whole = post_ok(uncapped, "/v1/summarize", request)["summaries"]["textrank"]["nli"]
    assert whole["capped"] is False
    assert whole["pairs"] > MAX_PAIRS, "the sample's grid is over the default cap"
    assert default["capped"] is True
    with serving(nli_model=str(checkpoint), nli_max_pairs=3) as capped:
        summary = post_ok(capped, "/v1/summarize", request)["summaries"]["textrank"]
        (judge_info,) = capped.get("/v1/models").json()["judges"]
    assert len(summary["sentences"]) == 3
    assert summary["nli"]["pairs"] <= 3
    assert summary["nli"]["capped"] is True
    assert all("nli" in s for s in summary["sentences"])
    assert judge_info["max_pairs"] == 3


def test_attributes_support_is_the_judges_with_the_offline_one_beside_it(
    on: TestClient, off: TestClient, judge: NliModel, sample_text: str
) -> None:
    body = post_ok(on, "/v1/attribute", {"text": sample_text, "summary": SUMMARY})
    plain = post_ok(off, "/v1/attribute", {"text": sample_text, "summary": SUMMARY})
    assert body["support"] == pytest.approx((body["nli"]["mean"] + 1) / 2, abs=1e-5)
    assert body["support_signals"][0] == "nli"
    assert body["support_signals"][1] == f"offline_support={plain['support']:.3f}"
    assert body["support_signals"][2:] == plain["support_signals"]
    assert len(body["sentences"]) == 2
    article = read_article(sample_text)
    sentences = [SUMMARY[s:e] for s, e in summary_spans(SUMMARY, article.language)]
    _same_verdict(body["sentences"], body["nli"], _verdict(judge, sample_text, sentences))


def test_with_the_judge_off_no_answer_has_an_nli_field_and_no_judge_is_listed(
    off: TestClient, sample_text: str
) -> None:
    answers = [
        off.post("/v1/summarize", json={"text": sample_text, "generation": GREEDY}),
        off.post("/v1/attribute", json={"text": sample_text, "summary": SUMMARY}),
        off.get("/v1/models"),
        off.get("/readyz"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert '"nli"' not in answer.text
        assert "nli" not in _keys(answer.json())
    summarized = answers[0].json()["summaries"]
    assert summarized["abstractive"]["status"] == "ok"
    assert not any(s.startswith("nli") for s in summarized["abstractive"]["support_signals"])
    assert answers[2].json()["judges"] == []
    assert [e["engine"] for e in answers[3].json()["engines"]] == ["textrank", "abstractive"]


def test_models_and_readyz_list_the_judge_with_its_labels_and_bounds(
    on: TestClient, checkpoint: Path
) -> None:
    (judge_info,) = on.get("/v1/models").json()["judges"]
    assert judge_info == {
        "id": str(checkpoint),
        "kind": "nli",
        "status": "ok",
        "reason": None,
        "labels": list(MNLI_LABELS),
        "max_input_tokens": 128,
        "max_pair_tokens": 128,
        "max_pairs": MAX_PAIRS,
        "batch_size": BATCH_SIZE,
    }
    ready = on.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["degraded"] is False
    nli = [e for e in ready.json()["engines"] if e["engine"] == "nli"]
    assert nli == [{"engine": "nli", "id": str(checkpoint), "status": "ready", "reason": None}]


def test_generated_sentences_are_judged_and_the_summarys_support_is_the_judges(
    on: TestClient, off: TestClient, judge: NliModel, sample_text: str
) -> None:
    request = {"text": sample_text, "methods": ["abstractive"], "generation": GREEDY}
    generated = post_ok(on, "/v1/summarize", request)["summaries"]["abstractive"]
    plain = post_ok(off, "/v1/summarize", request)["summaries"]["abstractive"]
    assert generated["status"] == "ok"
    assert len(generated["sentences"]) >= 2, "the test needs a summary of several sentences"
    assert [s["text"] for s in generated["sentences"]] == [s["text"] for s in plain["sentences"]]
    assert generated["support"] == pytest.approx((generated["nli"]["mean"] + 1) / 2, abs=1e-5)
    assert generated["support_signals"] == [
        "nli",
        f"offline_support={plain['support']:.3f}",
        *plain["support_signals"],
    ]
    sentences = [s["text"] for s in generated["sentences"]]
    _same_verdict(generated["sentences"], generated["nli"], _verdict(judge, sample_text, sentences))


def test_a_missing_checkpoint_degrades_the_service_and_support_stays_offline(
    tmp_path: Path, off: TestClient, sample_text: str
) -> None:
    missing = str(tmp_path / "no-such-nli-model") + "/"
    with serving(nli_model=missing) as client:
        ready = client.get("/readyz")
        (judge_info,) = client.get("/v1/models").json()["judges"]
        attributed = client.post("/v1/attribute", json={"text": sample_text, "summary": SUMMARY})
        summarized = client.post("/v1/summarize", json={"text": sample_text})
    assert ready.status_code == 200
    assert ready.json()["degraded"] is True
    (nli,) = [e for e in ready.json()["engines"] if e["engine"] == "nli"]
    assert (nli["id"], nli["status"]) == (missing, "unavailable")
    assert "does not exist" in nli["reason"]
    assert (judge_info["status"], judge_info["reason"]) == ("unavailable", nli["reason"])
    assert judge_info["labels"] is None

    assert attributed.status_code == 200, attributed.text
    body = attributed.json()
    plain = post_ok(off, "/v1/attribute", {"text": sample_text, "summary": SUMMARY})
    assert body["support"] == plain["support"]
    assert body["support_signals"] == [
        *plain["support_signals"],
        f"nli: not scored: {nli['reason']}",
    ]
    assert "nli" not in _keys(body)
    assert summarized.status_code == 200, summarized.text
    assert "nli" not in _keys(summarized.json())


def test_the_stream_carries_the_json_answers_verdicts(
    on: TestClient, judge: NliModel, sample_text: str
) -> None:
    response = on.post(
        "/v1/summarize", headers=EVENTS, json={"text": sample_text, "generation": GREEDY}
    )
    assert response.status_code == 200
    events, _ = parse_events(response.text)
    data = {name: value for name, value in events if name != "sentence"}
    textrank = data["textrank"]["summary"]
    assert "nli" in textrank
    assert all("nli" in s for s in textrank["sentences"])
    # TextRank's verdict is the JSON answer's.
    answer = post_ok(on, "/v1/summarize", {"text": sample_text, "methods": ["textrank"]})
    assert textrank["nli"] == answer["summaries"]["textrank"]["nli"]
    assert textrank["sentences"] == answer["summaries"]["textrank"]["sentences"]

    streamed = [value for name, value in events if name == "sentence"]
    assert len(streamed) >= 2, "the test needs a summary of several sentences"
    # The generated summary is judged whole once complete: its verdicts are the JSON
    # answer's (a sentence's depends on the others, through the cap and the blocks).
    assert all("nli" not in sentence for sentence in streamed)
    final = data["abstractive"]["summary"]
    whole = post_ok(on, "/v1/summarize", {"text": sample_text, "generation": GREEDY})
    assert final["nli"] == whole["summaries"]["abstractive"]["nli"]
    assert [s["nli"] for s in final["sentences"]] == [
        s["nli"] for s in whole["summaries"]["abstractive"]["sentences"]
    ]
    alone = _verdict(judge, sample_text, [s["text"] for s in final["sentences"]])
    assert final["nli"]["mean"] == pytest.approx(alone.mean, abs=1e-5)
    assert final["support"] == pytest.approx((final["nli"]["mean"] + 1) / 2, abs=1e-5)
    assert final["support_signals"][0] == "nli"
    assert names(events)[-1] == "done"
