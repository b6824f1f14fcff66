"""NEWSUM_MODEL_SUPPORT: the served model's log-likelihood in `support_signals`, and in
`support` only with weights fitted for that model; /v1/summarize and /v1/attribute, both
backends, on the tiny BART through the production loader."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.engine import Seq2SeqEngine, open_engine
from newsum.models.abstractive.likelihood import SummaryLikelihood
from newsum.models.article import read_article
from newsum.models.attribution import summary_spans
from newsum.models.model_support import FoldWeights
from newsum.models.types import Article
from newsum.service.runtime.state import Engines
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.fakes import SlowEngine
from tests.service.conftest import post_ok, started

SUMMARY = (
    "Shaibani held discussions with Iraqi Foreign Minister Fuad Hussein. "
    "Iraqi officials condemned the massacre of over 1,383 civilians in coastal Syria."
)
WEIGHTS = FoldWeights(intercept=0.3, lexical_weight=0.8, mean=-6.0, scale=0.2, weight=0.7)
SCORED = re.compile(r"^model_loglik=-\d+\.\d{3} \(sentences: -\d+\.\d{3}(, -\d+\.\d{3})*\)")
NOT_FOLDED = "; not folded: no fitted weight for this model"


@pytest.fixture(scope="module", params=["ctranslate2", "torch"])
def engine(request: pytest.FixtureRequest, tiny_bart: Path) -> Seq2SeqEngine:
    loaded = open_engine(str(tiny_bart), backend=request.param)
    assert isinstance(loaded, Seq2SeqEngine), getattr(loaded, "reason", None)
    return loaded


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory: pytest.TempPathFactory, engine: Seq2SeqEngine) -> Path:
    """A weights file for the tiny BART, as research/fit_model_support.py writes one."""
    entry = {"architecture": "BartForConditionalGeneration", "modes": {"lexical": asdict(WEIGHTS)}}
    path = tmp_path_factory.mktemp("weights") / "model_support.json"
    path.write_text(json.dumps({"format": 1, "models": {engine.name: entry}}))
    return path


def _client(engine: object, **settings: Any) -> Iterator[TestClient]:
    app = create_app(Settings(**settings), Engines(abstractive=engine))  # type: ignore[arg-type]
    with TestClient(app) as client:
        yield started(client)


@pytest.fixture(scope="module")
def off(engine: Seq2SeqEngine) -> Iterator[TestClient]:
    yield from _client(engine)


@pytest.fixture(scope="module")
def on(engine: Seq2SeqEngine) -> Iterator[TestClient]:
    yield from _client(engine, model_support="on")


@pytest.fixture(scope="module")
def fitted(engine: Seq2SeqEngine, weights_file: Path) -> Iterator[TestClient]:
    yield from _client(engine, model_support="on", model_support_weights=str(weights_file))


def _attribute(client: TestClient, text: str) -> Any:
    return post_ok(client, "/v1/attribute", {"text": text, "summary": SUMMARY})


def _generated(client: TestClient, text: str) -> Any:
    body = post_ok(client, "/v1/summarize", {"text": text, "methods": ["abstractive"]})
    return body["summaries"]["abstractive"]


def _model_entries(answer: Any) -> list[str]:
    return [s for s in answer["support_signals"] if s.startswith("model_loglik")]


def _judged(engine: Seq2SeqEngine, article: Article, sentences: Sequence[str]) -> float:
    judged: SummaryLikelihood = engine.likelihood(article, sentences)
    assert judged.summary is not None
    return judged.summary


def test_off_nothing_model_related_is_reported(off: TestClient, sample_text: str) -> None:
    assert _model_entries(_attribute(off, sample_text)) == []
    assert _model_entries(_generated(off, sample_text)) == []


@pytest.mark.parametrize("answer_of", [_attribute, _generated], ids=["attribute", "summarize"])
def test_on_without_weights_the_score_is_reported_and_support_unchanged(
    on: TestClient, off: TestClient, sample_text: str, answer_of: Any
) -> None:
    judged, plain = answer_of(on, sample_text), answer_of(off, sample_text)
    (entry,) = _model_entries(judged)
    assert SCORED.match(entry), entry
    assert entry.endswith(NOT_FOLDED)
    assert judged["support"] == plain["support"]
    assert judged["support_signals"][:-1] == plain["support_signals"]


def test_the_attributed_summary_is_scored_sentence_by_sentence(
    on: TestClient, engine: Seq2SeqEngine, sample_text: str
) -> None:
    (entry,) = _model_entries(_attribute(on, sample_text))
    article = read_article(sample_text)
    sentences = [SUMMARY[s:e] for s, e in summary_spans(SUMMARY, article.language)]
    judged = engine.likelihood(article, sentences)
    listed = ", ".join(f"{s:.3f}" for s in judged.sentences if s is not None)
    assert entry == f"model_loglik={judged.summary:.3f} (sentences: {listed}){NOT_FOLDED}"


def test_with_fitted_weights_support_is_the_fitted_combination(
    fitted: TestClient, off: TestClient, engine: Seq2SeqEngine, sample_text: str
) -> None:
    article = read_article(sample_text)
    # /v1/attribute: the given summary, split as attribution splits it.
    lexical = _attribute(off, sample_text)["support"]
    folded = _attribute(fitted, sample_text)
    sentences = [SUMMARY[s:e] for s, e in summary_spans(SUMMARY, article.language)]
    expected = WEIGHTS.support(lexical, _judged(engine, article, sentences))
    # Two roundings to 6 digits: the lexical support it is computed from, and the answer's.
    assert folded["support"] == pytest.approx(expected, abs=2e-6)
    assert folded["support"] != pytest.approx(lexical, abs=1e-3), "the fold changed it"
    (entry,) = _model_entries(folded)
    assert SCORED.match(entry)
    assert "not folded" not in entry
    # /v1/summarize: the generated summary, as generated (the model is deterministic).
    generated = _generated(fitted, sample_text)
    sentences = [s["text"] for s in generated["sentences"]]
    expected = WEIGHTS.support(_generated(off, sample_text)["support"],
                               _judged(engine, article, sentences))  # fmt: skip
    assert generated["support"] == pytest.approx(expected, abs=2e-6)


class _SlowJudge(SlowEngine):
    """Generates at once, but takes `judge_s` to score, checking its Cancellation as it goes."""

    def __init__(self, judge_s: float) -> None:
        super().__init__(steps=1, step_s=0.0)
        self.judge_s = judge_s

    def likelihood(
        self, article: Article, sentences: Sequence[str], cancel: Cancellation | None = None
    ) -> SummaryLikelihood:
        ends = time.monotonic() + self.judge_s
        while time.monotonic() < ends:
            if cancel is not None:
                cancel.raise_if_stopped()
            time.sleep(0.01)
        return SummaryLikelihood(self.name, -1.0, tuple(-1.0 for _ in sentences), 1, False)


def test_scoring_past_the_deadline_ends_the_request_as_any_work_past_it(sample_text: str) -> None:
    engine = _SlowJudge(judge_s=0.0)  # quick to warm up; slow once serving
    for client in _client(engine, model_support="on", request_timeout_s=0.5):
        engine.judge_s = 5.0
        began = time.monotonic()
        response = client.post("/v1/attribute", json={"text": sample_text, "summary": SUMMARY})
        assert response.status_code == 504
        assert response.json()["error"]["code"] == "deadline_exceeded"
        assert time.monotonic() - began < 3


def test_a_fake_that_scores_is_judged_without_weights(sample_text: str) -> None:
    """The judge needs only `likelihood`: an engine without a checkpoint has no weights."""
    for client in _client(_SlowJudge(judge_s=0.0), model_support="on"):
        (entry,) = _model_entries(_attribute(client, sample_text))
        assert entry == f"model_loglik=-1.000 (sentences: -1.000, -1.000){NOT_FOLDED}"


def test_a_weights_file_that_cannot_be_read_keeps_the_service_not_ready(
    engine: Seq2SeqEngine, tmp_path: Path
) -> None:
    broken = tmp_path / "model_support.json"
    broken.write_text("{")
    for client in _client(engine, model_support="on", model_support_weights=str(broken)):
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "model support" in response.json()["error"]["message"]
        assert str(broken) in response.json()["error"]["message"]
