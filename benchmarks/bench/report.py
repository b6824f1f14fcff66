"""The benchmark's rows summed up per system: quality with intervals, lead comparison, speed."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from newsum.benchmarks.bench.scoring import ROUGE_TYPES, SCORER_CONFIG, mean_interval


def build(
    rows: Sequence[dict[str, Any]], *, unavailable: dict[str, str], **context: Any
) -> dict[str, Any]:
    """The report of `rows`; `unavailable`: the systems that could not run at all, with why.

    A system whose every row says it was unavailable (a service answer's abstractive
    summary without a model) joins `unavailable` with its reasons, as a system of this
    process that could not start does; one unavailable for some articles only says
    for how many, and why.
    """
    unavailable = dict(unavailable)
    systems: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(row["system"] for row in rows if _OUTCOMES & row.keys()):
        mine = [row for row in rows if row["system"] == name]
        scored = [row for row in mine if "rouge" in row]
        errors = sum(1 for row in mine if "error" in row)
        reasons = list(dict.fromkeys(row["unavailable"] for row in mine if "unavailable" in row))
        if reasons and not scored and not errors:
            unavailable[name] = "; ".join(reasons)
            continue
        systems[name] = _system(scored, errors=errors)
        if reasons:
            skipped = sum(1 for row in mine if "unavailable" in row)
            systems[name]["unavailable"] = {"articles": skipped, "reasons": reasons}
    return {
        "scorer": SCORER_CONFIG,
        "systems": systems,
        "unavailable": unavailable,
        **context,
    }


# What a row says of its system on one article: scored, failed, or unavailable.
_OUTCOMES = {"rouge", "error", "unavailable"}


def _system(rows: Sequence[dict[str, Any]], errors: int) -> dict[str, Any]:
    latencies = [row["latency_ms"] for row in rows if row.get("latency_ms") is not None]
    support = [value for row in rows for value in (row.get("support") or [])]
    nli = [row["nli"] for row in rows if row.get("nli") is not None]
    result: dict[str, Any] = {
        "articles": len(rows),
        "errors": errors,
        "rouge": {
            kind: mean_interval([row["rouge"][kind] for row in rows]) for kind in ROUGE_TYPES
        },
        # What the summary keeps of the lead and adds to it (models.coverage).
        **{
            share: mean_interval([row[share] for row in rows if row.get(share) is not None])
            for share in ("lead_kept", "summary_added")
        },
        "words": statistics.fmean(row["words"] for row in rows) if rows else None,
        "vs_lead": {
            kind: statistics.fmean(row["vs_lead"][kind] for row in rows) if rows else None
            for kind in ("rouge1", "rouge2", "rougeL")
        },
        "position": {
            part: statistics.fmean(row["position"][part] for row in rows) if rows else None
            for part in ("lead", "body", "closing")
        },
        "latency_ms": _percentiles(latencies),
        "articles_per_s": 1000 / statistics.fmean(latencies) if latencies else None,
        "support": _distribution(support) if support else None,
        # The NLI judge's summary score (SummaC mean, -1 to 1), where one judged (--nli-model).
        "nli": _distribution(nli) if nli else None,
        "latency_samples_ms": latencies,
    }
    return result


def _percentiles(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return {"p50": statistics.median(ordered), "p95": at(0.95), "p99": at(0.99)}


def _distribution(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "sentences": len(ordered),
        "mean": statistics.fmean(ordered),
        "p10": ordered[int(0.1 * (len(ordered) - 1))],
        "p50": statistics.median(ordered),
        "p90": ordered[int(0.9 * (len(ordered) - 1))],
        "share_below_0.5": sum(1 for v in ordered if v < 0.5) / len(ordered),
    }


def markdown(summary: dict[str, Any], images: Sequence[str]) -> str:
    lines = [
        "# newsum benchmark",
        "",
        f"Corpus: `{summary['corpus']}`, {summary['records']} usable articles, "
        f"{len(summary['skipped'])} rows skipped. Scorer: {summary['scorer']}.",
        "",
        "| system | articles | ROUGE-1 | ROUGE-2 | ROUGE-L | ROUGE-Lsum | lead kept "
        "| summary added | words |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in summary["systems"].items():
        cells = [_interval(s["rouge"][kind]) for kind in ROUGE_TYPES]
        cells += [_interval(s[share]) for share in ("lead_kept", "summary_added")]
        words = f"{s['words']:.0f}" if s["words"] is not None else "-"
        lines.append(f"| {name} | {s['articles']} | " + " | ".join(cells) + f" | {words} |")
    for name, reason in summary["unavailable"].items():
        lines.append(f"| {name} | unavailable: {reason} | | | | | | | |")
    for name, s in summary["systems"].items():
        if s.get("unavailable"):
            part = s["unavailable"]
            reasons = "; ".join(part["reasons"])
            lines += ["", f"{name}: unavailable for {part['articles']} articles: {reasons}"]
    lines += [
        "",
        "ROUGE F1 ×100, mean [95 % bootstrap interval]. Lead kept: the share of the lead's "
        "sentences the summary covers; summary added: the share of its sentences the lead "
        "does not back (×100, same intervals; lexical evidence, `models/coverage.py`).",
        "",
        "Against the article's own lead (ROUGE F1 ×100) and where the summary's sources lie:",
        "",
        "| system | vs lead R1 / R2 / RL | lead / body / closing share | support p10 / p50 / p90 |",
        "|---|---|---|---|",
    ]
    for name, s in summary["systems"].items():
        if not s["articles"]:
            continue
        lead = " / ".join(f"{100 * s['vs_lead'][k]:.1f}" for k in ("rouge1", "rouge2", "rougeL"))
        where = " / ".join(f"{s['position'][k]:.2f}" for k in ("lead", "body", "closing"))
        support = s["support"]
        spread = (
            f"{support['p10']:.2f} / {support['p50']:.2f} / {support['p90']:.2f}"
            if support
            else "exact (extractive)"
        )
        lines.append(f"| {name} | {lead} | {where} | {spread} |")
    judged = {name: s["nli"] for name, s in summary["systems"].items() if s.get("nli")}
    if judged:
        lines += [
            "",
            "The NLI judge's score of each summary (SummaC zero-shot mean over its sentences, "
            "-1 to 1; `--nli-model`, or the service's own `nli`):",
            "",
            "| system | NLI p10 / p50 / p90 |",
            "|---|---|",
        ]
        lines += [
            f"| {name} | {d['p10']:+.2f} / {d['p50']:+.2f} / {d['p90']:+.2f} |"
            for name, d in judged.items()
        ]
    lines += [
        "",
        "Speed per article (in-process: segmentation and summary; HTTP: the whole request):",
        "",
        "| system | p50 ms | p95 ms | p99 ms | articles/s (one at a time) |",
        "|---|---|---|---|---|",
    ]
    for name, s in summary["systems"].items():
        latency = s["latency_ms"]
        if latency:
            lines.append(
                f"| {name} | {latency['p50']:.1f} | {latency['p95']:.1f} | {latency['p99']:.1f} "
                f"| {s['articles_per_s']:.2f} |"
            )
    lines.append("")
    lines.append(f"Peak RSS of the benchmark process: {summary['peak_rss_mb']:.0f} MB.")
    http = summary.get("http")
    if http:
        lines += [
            "",
            f"HTTP: {http['requests']} requests to {http['url']} at concurrency "
            f"{http['concurrency']}: {http['throughput_articles_per_s']:.2f} articles/s; "
            f"status counts {http['status_counts']}.",
        ]
    if summary["skipped"]:
        lines += ["", "Skipped rows:", ""]
        lines += [f"- line {row['line']}: {row['reason']}" for row in summary["skipped"]]
    lines += ["", *(f"![{image}]({image})" for image in images), ""]
    return "\n".join(lines)


def _interval(value: dict[str, float]) -> str:
    return f"{100 * value['mean']:.1f} [{100 * value['low']:.1f}, {100 * value['high']:.1f}]"
