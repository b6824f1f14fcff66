"""`newsum batch`: summarise a corpus into a file, in this process or on a Ray cluster.

Rows are answered by `service.corpus.rows` (in this process, or in Ray actors
by `service.corpus.on_ray`, imported only then) and kept by `service.corpus.files`'s
journal as they arrive, so a run can stop anywhere and resume. A progress bar
shows the rate and the time left; the run ends with a summary: rows, errors by
code, articles per second, and each worker's peak memory.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from newsum.service.corpus.files import Journal, check_resume, count_rows, read_rows
from newsum.service.corpus.job import BatchJob, WorkerUsage
from newsum.service.corpus.rows import RowOutput, RowSummarizer, peak_rss_mb
from newsum.service.settings import Settings

INTERRUPTED = 130  # the shell's status for a run stopped by SIGINT
# Rows that reach the driver within this of the first are one arrival (a Ray batch).
_SAME_ARRIVAL_S = 0.005


@dataclass
class BatchStats:
    """The end summary (also written as JSON with --stats)."""

    rows_total: int
    rows_done_before: int
    rows_written: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    first_row_s: float | None = None  # start-up: engines loaded (Ray started) and a batch done
    steady_articles_per_s: float | None = None  # after the first answers arrived
    input_bytes_per_row: float = 0.0
    output_bytes_per_row: float = 0.0
    workers: dict[str, WorkerUsage] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def articles_per_s(self) -> float | None:
        """This run's rows over its time (engines' loading included); none without a row."""
        return self.rows_written / self.elapsed_s if self.rows_written else None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "articles_per_s": self.articles_per_s}


def run_batch(job: BatchJob, settings: Settings, console: Console) -> BatchStats:
    """Answer every row of `job.input` not yet in `job.output`; the summary of this run."""
    started = time.perf_counter()
    journal = Journal(job.output)
    done = journal.done()
    check_resume(job.input, done)
    stats = BatchStats(rows_total=count_rows(job.input), rows_done_before=len(done))
    sizes = _Sizes()
    rows = sizes.count(read_rows(job.input, done))
    errors: Counter[str] = Counter()
    first_rows = 0
    first_at = 0.0
    left = stats.rows_total - len(done)
    if left <= 0:  # every row answered already: no engine is loaded, nothing is measured
        stats.elapsed_s = time.perf_counter() - started
        journal.finish()
        return stats
    with journal, _progress(console) as progress:
        task = progress.add_task("summarising", total=left)
        try:
            for output in _answers(job, settings, rows, stats.workers):
                journal.write(output)
                stats.rows_written += 1
                sizes.output += len(output.json) + 1
                if output.error_code:
                    errors[output.error_code] += 1
                # Rows arrive one by one here and a batch at a time from Ray: the
                # steady rate is counted from the first arrival on.
                now = time.perf_counter()
                first_at = first_at or now
                if now - first_at < _SAME_ARRIVAL_S:
                    first_rows = stats.rows_written
                progress.advance(task)
        except KeyboardInterrupt:
            stats.interrupted = True
    stats.elapsed_s = time.perf_counter() - started
    if not stats.interrupted:
        journal.finish()
    stats.errors = dict(errors.most_common())
    if first_at:
        stats.first_row_s = first_at - started
        later = stats.rows_written - first_rows
        end = started + stats.elapsed_s
        stats.steady_articles_per_s = later / (end - first_at) if later else None
    stats.input_bytes_per_row = sizes.input / max(sizes.rows, 1)
    stats.output_bytes_per_row = sizes.output / max(stats.rows_written, 1)
    return stats


def _answers(
    job: BatchJob,
    settings: Settings,
    rows: Iterable[tuple[int, bytes]],
    workers: dict[str, WorkerUsage],
) -> Iterator[RowOutput]:
    if job.ray is not None:
        from newsum.service.corpus.on_ray import answer_on_ray

        yield from answer_on_ray(job, settings, rows, workers)
        return
    summarizer = RowSummarizer(settings, job.methods, job.max_sentences, job.textrank_pick)
    # Its engines loaded: a worker's memory from then on, rows answered or not.
    usage = workers.setdefault("this process", WorkerUsage(peak_rss_mb=peak_rss_mb()))
    for line, record in rows:
        yield summarizer.answer(line, record)
        usage.rows += 1
        usage.busy_s = summarizer.busy_s
        usage.peak_rss_mb = peak_rss_mb()


class _Sizes:
    """Bytes read and written, for the object-store transfer per article."""

    def __init__(self) -> None:
        self.input = self.output = self.rows = 0

    def count(self, rows: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
        for line, record in rows:
            self.input += len(record)
            self.rows += 1
            yield line, record


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )


class _RateColumn(ProgressColumn):
    """Articles per second since the start (Ray's answers arrive a batch at a time)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed
        if not elapsed or not task.completed:
            return Text("- articles/s")
        return Text(f"{task.completed / elapsed:.2f} articles/s")


def print_summary(stats: BatchStats, job: BatchJob, console: Console) -> None:
    """The end summary: rows, errors by code, rate, workers."""
    where = f"Ray ({job.ray}), {job.actors} actors" if job.ray else "in process"
    state = "interrupted; rerun the same command to continue" if stats.interrupted else "done"
    if not stats.rows_written and not stats.interrupted:
        console.print(
            f"[bold]nothing to do[/]: all {stats.rows_total} rows of {job.input} are in "
            f"{job.output} already; no row was summarised"
        )
        return
    console.print(
        f"[bold]{state}[/]: {stats.rows_written} rows written to {job.output} "
        f"({stats.rows_done_before} were there already, {stats.rows_total} in {job.input}), "
        f"{where}"
    )
    errors = ", ".join(f"{code} {count}" for code, count in stats.errors.items())
    console.print(f"errors: {errors or 'none'}")
    # This run's rate: of the rows it wrote, in its own time (a resumed run's too).
    per_s = f"{stats.articles_per_s:.2f} articles/s" if stats.articles_per_s else "no row done"
    rate = f"{stats.elapsed_s:.1f} s, {per_s}"
    if stats.steady_articles_per_s and stats.first_row_s is not None:
        rate += (
            f" ({stats.steady_articles_per_s:.2f}/s after the first answers "
            f"at {stats.first_row_s:.1f} s)"
        )
    console.print(rate)
    for name, usage in sorted(stats.workers.items()):
        console.print(
            f"worker {name}: {usage.rows} rows, busy {usage.busy_s:.1f} s, "
            f"peak RSS {usage.peak_rss_mb:.0f} MB"
        )


def write_stats(stats: BatchStats, path: Path) -> None:
    path.write_text(json.dumps(stats.as_json(), indent=2) + "\n", encoding="utf-8")
