"""A corpus read row by row, and its answers kept so that a run can stop anywhere and resume.

INPUT is JSON lines (a row's `line` is its line number in the file; blank
lines are not rows) or Parquet (a row's `line` is its 1-based row number),
chosen by the extension (`.parquet`). Each row travels as JSON text, so a bad
line reaches the row's own parser and becomes that row's error.

Answers are appended to a journal, one JSON line each, flushed as each is
written: a run killed at any point (Ctrl-C, `kill -9`) leaves every answered
row on disk but the one being written, whose torn line is cut off when the
next run starts. That run skips the lines already answered (checking that
each holds the id INPUT has on that line) and appends the rest, so no row is
ever written twice. For a JSON-lines OUTPUT the journal is the output; for a
Parquet OUTPUT it is `OUTPUT.partial.jsonl`, which becomes (or is added to)
the Parquet file when the run ends. Parquet cannot hold the response's
varying shape as columns, so there `result` is the response as JSON text,
`id` a string, and `error` a struct of `code` and `message`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Container, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from newsum.models.errors import InvalidOption
from newsum.service.corpus.rows import RowOutput, id_key, record_id

_PARQUET = ".parquet"
_READ_BATCH_ROWS = 1024
_JOURNAL_SUFFIX = ".partial.jsonl"


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() == _PARQUET


def _pyarrow() -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet  # the submodule, as pa.parquet below
    except ImportError:
        raise InvalidOption(
            "Parquet needs pyarrow: pip install -e '.[parquet]' (or '.[ray]')"
        ) from None
    return pa


def count_rows(path: Path) -> int:
    """How many rows INPUT holds (Parquet: from its footer; JSON lines: one pass)."""
    if is_parquet(path):
        return int(_pyarrow().parquet.ParquetFile(path).metadata.num_rows)
    with path.open("rb") as handle:
        return sum(1 for raw in handle if raw.strip())


def check_resume(path: Path, done: dict[int, str | None]) -> None:
    """Refuse to resume into an OUTPUT whose rows do not have INPUT's ids on their lines."""
    checked = 0
    for line, record in _rows(path):
        if checked == len(done):
            return
        if line not in done:
            continue
        checked += 1
        try:
            given = id_key(record_id(json.loads(record)))
        except ValueError:
            given = None
        if given != done[line]:
            raise InvalidOption(
                f"OUTPUT's row for line {line} has id {done[line]!r} but INPUT's line {line} has "
                f"id {given!r}: OUTPUT was made from another INPUT; choose another OUTPUT"
            )


def read_rows(path: Path, done: Container[int]) -> Iterator[tuple[int, bytes]]:
    """(line, JSON text) of every row of INPUT whose line is not in `done`."""
    return ((line, record) for line, record in _rows(path) if line not in done)


def _rows(path: Path) -> Iterator[tuple[int, bytes]]:
    if not is_parquet(path):
        with path.open("rb") as handle:
            for line, raw in enumerate(handle, start=1):
                if raw.strip():
                    yield line, raw.rstrip(b"\r\n")
        return
    line = 0
    for batch in _pyarrow().parquet.ParquetFile(path).iter_batches(batch_size=_READ_BATCH_ROWS):
        for row in batch.to_pylist():
            line += 1
            # Parquet puts a null in each column a row leaves empty: not a field given.
            fields = {key: value for key, value in row.items() if value is not None}
            yield line, json.dumps(fields, ensure_ascii=False, default=str).encode("utf-8")


class Journal:
    """OUTPUT's rows so far, and the file new ones are appended to."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.parquet = is_parquet(output)
        self.path = output.with_name(output.name + _JOURNAL_SUFFIX) if self.parquet else output
        self._sink: IO[str] | None = None

    def done(self) -> dict[int, str | None]:
        """Line → id key of every row already answered (a torn last line is cut off first)."""
        done: dict[int, str | None] = {}
        if self.parquet and self.output.exists():
            table = _pyarrow().parquet.read_table(self.output, columns=["line", "id"])
            done.update(zip(table["line"].to_pylist(), table["id"].to_pylist(), strict=True))
        if self.path.exists():
            _cut_torn_line(self.path)
            for row in _journal_rows(self.path):
                done.setdefault(row["line"], id_key(row["id"]))
        return done

    def __enter__(self) -> Journal:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self._sink = self.path.open("a", encoding="utf-8")
        return self

    def write(self, row: RowOutput) -> None:
        assert self._sink is not None
        self._sink.write(row.json + "\n")
        self._sink.flush()  # on disk (in the OS) now: a killed run keeps it

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def finish(self) -> None:
        """For Parquet: the journal's rows added to OUTPUT (replaced atomically), then dropped."""
        if not self.parquet or not self.path.exists():
            return
        pa = _pyarrow()
        schema = pa.schema([
            ("id", pa.string()),
            ("line", pa.int64()),
            ("result", pa.string()),
            ("error", pa.struct([("code", pa.string()), ("message", pa.string())])),
        ])  # fmt: skip
        partial = self.output.with_name(self.output.name + ".tmp")
        seen: set[int] = set()
        with pa.parquet.ParquetWriter(partial, schema) as writer:
            if self.output.exists():
                old = pa.parquet.ParquetFile(self.output)
                for batch in old.iter_batches(batch_size=_READ_BATCH_ROWS):
                    seen.update(batch.column("line").to_pylist())
                    writer.write_batch(batch.cast(schema))
            rows: list[dict[str, Any]] = []
            # A run stopped between the replace and the removal below left rows in both.
            for row in _journal_rows(self.path):
                if row["line"] not in seen:
                    seen.add(row["line"])
                    rows.append(_parquet_row(row))
                if len(rows) == _READ_BATCH_ROWS:
                    writer.write_table(pa.Table.from_pylist(rows, schema))
                    rows = []
            writer.write_table(pa.Table.from_pylist(rows, schema))
        os.replace(partial, self.output)
        self.path.unlink()


def read_output(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a batch OUTPUT (either format) in the endpoint's shape, `result` parsed."""
    if not is_parquet(path):
        yield from _journal_rows(path)
        return
    for batch in _pyarrow().parquet.ParquetFile(path).iter_batches(batch_size=_READ_BATCH_ROWS):
        for row in batch.to_pylist():
            answer = {"id": row["id"], "line": row["line"]}
            if row["result"] is not None:
                answer["result"] = json.loads(row["result"])
            else:
                answer["error"] = row["error"]
            yield answer


def _parquet_row(row: dict[str, Any]) -> dict[str, Any]:
    result = row.get("result")
    return {
        "id": id_key(row["id"]),
        "line": row["line"],
        "result": None if result is None else json.dumps(result, ensure_ascii=False),
        "error": row.get("error"),
    }


def _journal_rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for raw in handle:
            if raw.strip():
                row: dict[str, Any] = json.loads(raw)
                yield row


def _cut_torn_line(path: Path) -> None:
    # Rows end with a newline; bytes after the last one are a row cut off mid-write.
    with path.open("rb+") as handle:
        size = handle.seek(0, os.SEEK_END)
        keep = size
        while keep > 0:
            step = min(keep, 1 << 16)
            handle.seek(keep - step)
            chunk = handle.read(step)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                keep = keep - step + newline + 1
                break
            keep -= step
        if keep < size:
            handle.truncate(keep)
