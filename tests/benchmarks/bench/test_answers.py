"""`newsum bench --batch`: a `newsum batch` OUTPUT joined to the corpus by id and scored."""

from __future__ import annotations

import json
from pathlib import Path

from newsum.benchmarks.bench.run import main as bench
from newsum.service.cli.main import main
from tests.benchmarks.bench.test_run import corpus


def test_a_batch_output_scores_as_the_system_that_made_it(tmp_path: Path) -> None:
    """Its TextRank rows score exactly as the benchmark's own TextRank, in either format."""
    source = corpus(tmp_path)
    for output in ("archive.jsonl", "archive_pq.parquet"):
        command = ["batch", str(source), str(tmp_path / output), "--methods", "textrank"]
        assert main(command) == 0
    out = tmp_path / "out"
    arguments = [str(source), "--out", str(out), "--systems", "newsum-textrank",
                 "--batch", str(tmp_path / "archive.jsonl"),
                 "--batch", str(tmp_path / "archive_pq.parquet")]  # fmt: skip
    assert bench(arguments) == 0
    report = json.loads((out / "report.json").read_text())
    systems = report["systems"]
    assert set(systems) == {"newsum textrank", "archive textrank", "archive_pq textrank"}
    own = systems["newsum textrank"]
    for name in ("archive textrank", "archive_pq textrank"):
        assert systems[name]["articles"] == own["articles"] == 5
        assert systems[name]["rouge"] == own["rouge"]
    # The corpus's two bad rows are error rows in the OUTPUT, not joined: their ids are skipped.
    rows = [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()]
    assert not [row for row in rows if "error" in row]
