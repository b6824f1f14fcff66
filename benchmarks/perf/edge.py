"""The HTTP edge (issue 30): huge and stalled requests, hang-ups, SIGTERM, slow clients.

    python -m newsum.benchmarks.perf.edge [--checkout PATH] [--cases 1,2,3,4,5,6,7,8,9]
        [--big-header-mb 20,200] [--wait-cap-s 75] [--shutdown-grace-s 10]
        [--slow-clients 200] [--slow-seconds 20] [--probe-timeout-s 10]
        [--env KEY=VALUE ...] [--out DIR]

Each case starts the `newsum serve` of the checkout at --checkout (default: this
one) on a free port, with NEWSUM_MODEL=none, NEWSUM_EMBEDDING_MODEL=none and the
--env settings, and attacks it over raw sockets:

1. one 100 KB header on GET /healthz;  2. 10,000 small headers;
3. one header of each --big-header-mb size, streamed in 64 KiB pieces until the
   server answers or closes (the bytes sent by then are an upper bound on what
   it read: the kernel buffers some);
4. a header block that stops before its blank line;  5. a chunked body that
   stops after one chunk;  6. 10 of the 1,000 bytes Content-Length declares;
7. as 6, then the client hangs up: the newsum_requests_total lines of
   POST /v1/summarize that changed (/metrics before and after), and its access log;
8. as 6, then SIGTERM (NEWSUM_SHUTDOWN_GRACE_S=--shutdown-grace-s): seconds
   until the process exits, and what the stalled client got;
9. --slow-clients connections sending a request's header a byte a second for
   --slow-seconds: how many got an answer or were closed, and when.

A case waits for the answer or the close at most --wait-cap-s after its last
byte went out. Meanwhile a prober sends GET /healthz on a fresh connection every
50 ms (a probe that times out counts as --probe-timeout-s), and the server's CPU
seconds and peak RSS (VmHWM, reset at the start; its child processes included)
are read from /proc. The server's output goes to DIR/logs/. Writes edge.{json,md}
to --out, with the checkout's commit.

The server runs the checkout's own code: its `.venv/bin/python` if it has one,
else this interpreter, with the checkout first on PYTHONPATH, which wins over an
editable install; the script checks that `newsum` imports from the checkout.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsum.benchmarks.output import CHECKOUT, RESULTS, publish
from newsum.benchmarks.perf.edge_server import (
    BASE_SETTINGS,
    SERVE,
    Checkout,
    EdgeServer,
    Watch,
    http_get,
    parse_settings,
)
from newsum.benchmarks.perf.raw_http import await_answer, exchange, trickle

_PIECE = b"a" * (64 * 1024)  # one send of a big header
_IN_APP_S = 0.5  # time for a stalled upload to reach the app before the next step
_HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
_UPLOAD = (
    b"POST /v1/summarize HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 1000\r\n\r\n0123456789"
)
_CHUNKED = (
    b"POST /v1/summarize HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n"
)
_ONE_BIG_HEADER = _HEALTHZ + b"X-Pad: " + b"a" * 100_000 + b"\r\n\r\n"
_MANY_HEADERS = _HEALTHZ + b"".join(b"X-H%d: v\r\n" % i for i in range(10_000)) + b"\r\n"
_COUNTER = re.compile(
    r'^newsum_requests_total\{endpoint="/v1/summarize",method="POST",status="(\d+)"\} (\S+)$', re.M
)
# The options a report records.
_OPTIONS = ("wait_cap_s", "shutdown_grace_s", "slow_clients", "slow_seconds", "probe_timeout_s")
Row = dict[str, Any]


def add_attack_options(parser: argparse.ArgumentParser, big_header_mb: str) -> None:
    """The options the cases read (edge.py's own, and server_throughput.py's attacks)."""
    parser.add_argument("--big-header-mb", default=big_header_mb, help="case 3's sizes, MB")
    parser.add_argument("--wait-cap-s", type=float, default=75)
    parser.add_argument("--probe-timeout-s", type=float, default=10)
    parser.add_argument("--slow-clients", type=int, default=200)
    parser.add_argument("--slow-seconds", type=float, default=20)
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkout", type=Path, default=CHECKOUT)
    parser.add_argument("--cases", default=",".join(CASES))
    add_attack_options(parser, big_header_mb="20,200")
    parser.add_argument("--shutdown-grace-s", type=float, default=10)
    parser.add_argument("--out", type=Path, default=RESULTS / "edge")
    args = parser.parse_args(argv)
    cases = [case.strip() for case in args.cases.split(",") if case.strip()]
    if unknown := set(cases) - set(CASES):
        parser.error(f"no case {', '.join(sorted(unknown))}: the cases are 1 to 9")
    run = Run(Checkout.at(args.checkout), parse_settings(args.env), args)
    print(f"{run.checkout.root} at {run.checkout.commit}; {run.checkout.versions}", flush=True)

    rows, load_before = [], os.getloadavg()[0]
    for case in cases:
        for row in CASES[case](run):
            print(f"{row['case']}: {row['outcome']} in {row['seconds']} s", flush=True)
            rows.append(row)
    report = {
        "checkout": str(run.checkout.root),
        "commit": run.checkout.commit,
        "versions": run.checkout.versions,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        # Other work on the machine slows the wall times; CPU seconds less so.
        "load_average": [load_before, os.getloadavg()[0]],
        "settings": {**BASE_SETTINGS, **run.settings},
        "options": {name: getattr(args, name) for name in _OPTIONS},
        "rows": rows,
    }
    publish(args.out, "edge", report, _markdown(report))
    return 0


@dataclass(frozen=True)
class Run:
    """What every case needs: the checkout, its settings, the options, the server's command."""

    checkout: Checkout
    settings: dict[str, str]
    args: argparse.Namespace  # wait_cap_s, probe_timeout_s, out, and the cases' own
    argv: Sequence[str] = SERVE
    label: str = "edge"

    def serve(self, case: str, settings: dict[str, str] | None = None) -> EdgeServer:
        """A fresh server for `case`, its output in a log of its own."""
        log = self.args.out / "logs" / f"{self.label}-{case.split('.')[0]}-{time.time():.0f}.log"
        environment = {**self.settings, **(settings or {})}
        return EdgeServer(self.checkout, environment, log, self.argv)


