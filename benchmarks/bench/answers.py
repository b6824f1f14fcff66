"""The answers of a `newsum batch` OUTPUT (JSON lines or Parquet), by id, for `newsum bench`.

The format is `service.corpus.files`'s; benchmarks read files, never import the
service: a row is `{"id", "line", "result"}` or `{"id", "line", "error"}`, and
in Parquet `id` is a string and `result` the response as JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def read_answers(path: Path) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
    """(id, the summarize response or None, the error code or None) for each row."""
    for row in _rows(path):
        given = row.get("id")
        key = str(given) if given not in (None, "") else f"line-{row['line']}"
        error = row.get("error")
        yield key, row.get("result"), error["code"] if error else None


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix.lower() != ".parquet":
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)
        return
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches():
        for row in batch.to_pylist():
            result = row["result"]
            yield {**row, "result": json.loads(result) if result is not None else None}
