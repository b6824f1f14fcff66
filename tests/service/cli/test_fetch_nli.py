"""`newsum fetch-model --nli`: the NLI judge fetched, its labels checked, a probe judged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from newsum.service.cli.main import main
from tests.tiny_models import build_tiny_nli, with_labels

CORPUS = [
    "The minister visited Baghdad on Friday.",
    "Talks on security went well, officials said.",
    "The minister was in Baghdad.",
]


@pytest.fixture(scope="module")
def tiny_nli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_nli(tmp_path_factory.mktemp("nli") / "bert", "bert", CORPUS)


def offline(monkeypatch: pytest.MonkeyPatch, source: Path, folder: Path) -> None:
    """The download replaced by a copy of `source` (no hub in tests)."""
    from newsum.models.abstractive import fetch

    def download(name: str, *, to: Path | None = None, cache_dir: str | None = None) -> Path:
        assert to == folder
        shutil.copytree(source, folder)
        return folder

    monkeypatch.setattr(fetch, "fetch_checkpoint", download)


def test_fetch_model_nli_checks_the_labels_and_judges_a_probe(
    tiny_nli: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "fetched"
    offline(monkeypatch, tiny_nli, folder)
    assert main(["fetch-model", "--nli", "owner/nli", "--to", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "ok: labels ['entailment', 'neutral', 'contradiction'], input limit 128 tokens" in out
    assert "'The minister was in Baghdad.' scores " in out
    assert f"serve it with: NEWSUM_NLI_MODEL={folder} newsum serve" in out


def test_fetch_model_nli_refuses_a_checkpoint_that_is_not_nli_with_status_2(
    tiny_nli: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sentiment = with_labels(tiny_nli, tmp_path / "sentiment", ("negative", "neutral", "positive"))
    folder = tmp_path / "fetched"
    offline(monkeypatch, sentiment, folder)
    assert main(["fetch-model", "--nli", "owner/sentiment", "--to", str(folder)]) == 2
    assert "['negative', 'neutral', 'positive']" in capsys.readouterr().err


def test_fetch_model_nli_without_a_judge_configured_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NEWSUM_NLI_MODEL", raising=False)
    assert main(["fetch-model", "--nli"]) == 2
    assert "no model to fetch: NEWSUM_NLI_MODEL is none" in capsys.readouterr().err
