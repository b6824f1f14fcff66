"""Where a benchmark's figures go (a JSON report, a Markdown report, and the terminal), and
where a checkout keeps its inputs: the measurement scripts run from a checkout with the
development data in `../shared` beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# benchmarks/output.py in a checkout (newsum/benchmarks is a link to benchmarks/).
CHECKOUT = Path(__file__).resolve().parents[1]
SHARED = CHECKOUT.parent / "shared"
RESULTS = CHECKOUT / "benchmarks" / "results"


def publish(out: Path, stem: str, report: dict[str, Any], markdown: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / f"{stem}.md").write_text(markdown)
    print(markdown)