def _attack(run: Run, name: str, pieces: Iterable[bytes], note: str = "") -> Row:
    with run.serve(name) as server, Watch(server, run.args.probe_timeout_s) as watch:
        answer = exchange(server.port, pieces, run.args.wait_cap_s)
    notes = note.format(sent=answer.sent_bytes / 1e6) if note else answer.head
    return _row(name, answer.outcome, answer.seconds, watch, notes)


def _big_header(total: int) -> Iterator[bytes]:
    yield _HEALTHZ + b"X-Pad: "
    for _ in range(total // len(_PIECE)):
        yield _PIECE
    yield _PIECE[: total % len(_PIECE)] + b"\r\n\r\n"


def _big_headers(run: Run) -> list[Row]:
    sizes = [float(mb) for mb in run.args.big_header_mb.split(",") if mb.strip()]
    note = "{sent:,.1f} MB sent before the answer or close"
    return [
        _attack(run, f"3. one {mb:g} MB header", _big_header(int(mb * 1e6)), note) for mb in sizes
    ]


def _hang_up(run: Run) -> list[Row]:
    name = "7. hang-up mid-upload"
    with run.serve(name) as server, Watch(server, run.args.probe_timeout_s) as watch:
        before = _summarize_counts(server.port)
        with socket.create_connection(("127.0.0.1", server.port)) as client:
            client.sendall(_UPLOAD)
            time.sleep(_IN_APP_S)
        hung_up = time.monotonic()
        # The server counts the request once it notices: wait for the counter to move.
        while (after := _summarize_counts(server.port)) == before:
            if time.monotonic() - hung_up > run.args.wait_cap_s:
                break
            time.sleep(0.05)
        noticed_s = time.monotonic() - hung_up
    delta = {status: after.get(status, 0) - before.get(status, 0) for status in {*before, *after}}
    moved = {status: count for status, count in sorted(delta.items()) if count}
    counted = ", ".join(f"{status}: +{count:g}" for status, count in moved.items()) or "none"
    outcome = f"counted {counted}"
    row = _row(name, outcome, noticed_s, watch, "time: hang-up to counted; requests_total delta")
    row["summarize_status_delta"] = moved
    row["access_log"] = _summarize_lines(server.log)
    return [row]


def _summarize_lines(log: Path) -> list[str]:
    """The server's log lines about POST /v1/summarize, and its errors' first lines."""
    lines = log.read_text(errors="replace").splitlines()
    return [ln for ln in lines if "/v1/summarize" in ln or ln.startswith(("ERROR", "asyncio."))]


def _summarize_counts(port: int) -> dict[str, float]:
    text = http_get(port, "/metrics", 10)[1].decode()
    return {status: float(count) for status, count in _COUNTER.findall(text)}


def _sigterm(run: Run) -> list[Row]:
    name = "8. SIGTERM, upload stalled"
    grace_s = run.args.shutdown_grace_s
    cap_s = grace_s + run.args.wait_cap_s
    with (
        run.serve(name, {"NEWSUM_SHUTDOWN_GRACE_S": f"{grace_s:g}"}) as server,
        Watch(server, run.args.probe_timeout_s) as watch,
        socket.create_connection(("127.0.0.1", server.port)) as client,
    ):
        client.sendall(_UPLOAD)
        time.sleep(_IN_APP_S)
        watch.probing = False  # a draining server refuses connections: that is not latency
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        client.setblocking(False)
        got = await_answer(client, lambda: server.process.poll() is not None, cap_s)
        while server.process.poll() is None and time.monotonic() - signalled < cap_s:
            time.sleep(0.02)
        code = server.process.poll()
        exit_s = time.monotonic() - signalled
    exited = f"exit {code}" if code is not None else f"no exit in {cap_s:g} s, killed"
    head = f" ({got.head})" if got.head else ""
    outcome = f"{exited}; client: {got.outcome}{head} at {got.seconds:.1f} s"
    row = _row(name, outcome, exit_s, watch, "time: SIGTERM to exit; healthz before SIGTERM")
    row["exit_code"] = code
    row["access_log"] = _summarize_lines(server.log)
    return [row]


def _slow_clients(run: Run) -> list[Row]:
    clients, seconds = run.args.slow_clients, run.args.slow_seconds
    name = f"9. {clients} slow-header clients"
    request = _HEALTHZ + b"X-Slow: " + b"s" * 1_000 + b"\r\n\r\n"
    with run.serve(name) as server, Watch(server, run.args.probe_timeout_s) as watch:
        ended = trickle(server.port, request, clients, seconds)
    kinds: dict[str, int] = {}
    for kind, _ in ended:
        kinds[kind] = kinds.get(kind, 0) + 1
    times = sorted(at for _, at in ended)
    if times:
        by_kind = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
        outcome = f"{len(ended)} of {clients} ended ({by_kind}) from {times[0]:.1f} s"
        outcome += f" to {times[-1]:.1f} s"
    else:
        outcome = f"none of {clients} answered or closed"
    row = _row(name, outcome, seconds, watch, "time: the trickle's length")
    row["ended"] = kinds
    return [row]


CASES: dict[str, Callable[[Run], list[Row]]] = {
    "1": lambda run: [_attack(run, "1. one 100 KB header", [_ONE_BIG_HEADER])],
    "2": lambda run: [_attack(run, "2. 10,000 small headers", [_MANY_HEADERS])],
    "3": _big_headers,
    "4": lambda run: [_attack(run, "4. stalled header block", [_HEALTHZ])],
    "5": lambda run: [_attack(run, "5. stalled chunked body", [_CHUNKED])],
    "6": lambda run: [_attack(run, "6. short Content-Length body", [_UPLOAD])],
    "7": _hang_up,
    "8": _sigterm,
    "9": _slow_clients,
}


# The report.


def _row(name: str, outcome: str, seconds: float, watch: Watch, notes: str) -> Row:
    latencies = sorted(watch.latencies_s)
    p99 = latencies[max(0, -(-99 * len(latencies) // 100) - 1)] if latencies else None
    return {
        "case": name,
        "outcome": outcome,
        "seconds": round(seconds, 3),
        "server_cpu_s": round(watch.cpu_s, 2),
        "peak_rss_growth_mb": round(watch.rss_growth_mb, 1),
        "healthz_probes": len(latencies),
        "healthz_failed": watch.failed,
        "healthz_p99_ms": round(1000 * p99, 1) if p99 is not None else None,
        "healthz_max_ms": round(1000 * latencies[-1], 1) if latencies else None,
        "notes": notes,
    }


def _seconds(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def _markdown(report: dict[str, Any]) -> str:
    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value:,.1f}"

    lines = [
        "# The edge: huge, stalled and hung-up requests, SIGTERM, slow clients",
        "",
        f"Checkout {report['checkout']} at {report['commit']}; {report['versions']}; "
        f"{report['machine']}, load average {report['load_average'][0]:.1f} at the start, "
        f"{report['load_average'][1]:.1f} at the end. Settings: "
        + ", ".join(f"{k}={v}" for k, v in report["settings"].items())
        + ". Options: "
        + ", ".join(f"{k}={v:g}" for k, v in report["options"].items())
        + ". /healthz probed every 50 ms on a fresh connection; a failed probe is counted "
        "(a timeout as the probe timeout).",
        "",
        "| case | status / close | time s | server CPU s | peak RSS +MB | healthz p99 ms "
        "| healthz max ms | probes (failed) | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        lines.append(
            f"| {r['case']} | {r['outcome']} | {_seconds(r['seconds'])} | {r['server_cpu_s']:.2f} "
            f"| {r['peak_rss_growth_mb']:,.1f} | {ms(r['healthz_p99_ms'])} "
            f"| {ms(r['healthz_max_ms'])} | {r['healthz_probes']} ({r['healthz_failed']}) "
            f"| {r['notes']} |"
        )
    for r in report["rows"]:
        if r.get("access_log"):
            lines += ["", f"The server's log of {r['case']}:", "", "```", *r["access_log"], "```"]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
