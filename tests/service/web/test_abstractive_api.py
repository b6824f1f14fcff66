"""POST /v1/summarize with the abstractive engine: a tiny random model, or none at all."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsum.models.abstractive.engine import Seq2SeqEngine, open_engine
from newsum.service.runtime.state import Engines
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.service.conftest import started


@pytest.fixture(scope="module")
def client(bart_engine: Seq2SeqEngine) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), Engines(abstractive=bart_engine))) as client:
        yield started(client)


def post(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post(
        "/v1/summarize", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )


def test_both_summaries_side_by_side(client: TestClient, sample_text: str) -> None:
    response = post(client, {"text": sample_text})
    assert response.status_code == 200
    body = response.json()
    abstractive = body["summaries"]["abstractive"]
    assert abstractive["status"] == "ok"
    assert abstractive["reason"] is None
    assert abstractive["model"].endswith("tiny-bart0")
    assert abstractive["text"]
    assert abstractive["truncated"] is True
    assert 0 < abstractive["input_tokens"] <= 128
    assert abstractive["input_sentences"] == sorted(abstractive["input_sentences"])
    for sentence in abstractive["sentences"]:
        assert abstractive["text"][sentence["start"] : sentence["end"]] == sentence["text"]
    assert body["summaries"]["textrank"]["status"] == "ok"
    assert body["comparison"]["abstractive"]["vs_lead"]["rouge1"] >= 0


def test_abstractive_only(client: TestClient, sample_text: str) -> None:
    body = post(client, {"text": sample_text, "methods": ["abstractive"]}).json()
    assert body["summaries"]["textrank"] is None
    assert body["summaries"]["abstractive"]["status"] == "ok"


def test_generation_options_are_bounded(client: TestClient, sample_text: str) -> None:
    too_wide = post(client, {"text": sample_text, "generation": {"num_beams": 9}})
    assert too_wide.status_code == 422
    crossed = post(
        client, {"text": sample_text, "generation": {"min_length": 30, "max_length": 10}}
    )
    assert crossed.status_code == 422
    assert crossed.json()["error"]["message"] == "min_length must be between 0 and 10; given: 30"
    fine = post(client, {"text": sample_text, "generation": {"num_beams": 1, "max_length": 12}})
    assert fine.status_code == 200


def test_a_model_not_served_is_refused(client: TestClient, sample_text: str) -> None:
    response = post(client, {"text": sample_text, "model": "facebook/bart-large-cnn"})
    assert response.status_code == 422
    assert "GET /v1/models" in response.json()["error"]["message"]


def test_models_lists_both_engines(client: TestClient) -> None:
    models = client.get("/v1/models").json()["models"]
    assert [m["method"] for m in models] == ["textrank", "abstractive"]
    assert models[1]["status"] == "ok"
    assert models[1]["generation_defaults"]["num_beams"] == 2
    assert models[1]["max_input_tokens"] == 128
    # The default backend, and what a deadline can stop on it.
    assert models[1]["backend"] == "ctranslate2"
    assert models[1]["compute_type"] == "float32"
    assert models[1]["stoppable_decoding"] == ["greedy"]
    assert models[0]["backend"] is None


def test_models_says_torch_stops_beam_search_too(tiny_bart: Path) -> None:
    engine = open_engine(str(tiny_bart), backend="torch", compute_type="float32")
    with TestClient(create_app(Settings(), Engines(abstractive=engine))) as client:
        (_, model) = started(client).get("/v1/models").json()["models"]
    assert (model["backend"], model["compute_type"]) == ("torch", "float32")
    assert model["stoppable_decoding"] == ["greedy", "beam_search"]


def test_the_models_fields_are_in_the_openapi_document(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ModelInfo"]
    fields = schema["properties"]
    assert "NEWSUM_BACKEND" in fields["backend"]["description"]
    stoppable = fields["stoppable_decoding"]
    assert "runs to its end" in stoppable["description"]
    items = next(option for option in stoppable["anyOf"] if option.get("type") == "array")
    assert items["items"]["enum"] == ["greedy", "beam_search"]


def test_a_generation_past_its_deadline_is_504(
    bart_engine: Seq2SeqEngine, sample_text: str
) -> None:
    app = create_app(Settings(request_timeout_s=1e-9), Engines(abstractive=bart_engine))
    with TestClient(app) as client:
        response = post(started(client), {"text": sample_text})
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "deadline_exceeded"


def test_no_model_available_still_serves_textrank(tmp_path: Path, sample_text: str) -> None:
    """The default hub id, nothing cached, no network: 200, textrank ok, abstractive unavailable."""
    settings = Settings(model_cache_dir=str(tmp_path))
    with TestClient(create_app(settings)) as client:  # runs the lifespan, which loads models
        started(client)
        body = post(client, {"text": sample_text}).json()
        assert body["summaries"]["textrank"]["status"] == "ok"
        abstractive = body["summaries"]["abstractive"]
        assert abstractive["status"] == "unavailable"
        assert abstractive["model"] == "sshleifer/distilbart-cnn-12-6"
        assert "newsum fetch-model sshleifer/distilbart-cnn-12-6" in abstractive["reason"]
        only = post(client, {"text": sample_text, "methods": ["abstractive"]})
        assert only.status_code == 503
        assert only.json()["error"]["code"] == "model_unavailable"
        unavailable = client.get("/v1/models").json()["models"][1]
        assert unavailable["status"] == "unavailable"
        # What it would run on: the settings'.
        assert (unavailable["backend"], unavailable["compute_type"]) == ("ctranslate2", "float32")


def test_a_first_start_without_a_converted_copy_converts_once_and_says_so(
    tiny_bart: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "model"
    shutil.copytree(tiny_bart, folder, ignore=shutil.ignore_patterns("ctranslate2-*"))
    settings = Settings(model=str(folder), embedding_model="none")
    for start in ("first", "second"):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="newsum"), TestClient(create_app(settings)) as c:
            assert started(c).get("/readyz").status_code == 200, start
        converting = [r.getMessage() for r in caplog.records if r.name == "newsum.convert"]
        if start == "first":
            assert converting[0].startswith(f"no CTranslate2 float32 copy of {folder} yet")
            assert converting[1].startswith(f"converted {folder} to CTranslate2 float32 in ")
        else:
            assert converting == []
    assert (folder / "ctranslate2-float32" / "model.bin").exists()
