"""The service under concurrent clients, with micro-batching off and on, side by side in one run.

    python -m newsum.benchmarks.perf.http_load --model FOLDER
        [--backend ctranslate2] [--compute-type int8]
        [--clients 1,4,8] [--requests 4] [--new-tokens 60] [--window-ms 30] [--out DIR]

Starts `newsum serve` once per batching mode on a free local port, waits for
/readyz, then for each number of clients runs that many threads, each sending
--requests abstractive-only summaries of a ~600-word dev article one after
another (greedy, exactly --new-tokens output tokens). Throughput is requests
per second of wall time; latencies are per request. FOLDER is any checkpoint
the service can load, e.g. the random-weight one abstractive_speed.py saves.
Writes http_load.{json,md} to --out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from newsum.benchmarks.output import RESULTS, SHARED, publish
from newsum.benchmarks.perf.server import Server

DEV = SHARED / "data" / "dev_newsroom.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--backend", default="ctranslate2")
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--clients", default="1,4,8")
    parser.add_argument("--requests", type=int, default=4, help="per client")
    parser.add_argument("--new-tokens", type=int, default=60)
    parser.add_argument("--window-ms", type=float, default=30)
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--words", type=int, default=600, help="article length to pick")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    article = _article(args.words)
    body = {
        "text": article,
        "methods": ["abstractive"],
        # transformers counts the decoder start token in its lengths.
        "generation": {"num_beams": 1, "min_length": args.new_tokens + 1,
                       "max_length": args.new_tokens + 1},
    }  # fmt: skip
    results: dict[str, Any] = {}
    for mode, window in (("batching off", 0.0), ("batching on", args.window_ms)):
        with Server(_environment(args, window)) as url:
            results[mode] = {
                clients: _load(url, body, int(clients), args.requests)
                for clients in args.clients.split(",")
            }
    report = {
        "model": args.model,
        "backend": f"{args.backend}/{args.compute_type}",
        "article_words": len(article.split()),
        "new_tokens": args.new_tokens,
        "requests_per_client": args.requests,
        "window_ms": args.window_ms,
        "max_batch": args.max_batch,
        "results": results,
    }
    publish(args.out, "http_load", report, _markdown(report))
    return 0


def _article(words: int) -> str:
    rows = [json.loads(line) for line in DEV.read_text().splitlines()]
    texts: list[str] = [r["article"] for r in rows]
    return min(texts, key=lambda text: abs(len(text.split()) - words))


def _environment(args: argparse.Namespace, window_ms: float) -> dict[str, str]:
    return {
        "NEWSUM_MODEL": args.model,
        "NEWSUM_BACKEND": args.backend,
        "NEWSUM_COMPUTE_TYPE": args.compute_type,
        "NEWSUM_EMBEDDING_MODEL": "none",
        "NEWSUM_BATCH_WINDOW_MS": str(window_ms),
        "NEWSUM_MAX_BATCH_SIZE": str(args.max_batch),
        "NEWSUM_MODEL_QUEUE_SIZE": "64",
        "NEWSUM_REQUEST_TIMEOUT_S": "900",
        "NEWSUM_LOG_LEVEL": "warning",
    }


def _load(url: str, body: dict[str, Any], clients: int, requests: int) -> dict[str, Any]:
    def client(_: int) -> list[tuple[int, float]]:
        answers = []
        with httpx.Client(base_url=url, timeout=900) as session:
            for _ in range(requests):
                began = time.perf_counter()
                status = session.post("/v1/summarize", json=body).status_code
                answers.append((status, time.perf_counter() - began))
        return answers

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        answers = [a for batch in pool.map(client, range(clients)) for a in batch]
    wall = time.perf_counter() - started
    latencies = sorted(seconds for status, seconds in answers if status == 200)
    statuses: dict[str, int] = {}
    for status, _ in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "requests": len(answers),
        "status_counts": statuses,
        "throughput_per_s": len(latencies) / wall,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
        "p95_ms": 1000 * latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
        if latencies
        else None,
    }


def _markdown(r: dict[str, Any]) -> str:
    lines = [
        f"# The service under load: {r['backend']}",
        "",
        f"{r['article_words']}-word article, abstractive only, greedy, exactly "
        f"{r['new_tokens']} output tokens; {r['requests_per_client']} requests per client; "
        f"micro-batching window {r['window_ms']:g} ms, at most {r['max_batch']} per batch.",
        "",
        "| mode | clients | requests/s | p50 ms | p95 ms | statuses |",
        "|---|---|---|---|---|---|",
    ]
    for mode, by_clients in r["results"].items():
        for clients, s in by_clients.items():
            lines.append(
                f"| {mode} | {clients} | {s['throughput_per_s']:.2f} | {s['p50_ms']:.0f} | "
                f"{s['p95_ms']:.0f} | {s['status_counts']} |"
            )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
