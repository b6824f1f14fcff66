"""Articles per second of `newsum batch`: in process, and on Ray with 1 and 2 actors, one run.

    .venv/bin/pip install -e '.[ray,bench]'
    .venv/bin/python -m newsum.benchmarks.perf.batch_scale [--workloads textrank,tiny,distilbart]
        [--no-ray] [--corpus CORPUS.jsonl] [--repeats N]

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
A progress bar counts the runs; the report (`batch_scale.json`, `.md`) comes with
its plot, `batch_scale.png` (steady rate and peak memory per configuration). A
corpus too small for a steady rate (every answer in one arrival: a Ray batch)
reports none, not a crash.
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

from rich.progress import Progress

from newsum.benchmarks.output import CHECKOUT, RESULTS, SHARED, publish

CONFIGS = {  # name: extra arguments of `newsum batch`
    "in process": [],
    "ray, 1 actor x 2 CPUs": ["--ray", "local", "--actors", "1", "--cpus-per-actor", "2"],
    "ray, 2 actors x 1 CPU": ["--ray", "local", "--actors", "2", "--cpus-per-actor", "1"],
}
_NEW_TOKENS = 60  # as abstractive_speed.py


def main() -> int:
    args = _parser().parse_args()
    configs = {name: CONFIGS[name] for name in CONFIGS if name == "in process" or not args.no_ray}
    workloads = [name.strip() for name in args.workloads.split(",") if name.strip()]
    articles = [json.loads(line) for line in args.corpus.read_text().splitlines()]
    report: dict[str, Any] = {
        "corpus": str(args.corpus),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "repeats": args.repeats,
        "workloads": {},
    }
    with Progress() as progress:
        runs = len(workloads) * len(configs) * args.repeats
        task = progress.add_task("newsum batch runs", total=runs)
        for workload in workloads:
            environment, rows = _workload(workload, articles, args)
            results = {}
            for name, extra in configs.items():
                # Abstractive rows take seconds: small batches spread them over the actors.
                if workload != "textrank" and extra:
                    extra = [*extra, "--batch-size", "2"]
                progress.update(task, description=f"{workload} / {name}")
                results[name] = _summary([
                    _run(rows, extra, environment, lambda: progress.advance(task))
                    for _ in range(args.repeats)
                ])  # fmt: skip
                progress.console.print(f"{workload} / {name}: {json.dumps(results[name])}")
            _compare(results)
            report["workloads"][workload] = {"rows": len(rows), "configs": results}
    image = _plot(report, args.out)
    publish(args.out, "batch_scale", report, _markdown(report) + f"\n![{image}]({image})\n")
    return 0


def _compare(results: dict[str, dict[str, Any]]) -> None:
    """Each configuration's steady rate as a ratio to the in-process one, and Ray's overhead."""
    base = results.get("in process", {}).get("steady_articles_per_s")
    for result in results.values():
        rate = result["steady_articles_per_s"]
        result["ratio_to_in_process"] = rate / base if base and rate else None
        result["overhead_ms_per_article"] = 1000 * (1 / rate - 1 / base) if base and rate else None


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


def _run(
    rows: list[dict[str, Any]], extra: list[str], environment: dict[str, str], done: Any
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="batch-scale-") as folder:
        work = Path(folder)
        source, output, stats = work / "in.jsonl", work / "out.jsonl", work / "stats.json"
        source.write_text("".join(json.dumps(row) + "\n" for row in rows))
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
    done()
    errors = result["errors"]
    if errors:
        raise SystemExit(f"{extra}: rows failed: {errors}")
    return result


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the repeats; none where no run had the figure (a rate of one arrival)."""

    def median(pick: Any) -> float | None:
        values = [value for value in map(pick, runs) if value is not None]
        return float(statistics.median(values)) if values else None

    return {
        "steady_articles_per_s": median(lambda r: r["steady_articles_per_s"]),
        "articles_per_s": median(lambda r: r["articles_per_s"]),
        "elapsed_s": median(lambda r: r["elapsed_s"]),
        "first_answers_s": median(lambda r: r["first_row_s"]),
        "object_store_bytes_per_article": median(
            lambda r: r["input_bytes_per_row"] + r["output_bytes_per_row"]
        ),
        "peak_rss_mb_per_worker": median(
            lambda r: max((w["peak_rss_mb"] for w in r["workers"].values()), default=None)
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
            steady = _figure(r["steady_articles_per_s"], ".2f", "none (one arrival)")
            lines.append(
                f"| {workload} ({data['rows']}) | {name} | {steady}"
                f"{'' if ratio is None else f' ({ratio:.2f}×)'} | "
                f"{_figure(r['first_answers_s'], '.1f')} | {_figure(overhead, '.1f', '')} | "
                f"{r['object_store_bytes_per_article'] / 1000:.1f} | "
                f"{_figure(r['peak_rss_mb_per_worker'], '.0f')} |"
            )
    return "\n".join(lines) + "\n"


def _figure(value: float | None, form: str, missing: str = "-") -> str:
    return missing if value is None else format(value, form)


def _plot(report: dict[str, Any], out: Path) -> str:
    """batch_scale.png: the steady rate and the peak memory per worker, per configuration."""
    import matplotlib

    matplotlib.use("Agg")  # files only
    import matplotlib.pyplot as plt

    figure, (rates, memory) = plt.subplots(1, 2, figsize=(11, 4))
    workloads = report["workloads"]
    names = list(dict.fromkeys(n for data in workloads.values() for n in data["configs"]))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        configs = [data["configs"].get(name, {}) for data in workloads.values()]
        where = [i + (k - (len(names) - 1) / 2) * width for i in range(len(workloads))]
        for axes, key in ((rates, "steady_articles_per_s"), (memory, "peak_rss_mb_per_worker")):
            # A figure a run could not give (no steady rate) is left out, not drawn as 0.
            bars = [(x, c[key]) for x, c in zip(where, configs, strict=True) if c.get(key)]
            axes.bar([x for x, _ in bars], [v for _, v in bars], width, label=name)
    labels = [f"{workload} ({data['rows']})" for workload, data in workloads.items()]
    for axes, title in ((rates, "steady articles/s (log)"), (memory, "peak RSS MB per worker")):
        axes.set_xticks(range(len(workloads)), labels)
        axes.set_xlim(-0.5, len(workloads) - 0.5)
        axes.set_title(title)
    if any(
        c.get("steady_articles_per_s") for d in workloads.values() for c in d["configs"].values()
    ):
        rates.set_yscale("log")
    else:
        rates.set_yticks([])
        rates.text(0.5, 0.5, "no steady rate:\nevery answer came in one arrival",
                   transform=rates.transAxes, ha="center")  # fmt: skip
    memory.legend(fontsize="small")
    figure.suptitle(f"newsum batch: in process and on Ray ({report['machine']})")
    figure.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    figure.savefig(out / "batch_scale.png", dpi=110)
    plt.close(figure)
    return "batch_scale.png"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "data" / "dev_summeval.jsonl")
    parser.add_argument("--workloads", default="textrank,tiny,distilbart")
    parser.add_argument("--no-ray", action="store_true", help="in process only")
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
