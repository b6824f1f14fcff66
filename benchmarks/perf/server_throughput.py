"""POST /v1/summarize under uvicorn's HTTP parsers and other ASGI servers, side by side in one run.

    python -m newsum.benchmarks.perf.server_throughput [--checkout PATH]
        [--servers serve,httptools,h11,hypercorn,granian] [--http module:Class ...]
        [--requests 200] [--concurrency 4] [--runs 3]
        [--extra-site DIR] [--attack-cases 1,2,3] [--big-header-mb 20]
        [--env KEY=VALUE ...] [--out DIR]

Each server runs the checkout's app (`create_app(Settings())`, TextRank only:
NEWSUM_MODEL=none, NEWSUM_EMBEDDING_MODEL=none, NEWSUM_LOG_LEVEL=warning) on a
free port: `serve` is the checkout's `newsum serve` as it is; `httptools` and
`h11` are `uvicorn.run(app, http=...)`; each --http module:Class is uvicorn with
that protocol class; `hypercorn` is Hypercorn's `serve` on uvloop; `granian` is
Granian's ASGI interface, one worker. Hypercorn and Granian are not newsum's
dependencies: install them into a venv of their own and name its site-packages
with --extra-site (added after the app's own), e.g.

    .venv/bin/python -m venv /tmp/edgevenv && /tmp/edgevenv/bin/pip install hypercorn granian

(servers it lacks are skipped with a note). --concurrency client threads, each on
one keep-alive connection, send --requests requests in all, the sample article
(../shared/data/sample_article.txt) as text/plain with `?methods=textrank`, after
10 unmeasured ones; figures are the median of --runs runs: requests per second
of wall time, and p50 and p99 latency. The servers run side by side, runs
interleaved, each server's first in turn. Then edge.py's --attack-cases run against
each server (a fresh start per case). Writes server_throughput.{json,md} to --out.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from newsum.benchmarks.output import CHECKOUT, RESULTS, SHARED, publish
from newsum.benchmarks.perf.edge import CASES, Row, Run, add_attack_options
from newsum.benchmarks.perf.edge_server import SERVE, Checkout, EdgeServer, parse_settings

SAMPLE = SHARED / "data" / "sample_article.txt"
SETTINGS = {"NEWSUM_LOG_LEVEL": "warning"}
_WARM_UP = 10
# Run in the server's process (`python -c`): the benchmarks import the service only over HTTP.
_LAUNCHER = """
import asyncio, os, sys
sys.path += [p for p in os.environ.get("EDGE_EXTRA_SITE", "").split(os.pathsep) if p]
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
kind, http = sys.argv[1], sys.argv[2]
settings = Settings()
if kind == "uvicorn":
    import uvicorn
    uvicorn.run(create_app(settings), host="127.0.0.1", port=settings.port, http=http,
                log_level="warning", access_log=False)
elif kind == "hypercorn":
    import uvloop
    from hypercorn.asyncio import serve
    from hypercorn.config import Config
    config = Config()
    config.bind = [f"127.0.0.1:{settings.port}"]
    config.loglevel = "WARNING"
    uvloop.run(serve(create_app(settings), config))
elif kind == "granian":
    from granian import Granian
    Granian("newsum.service.web.app:create_app", factory=True, address="127.0.0.1",
            port=settings.port, interface="asgi", workers=1, log_level="warning").serve()
else:
    raise SystemExit(f"unknown server kind {kind}")
