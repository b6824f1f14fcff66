"""The newsum command line: summarize (tables and JSON) and fetch-model."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.cli import main

ROOT = Path(__file__).parents[2]


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
        [sys.executable, "-m", "service.cli", "fetch-model", "sshleifer/distilbart-cnn-12-6"],
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


@pytest.mark.parametrize("command", ["serve", "summarize", "attribute", "bench", "fetch-model"])
def test_every_command_has_a_working_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([command, "--help"])
    assert stopped.value.code == 0
    assert f"newsum {command}" in capsys.readouterr().out
