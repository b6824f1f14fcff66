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
