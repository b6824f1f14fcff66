"""What the model judge (NEWSUM_MODEL_SUPPORT=on) costs per summary, against generating one.

    python -m research.model_support_cost (--model FOLDER | --shape PATH.json)
        [--backend ctranslate2] [--compute-type float32] [--articles 8] [--systems 4]
        [--new-tokens N]
        [--data ../shared/data] [--out DIR]

For each of --articles SummEval dev articles (spread over the file): one
generation with the checkpoint's own settings (what /v1/summarize runs), then
the model's log-likelihood of --systems of that article's dev summaries (real
system outputs, real lengths; models.abstractive.likelihood, as the service
scores them). Reported: the scoring time per summary, p50 and p95, and its ratio
to the generation time of the same article. With --shape, the model is a
random-weight one of a real checkpoint's architecture (as
benchmarks/perf/abstractive_speed.py builds it: latency depends on the shape, not on
the weights); a random model's generation runs to its length limit more often
than a trained one's, so the generated token count is reported beside it, and
--new-tokens forces a trained model's typical length (the transformers count,
plus the decoder start token, as benchmarks/perf/abstractive_speed.py does).
Writes model_support_cost.{json,md} to --out.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from newsum.benchmarks.output import publish
from newsum.benchmarks.perf.abstractive_speed import save_random_checkpoint
from newsum.models.abstractive.checkpoint import GenerationOverrides
from newsum.models.abstractive.engine import Seq2SeqEngine, open_engine
from newsum.models.article import read_article
from newsum.models.attribution import summary_spans
from research.faithfulness_data import DATA, read_dev

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a checkpoint folder or cached hub id")
    source.add_argument("--shape", type=Path, help="a random model of this shape")
    parser.add_argument("--backend", default="ctranslate2", choices=("ctranslate2", "torch"))
    parser.add_argument("--compute-type", default="float32")
    parser.add_argument("--articles", type=int, default=8)
    parser.add_argument("--systems", type=int, default=4)
    parser.add_argument(
        "--new-tokens",
        type=int,
        default=None,
        help="force every generation to this many tokens (a random model's length is not "
        "a trained one's); default: the checkpoint's settings",
    )
    parser.add_argument("--threads", type=int, default=None, help="default: every core")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "model_support")
    args = parser.parse_args()

    name = args.model
    if args.shape is not None:
        folder = args.out / f"random-{args.shape.stem}"
        save_random_checkpoint(args.shape, folder)
        name = str(folder)
    engine = open_engine(name, backend=args.backend, compute_type=args.compute_type,
                         threads=args.threads)  # fmt: skip
    if not isinstance(engine, Seq2SeqEngine):
        raise SystemExit(f"the model did not load: {engine.reason}")
    forced = (
        GenerationOverrides(min_length=args.new_tokens + 1, max_length=args.new_tokens + 1)
        if args.new_tokens
        else None
    )
    report = measure(engine, args.data, args.articles, args.systems, forced)
    report.update(
        model=args.shape.stem if args.shape else args.model,
        backend=engine.generator.name,
        machine=f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the end",
        command=" ".join(["python -m research.model_support_cost", *sys.argv[1:]]),
    )
    publish(args.out, f"model_support_cost-{report['model'].replace('/', '_')}", report,
            _markdown(report))  # fmt: skip
    return 0


def measure(
    engine: Seq2SeqEngine,
    data: Path,
    articles: int,
    systems: int,
    generation: GenerationOverrides | None = None,
) -> dict[str, Any]:
    texts, outputs = read_dev(data)
    ids = sorted(texts)
    picked = [ids[(i * len(ids)) // articles] for i in range(articles)]
    warm = read_article(texts[picked[0]])
    engine.likelihood(warm, [engine.summarize(warm).text])  # warm-up: allocator, thread pool
    generation_ms, generated_tokens, scoring_ms, ratios, scored_tokens = [], [], [], [], []
    for key in picked:
        article = read_article(texts[key])
        began = time.perf_counter()
        summary = engine.summarize(article, generation)
        generated = (time.perf_counter() - began) * 1000
        generation_ms.append(generated)
        generated_tokens.append(len(engine.checkpoint.tokenizer(summary.text)["input_ids"]))
        for output in [o for o in outputs if o["id"] == key][:systems]:
            text = output["summary"]
            sentences = [text[s:e] for s, e in summary_spans(text, article.language)]
            began = time.perf_counter()
            judged = engine.likelihood(article, sentences)
            took = (time.perf_counter() - began) * 1000
            scoring_ms.append(took)
            ratios.append(took / generated)
            scored_tokens.append(judged.scored_tokens)
    return {
        "articles": articles,
        "summaries": len(scoring_ms),
        "generation_ms": _spread(generation_ms),
        "generated_tokens": _spread(generated_tokens),
        "scoring_ms": _spread(scoring_ms),
        "scored_tokens": _spread(scored_tokens),
        "scoring_to_generation": _spread(ratios),
    }


def _spread(values: list[float] | list[int]) -> dict[str, float]:
    return {"p50": float(statistics.median(values)), "p95": float(np.percentile(values, 95))}


def _markdown(r: dict[str, Any]) -> str:
    rows = [
        ("generation of the article (ms)", r["generation_ms"]),
        ("tokens generated", r["generated_tokens"]),
        ("scoring one dev summary (ms)", r["scoring_ms"]),
        ("tokens scored per summary", r["scored_tokens"]),
        ("scoring / generation of the same article", r["scoring_to_generation"]),
    ]
    lines = [
        f"# Model judge cost: {r['model']} on {r['backend']}",
        "",
        f"{r['summaries']} dev summaries of {r['articles']} SummEval articles; {r['machine']}.",
        f"Reproduce: `{r['command']}`",
        "",
        "| | p50 | p95 |",
        "|---|---|---|",
        *(f"| {name} | {v['p50']:.3g} | {v['p95']:.3g} |" for name, v in rows),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
