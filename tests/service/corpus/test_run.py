"""`newsum batch` in process: the endpoint's row shape, error rows, Parquet, resuming, kills."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from newsum.service.cli.main import main
from newsum.service.corpus.files import read_output
from newsum.service.runtime.state import Engines
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.service.conftest import started

ROOT = Path(__file__).parents[3]


def untimed(value: Any) -> Any:
    """A row without its timings, the one part two runs of the same work do not share."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in ("elapsed_ms", "timings_ms")}
    if isinstance(value, list):
        return [untimed(item) for item in value]
    return value


def rows_of(path: Path) -> list[dict[str, Any]]:
    return [untimed(row) for row in read_output(path)]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def corpus(articles: list[str], count: int) -> list[str]:
    """`count` JSON rows cycling through `articles`, with ids."""
    return [json.dumps({"id": f"a{n}", "text": articles[n % len(articles)]}) for n in range(count)]


@pytest.fixture(scope="module")
def articles(newsroom_rows: list[dict[str, str]], sample_text: str) -> list[str]:
    return [sample_text, *(row["article"] for row in newsroom_rows)]


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSUM_MAX_ARTICLE_CHARS", "20000")
    monkeypatch.setenv("NEWSUM_MAX_ARTICLE_SENTENCES", "300")


def test_rows_are_the_batch_endpoints_rows_and_bad_rows_become_error_rows(
    articles: list[str], tmp_path: Path, small_limits: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each line answers as POST /v1/summarize/batch answers it; none crashes, none is lost."""
    options = {"id": "options", "text": articles[1], "title": "A headline", "language": "en"}
    request_lines = [
        json.dumps({"id": "plain", "text": articles[0], "max_sentences": 2}),
        json.dumps({"id": 7, "text": "   "}),  # empty text
        '{"id": "torn", "text": "no end',  # not JSON
        json.dumps({"id": "long", "text": "Word. " * 5000}),  # over 20,000 characters
        json.dumps(["not", "an", "object"]),
        json.dumps({**options, "methods": ["textrank"]}),
    ]
    # The corpus form: `article` for `text`, and fields the request does not know.
    corpus_line = json.dumps({"id": "corpus", "article": articles[2], "reference": "A summary."})
    lines = [*request_lines[:2], "", *request_lines[2:], corpus_line]
    source = write_lines(tmp_path / "in.jsonl", lines)
    output = tmp_path / "out.jsonl"
    assert main(["batch", str(source), str(output), "--methods", "textrank"]) == 0
    rows = rows_of(output)

    # Line numbers are the file's (line 3 is blank: no row).
    assert [(row["id"], row["line"]) for row in rows] == [
        ("plain", 1), (7, 2), (None, 4), ("long", 5), (None, 6), ("options", 7), ("corpus", 8),
    ]  # fmt: skip
    assert [row.get("error", {}).get("code") for row in rows] == [
        None, "empty_input", "invalid_request", "input_too_long", "invalid_request", None, None,
    ]  # fmt: skip
    summary = capsys.readouterr().out
    assert "7 rows written" in summary
    assert "invalid_request 2" in summary
    assert "empty_input 1" in summary
    assert "input_too_long 1" in summary

    # The endpoint, on the same lines (with the command's --methods) and settings; the
    # corpus line as it is.
    served_lines = [
        request_lines[0].replace("{", '{"methods": ["textrank"], ', 1),
        *request_lines[1:],
        corpus_line.replace("{", '{"methods": ["textrank"], ', 1),
    ]
    settings = Settings(max_article_chars=20_000, max_article_sentences=300)
    with TestClient(create_app(settings, Engines())) as client:
        answer = started(client).post(
            "/v1/summarize/batch",
            content="\n".join(served_lines),
            headers={"Content-Type": "application/x-ndjson"},
        )
    served = [untimed(json.loads(line)) for line in answer.text.splitlines()]
    # The endpoint numbers the body's lines, the command the file's.
    assert [_numbered(row) for row in rows] == [_numbered(row) for row in served]


def _numbered(row: dict[str, Any]) -> str:
    # The row without its line number, in its fields and in its error message.
    return json.dumps({**row, "line": None}).replace(f"line {row['line']} ", "line N ")


def test_a_row_is_read_as_a_batch_line_is(
    articles: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`text` or `article`; an unknown field is the row's error, naming what it may have meant."""
    lines = [
        {"id": "text", "text": articles[0]},
        {"id": "article", "article": articles[0], "references": ["A summary."]},
        {"id": "typo", "text": articles[0], "max_sentence": 2},
        {"id": "both", "text": articles[0], "article": articles[0]},
    ]
    source = write_lines(tmp_path / "in.jsonl", [json.dumps(line) for line in lines])
    output = tmp_path / "out.jsonl"
    assert main(["batch", str(source), str(output), "--methods", "textrank"]) == 0
    rows = rows_of(output)
    assert rows[0]["result"] == rows[1]["result"]
    assert [row.get("error", {}).get("message") for row in rows[2:]] == [
        'max_sentence: unknown field; did you mean "max_sentences"?',
        'article: an alias of "text", which is given too; give one of the two',
    ]
    assert "invalid_request 2" in capsys.readouterr().out


def test_a_resumed_run_reports_only_what_it_did(
    articles: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its own rows and rate, its worker's real memory; with every row done, nothing to do."""
    source = write_lines(tmp_path / "in.jsonl", corpus(articles, 4))
    output, stats = tmp_path / "out.jsonl", tmp_path / "stats.json"
    write_lines(tmp_path / "first.jsonl", corpus(articles, 3))
    assert main(["batch", str(tmp_path / "first.jsonl"), str(output), "--methods", "textrank"]) == 0
    capsys.readouterr()
    command = ["batch", str(source), str(output), "--methods", "textrank", "--stats", str(stats)]
    assert main(command) == 0
    printed = " ".join(capsys.readouterr().out.split())  # rich wraps at the terminal's width
    assert "1 rows written" in printed
    assert "3 were there already" in printed
    resumed = json.loads(stats.read_text())
    assert resumed["rows_written"] == 1
    assert resumed["articles_per_s"] > 0
    assert resumed["workers"]["this process"]["peak_rss_mb"] > 50

    assert main(command) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "nothing to do: all 4 rows of" in printed
    assert "articles/s" not in printed
    assert "peak RSS" not in printed
    finished = json.loads(stats.read_text())
    assert finished["rows_written"] == 0
    assert finished["articles_per_s"] is None
    assert finished["workers"] == {}


def test_a_rerun_appends_only_the_rows_not_yet_written(articles: list[str], tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.jsonl", corpus(articles, 6))
    whole = tmp_path / "whole.jsonl"
    assert main(["batch", str(source), str(whole), "--methods", "textrank"]) == 0
    # A run that stopped while writing its third row: two rows and half of the third.
    lines = whole.read_text(encoding="utf-8").splitlines(keepends=True)
    resumed = tmp_path / "resumed.jsonl"
    resumed.write_text("".join(lines[:2]) + lines[2][:100], encoding="utf-8")
    assert main(["batch", str(source), str(resumed), "--methods", "textrank"]) == 0
    assert rows_of(resumed) == rows_of(whole)
    # Everything done: a third run writes nothing.
    before = resumed.read_bytes()
    assert main(["batch", str(source), str(resumed), "--methods", "textrank"]) == 0
    assert resumed.read_bytes() == before


def test_a_rerun_refuses_an_output_made_from_another_input(
    articles: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write_lines(tmp_path / "first.jsonl", corpus(articles, 2))
    other = write_lines(tmp_path / "other.jsonl", corpus(articles[1:], 2)[::-1])
    output = tmp_path / "out.jsonl"
    assert main(["batch", str(first), str(output), "--methods", "textrank"]) == 0
    written = output.read_bytes()
    assert main(["batch", str(other), str(output), "--methods", "textrank"]) == 2
    assert "OUTPUT was made from another INPUT" in capsys.readouterr().err
    assert output.read_bytes() == written


def test_parquet_in_and_out_give_the_json_lines_rows_and_resume(
    articles: list[str], tmp_path: Path
) -> None:
    records = [
        {"id": "p1", "text": articles[0], "methods": ["textrank"], "max_sentences": 2},
        {"id": "p2", "text": articles[1], "methods": None, "max_sentences": None},
        {"id": "p3", "text": "", "methods": None, "max_sentences": None},
    ]
    pq.write_table(pa.Table.from_pylist(records[:2]), tmp_path / "two.parquet")
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "three.parquet")
    jsonl = tmp_path / "three.jsonl"
    fields = [{k: v for k, v in r.items() if v is not None} for r in records]
    write_lines(jsonl, [json.dumps(r) for r in fields])
    expected = tmp_path / "expected.jsonl"
    assert main(["batch", str(jsonl), str(expected), "--methods", "textrank"]) == 0

    output = tmp_path / "out.parquet"
    assert main(["batch", str(tmp_path / "two.parquet"), str(output), "--methods", "textrank"]) == 0
    assert not (tmp_path / "out.parquet.partial.jsonl").exists()
    # The input grew by a row: the rerun adds just that row to the Parquet file.
    assert (
        main(["batch", str(tmp_path / "three.parquet"), str(output), "--methods", "textrank"]) == 0
    )
    assert pq.read_table(output).column_names == ["id", "line", "result", "error"]
    assert rows_of(output) == rows_of(expected)
    assert rows_of(output)[2]["error"]["code"] == "empty_input"


def _wait_for_rows(path: Path, rows: int, process: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= rows:
            return path.read_bytes().count(b"\n")
        time.sleep(0.01)
    raise AssertionError(f"the run ended or stalled before {rows} rows (status {process.poll()})")


@pytest.mark.slow
@pytest.mark.parametrize(("stop", "status"), [(signal.SIGINT, 130), (signal.SIGKILL, -9)])
def test_an_interrupted_run_loses_only_rows_in_flight_and_the_rerun_writes_none_twice(
    articles: list[str], tmp_path: Path, stop: signal.Signals, status: int
) -> None:
    """Ctrl-C or kill -9 of the command mid-run; the rerun completes the output exactly."""
    count = 200
    source = write_lines(tmp_path / "in.jsonl", corpus(articles, count))
    output = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "newsum", "batch", str(source), str(output),
               "--methods", "textrank"]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # As from a terminal: a background job (CI's, this test runner's) inherits SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        at_stop = _wait_for_rows(output, 10, process)
        process.send_signal(stop)
        out, _ = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == status
    written = output.read_bytes().count(b"\n")
    assert at_stop <= written < count, "the run was not stopped midway"
    if stop == signal.SIGINT:
        assert b"interrupted; rerun the same command to continue" in out

    assert main(["batch", str(source), str(output), "--methods", "textrank"]) == 0
    rows = list(read_output(output))
    assert [row["line"] for row in rows] == list(range(1, count + 1))
    assert all("result" in row for row in rows)


def test_batch_help_names_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["batch", "--help"])
    assert stopped.value.code == 0
    help_text = capsys.readouterr().out
    for option in ("--ray", "--actors", "--cpus-per-actor", "--batch-size", "--methods"):
        assert option in help_text


def test_the_commands_textrank_pick_holds_unless_a_row_says(
    tmp_path: Path, articles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--textrank-pick classic takes the sample's 0, 4, 17 (one visit told thrice); a row's
    own `textrank_pick` wins; without either, the distinct pick."""
    monkeypatch.setenv("NEWSUM_MODEL", "none")
    rows = [
        json.dumps({"id": "command", "text": articles[0]}),
        json.dumps({"id": "row", "text": articles[0], "textrank_pick": "distinct"}),
    ]
    source = write_lines(tmp_path / "in.jsonl", rows)

    def picks(output: Path, *options: str) -> list[list[int]]:
        assert main(["batch", str(source), str(output), "--methods", "textrank", *options]) == 0
        return [
            [s["source_sentences"][0] for s in row["result"]["summaries"]["textrank"]["sentences"]]
            for row in rows_of(output)
        ]

    assert picks(tmp_path / "classic.jsonl", "--textrank-pick", "classic") == [
        [0, 4, 17],
        [0, 2, 5],
    ]
    assert picks(tmp_path / "default.jsonl") == [[0, 2, 5], [0, 2, 5]]


def test_with_the_nli_judge_on_rows_carry_textranks_verdicts(
    tmp_path: Path, articles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """NEWSUM_NLI_MODEL judges each row's TextRank summary as the endpoint does, without
    an abstractive model loaded (--methods textrank)."""
    from newsum.models.article import read_article
    from newsum.models.nli import DEFAULT_BATCH_SIZE, DEFAULT_MAX_PAIRS, load_nli_model
    from tests.tiny_models import build_tiny_nli

    checkpoint = build_tiny_nli(
        tmp_path / "nli", "bert", [line for a in articles for line in a.splitlines()]
    )
    monkeypatch.setenv("NEWSUM_MODEL", "none")
    monkeypatch.setenv("NEWSUM_NLI_MODEL", str(checkpoint))
    source = write_lines(tmp_path / "in.jsonl", corpus(articles[:2], 2))
    output = tmp_path / "out.jsonl"
    assert main(["batch", str(source), str(output), "--methods", "textrank"]) == 0

    judge = load_nli_model(str(checkpoint))
    rows = rows_of(output)
    assert len(rows) == 2
    for row, text in zip(rows, articles[:2], strict=True):
        summary = row["result"]["summaries"]["textrank"]
        sentences = [s["text"] for s in summary["sentences"]]
        expected = judge.judge(
            read_article(text),
            sentences,
            max_pairs=DEFAULT_MAX_PAIRS,
            batch_size=DEFAULT_BATCH_SIZE,
        )
        assert summary["nli"] == {
            "mean": pytest.approx(expected.mean, abs=1e-5),
            "min": pytest.approx(expected.min, abs=1e-5),
            "pairs": expected.pairs,
            "capped": expected.capped,
        }
        for sentence, verdict in zip(summary["sentences"], expected.sentences, strict=True):
            assert sentence["nli"]["score"] == pytest.approx(verdict.score, abs=1e-5)
            assert sentence["nli"]["evidence"] == {
                "start_sentence": verdict.start_sentence,
                "end_sentence": verdict.end_sentence,
            }
