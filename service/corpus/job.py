"""What `newsum batch` was asked to do, and what each worker reports: shared by the run in this
process and the run on Ray, so that neither imports the other's module for its types."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsum.models.textrank import Pick
from newsum.models.types import Method


@dataclass(frozen=True)
class BatchJob:
    """What `newsum batch` was asked to do."""

    input: Path
    output: Path
    methods: tuple[Method, ...]
    max_sentences: int
    textrank_pick: Pick = "distinct"
    ray: str | None = None  # None: in this process; else `local`, `auto` or an address
    actors: int = 2
    cpus_per_actor: float = 1.0
    batch_size: int = 16


@dataclass
class WorkerUsage:
    """One process that answered rows: its peak memory and the time it spent on rows."""

    peak_rss_mb: float = 0.0
    busy_s: float = 0.0
    rows: int = 0