"""
_KINDS = {"httptools": ("uvicorn", "httptools"), "h11": ("uvicorn", "h11"),
          "hypercorn": ("hypercorn", "-"), "granian": ("granian", "-")}  # fmt: skip
_NOT_INSTALLED = {"hypercorn": "hypercorn", "granian": "granian"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkout", type=Path, default=CHECKOUT)
    parser.add_argument("--servers", default="serve,httptools,h11,hypercorn,granian")
    parser.add_argument("--http", action="append", default=[], metavar="MODULE:CLASS")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--extra-site", default="/tmp/edgevenv/lib/python3.11/site-packages")
    parser.add_argument("--attack-cases", default="1,2,3", help="edge.py's cases; '' for none")
    add_attack_options(parser, big_header_mb="20")
    parser.add_argument("--out", type=Path, default=RESULTS / "server_throughput")
    args = parser.parse_args(argv)
    attacked = [case.strip() for case in args.attack_cases.split(",") if case.strip()]
    if unknown := set(attacked) - (set(CASES) - {"8"}):
        parser.error(f"--attack-cases: no case {', '.join(sorted(unknown))} (8 is serve's own)")
    checkout = Checkout.at(args.checkout)
    settings = {**SETTINGS, "EDGE_EXTRA_SITE": args.extra_site, **parse_settings(args.env)}
    body = SAMPLE.read_bytes()

    servers: dict[str, Any] = {}
    load_before = os.getloadavg()[0]
    runs: dict[str, list[dict[str, float]]] = {}
    with contextlib.ExitStack() as stack:
        # All servers up at once, runs interleaved and rotated: load from elsewhere on the
        # machine falls on each alike.
        for name in [s.strip() for s in args.servers.split(",") if s.strip()] + args.http:
            if missing := _missing(name, args.extra_site):
                servers[name] = {"skipped": missing}
                print(f"{name}: skipped, {missing}", flush=True)
                continue
            log = args.out / "logs" / f"throughput-{_label(name)}.log"
            server = stack.enter_context(EdgeServer(checkout, settings, log, _argv(name)))
            servers[name], runs[name] = {"port": server.port}, []
        for turn in range(args.runs):
            order = list(runs)[turn % len(runs) :] + list(runs)[: turn % len(runs)]
            for name in order:
                runs[name].append(_load(servers[name]["port"], body, args.requests,
                                        args.concurrency))  # fmt: skip
    for name, measured in runs.items():
        figures = {key: statistics.median(r[key] for r in measured) for key in measured[0]}
        print(f"{name}: {figures}", flush=True)
        run = Run(checkout, settings, args, _argv(name), label=f"attack-{_label(name)}")
        attacks: list[Row] = [row for case in attacked for row in CASES[case](run)]
        servers[name] = {"throughput": figures, "runs": measured, "attacks": attacks}
    report = {
        "checkout": str(checkout.root),
        "commit": checkout.commit,
        "versions": checkout.versions,
        "load_average": [load_before, os.getloadavg()[0]],
        "article_bytes": len(body),
        "requests": args.requests,
        "concurrency": args.concurrency,
        "runs": args.runs,
        "servers": servers,
    }
    publish(args.out, "server_throughput", report, _markdown(report))
    return 0


def _argv(name: str) -> tuple[str, ...]:
    if name == "serve":
        return SERVE
    kind, http = _KINDS.get(name, ("uvicorn", name))
    return ("-c", _LAUNCHER, kind, http)


def _label(name: str) -> str:
    return name.replace(":", ".").replace("/", ".")


def _missing(name: str, extra_site: str) -> str:
    module = _NOT_INSTALLED.get(name)
    if module and not (Path(extra_site) / module).is_dir():
        return f"{module} is not in --extra-site {extra_site}"
    return ""


def _load(port: int, body: bytes, requests: int, concurrency: int) -> dict[str, float]:
    """`requests` POSTs from `concurrency` threads on keep-alive connections, after a warm-up."""
    path = "/v1/summarize?methods=textrank"
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    shares = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]

    def client(count: int) -> list[float]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        latencies = []
        for _ in range(count):
            began = time.perf_counter()
            connection.request("POST", path, body, headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"POST {path}: {response.status}")
            latencies.append(time.perf_counter() - began)
        connection.close()
        return latencies

    client(_WARM_UP)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = sorted(s for part in pool.map(client, shares) for s in part)
    wall_s = time.perf_counter() - started
    p99 = latencies[max(0, -(-99 * len(latencies) // 100) - 1)]
    return {
        "requests_per_s": round(len(latencies) / wall_s, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p99_ms": round(1000 * p99, 1),
    }


def _markdown(report: dict[str, Any]) -> str:
    lines = [
        "# POST /v1/summarize by HTTP server",
        "",
        f"Checkout {report['checkout']} at {report['commit']}; {report['versions']}. "
        f"The sample article ({report['article_bytes']:,} bytes, text/plain, TextRank only), "
        f"{report['requests']} requests from {report['concurrency']} keep-alive clients; "
        f"median of {report['runs']} runs. Load average {report['load_average'][0]:.1f} at the "
        f"start, {report['load_average'][1]:.1f} at the end ({os.cpu_count()} CPUs).",
        "",
        "| server | requests/s | p50 ms | p99 ms |",
        "|---|---|---|---|",
    ]
    for name, result in report["servers"].items():
        if "skipped" in result:
            lines.append(f"| {name} | skipped: {result['skipped']} | | |")
            continue
        t = result["throughput"]
        lines.append(f"| {name} | {t['requests_per_s']:.1f} | {t['p50_ms']} | {t['p99_ms']} |")
    attacked = {name: r["attacks"] for name, r in report["servers"].items() if r.get("attacks")}
    if attacked:
        lines += [
            "",
            "Attacks (edge.py's cases, a fresh server each):",
            "",
            "| server | case | status / close | time s | server CPU s | peak RSS +MB "
            "| healthz p99 ms | healthz max ms | notes |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, rows in attacked.items():
            for r in rows:
                lines.append(
                    f"| {name} | {r['case']} | {r['outcome']} | {r['seconds']:.3f} "
                    f"| {r['server_cpu_s']:.2f} | {r['peak_rss_growth_mb']:,.1f} "
                    f"| {r['healthz_p99_ms']} | {r['healthz_max_ms']} | {r['notes']} |"
                )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
