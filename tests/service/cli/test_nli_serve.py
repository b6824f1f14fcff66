"""`newsum serve` with NEWSUM_NLI_MODEL, as a process: a checkpoint that is not an NLI
classifier is refused at start (status 2), a two-label one serves, and with
NEWSUM_REQUIRE_MODEL a judge whose files are not there stops the server (status 1)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.service.cli.test_serve import serve, settled_readyz, stderr_of, stop
from tests.service.conftest import free_port
from tests.tiny_models import build_tiny_nli, with_labels

pytestmark = [pytest.mark.live_server, pytest.mark.slow]

_WITHIN_S = 10  # "within seconds", as test_serve.py allows
SUMMARY = "Shaibani met Iraqi Foreign Minister Fuad Hussein. Iraq closed the border."


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory, sample_text: str) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("nli")
    corpus = sample_text.splitlines()
    bert = build_tiny_nli(folder / "bert", "bert", corpus)
    return {
        "sentiment": with_labels(bert, folder / "sentiment", ("positive", "negative")),
        "two-labels": build_tiny_nli(
            folder / "two", "bert", corpus, labels=("entailment", "not_entailment")
        ),
    }


def test_serve_exits_2_at_once_naming_the_labels_of_a_checkpoint_that_is_not_nli(
    checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    began = time.monotonic()
    process = serve(free_port(), tmp_path, nli_model=str(checkpoints["sentiment"]), model="none")
    try:
        code = process.wait(timeout=60)
        elapsed = time.monotonic() - began
    finally:
        stop(process)
    assert code == 2, stderr_of(tmp_path)
    assert elapsed < _WITHIN_S
    (line,) = stderr_of(tmp_path).splitlines()
    assert line.startswith("newsum: NEWSUM_NLI_MODEL: ")
    assert str(checkpoints["sentiment"]) in line
    assert "['positive', 'negative']" in line


def test_serve_with_a_two_label_judge_is_ready_and_reports_no_contradiction(
    checkpoints: dict[str, Path], tmp_path: Path, sample_text: str
) -> None:
    port = free_port()
    two = str(checkpoints["two-labels"])
    process = serve(port, tmp_path, nli_model=two, model="none", embedding_model="none")
    try:
        ready = settled_readyz(process, port)
        assert ready is not None, stderr_of(tmp_path)
        assert ready.status_code == 200, ready.text
        assert {"engine": "nli", "id": two, "status": "ready", "reason": None} in ready.json()[
            "engines"
        ]
        url = f"http://127.0.0.1:{port}"
        (judge,) = httpx.get(f"{url}/v1/models").json()["judges"]
        assert judge["labels"] == ["entailment", "not_entailment"]
        answer = httpx.post(
            f"{url}/v1/attribute", json={"text": sample_text, "summary": SUMMARY}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        sentences = answer.json()["sentences"]
        assert len(sentences) == 2
        for sentence in sentences:
            assert sentence["nli"]["contradiction"] is None
            assert sentence["nli"]["score"] == sentence["nli"]["entailment"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)


def test_serve_with_require_model_exits_1_when_the_judges_files_are_not_there(
    tmp_path: Path,
) -> None:
    missing = str(tmp_path / "no-such-nli-model") + "/"
    began = time.monotonic()
    process = serve(free_port(), tmp_path, nli_model=missing, model="none", require_model="true")
    try:
        code = process.wait(timeout=60)
        elapsed = time.monotonic() - began
    finally:
        stop(process)
    assert code == 1, stderr_of(tmp_path)
    assert elapsed < _WITHIN_S
    (line,) = stderr_of(tmp_path).splitlines()
    assert line.startswith(f"newsum: cannot serve without NLI judge {missing}: ")
    assert line.endswith("(NEWSUM_REQUIRE_MODEL=true)")
