from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

DATA = Path(__file__).parent / "data"

# Property tests run the real segmenter; keep them well inside the per-test timeout.
settings.register_profile(
    "newsum", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("newsum")


@pytest.fixture(scope="session")
def sample_text() -> str:
    return (DATA / "sample_article.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def newsroom_rows() -> list[dict[str, str]]:
    with (DATA / "newsroom_sample.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _corpus() -> list[str]:
    lines = (DATA / "sample_article.txt").read_text(encoding="utf-8").splitlines()
    with (DATA / "newsroom_sample.jsonl").open(encoding="utf-8") as handle:
        lines += [json.loads(line)["article"] for line in handle]
    return lines * 3


@pytest.fixture(scope="session")
def tiny_bart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny_models import build_tiny_bart

    return build_tiny_bart(tmp_path_factory.mktemp("tiny-bart"), _corpus())


@pytest.fixture(scope="session")
def tiny_t5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny_models import build_tiny_t5

    return build_tiny_t5(tmp_path_factory.mktemp("tiny-t5"), _corpus())


@pytest.fixture(scope="session")
def bart_engine(tiny_bart: Path) -> object:
    from newsum.models.abstractive.engine import Seq2SeqEngine, open_engine

    engine = open_engine(str(tiny_bart))
    assert isinstance(engine, Seq2SeqEngine), getattr(engine, "reason", None)
    return engine


@pytest.fixture(scope="session")
def system_outputs() -> dict[tuple[str, str], str]:
    with (DATA / "newsroom_outputs_sample.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return {(row["id"], row["system"]): row["summary"] for row in rows}


@pytest.fixture(scope="session")
def encoder() -> object:
    from newsum.models.embeddings import load_encoder

    loaded = load_encoder()
    assert loaded is not None, "the bundled all-MiniLM-L6-v2 should load offline"
    return loaded


@pytest.fixture(scope="session")
def hub_bart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """distilbart-cnn's hub layout: the real vocab.json + merges.txt, tiny random weights."""
    from tests.tiny_models import build_hub_layout

    return build_hub_layout(tmp_path_factory.mktemp("hub-bart"), "bart")


@pytest.fixture(scope="session")
def hub_pegasus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pegasus-cnn_dailymail's hub layout: the real spiece.model only, tiny random weights."""
    from tests.tiny_models import build_hub_layout

    return build_hub_layout(tmp_path_factory.mktemp("hub-pegasus"), "pegasus")


@pytest.fixture(scope="session")
def carded_barts(tiny_bart: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny BART three times: a card declaring English, one declaring [de], and no card."""
    from tests.tiny_models import with_model_card

    root = tmp_path_factory.mktemp("carded")
    return {
        "en": with_model_card(tiny_bart, root / "english-bart", "language: en\n"),
        "de": with_model_card(tiny_bart, root / "german-bart", "language:\n- de\n"),
        "none": with_model_card(tiny_bart, root / "uncarded-bart", None),
    }
