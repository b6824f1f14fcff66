"""TextRank on the dev set: newsum against Lead-3, sumy and summa, side by side in one run.

    python -m research.textrank_dev [--corpus newsroom|summeval] [--cold | --repeats 5]
        [--block N]
        [--data ../shared/data] [--out DIR]

Prints a table and writes `textrank_dev[_summeval][_cold].{md,json}` to --out.
Every system gets the same sentences (newsum's segmentation: NLTK's punkt data,
which sumy needs, cannot be downloaded here), picks 3 of them, and is scored
with the same ROUGE (newsum's Unicode tokenizer, case-folded, no stemming).
On the Newsroom set, published outputs of the Newsroom paper's lede3 and
textrank on the same articles are scored alongside, for reference.

Timing: newsum's time includes analysing the sentences' words (tokens, stop
words, stems; done once per article when the service reads it) and building
the Article that holds them, as sumy's and summa's include their own analysis.
`--cold` runs each article once per system, in this fresh process, after one
warm-up on an article outside the corpus (what a long-running server has:
libraries imported, stop-word lists, stemmers and newsum's term table of the
language's most frequent words made). newsum keeps no cache of earlier
articles' words, so a cold article costs what any article costs; sumy and
summa keep none either.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from newsum.benchmarks.bench.systems import lead, newsum_textrank, summa_system, sumy_systems
from newsum.benchmarks.output import publish
from newsum.models.article import read_article
from newsum.models.compare import rouge
from newsum.models.terms import analyse
from newsum.models.textrank import summarize_textrank
from newsum.models.types import Article, Rouge

SENTENCES = 3
KINDS = ("rouge1", "rouge2", "rougeL")
BOOTSTRAP_SAMPLES = 10_000
HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--corpus", choices=("newsroom", "summeval"), default="newsroom")
    parser.add_argument("--repeats", type=int, default=5, help="timing runs per article")
    parser.add_argument("--cold", action="store_true", help="each article once (--repeats 1)")
    parser.add_argument(
        "--block",
        type=int,
        default=1,
        help="articles each system runs before the next takes its turn (1: article by article)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    repeats = 1 if args.cold else args.repeats

    records = [json.loads(line) for line in (args.data / f"dev_{args.corpus}.jsonl").open()]
    articles = [read_article(r["article"]) for r in records]
    systems = _systems()
    # The warm-up: an article outside the corpus through every system and the reader.
    outside = read_article((args.data / "sample_article.txt").read_text())
    for run in systems.values():
        run(outside)

    per_article = {
        name: [rouge(pick(a), r["reference"]) for a, r in zip(articles, records, strict=True)]
        for name, pick in systems.items()
    }
    published = _published(args.data, records) if args.corpus == "newsroom" else {}
    for name, summaries in published.items():
        per_article[f"published {name}"] = [
            rouge(s, r["reference"]) for s, r in zip(summaries, records, strict=True)
        ]
    rows = {
        name: {kind: 100 * statistics.mean(getattr(s, kind) for s in scores) for kind in KINDS}
        for name, scores in per_article.items()
    }
    # Paired bootstrap over articles: is newsum's difference from each peer more than noise?
    differences = {
        peer: {
            kind: _paired_bootstrap(per_article["newsum textrank"], per_article[peer], kind)
            for kind in KINDS
        }
        for peer in ("sumy textrank", "summa", "lead-3")
    }

    # Time per article: each article runs `repeats` times per system. Systems take
    # turns block by block (`--block` articles; 1: article by article), so drift in
    # machine load hits them alike. With blocks of one, every call finds its code
    # and data evicted by the other two systems' previous calls; longer blocks
    # are a server's steady state, which runs one system's code request after
    # request (each article is still seen once: no system caches an article's
    # words). The garbage collector is paused while timing, as timeit does: a
    # collection falling into one system's sub-millisecond call says nothing
    # about that system.
    timed = {
        "newsum textrank": _analysed_then_ranked,
        "sumy textrank": systems["sumy textrank"],
        "summa": systems["summa"],
    }
    # CPU time of the process (every thread: sumy's numpy may use BLAS threads) as
    # well: on a shared machine, a system's wall time
    # grows with whatever else runs, its CPU time much less.
    samples: dict[str, list[list[float]]] = {name: [[] for _ in articles] for name in timed}
    cpu_samples: dict[str, list[list[float]]] = {name: [[] for _ in articles] for name in timed}
    end_to_end: list[float] = []
    gc.collect()
    gc.disable()
    for first in range(0, len(articles), args.block):
        block = range(first, min(first + args.block, len(articles)))
        for _ in range(repeats):
            for name, run in timed.items():
                for i in block:
                    # (The slower CPU clock, a system call, read outside the wall clock's span.)
                    cpu_started = time.process_time()
                    started = time.perf_counter()
                    run(articles[i])
                    wall = time.perf_counter() - started
                    cpu_samples[name][i].append(time.process_time() - cpu_started)
                    samples[name][i].append(wall)
            for i in block:
                started = time.perf_counter()
                summarize_textrank(read_article(records[i]["article"]), SENTENCES)
                end_to_end.append(time.perf_counter() - started)
    gc.enable()
    timings = {name: [statistics.median(s) for s in per] for name, per in samples.items()}
    cpu_timings = {name: [statistics.median(s) for s in per] for name, per in cpu_samples.items()}
    medians = {name: 1000 * statistics.median(values) for name, values in timings.items()}
    cpu = {name: 1000 * statistics.median(values) for name, values in cpu_timings.items()}

    report = {
        "corpus": args.corpus,
        "timing": ("cold: each article once" if args.cold else f"median of {repeats} runs")
        + (
            ", systems taking turns article by article"
            if args.block == 1
            else f", systems taking turns every {args.block} articles"
        ),
        "articles": len(records),
        "sentences_per_summary": SENTENCES,
        "scorer": "rouge-score with newsum's Unicode tokenizer: F1, case-folded, no stemming",
        "rouge": rows,
        "newsum_minus_peer_95ci": differences,
        "median_ms_per_article": medians,
        "median_cpu_ms_per_article": cpu,
        "cpu_speedup_newsum_over_sumy": cpu["sumy textrank"] / cpu["newsum textrank"],
        "cpu_speedup_newsum_over_summa": cpu["summa"] / cpu["newsum textrank"],
        "newsum_end_to_end_median_ms": 1000 * statistics.median(end_to_end),
        "speedup_newsum_over_sumy": medians["sumy textrank"] / medians["newsum textrank"],
        "speedup_newsum_over_summa": medians["summa"] / medians["newsum textrank"],
        "python": sys.version.split()[0],
    }
    stem = "textrank_dev" + ("_summeval" if args.corpus == "summeval" else "")
    stem += "_cold" if args.cold else ""
    stem += f"_block{args.block}" if args.block > 1 else ""
    publish(args.out, stem, report, _markdown(report))
    return 0


def _analysed_then_ranked(article: Article) -> str:
    # The words analysed afresh and an Article holding them built, as reading the
    # article does (by its constructor: dataclasses.replace costs twice as much,
    # which the service never pays), then ranked and picked.
    words = tuple(analyse([s.text for s in article.sentences], article.language))
    reread = Article(
        text=article.text,
        language=article.language,
        title=article.title,
        headline=article.headline,
        sentences=article.sentences,
        paragraphs=article.paragraphs,
        lead=article.lead,
        closing=article.closing,
        boilerplate=article.boilerplate,
        words=words,
        standfirst_source=article.standfirst_source,
    )
    return summarize_textrank(reread, SENTENCES).text


def _paired_bootstrap(ours: list[Rouge], peer: list[Rouge], kind: str) -> list[float]:
    """Mean difference (×100) and its 95 % paired-bootstrap interval."""
    rng = random.Random(0)
    differences = [
        100 * (getattr(a, kind) - getattr(b, kind)) for a, b in zip(ours, peer, strict=True)
    ]
    means = sorted(
        statistics.mean(rng.choices(differences, k=len(differences)))
        for _ in range(BOOTSTRAP_SAMPLES)
    )
    return [
        statistics.mean(differences),
        means[int(0.025 * BOOTSTRAP_SAMPLES)],
        means[int(0.975 * BOOTSTRAP_SAMPLES)],
    ]


def _systems() -> dict[str, Callable[[Article], str]]:
    chosen = [lead(SENTENCES), newsum_textrank(SENTENCES), *sumy_systems(SENTENCES)[:1],
              summa_system(SENTENCES)]  # fmt: skip
    runs: dict[str, Callable[[Article], str]] = {}
    for system in chosen:
        run = system.run
        if run is None:
            raise SystemExit(f"{system.name}: {system.reason}")
        runs[system.name] = lambda article, run=run: run(article).text  # type: ignore[misc]
    return runs


def _published(data: Path, records: list[dict[str, str]]) -> dict[str, list[str]]:
    outputs: dict[tuple[str, str], str] = {}
    for line in (data / "dev_newsroom_system_outputs.jsonl").open():
        row = json.loads(line)
        outputs[(row["system"], row["id"])] = row["summary"]
    return {
        system: [outputs[(system, r["id"])] for r in records] for system in ("lede3", "textrank")
    }


def _markdown(report: dict) -> str:  # type: ignore[type-arg]
    lines = [
        f"# TextRank on the dev set ({report['articles']} {report['corpus']} articles, "
        f"{report['sentences_per_summary']} sentences)",
        "",
        f"Scorer: {report['scorer']}. ROUGE F1 ×100, mean over articles.",
        "",
        "| system | ROUGE-1 | ROUGE-2 | ROUGE-L |",
        "|---|---|---|---|",
    ]
    for name, row in report["rouge"].items():
        lines.append(
            f"| {name} | {row['rouge1']:.1f} | {row['rouge2']:.1f} | {row['rougeL']:.1f} |"
        )
    lines += [
        "",
        "newsum minus peer, mean and 95 % paired-bootstrap interval (×100):",
        "",
        "| peer | ROUGE-1 | ROUGE-2 | ROUGE-L |",
        "|---|---|---|---|",
    ]
    for peer, row in report["newsum_minus_peer_95ci"].items():
        cells = [f"{m:+.1f} [{lo:+.1f}, {hi:+.1f}]" for m, lo, hi in (row[k] for k in KINDS)]
        lines.append(f"| {peer} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Timing: {report['timing']}; per-article medians.",
        "",
        "| timing (median per article, our sentences given) | wall ms | CPU ms |",
        "|---|---|---|",
    ]
    for name, value in report["median_ms_per_article"].items():
        lines.append(f"| {name} | {value:.2f} | {report['median_cpu_ms_per_article'][name]:.2f} |")
    lines += [
        f"| newsum read_article + textrank (end to end) | "
        f"{report['newsum_end_to_end_median_ms']:.2f} | |",
        "",
        f"newsum TextRank is {report['speedup_newsum_over_sumy']:.1f}× faster than sumy's "
        f"and {report['speedup_newsum_over_summa']:.1f}× faster than summa's in wall time "
        f"({report['cpu_speedup_newsum_over_sumy']:.1f}× and "
        f"{report['cpu_speedup_newsum_over_summa']:.1f}× in CPU time; "
        "ratios of medians, same run).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
