"""The newsum command line: summarize (tables and JSON) and fetch-model (converts by default)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsum.service.cli.main import main

ROOT = Path(__file__).parents[3]


def test_summarize_prints_readable_tables(
    sample_text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "article.txt"
    path.write_text(sample_text, encoding="utf-8")
    assert main(["summarize", str(path), "--methods", "textrank"]) == 0
    out = capsys.readouterr().out
    assert "lead: first_paragraph" in out
    assert "boilerplate (source): Original Source: www.france24.com" in out
    assert "TextRank summary" in out
    assert "Compared with the article's own lead and closing" in out


def test_summarize_reads_standard_input(
    sample_text: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(sample_text))
    assert main(["summarize", "-", "--json", "--methods", "textrank"]) == 0
    assert '"lead":{"method":"first_paragraph"' in capsys.readouterr().out


def test_summarize_with_a_model_folder(
    sample_text: str, tiny_bart: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "article.txt"
    path.write_text(sample_text, encoding="utf-8")
    code = main(["summarize", str(path), "--methods", "abstractive", "--model", str(tiny_bart)])
    assert code == 0
    assert "Abstractive summary" in capsys.readouterr().out


def test_bad_input_is_a_clear_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("   \n", encoding="utf-8")
    assert main(["summarize", str(path)]) == 2
    assert capsys.readouterr().err.startswith("newsum: empty_input: text is empty")


def test_fetch_model_without_a_reachable_hub_fails_fast_and_says_why() -> None:
    environment = {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "0"}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "newsum", "fetch-model", "sshleifer/distilbart-cnn-12-6"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert "could not download 'sshleifer/distilbart-cnn-12-6'" in result.stderr
    assert "Traceback" not in result.stderr


def test_fetch_model_starts_without_summarising_or_scoring_modules() -> None:
    """It fails offline in well under a second: ROUGE (NLTK, SciPy's stats) is not imported."""
    probe = (
        "import sys, newsum.service.cli.main; "
        "print(sorted({'nltk', 'rouge_score', 'torch'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_summarize_without_a_model_says_why_once_and_not_about_serving(
    sample_text: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NEWSUM_MODEL", "owner/not-fetched")
    monkeypatch.setenv("NEWSUM_MODEL_CACHE_DIR", str(tmp_path / "empty-cache"))
    path = tmp_path / "article.txt"
    path.write_text(sample_text, encoding="utf-8")
    assert main(["summarize", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    reason = json.loads(captured.out)["summaries"]["abstractive"]["reason"]
    assert reason == (
        "model 'owner/not-fetched' is not in the local Hugging Face cache, and newsum downloads "
        "a model only when told to: fetch it with: newsum fetch-model owner/not-fetched"
    )
    assert captured.err == ""  # the answer says it; the log does not say it again
    # Abstractive alone: the error, one line.
    assert main(["summarize", str(path), "--methods", "abstractive"]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"newsum: model_unavailable: {reason}\n"
    assert captured.out == ""


@pytest.mark.parametrize("command", ["serve", "summarize", "attribute", "bench", "fetch-model"])
def test_every_command_has_a_working_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([command, "--help"])
    assert stopped.value.code == 0
    assert f"newsum {command}" in capsys.readouterr().out


@pytest.fixture
def offline_fetch(tiny_bart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """fetch-model's download replaced by a copy of the tiny BART (no hub in tests)."""
    import shutil

    from newsum.models.abstractive import fetch

    folder = tmp_path / "fetched"

    def download(name: str, *, to: Path | None = None, cache_dir: str | None = None) -> Path:
        assert to == folder
        shutil.copytree(tiny_bart, folder, ignore=shutil.ignore_patterns("ctranslate2-*"))
        return folder

    monkeypatch.setattr(fetch, "fetch_checkpoint", download)
    for variable in ("NEWSUM_BACKEND", "NEWSUM_COMPUTE_TYPE"):
        monkeypatch.delenv(variable, raising=False)
    return folder


def test_fetch_model_converts_for_ctranslate2_ahead_of_time(
    offline_fetch: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="newsum.convert"):
        assert main(["fetch-model", "owner/tiny", "--to", str(offline_fetch)]) == 0
    assert (offline_fetch / "ctranslate2-float32" / "model.bin").exists()
    out = capsys.readouterr().out
    assert "ok: ctranslate2/float32" in out
    assert f"serve it with: NEWSUM_MODEL={offline_fetch} newsum serve" in out
    assert any(r.getMessage().startswith("converted ") for r in caplog.records)


def test_fetch_model_no_convert_checks_on_torch_and_leaves_conversion_to_the_first_start(
    offline_fetch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fetch-model", "owner/tiny", "--to", str(offline_fetch), "--no-convert"]) == 0
    assert not (offline_fetch / "ctranslate2-float32").exists()
    out = capsys.readouterr().out
    assert "ok: torch/float32" in out
    assert "not converted: a start on ctranslate2" in out


GERMAN = ROOT / "tests" / "data" / "german_article.txt"


@pytest.fixture
def two_languages(carded_barts: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """NEWSUM_MODEL declares English, NEWSUM_MODELS adds one declaring [de]."""
    monkeypatch.setenv("NEWSUM_MODEL", str(carded_barts["en"]))
    monkeypatch.setenv("NEWSUM_MODELS", str(carded_barts["de"]))
    monkeypatch.setenv("NEWSUM_EMBEDDING_MODEL", "none")
    for variable in ("NEWSUM_BACKEND", "NEWSUM_COMPUTE_TYPE", "NEWSUM_MODEL_LANGUAGES"):
        monkeypatch.delenv(variable, raising=False)


@pytest.mark.usefixtures("two_languages")
def test_summarize_routes_by_language_as_the_server_does(
    carded_barts: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["summarize", str(GERMAN), "--json", "--methods", "abstractive"]) == 0
    assert f'"model":"{carded_barts["de"]}"' in capsys.readouterr().out
    refused = ["summarize", str(GERMAN), "--json", "--model", str(carded_barts["en"])]
    assert main(refused) == 2
    assert "serves en (declared); the article is in German (de)" in capsys.readouterr().err


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """fetch-model's download replaced by the folder itself (the carded checkpoints)."""
    from newsum.models.abstractive import fetch

    calls: list[str] = []

    def download(name: str, *, to: Path | None = None, cache_dir: str | None = None) -> Path:
        calls.append(name)
        if not Path(name).is_dir():
            raise fetch.ModelUnavailable(f"could not download {name!r}")
        return Path(name)

    monkeypatch.setattr(fetch, "fetch_checkpoint", download)
    return calls


@pytest.mark.usefixtures("two_languages")
def test_fetch_model_fetches_every_configured_model_and_names_their_languages(
    carded_barts: dict[str, Path], fetched: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fetch-model", "--no-convert"]) == 0
    assert fetched == [str(carded_barts["en"]), str(carded_barts["de"])]
    out = capsys.readouterr().out
    assert "languages en (declared)" in out
    assert "languages de (declared)" in out


def test_fetch_model_tries_each_id_and_fails_if_any_fails(
    carded_barts: dict[str, Path], fetched: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ids = ["owner/absent", str(carded_barts["none"])]
    assert main(["fetch-model", *ids, "--no-convert"]) == 1
    assert fetched == ids
    captured = capsys.readouterr()
    assert "could not download 'owner/absent'" in captured.err
    assert "languages every language (unknown)" in captured.out
    assert main(["fetch-model", *ids, "--to", "somewhere"]) == 2
    assert "--to takes one model; given: 2" in capsys.readouterr().err
