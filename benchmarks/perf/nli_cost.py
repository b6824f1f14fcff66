"""The NLI faithfulness judge's cost per article, on random-weight models of real NLI shapes.

    .venv/bin/python -m newsum.benchmarks.perf.nli_cost [--shapes deberta-v3-xsmall,...]
        [--articles 10] [--max-pairs 64] [--batch-size 16] [--worst-case] [--out DIR]

Cost depends on the architecture, not on the weight values, so a randomly
initialised classifier of a published NLI checkpoint's shape (configs below,
parameter count checked to 2 %) times like the real one. Each is saved once
under --out with a tokenizer and loaded through the production loader
(`models.nli.load_nli_model`), in a process of its own, so peak RSS is its own.
RoBERTa-large gets the real BART/RoBERTa BPE files (`../shared/model-shapes/
tokenizers/bart`, the same vocabulary). DeBERTa-v3's SentencePiece model is not
available offline; PEGASUS's SentencePiece vocabulary stands in for it (96k
pieces against 128k: English token counts within a few per cent; the ids fit
DeBERTa's embedding table). Inputs: the first --articles dev articles
(`../shared/data/dev_summeval.jsonl`, CNN/DailyMail), each judged against a
3-sentence summary: the first three sentences of its references (the CNN
highlights first, then SummEval's). The model is loaded once and warmed up on
one article, as a server keeps its judge loaded; every article is then timed
once (no article is repeated, so no tokenizer cache helps). Torch uses every core.
--worst-case also times the most one request can cost: a 35-sentence article of
run-on sentences, so that every pair is cut at max_length tokens and the cap
holds the request to max_pairs pairs. Writes nli_cost.{json,md} to --out.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from newsum.benchmarks.output import RESULTS, SHARED, publish

ARTICLES = SHARED / "data" / "dev_summeval.jsonl"
TOKENIZERS = SHARED / "model-shapes" / "tokenizers"
_MNLI = {"id2label": {0: "entailment", 1: "neutral", 2: "contradiction"}}
# DeBERTa-v3's attention (He, Gao & Chen 2021): relative positions only, 256 log buckets.
_DEBERTA_V3 = {"model_type": "deberta-v2", "vocab_size": 128100, "max_position_embeddings": 512,
               "relative_attention": True, "position_buckets": 256, "max_relative_positions": -1,
               "pos_att_type": ["p2c", "c2p"], "norm_rel_ebd": "layer_norm",
               "share_att_key": True, "position_biased_input": False, "type_vocab_size": 0,
               "layer_norm_eps": 1e-7, "pad_token_id": 0}  # fmt: skip
# The published shapes (config.json of each checkpoint), and their parameter counts.
SHAPES: dict[str, dict[str, Any]] = {
    "deberta-v3-xsmall": {  # microsoft/deberta-v3-xsmall; cross-encoder/nli-deberta-v3-xsmall
        "config": {**_DEBERTA_V3, "hidden_size": 384, "num_hidden_layers": 12,
                   "num_attention_heads": 6, "intermediate_size": 1536},
        "tokenizer": "pegasus",
        "parameters": 70.8e6,  # 22 M backbone + 49 M embedding
    },
    "deberta-v3-base": {  # microsoft/deberta-v3-base; MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli
        "config": {**_DEBERTA_V3, "hidden_size": 768, "num_hidden_layers": 12,
                   "num_attention_heads": 12, "intermediate_size": 3072},
        "tokenizer": "pegasus",
        "parameters": 184.4e6,  # 86 M backbone + 98 M embedding
    },
    "roberta-large": {  # FacebookAI/roberta-large-mnli
        "config": {"model_type": "roberta", "vocab_size": 50265, "hidden_size": 1024,
                   "num_hidden_layers": 24, "num_attention_heads": 16,
                   "intermediate_size": 4096, "max_position_embeddings": 514,
                   "type_vocab_size": 1, "layer_norm_eps": 1e-5, "pad_token_id": 1,
                   "bos_token_id": 0, "eos_token_id": 2},
        "tokenizer": "bart",
        "parameters": 356.4e6,
    },
    "tiny": {  # the benchmark's own test: DeBERTa-v3's layout, tiny
        "config": {**_DEBERTA_V3, "vocab_size": 96103, "hidden_size": 32,
                   "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64},
        "tokenizer": "pegasus",
        "parameters": None,
    },
}  # fmt: skip
TOKENIZER_FILES = {
    "bart": ("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"),
    "pegasus": ("spiece.model", "tokenizer_config.json", "special_tokens_map.json"),
}
SUMMARY_SENTENCES = 3
_WORST_SENTENCES, _WORST_WORDS = 40, 300  # the segmenter joins a few: about 35


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", default="deberta-v3-xsmall,deberta-v3-base,roberta-large")
    parser.add_argument("--articles", type=int, default=10)
    parser.add_argument("--max-pairs", type=int, default=None, help="default: the judge's")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the judge's")
    parser.add_argument("--worst-case", action="store_true")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--out", type=Path, default=RESULTS / "nli")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # one shape, in a child process
    args = parser.parse_args()
    from newsum.models.nli import DEFAULT_BATCH_SIZE, DEFAULT_MAX_LENGTH, DEFAULT_MAX_PAIRS

    args.max_pairs = args.max_pairs or DEFAULT_MAX_PAIRS
    args.batch_size = args.batch_size or DEFAULT_BATCH_SIZE
    if args.worker:
        print(json.dumps(measure(args, args.worker)))
        return 0

    results = {}
    for shape in (name.strip() for name in args.shapes.split(",") if name.strip()):
        if shape not in SHAPES:
            raise SystemExit(f"unknown shape {shape!r}: one of {', '.join(SHAPES)}")
        print(f"measuring {shape} ...", file=sys.stderr)
        child = subprocess.run(
            [sys.executable, "-m", __spec__.name, *sys.argv[1:], "--worker", shape],
            capture_output=True,
            text=True,
        )
        if child.returncode:
            raise SystemExit(f"{shape} failed:\n{child.stderr[-3000:]}")
        results[shape] = json.loads(child.stdout.strip().splitlines()[-1])
    report = {
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "threads": args.threads,
        "articles": args.articles,
        "summary_sentences": SUMMARY_SENTENCES,
        "max_pairs": args.max_pairs,
        "batch_size": args.batch_size,
        "max_length": DEFAULT_MAX_LENGTH,
        "shapes": results,
    }
    publish(args.out, "nli_cost", report, _markdown(report))
    return 0


def measure(args: argparse.Namespace, shape: str) -> dict[str, Any]:
    """One shape's figures, in this (child) process."""
    import torch

    from newsum.models.article import read_article
    from newsum.models.nli import load_nli_model

    torch.set_num_threads(args.threads)
    folder = args.out / f"random-{shape}"
    parameters = save_random_classifier(shape, folder)
    started = time.perf_counter()
    judge = load_nli_model(str(folder))
    load_s = time.perf_counter() - started
    rows = [json.loads(line) for line in ARTICLES.read_text(encoding="utf-8").splitlines()]
    cases = [_case(row, read_article) for row in rows[: args.articles + 1]]

    def run(case: tuple[Any, list[str]]) -> tuple[float, Any]:
        began = time.perf_counter()
        verdict = judge.judge(*case, max_pairs=args.max_pairs, batch_size=args.batch_size)
        return 1000 * (time.perf_counter() - began), verdict

    run(cases[0])  # warm-up: allocator, thread pool; not timed
    timed = [run(case) for case in cases[1:]]
    ms = [t for t, _ in timed]
    pairs = [v.pairs for _, v in timed]
    result = {
        "parameters": parameters,
        "max_tokens": judge.max_tokens,
        "max_length": judge.max_length,
        "load_s": load_s,
        "articles": len(timed),
        "ms_per_article_median": statistics.median(ms),
        "ms_per_article_p90": _p90(ms),
        "ms_per_article_max": max(ms),
        "pairs_per_article_median": statistics.median(pairs),
        "pairs_per_article_max": max(pairs),
        "capped_articles": sum(v.capped for _, v in timed),
        "ms_per_pair": sum(ms) / sum(pairs),
    }
    if args.worst_case:
        worst_ms, verdict = run(_worst_case(rows, read_article))
        result |= {"worst_case_ms": worst_ms, "worst_case_pairs": verdict.pairs,
                   "worst_case_capped": verdict.capped}  # fmt: skip
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def save_random_classifier(shape: str, folder: Path) -> int | None:
    """A random-weight NLI classifier of `shape` with its stand-in tokenizer, saved once."""
    import shutil

    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification

    spec = SHAPES[shape]
    fields = dict(spec["config"])
    if not (folder / "model.safetensors").exists():
        config = AutoConfig.for_model(fields.pop("model_type"), **fields, **_MNLI)
        torch.manual_seed(0)
        model = AutoModelForSequenceClassification.from_config(config)  # type: ignore[no-untyped-call]
        folder.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(folder)
        family = spec["tokenizer"]
        for name in TOKENIZER_FILES[family]:
            shutil.copyfile(TOKENIZERS / family / name, folder / name)
        # The real checkpoints' tokenizers say 512 (the stand-ins 1,024).
        settings = json.loads((folder / "tokenizer_config.json").read_text())
        (folder / "tokenizer_config.json").write_text(
            json.dumps({**settings, "model_max_length": 512}, indent=2)
        )
    from safetensors import safe_open

    with safe_open(str(folder / "model.safetensors"), "pt") as tensors:
        names = tensors.keys()  # a safe_open is not iterable itself
        parameters = sum(math.prod(tensors.get_slice(name).get_shape()) for name in names)
    expected = spec["parameters"]
    if expected and abs(parameters - expected) / expected > 0.02:
        raise SystemExit(
            f"{shape}: {parameters / 1e6:.1f} M parameters, not ~{expected / 1e6:.1f} M"
        )
    return int(parameters)


