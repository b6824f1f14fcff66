"""The NLI cost benchmark runs end to end on a tiny DeBERTa-v3-layout model, per shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]


def test_reports_time_pairs_and_memory_per_shape_with_the_worst_case(tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "newsum.benchmarks.perf.nli_cost", "--shapes", "tiny",
               "--articles", "2", "--max-pairs", "12", "--batch-size", "4", "--worst-case",
               "--out", str(out)]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "nli_cost.json").read_text())
    tiny = report["shapes"]["tiny"]
    assert (report["max_pairs"], report["batch_size"], tiny["articles"]) == (12, 4, 2)
    assert 0 < tiny["pairs_per_article_max"] <= 12
    assert tiny["ms_per_article_median"] > 0
    assert tiny["ms_per_article_median"] <= tiny["ms_per_article_p90"] <= tiny["ms_per_article_max"]
    # The worst case fills the cap: every block is a run-on sentence cut at max_length.
    assert (tiny["worst_case_pairs"], tiny["worst_case_capped"]) == (12, True)
    assert tiny["peak_rss_mb"] > 50
    assert "| tiny |" in (out / "nli_cost.md").read_text()
