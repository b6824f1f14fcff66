"""Where a benchmark's figures go: a JSON report, a Markdown report, and the terminal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def publish(out: Path, stem: str, report: dict[str, Any], markdown: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / f"{stem}.md").write_text(markdown)
    print(markdown)
