"""TextRank's pick with and without repeat control, side by side in one run.

    python -m research.textrank_repeats [--data ../shared/data] [--sentences 3]
        [--thresholds 0.2,0.25,...,0.7] [--out DIR]

On ../shared/data/dev_newsroom.jsonl (38 articles, the publisher's summary)
and dev_summeval.jsonl (97 CNN/DM articles, 11 references: the best-matching
one per summary), each article's TextRank summary is picked the classic way
(best-ranked sentences as they come) and the distinct way at each threshold
(`models.textrank.REPEAT_SIMILARITY`: a candidate whose content terms overlap
a picked sentence's this much is passed over). Reported: ROUGE-1/2/Lsum F1
(`benchmarks.bench.scoring`), the distinct pick minus the classic one with a 95 %
paired-bootstrap interval over articles, and redundancy: the mean over
articles of the highest pairwise similarity inside each summary; and how many
summaries came out shorter than asked (nothing distinct enough left). The
thresholds were chosen among on these same articles: in-sample figures.
Writes textrank_repeats.{json,md} to --out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from itertools import combinations
from pathlib import Path
from typing import Any

from newsum.benchmarks.bench.scoring import mean_interval, reference_scores
from newsum.benchmarks.output import publish
from newsum.models import textrank
from newsum.models.article import read_article
from newsum.models.types import Article

HERE = Path(__file__).resolve().parent
KINDS = ("rouge1", "rouge2", "rougeLsum")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--thresholds", default="0.2,0.25,0.3,0.35,0.4,0.5,0.6,0.7")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]

    report: dict[str, Any] = {"sentences": args.sentences, "corpora": {}}
    for corpus in ("newsroom", "summeval"):
        rows = [json.loads(line) for line in (args.data / f"dev_{corpus}.jsonl").open()]
        articles = [read_article(r["article"]) for r in rows]
        references = [r.get("references") or [r["reference"]] for r in rows]
        classic = _picks(articles, references, "classic", args.sentences)
        results = {"classic": _summary(classic, classic)}
        for threshold in thresholds:
            textrank.REPEAT_SIMILARITY = threshold
            picked = _picks(articles, references, "distinct", args.sentences)
            results[f"distinct {threshold:g}"] = _summary(picked, classic)
        report["corpora"][corpus] = {"articles": len(rows), "picks": results}
    publish(args.out, "textrank_repeats", report, _markdown(report))
    return 0


def _picks(
    articles: list[Article], references: list[list[str]], pick: textrank.Pick, sentences: int
) -> list[dict[str, Any]]:
    """Per article: the pick's ROUGE against the references, and its redundancy."""
    rows = []
    for article, refs in zip(articles, references, strict=True):
        summary = textrank.summarize_textrank(article, sentences, pick)
        chosen = [s.source_sentences[0] for s in summary.sentences]
        similarities = [textrank.similarity(article, a, b) for a, b in combinations(chosen, 2)]
        rows.append(
            {
                **reference_scores(summary.text, refs, article.language),
                "max_similarity": max(similarities, default=0.0),
                "chosen": chosen,
                "short": len(chosen) < min(sentences, len(article.sentences)),
            }
        )
    return rows


def _summary(rows: list[dict[str, Any]], classic: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {kind: 100 * statistics.fmean(r[kind] for r in rows) for kind in KINDS}
    out["max_similarity"] = statistics.fmean(r["max_similarity"] for r in rows)
    out["articles_changed"] = sum(
        r["chosen"] != c["chosen"] for r, c in zip(rows, classic, strict=True)
    )
    out["short_summaries"] = sum(r["short"] for r in rows)
    out["minus_classic"] = {
        kind: mean_interval(
            [100 * (r[kind] - c[kind]) for r, c in zip(rows, classic, strict=True)], samples=10_000
        )
        for kind in KINDS
    }
    return out


def _markdown(r: dict[str, Any]) -> str:
    lines = [f"# TextRank's pick with and without repeat control ({r['sentences']} sentences)", ""]
    for corpus, c in r["corpora"].items():
        lines += [
            f"## {corpus} ({c['articles']} articles)",
            "",
            "| pick | ROUGE-1 | ROUGE-2 | ROUGE-Lsum | minus classic: R-1 | R-2 | R-Lsum "
            "| mean highest pairwise similarity | articles changed | summaries short |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, p in c["picks"].items():
            deltas = [
                f"{d['mean']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}]"
                for d in (p["minus_classic"][k] for k in KINDS)
            ]
            lines.append(
                f"| {name} | {p['rouge1']:.2f} | {p['rouge2']:.2f} | {p['rougeLsum']:.2f} | "
                + " | ".join(deltas)
                + f" | {p['max_similarity']:.3f} | {p['articles_changed']} "
                f"| {p['short_summaries']} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
