"""The `newsum batch` scaling benchmark runs on any corpus, however small, and draws its plot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_a_one_article_corpus_reports_no_steady_rate_and_draws_its_plot(tmp_path: Path) -> None:
    """One answer is one arrival: no steady rate, said so, where it crashed on float(None)."""
    sample = (ROOT / "tests" / "data" / "sample_article.txt").read_text()
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps({"id": "one", "article": sample}) + "\n")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "newsum.benchmarks.perf.batch_scale",
               "--corpus", str(source), "--workloads", "textrank", "--repeats", "1",
               "--no-ray", "--out", str(out)]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "newsum batch runs" in result.stdout or "textrank / in process" in result.stdout
    report = json.loads((out / "batch_scale.json").read_text())
    measured = report["workloads"]["textrank"]["configs"]["in process"]
    assert measured["steady_articles_per_s"] is None
    assert measured["articles_per_s"] > 0
    assert measured["peak_rss_mb_per_worker"] > 50
    assert (
        "| textrank (1) | in process | none (one arrival) |" in (out / "batch_scale.md").read_text()
    )
    assert (out / "batch_scale.png").read_bytes().startswith(PNG_SIGNATURE)