def _case(row: dict[str, Any], read_article: Any) -> tuple[Any, list[str]]:
    """A dev article and its summary: the first sentences of its references, in order."""
    sentences: list[str] = []
    for reference in row["references"]:
        sentences += [s.text for s in read_article(reference).sentences]
    return read_article(row["article"]), sentences[:SUMMARY_SENTENCES]


def _worst_case(rows: list[dict[str, Any]], read_article: Any) -> tuple[Any, list[str]]:
    """Run-on sentences of real words, each longer than any model's limit: every pair is cut
    to max_length tokens, and there are more blocks than max_pairs can hold."""
    text = " ".join(row["article"] for row in rows)
    words = text.translate(str.maketrans("", "", '.?!;:"“”')).split()
    sentences = [" ".join(words[k * _WORST_WORDS : (k + 1) * _WORST_WORDS]).capitalize() + "."
                 for k in range(_WORST_SENTENCES)]  # fmt: skip
    return read_article(" ".join(sentences)), sentences[:SUMMARY_SENTENCES]


def _p90(values: list[float]) -> float:
    return (
        statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]
    )


def _markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# NLI judge cost per article ({report['machine']}, {report['threads']} threads)",
        "",
        f"{report['articles']} dev articles (CNN/DailyMail), "
        f"{report['summary_sentences']}-sentence summaries; max_pairs {report['max_pairs']}, "
        f"batch_size {report['batch_size']}, "
        f"max_length {report['max_length']}; random weights of each published shape, loaded "
        "once (as a server holds its judge), each article timed once after a warm-up.",
        "",
        "| shape | parameters | ms/article median | p90 | max | pairs/article median (max) | "
        "ms/pair | capped | worst case ms (pairs) | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for shape, r in report["shapes"].items():
        worst = (f"{r['worst_case_ms']:.0f} ({r['worst_case_pairs']})"
                 if "worst_case_ms" in r else "-")  # fmt: skip
        parameters = f"{r['parameters'] / 1e6:.1f} M" if r["parameters"] else "-"
        lines.append(
            f"| {shape} | {parameters} | {r['ms_per_article_median']:.0f} | "
            f"{r['ms_per_article_p90']:.0f} | {r['ms_per_article_max']:.0f} | "
            f"{r['pairs_per_article_median']:g} ({r['pairs_per_article_max']}) | "
            f"{r['ms_per_pair']:.1f} | {r['capped_articles']}/{r['articles']} | {worst} | "
            f"{r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
