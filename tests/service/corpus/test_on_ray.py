"""`newsum batch --ray` on a real local Ray cluster: the in-process rows, and no row lost to a
killed actor. One cluster for the module (2 CPUs, this test process as its driver)."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray
from rich.console import Console

from newsum.service.cli.main import main
from newsum.service.corpus.job import BatchJob
from newsum.service.corpus.run import run_batch
from newsum.service.settings import Settings
from tests.service.corpus.test_run import corpus, rows_of, write_lines

DEV_CORPUS = Path(__file__).resolve().parents[4] / "shared" / "data" / "dev_summeval.jsonl"
pytestmark = [
    pytest.mark.slow,
    # Ray 2.60's DataContext() sets deprecated fields of its own as it is built.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context"),
]


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    # A cluster of its own, whatever RAY_ADDRESS says.
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    yield
    ray.shutdown()


def test_ray_rows_equal_the_in_process_rows_on_the_dev_corpus_though_an_actor_is_killed(
    cluster: None, tmp_path: Path
) -> None:
    """97 CNN/DailyMail articles, TextRank, two actors, one of them killed (SIGKILL) mid-run:
    Ray retries its batches, and the rows are the in-process rows, in order, each once."""
    here, there = tmp_path / "here.jsonl", tmp_path / "there.jsonl"
    assert main(["batch", str(DEV_CORPUS), str(here), "--methods", "textrank"]) == 0
    job = BatchJob(DEV_CORPUS, there, ("textrank",), 3, ray="auto", actors=2, batch_size=12)
    killed: list[tuple[int, int]] = []  # (pid, rows written when it was killed)

    def kill_an_actor() -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not killed:
            # Once the first batch is written the actors hold the next ones.
            written = there.read_bytes().count(b"\n") if there.exists() else 0
            actors = _actor_processes()
            if written and actors:
                os.kill(actors[0], signal.SIGKILL)
                killed.append((actors[0], written))
            time.sleep(0.005)

    killer = threading.Thread(target=kill_an_actor)
    killer.start()
    stats = run_batch(job, Settings(), Console(quiet=True))
    killer.join()
    assert killed, "no actor was killed"
    assert killed[0][1] < 97, "the actor was killed after the run had finished"
    rows = rows_of(there)
    assert [row["line"] for row in rows] == list(range(1, 98))
    assert rows == rows_of(here)
    # Actors answered, not the driver: at least two processes (which of them retried the
    # killed one's batch, the survivor or its restarted replacement, is Ray's choice).
    assert len(stats.workers) >= 2, stats.workers
    assert all(not name.endswith(f":{os.getpid()}") for name in stats.workers)


def test_the_tiny_seq2seq_model_on_actors_gives_the_in_process_summaries(
    cluster: None,
    tiny_bart: Path,
    sample_text: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each actor loads the model once through the production loader; same summaries."""
    monkeypatch.setenv("NEWSUM_MODEL", str(tiny_bart))
    monkeypatch.setenv("NEWSUM_BACKEND", "torch")
    monkeypatch.setenv("NEWSUM_COMPUTE_TYPE", "float32")
    monkeypatch.setenv("NEWSUM_EMBEDDING_MODEL", "none")
    source = write_lines(tmp_path / "in.jsonl", corpus(sample_text.split("\n\n"), 4))
    here, there = tmp_path / "here.jsonl", tmp_path / "there.jsonl"
    assert main(["batch", str(source), str(here)]) == 0
    command = ["batch", str(source), str(there), "--ray", "auto", "--actors", "1",
               "--cpus-per-actor", "2", "--batch-size", "2"]  # fmt: skip
    assert main(command) == 0
    rows = rows_of(there)
    assert rows == rows_of(here)
    blocks = [row["result"]["summaries"]["abstractive"] for row in rows]
    assert [block["status"] for block in blocks] == ["ok"] * 4
    assert all(block["text"] for block in blocks)


def _actor_processes() -> list[int]:
    """This test process's descendants that are Ray Data actors of `newsum batch`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            title = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if b"_Answerer" in title and _descends_from_us(int(entry)):
            found.append(int(entry))
    return found


def _descends_from_us(pid: int) -> bool:
    while pid > 1:
        if pid == os.getpid():
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state: ppid
    return False
