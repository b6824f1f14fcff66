"""GET /readyz: 200 once the service answers what it is configured for, each engine listed.

In process, through the production loader: no model configured, a model configured but
not fetched, and the tiny random BART present; each with NEWSUM_REQUIRE_MODEL off and on.
What `newsum serve` does with the same settings is in tests/service/cli/test_serve.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsum.models.abstractive.checkpoint import resolve
from newsum.models.errors import ModelUnavailable
from newsum.models.types import AbstractiveSummary
from newsum.service.runtime.state import Engines
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.fakes import SlowEngine
from tests.service.conftest import started

UNFETCHED = "sshleifer/distilbart-cnn-12-6"
TEXTRANK = {"engine": "textrank", "id": "textrank", "status": "ready", "reason": None}
EMBEDDINGS = {"engine": "embeddings", "id": "bundled", "status": "ready", "reason": None}


def unfetched_reason(tmp_path: Path) -> str:
    """What the loader says of UNFETCHED (its wording is models.abstractive.checkpoint's)."""
    with pytest.raises(ModelUnavailable) as caught:
        resolve(UNFETCHED, cache_dir=str(tmp_path / "empty-hub-cache"))
    reason = caught.value.message
    assert "not in the local Hugging Face cache" in reason
    assert reason.endswith(f"newsum fetch-model {UNFETCHED}")
    return reason


@contextmanager
def serving(tmp_path: Path, **settings: Any) -> Iterator[TestClient]:
    """The app with these settings, its models loaded (a hub id looked up in an empty cache)."""
    settings.setdefault("model_cache_dir", str(tmp_path / "empty-hub-cache"))
    with TestClient(create_app(Settings(**settings))) as client:
        yield started(client)


@pytest.mark.parametrize("require", [False, True], ids=["require-off", "require-on"])
def test_without_a_model_configured_the_service_is_ready_and_not_degraded(
    tmp_path: Path, require: bool
) -> None:
    with serving(tmp_path, model="none", require_model=require) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "degraded": False,
        "models": [],
        "engines": [TEXTRANK, EMBEDDINGS],  # an engine turned off is not listed
    }


def test_a_model_not_fetched_leaves_the_service_ready_and_degraded(tmp_path: Path) -> None:
    with serving(tmp_path, model=UNFETCHED) as client:
        response = client.get("/readyz")
        answer = client.post("/v1/summarize", json={"text": "A first sentence. A second one."})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["degraded"], body["models"]) == ("ready", True, [])
    assert body["engines"] == [
        TEXTRANK,
        {
            "engine": "abstractive",
            "id": UNFETCHED,
            "status": "unavailable",
            "reason": unfetched_reason(tmp_path),
        },
        EMBEDDINGS,
    ]
    # Degraded, and each answer that needed the model says so.
    assert answer.status_code == 200
    abstractive = answer.json()["summaries"]["abstractive"]
    assert (abstractive["status"], abstractive["reason"]) == (
        "unavailable",
        body["engines"][1]["reason"],
    )


def test_with_require_model_a_model_not_fetched_keeps_it_503_naming_model_reason_fix(
    tmp_path: Path,
) -> None:
    """In process nothing stops the app (`newsum serve` exits): it stays not ready, saying why."""
    with serving(tmp_path, model=UNFETCHED, require_model=True) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    assert error["message"] == (
        f"not ready: cannot serve without abstractive model {UNFETCHED}: "
        f"{unfetched_reason(tmp_path)} (NEWSUM_REQUIRE_MODEL=true). "
        f"Engines: extractive textrank ready; abstractive model {UNFETCHED} unavailable; "
        "sentence embeddings bundled ready"
    )


@pytest.mark.parametrize("require", [False, True], ids=["require-off", "require-on"])
def test_with_the_model_present_the_service_is_ready_and_lists_it(
    tmp_path: Path, tiny_bart: Path, require: bool
) -> None:
    with serving(tmp_path, model=str(tiny_bart), require_model=require) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "degraded": False,
        "models": [str(tiny_bart)],
        "engines": [
            TEXTRANK,
            {"engine": "abstractive", "id": str(tiny_bart), "status": "ready", "reason": None},
            EMBEDDINGS,
        ],
    }


def test_sentence_embeddings_that_do_not_load_degrade_attribution_to_lexical(
    tmp_path: Path,
) -> None:
    folder = str(tmp_path / "no-such-encoder")
    with serving(tmp_path, model="none", embedding_model=folder) as client:
        degraded = client.get("/readyz")
    (embeddings,) = [e for e in degraded.json()["engines"] if e["engine"] == "embeddings"]
    assert degraded.status_code == 200
    assert degraded.json()["degraded"] is True
    assert (embeddings["id"], embeddings["status"]) == (folder, "unavailable")
    assert "attribution is lexical only; fix: NEWSUM_EMBEDDING_MODEL=" in embeddings["reason"]
    with serving(tmp_path, model="none", embedding_model=folder, require_model=True) as client:
        required = client.get("/readyz")
    assert required.status_code == 503
    assert (
        f"cannot serve without sentence embeddings {folder}: "
        in (required.json()["error"]["message"])
    )


def test_each_serving_model_has_its_judge_listed_when_model_support_is_on(
    tmp_path: Path, tiny_bart: Path
) -> None:
    with serving(tmp_path, model=str(tiny_bart), model_support="on") as client:
        engines = client.get("/readyz").json()["engines"]
    assert engines[-1] == {
        "engine": "judge",
        "id": str(tiny_bart),
        "status": "ready",
        "reason": None,
    }


def test_readyz_is_503_while_warming_up_and_lists_each_engine_loading() -> None:
    """The first run of each model (a 1 s one here) comes before ready."""
    engines = Engines(abstractive=SlowEngine(steps=20, step_s=0.05))
    with TestClient(create_app(Settings(), engines)) as client:
        warming = client.get("/readyz")
        ready = started(client).get("/readyz")
    assert warming.status_code == 503
    assert warming.headers["Retry-After"]
    assert warming.json()["error"] == {
        "code": "not_ready",
        "message": "not ready: the models are loading and warming up. "
        "Engines: extractive textrank ready; abstractive model slow-fake loading",
    }
    assert ready.status_code == 200


class _FailsWarmUp(SlowEngine):
    def summarize(self, *args: Any, **kwargs: Any) -> AbstractiveSummary:
        raise RuntimeError("a defect")


def test_a_warm_up_that_fails_keeps_the_service_not_ready() -> None:
    """Nothing is known to work: the service may be broken throughout, so it says so."""
    with TestClient(create_app(Settings(), Engines(abstractive=_FailsWarmUp()))) as client:
        response = started(client).get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["message"].startswith(
        "not ready: warm-up failed: RuntimeError (the log says where). Engines: "
    )


def test_the_openapi_document_declares_every_readyz_status() -> None:
    document = create_app(Settings(), Engines()).openapi()
    responses = document["paths"]["/readyz"]["get"]["responses"]
    assert set(responses) == {"200", "503"}
    ok = responses["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/ReadyResponse"}
    refused = responses["503"]["content"]["application/json"]["schema"]
    assert refused == {"$ref": "#/components/schemas/ErrorResponse"}
    assert "draining after SIGTERM" in responses["503"]["description"]
    engine = document["components"]["schemas"]["EngineReadiness"]["properties"]
    assert engine["status"]["enum"] == ["ready", "loading", "unavailable"]
