"""`newsum batch --ray`: the corpus on Ray Data, each actor answering rows as this process does.

read → `map_batches` on a pool of actors → the driver, which writes. The
driver puts the rows to do into Ray's object store (spilled to disk past its
memory), so workers need no access to INPUT; each actor builds one
`RowSummarizer` (the engines, loaded once) and answers its batches with it,
exactly as the in-process run does. Order is preserved, so rows reach the
journal in INPUT order. A killed actor is restarted by Ray and its batch
retried, so no row is lost (Ray Data's default, without a limit: a row that
killed every actor it met would hold the run up; the limits on an article's
characters and sentences bound what one row can cost).

Ray Data: https://docs.ray.io/en/latest/data/transforming-data.html
(stateful transforms, actor pools).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from newsum.models.errors import InvalidOption
from newsum.models.textrank import Pick
from newsum.models.types import Method
from newsum.service.corpus.job import BatchJob, WorkerUsage
from newsum.service.corpus.rows import RowOutput, RowSummarizer, peak_rss_mb
from newsum.service.settings import Settings

if TYPE_CHECKING:
    import pyarrow as pa


def answer_on_ray(
    job: BatchJob,
    settings: Settings,
    rows: Iterable[tuple[int, bytes]],
    workers: dict[str, WorkerUsage],
) -> Iterator[RowOutput]:
    """The output rows for `rows`, answered by a pool of `job.actors` actors, in order."""
    import ray

    started_here = _connect(job)
    try:
        dataset = _dataset(job, rows)
        if dataset is None:
            return
        answered = dataset.map_batches(
            _Answerer,
            fn_constructor_kwargs={
                "settings": settings,
                "methods": job.methods,
                "max_sentences": job.max_sentences,
                "textrank_pick": job.textrank_pick,
                "threads": max(1, int(job.cpus_per_actor)),
            },
            compute=ray.data.ActorPoolStrategy(size=job.actors),
            num_cpus=job.cpus_per_actor,
            batch_size=job.batch_size,
            batch_format="pyarrow",
        )
        for batch in answered.iter_batches(batch_size=None, batch_format="pyarrow"):
            for row in batch.to_pylist():
                usage = workers.setdefault(row["worker"], WorkerUsage())
                usage.rows += 1
                usage.busy_s = max(usage.busy_s, row["busy_s"])
                usage.peak_rss_mb = max(usage.peak_rss_mb, row["rss_mb"])
                yield RowOutput(row["line"], row["json"], row["error_code"])
    finally:
        if started_here:
            ray.shutdown()


class _Answerer:
    """A Ray Data actor: the engines, loaded once, answering batches of rows."""

    def __init__(
        self,
        settings: Settings,
        methods: tuple[Method, ...],
        max_sentences: int,
        textrank_pick: Pick,
        threads: int,
    ) -> None:
        if settings.torch_threads is None:  # the actor's CPUs, not every core of its node
            settings = settings.model_copy(update={"torch_threads": threads})
        self.summarizer = RowSummarizer(settings, methods, max_sentences, textrank_pick)
        self.name = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, batch: pa.Table) -> pa.Table:
        import pyarrow as pa

        answers = [
            self.summarizer.answer(line, record)
            for line, record in zip(
                batch.column("line").to_pylist(), batch.column("record").to_pylist(), strict=True
            )
        ]
        size = len(answers)
        return pa.table({
            "line": pa.array([a.line for a in answers], pa.int64()),
            "json": pa.array([a.json for a in answers], pa.string()),
            "error_code": pa.array([a.error_code for a in answers], pa.string()),
            # The usage so far of the process that answered: the driver's summary.
            "worker": pa.array([self.name] * size, pa.string()),
            "busy_s": pa.array([self.summarizer.busy_s] * size, pa.float64()),
            "rss_mb": pa.array([peak_rss_mb()] * size, pa.float64()),
        })  # fmt: skip


def _connect(job: BatchJob) -> bool:
    """Join (or start) the cluster `job.ray` names; True if this call started it."""
    import ray

    if ray.is_initialized():  # already connected (a test's cluster, a notebook's)
        return False
    if job.ray == "local":
        needed = job.actors * job.cpus_per_actor
        cores = os.cpu_count() or 1
        if needed > cores:
            raise InvalidOption(
                f"{job.actors} actors × {job.cpus_per_actor:g} CPUs need {needed:g} CPUs; "
                f"this machine has {cores}: lower --actors or --cpus-per-actor"
            )
        ray.init(num_cpus=cores, include_dashboard=False, logging_level=logging.WARNING)
    else:
        ray.init(address=job.ray, logging_level=logging.WARNING)
    return True


def _dataset(job: BatchJob, rows: Iterable[tuple[int, bytes]]) -> Any:
    """The rows as a Ray dataset of one block per batch, put by the driver; None if none."""
    import pyarrow as pa
    import ray

    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    # Ray Data's own progress bars and INFO lines would fight the command's bar.
    context.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    refs: list[Any] = []
    lines: list[int] = []
    records: list[bytes] = []

    def put() -> None:
        table = pa.table({"line": pa.array(lines, pa.int64()), "record": pa.array(records)})
        refs.append(ray.put(table))
        lines.clear()
        records.clear()

    for line, record in rows:
        lines.append(line)
        records.append(record)
        if len(records) == job.batch_size:
            put()
    if records:
        put()
    return ray.data.from_arrow_refs(refs) if refs else None
