"""The request path: where a TextRank request's time goes, and what HTTP costs on top.

    python -m newsum.benchmarks.perf.request_path [--data ../shared/data] [--clients 4] [--top 10]
        [--no-http] [--out DIR]

1. Profile (cProfile, one thread) of the engine work `/v1/summarize` (TextRank
   and the lead comparison) and `/v1/attribute` (the article's reference
   summary) do per request: read the article, rank, attribute, compare. Each
   dev article once (../shared/data/dev_summeval.jsonl, 97 CNN/DM articles)
   plus the sample article; the top functions by cumulative time. (The
   service's own share — JSON parsing and the answer's serialisation — shows
   in the HTTP figures: benchmarks use the service over HTTP only.)
2. Throughput, each article once: in process on one thread (`models` only:
   read, TextRank, comparison — no JSON, no HTTP), against `newsum serve` over
   HTTP with --clients concurrent clients, TextRank only, embeddings off;
   rounds alternate between the two. The ratio is the share of in-process
   speed the service keeps (the clients run on the same machine).

Writes request_path.{json,md} to --out.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from newsum.benchmarks.output import RESULTS, SHARED, publish
from newsum.benchmarks.perf.server import Server
from newsum.models.article import read_article
from newsum.models.summarize import attribute_summary, summarize


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED / "data")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5, help="throughput runs, median taken")
    parser.add_argument("--no-http", action="store_true", help="profile and in-process only")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    records = [json.loads(line) for line in (args.data / "dev_summeval.jsonl").open()]
    sample = (args.data / "sample_article.txt").read_text()
    articles = [sample, *(r["article"] for r in records)]
    summarize_bodies = [json.dumps({"text": a, "methods": ["textrank"]}).encode() for a in articles]
    pairs = [(r["article"], r["reference"]) for r in records]
    # What a running server has already loaded (the language identifier's model):
    # one request of each kind before anything is measured.
    _summarize_all(articles[:1])
    _attribute_all(pairs[:1])

    report: dict[str, Any] = {
        "articles": len(articles),
        "profile_summarize": _profile(lambda: _summarize_all(articles), args.top),
        "profile_attribute": _profile(lambda: _attribute_all(pairs), args.top),
    }
    if args.no_http:
        in_process = [_in_process_rate(articles) for _ in range(args.rounds)]
    else:
        environment = {
            "NEWSUM_MODEL": "none",
            "NEWSUM_EMBEDDING_MODEL": "none",
            "NEWSUM_LOG_LEVEL": "warning",
            "NEWSUM_CPU_QUEUE_SIZE": str(4 * args.clients),
            "NEWSUM_RATE_LIMIT_PER_MINUTE": "0",
        }
        # Rounds alternate in process and over HTTP, so that drift in the
        # machine's load hits both alike; each round's ratio, then their median.
        in_process, http = [], []
        with Server(environment) as url:
            _http_rate(url, summarize_bodies[:8], args.clients)  # connections, first requests
            for _ in range(args.rounds):
                in_process.append(_in_process_rate(articles))
                http.append(_http_rate(url, summarize_bodies, args.clients))
        report["clients"] = args.clients
        report["http_articles_per_s"] = statistics.median(http)
        report["http_runs"] = http
        report["http_share_of_in_process"] = statistics.median(
            h / i for h, i in zip(http, in_process, strict=True)
        )
    report["in_process_articles_per_s"] = statistics.median(in_process)
    report["in_process_runs"] = in_process
    publish(args.out, "request_path", report, _markdown(report))
    return 0


def _summarize_all(articles: list[str]) -> None:
    for text in articles:
        summarize(read_article(text), methods=["textrank"])


def _attribute_all(pairs: list[tuple[str, str]]) -> None:
    for text, summary in pairs:
        attribute_summary(read_article(text), summary)


def _profile(work: Any, top: int) -> dict[str, Any]:
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.runcall(work)
    elapsed = time.perf_counter() - started
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text).sort_stats("cumulative")
    stats.print_stats(top + 8)  # the first rows are the harness's own frames
    return {"seconds_under_profile": elapsed, "top_cumulative": text.getvalue()}


def _in_process_rate(articles: list[str]) -> float:
    started = time.perf_counter()
    _summarize_all(articles)
    return len(articles) / (time.perf_counter() - started)


def _http_rate(url: str, bodies: list[bytes], clients: int) -> float:
    def post_all(session: httpx.Client, share: list[bytes]) -> None:
        for raw in share:
            answer = session.post(
                "/v1/summarize", content=raw, headers={"content-type": "application/json"}
            )
            answer.raise_for_status()

    # One connection per client, each article once, spread over the clients.
    sessions = [httpx.Client(base_url=url, timeout=120) for _ in range(clients)]
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            shares = [bodies[i::clients] for i in range(clients)]
            list(pool.map(post_all, sessions, shares))
        return len(bodies) / (time.perf_counter() - started)
    finally:
        for session in sessions:
            session.close()


def _markdown(r: dict[str, Any]) -> str:
    lines = [
        f"# The request path ({r['articles']} articles, each once)",
        "",
        f"In process, one thread (read, TextRank, comparison): "
        f"{r['in_process_articles_per_s']:.1f} articles/s (median of "
        f"{len(r['in_process_runs'])} runs).",
    ]
    if "http_articles_per_s" in r:
        lines += [
            f"Over HTTP, {r['clients']} clients, TextRank only: "
            f"{r['http_articles_per_s']:.1f} articles/s (median of {len(r['http_runs'])} runs); "
            f"**{100 * r['http_share_of_in_process']:.0f} %** of in-process (median of the "
            "rounds' ratios, rounds alternating).",
        ]
    for name in ("profile_summarize", "profile_attribute"):
        lines += [
            "",
            f"## {name.removeprefix('profile_')}: "
            f"{r[name]['seconds_under_profile']:.2f} s under the profiler",
            "",
            "```",
            r[name]["top_cumulative"].strip(),
            "```",
        ]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
