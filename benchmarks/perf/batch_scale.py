"""Articles per second of `newsum batch`: in process, and on Ray with 1 and 2 actors, one run.

    .venv/bin/pip install -e '.[ray]'
    .venv/bin/python -m newsum.benchmarks.perf.batch_scale [--workloads textrank,tiny,distilbart]

Each configuration is the real command (`newsum batch ... --stats`) in a
process of its own, one after another on the same corpus: the dev set's 97
CNN/DailyMail articles (`../shared/data/dev_summeval.jsonl`). Workloads:
TextRank with its comparison and attribution (`--methods textrank`); the tiny
random BART of the tests; and a random-weight model of distilbart-cnn-12-6's
shape (saved once, as `abstractive_speed.py` does) on CTranslate2 int8, the
fastest backend measured over HTTP, greedy with exactly 60 new tokens per
article (each row's `generation`), in Ray batches of 2 rows (TextRank: the
default 16). Figures: the steady rate (after the first
answers, so without Ray's start and the engines' loading), the start-up time,
the Ray overhead per article (1 / Ray's rate − 1 / the in-process rate, same
CPUs: one actor with both cores), the bytes that travel through the object
store per article (the row in, its answer out), and each actor's peak memory.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from newsum.benchmarks.output import CHECKOUT, RESULTS, SHARED, publish

CONFIGS = {  # name: extra arguments of `newsum batch`
    "in process": [],
    "ray, 1 actor x 2 CPUs": ["--ray", "local", "--actors", "1", "--cpus-per-actor", "2"],
    "ray, 2 actors x 1 CPU": ["--ray", "local", "--actors", "2", "--cpus-per-actor", "1"],
}
_NEW_TOKENS = 60  # as abstractive_speed.py


def main() -> int:
    args = _parser().parse_args()
    work = Path(tempfile.mkdtemp(prefix="batch-scale-"))
    articles = [json.loads(line) for line in args.corpus.read_text().splitlines()]
    report: dict[str, Any] = {
        "corpus": str(args.corpus),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "repeats": args.repeats,
        "workloads": {},
    }
    for workload in args.workloads.split(","):
        environment, rows = _workload(workload, articles, args)
        source = work / f"{workload}.jsonl"
        source.write_text("".join(json.dumps(row) + "\n" for row in rows))
        results = {}
        for name, extra in CONFIGS.items():
            # Abstractive rows take seconds: small batches spread them over the actors.
            if workload != "textrank" and extra:
                extra = [*extra, "--batch-size", "2"]
            runs = [_run(source, work, extra, environment) for _ in range(args.repeats)]
            results[name] = _summary(runs)
            print(f"{workload} / {name}: {json.dumps(results[name])}", flush=True)
        base = results["in process"]["steady_articles_per_s"]
        for result in results.values():
            rate = result["steady_articles_per_s"]
            result["ratio_to_in_process"] = rate / base if base and rate else None
            result["overhead_ms_per_article"] = (
                1000 * (1 / rate - 1 / base) if base and rate else None
            )
        report["workloads"][workload] = {"rows": len(rows), "configs": results}
    publish(args.out, "batch_scale", report, _markdown(report))
    return 0


def _workload(
    name: str, articles: list[dict[str, Any]], args: argparse.Namespace
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The NEWSUM_* settings and the rows of one workload."""
    off = {"NEWSUM_EMBEDDING_MODEL": "none"}
    if name == "textrank":
        rows = [{"id": a["id"], "article": a["article"], "methods": ["textrank"]} for a in articles]
        return off, rows
    greedy = {"num_beams": 1, "min_length": _NEW_TOKENS, "max_length": _NEW_TOKENS}
    rows = [
        {"id": a["id"], "article": a["article"], "methods": ["abstractive"], "generation": greedy}
        for a in articles[: args.abstractive_rows]
    ]
    if name == "tiny":
        # The tests' builder (tests/ is outside the type-checked packages; run from the root).
        tiny_models = importlib.import_module("tests.tiny_models")
        folder = tiny_models.build_tiny_bart(
            args.out / "tiny-bart", [a["article"] for a in articles]
        )
        rows = [{**row, "generation": {"num_beams": 1}} for row in rows]
        return {**off, "NEWSUM_MODEL": str(folder), "NEWSUM_BACKEND": "torch"}, rows
    if name == "distilbart":
        from newsum.benchmarks.perf.abstractive_speed import save_random_checkpoint

        save_random_checkpoint(SHARED / "model-shapes" / "distilbart-cnn-12-6.json", args.model)
        settings = {"NEWSUM_MODEL": str(args.model), "NEWSUM_BACKEND": "ctranslate2",
                    "NEWSUM_COMPUTE_TYPE": "int8"}  # fmt: skip
        return {**off, **settings}, rows
    raise SystemExit(f"unknown workload {name!r}: textrank, tiny or distilbart")


def _run(source: Path, work: Path, extra: list[str], environment: dict[str, str]) -> dict[str, Any]:
    output, stats = work / "out.jsonl", work / "stats.json"
    output.unlink(missing_ok=True)
    command = [sys.executable, "-m", "newsum", "batch", str(source), str(output),
               "--stats", str(stats), *extra]  # fmt: skip
    subprocess.run(
        command,
        cwd=CHECKOUT,
        env={**os.environ, **environment},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    result: dict[str, Any] = json.loads(stats.read_text())
    errors = result["errors"]
    if errors:
        raise SystemExit(f"{extra}: rows failed: {errors}")
    return result


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the repeats."""

    def median(pick: Any) -> float:
        return float(statistics.median(pick(run) for run in runs))

    return {
        "steady_articles_per_s": median(lambda r: r["steady_articles_per_s"]),
        "articles_per_s": median(lambda r: r["articles_per_s"]),
        "elapsed_s": median(lambda r: r["elapsed_s"]),
        "first_answers_s": median(lambda r: r["first_row_s"]),
        "object_store_bytes_per_article": median(
            lambda r: r["input_bytes_per_row"] + r["output_bytes_per_row"]
        ),
        "peak_rss_mb_per_worker": median(
            lambda r: max(w["peak_rss_mb"] for w in r["workers"].values())
        ),
        "workers": len(runs[-1]["workers"]),
    }


def _markdown(report: dict[str, Any]) -> str:
    lines = [f"# newsum batch: in process and on Ray ({report['machine']})", ""]
    lines += [
        "| workload (rows) | configuration | steady articles/s (× in process) | start-up s | "
        "Ray overhead ms/article | object store kB/article | peak RSS MB per worker |",
        "|---|---|---|---|---|---|---|",
    ]
    for workload, data in report["workloads"].items():
        for name, r in data["configs"].items():
            ratio = r["ratio_to_in_process"]
            overhead = r["overhead_ms_per_article"] if name != "in process" else None
            lines.append(
                f"| {workload} ({data['rows']}) | {name} | {r['steady_articles_per_s']:.2f}"
                f" ({ratio:.2f}×) | {r['first_answers_s']:.1f} | "
                f"{'' if overhead is None else f'{overhead:.1f}'} | "
                f"{r['object_store_bytes_per_article'] / 1000:.1f} | "
                f"{r['peak_rss_mb_per_worker']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "data" / "dev_summeval.jsonl")
    parser.add_argument("--workloads", default="textrank,tiny,distilbart")
    parser.add_argument("--abstractive-rows", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--model",
        type=Path,
        default=RESULTS / "random-distilbart-cnn-12-6",
        help="where the random-weight distilbart is saved (once)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "batch")
    return parser


if __name__ == "__main__":
    sys.exit(main())
