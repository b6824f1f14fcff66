"""The edge benchmark runs cases against a real `newsum serve`, reported with the commit."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from newsum.benchmarks.perf.edge_server import Checkout

ROOT = Path(__file__).parents[3]


@pytest.mark.live_server
@pytest.mark.slow
def test_three_cases_report_an_outcome_a_probed_healthz_and_the_hang_up_as_499(
    tmp_path: Path,
) -> None:
    """A header case, a stalled body ended by the wait cap, a hang-up counted 499, not 500."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "newsum.benchmarks.perf.edge", "--cases", "1,6,7",
               "--wait-cap-s", "2", "--out", str(out)]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=110)
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "edge.json").read_text())
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert report["commit"].startswith(head)
    rows = {row["case"].split(".")[0]: row for row in report["rows"]}
    assert list(rows) == ["1", "6", "7"]
    assert re.fullmatch(r"\d{3}|closed|reset", rows["1"]["outcome"])
    assert re.fullmatch(r"\d{3}|closed|reset|no answer within 2 s", rows["6"]["outcome"])
    assert rows["7"]["summarize_status_delta"] == {"499": 1}
    for row in rows.values():
        assert row["healthz_probes"] > 0
        assert row["healthz_failed"] == 0
        assert row["server_cpu_s"] >= 0
    assert "| 7. hang-up mid-upload | counted 499: +1 |" in (out / "edge.md").read_text()


def test_a_folder_whose_python_imports_another_newsum_is_refused(tmp_path: Path) -> None:
    """Measuring the editable install instead of the checkout asked for would mislabel figures."""
    with pytest.raises(SystemExit, match="does not import newsum from"):
        Checkout.at(tmp_path)
