"""The corpus benchmark: its scoring, its report and plots, HTTP mode, and resuming."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from newsum.benchmarks.bench.run import main as bench
from newsum.benchmarks.bench.scoring import mean_interval, reference_scores
from newsum.service.cli.main import main
from tests.service.conftest import live_server

DATA = Path(__file__).parents[2] / "data"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_rouge_matches_hand_computed_values() -> None:
    # 7 summary tokens, 6 reference tokens, all 6 shared: P 6/7, R 1, F1 12/13.
    scores = reference_scores(
        "the cat was found under the bed", ["the cat was under the bed"], "en"
    )
    assert scores["rouge1"] == pytest.approx(12 / 13)
    # Bigrams: 6 in the summary, 5 in the reference, 4 shared: F1 = 2*(4/6)*(4/5)/(4/6+4/5).
    assert scores["rouge2"] == pytest.approx(2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5))
    assert scores["rougeL"] == pytest.approx(12 / 13)


def test_the_best_of_several_references_counts() -> None:
    scores = reference_scores("dogs bark", ["cats purr", "dogs bark loudly"], "en")
    assert scores["rouge1"] == pytest.approx(2 * 1 * (2 / 3) / (1 + 2 / 3))


def test_rouge_lsum_reads_sentence_by_sentence() -> None:
    # LCS per reference sentence, unioned over summary sentences (Lin 2004, ROUGE-L summary-level).
    summary = "The cat sat. The dog ran."
    reference = "The dog ran. The cat sat."
    scores = reference_scores(summary, [reference], "en")
    assert scores["rougeLsum"] == pytest.approx(1.0)
    assert scores["rougeL"] < 1.0  # one LCS over the whole text misses the swap


def test_bootstrap_interval_of_constant_values_is_a_point() -> None:
    assert mean_interval([0.4] * 10) == {"mean": 0.4, "low": 0.4, "high": 0.4}
    spread = mean_interval([0.0, 1.0] * 20)
    assert spread["low"] < 0.5 < spread["high"]


def corpus(tmp_path: Path) -> Path:
    rows = [json.loads(line) for line in (DATA / "newsroom_sample.jsonl").read_text().splitlines()]
    sample = (DATA / "sample_article.txt").read_text()
    rows.append({"id": "sample", "article": sample,
                 "reference": [sample.splitlines()[0], sample.splitlines()[-2]]})  # fmt: skip
    rows.append({"id": "paragraphs", "article": "\n".join(sample.splitlines()[1:4]),
                 "reference": "Syria's foreign minister visited Baghdad."})  # fmt: skip
    lines = [json.dumps(row) for row in rows]
    lines.insert(2, json.dumps({"id": "bad", "article": "   ", "reference": "x"}))
    lines.insert(3, "{not json")
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(tmp_path: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / "out"
    assert bench([str(corpus(tmp_path)), "--out", str(out), *extra]) == 0
    return dict(json.loads((out / "report.json").read_text()))


def test_report_on_a_five_article_corpus(tmp_path: Path) -> None:
    report = run(tmp_path, "--systems", "lead-3,newsum-textrank,newsum-abstractive",
                 "--model", str(tmp_path / "no-model-here"))  # fmt: skip
    assert report["records"] == 5
    assert [row["reason"] for row in report["skipped"]] == [
        "empty or missing article",
        "not JSON: Expecting property name enclosed in double quotes",
    ]
    assert set(report["systems"]) == {"lead-3", "newsum textrank"}
    assert "does not exist" in report["unavailable"]["newsum abstractive"]
    textrank = report["systems"]["newsum textrank"]
    assert textrank["articles"] == 5
    for kind in ("rouge1", "rouge2", "rougeL", "rougeLsum"):
        interval = textrank["rouge"][kind]
        assert 0 <= interval["low"] <= interval["mean"] <= interval["high"] <= 1
    # Lead-3 is all lead, except in the article whose first paragraph has two sentences.
    assert report["systems"]["lead-3"]["position"] == pytest.approx(
        {"lead": 14 / 15, "body": 1 / 15, "closing": 0.0}
    )
    # Lead-3 keeps most of the lead and adds nothing; TextRank reaches beyond it.
    lead3 = report["systems"]["lead-3"]
    assert lead3["summary_added"]["mean"] == pytest.approx(1 / 15)
    assert lead3["lead_kept"]["mean"] > 0.8
    assert textrank["summary_added"]["mean"] > lead3["summary_added"]["mean"]
    for share in ("lead_kept", "summary_added"):
        interval = textrank[share]
        assert 0 <= interval["low"] <= interval["mean"] <= interval["high"] <= 1
    assert set(textrank["latency_ms"]) == {"p50", "p95", "p99"}
    assert textrank["articles_per_s"] > 0
    assert report["peak_rss_mb"] > 0
    out = tmp_path / "out"
    for image in ("rouge.png", "position.png", "latency.png"):
        data = (out / image).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 5_000
    markdown = (out / "report.md").read_text()
    assert "![rouge.png](rouge.png)" in markdown
    assert "newsum abstractive | unavailable" in markdown
    assert "| lead kept | summary added |" in markdown


def test_published_outputs_join_as_rows(tmp_path: Path) -> None:
    report = run(tmp_path, "--systems", "lead-3",
                 "--published", str(DATA / "newsroom_outputs_sample.jsonl"))  # fmt: skip
    published = report["systems"]["published pointer_c"]
    assert published["articles"] == 1
    assert published["support"]["sentences"] == 5
    assert published["latency_ms"] is None


def test_an_interrupted_run_continues_where_it_stopped(tmp_path: Path) -> None:
    first = run(tmp_path, "--systems", "lead-3,newsum-textrank")
    rows_path = tmp_path / "out" / "rows.jsonl"
    rows = rows_path.read_text().splitlines()
    assert len(rows) == 10
    # Interrupted after three rows, the fourth half written.
    rows_path.write_text("\n".join(rows[:3]) + "\n" + rows[3][: len(rows[3]) // 2])
    again = run(tmp_path, "--systems", "lead-3,newsum-textrank")
    finished = [
        json.loads(line) for line in rows_path.read_text().splitlines() if line.endswith("}")
    ]
    assert len(finished) == 10
    assert len({(row["system"], row["id"]) for row in finished}) == 10
    assert (
        again["systems"]["newsum textrank"]["rouge"] == first["systems"]["newsum textrank"]["rouge"]
    )


@pytest.mark.live_server
def test_http_mode_against_a_live_server(tmp_path: Path) -> None:
    with live_server("--steps", "1", "--step-s", "0", embedding_model="none") as server:
        report = run(tmp_path, "--url", server.url, "--concurrency", "3")
    assert report["http"]["status_counts"] == {"200": 5}
    assert report["http"]["concurrency"] == 3
    assert report["systems"]["service textrank"]["articles"] == 5
    assert report["systems"]["service abstractive"]["articles"] == 5
    assert report["systems"]["service abstractive"]["support"] is not None


def test_a_corpus_line_has_the_batch_endpoints_shape(tmp_path: Path) -> None:
    """`text` or `article`, `references` over `reference`; bad fields named, the row skipped."""
    sample = (DATA / "sample_article.txt").read_text()
    lines = [
        {"id": "text", "text": sample, "reference": "Syria's foreign minister visited Baghdad."},
        {"id": "article", "article": sample, "title": "Shaibani in Baghdad",
         "reference": "Unrelated words entirely.",
         "references": ["Syria's foreign minister visited Baghdad."]},
        {"id": "typo", "article": sample, "refrence": "A summary."},
        {"id": "both", "text": sample, "article": sample, "reference": "A summary."},
        {"id": "no text", "title": "A headline", "reference": "A summary."},
    ]  # fmt: skip
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "out"
    assert bench([str(path), "--out", str(out), "--systems", "lead-3"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["records"] == 2
    assert [(row["id"], row["reason"]) for row in report["skipped"]] == [
        ("typo", 'refrence: unknown field; did you mean "reference"?'),
        ("both", 'article: an alias of "text", which is given too; give one of the two'),
        ("no text", "empty or missing text"),
    ]
    rows = {
        row["id"]: row for row in map(json.loads, (out / "rows.jsonl").read_text().splitlines())
    }
    # The same article against the same reference: `references` was taken over `reference`.
    assert rows["article"]["rouge"] == rows["text"]["rouge"]


@pytest.mark.live_server
def test_an_unavailable_model_is_reported_alike_in_process_over_http_and_from_a_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same row and reason: in process, with --url and with --batch (NEWSUM_MODEL=none)."""
    monkeypatch.setenv("NEWSUM_MODEL", "none")
    monkeypatch.setenv("NEWSUM_EMBEDDING_MODEL", "none")
    source = corpus(tmp_path)
    for folder in ("in", "http", "batch"):
        (tmp_path / folder).mkdir()
    in_process = run(tmp_path / "in", "--systems", "newsum-abstractive", "--model", "none")
    with live_server("--engine", "settings") as server:
        over_http = run(tmp_path / "http", "--url", server.url)
    assert main(["batch", str(source), str(tmp_path / "archive.jsonl")]) == 0
    from_batch = run(tmp_path / "batch", "--systems", "lead-3",
                     "--batch", str(tmp_path / "archive.jsonl"))  # fmt: skip
    reason = "the abstractive engine is off (NEWSUM_MODEL=none)"
    assert in_process["unavailable"] == {"newsum abstractive": reason}
    assert over_http["unavailable"] == {"service abstractive": reason}
    assert from_batch["unavailable"] == {"archive abstractive": reason}
    # TextRank answered all along; the abstractive system is a row of its own, with its reason.
    assert over_http["systems"]["service textrank"]["articles"] == 5
    assert from_batch["systems"]["archive textrank"]["articles"] == 5
    for folder, name in (("in", "newsum"), ("http", "service"), ("batch", "archive")):
        markdown = (tmp_path / folder / "out" / "report.md").read_text()
        assert f"| {name} abstractive | unavailable: {reason} |" in markdown
