"""When an editor sees each part of a summary: streamed (server-sent events) vs JSON, over HTTP.

    python -m newsum.benchmarks.perf.stream_latency
        [--models tiny,distilbart] [--repeats 5] [--out DIR]

For `../shared/data/sample_article.txt`, POST /v1/summarize with `Accept:
text/event-stream`: the time to the first event (`article`), to `textrank`, to
the first abstractive `sentence`, and to the stream's end (`done`); beside it,
the same request answered as JSON, the two alternating in one run, median of
--repeats after one warm-up of each. The service runs in a process of its own
(benchmarks.perf.server) on CTranslate2 float32, greedy decoding (`num_beams` 1; the
model's other defaults), without the embedding model (lexical attribution):

- tiny: the tests' tiny random BART (tests/tiny_models.py);
- distilbart: a random-weight model of distilbart-cnn-12-6's shape, saved once
  as abstractive_speed.py saves it (it times like the real checkpoint).

Random weights write nonsense, which may hold no sentence end before its last
token: then its one sentence arrives with the end, and the table says so (the
sentence count per request is reported). Writes stream_latency.{json,md} to --out.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from newsum.benchmarks.output import CHECKOUT, RESULTS, SHARED, publish
from newsum.benchmarks.perf.server import Server

SAMPLE = SHARED / "data" / "sample_article.txt"
MARKS = ("first_event", "textrank", "first_sentence", "done")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="tiny,distilbart")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "stream_latency")
    args = parser.parse_args()

    text = SAMPLE.read_text(encoding="utf-8")
    body = {"text": text, "generation": {"num_beams": 1}}
    results = {}
    for name in args.models.split(","):
        folder = _model(name, args.out, text)
        environment = {
            "NEWSUM_MODEL": str(folder),
            "NEWSUM_BACKEND": "ctranslate2",
            "NEWSUM_COMPUTE_TYPE": "float32",
            "NEWSUM_EMBEDDING_MODEL": "none",
            "NEWSUM_REQUEST_TIMEOUT_S": "600",
            "NEWSUM_LOG_LEVEL": "warning",
            # This checkout's code, whichever checkout the `newsum` script was installed from.
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")])
            ),
        }
        print(f"measuring {name} ...", flush=True)
        with Server(environment) as url:
            results[name] = _measure(url, body, args.repeats)
    report = {
        "article": SAMPLE.name,
        "article_words": len(text.split()),
        "repeats": args.repeats,
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "load_average_1m": os.getloadavg()[0],
        "models": results,
    }
    publish(args.out, "stream_latency", report, _markdown(report))
    return 0


def _model(name: str, out: Path, text: str) -> Path:
    if name == "tiny":
        # The tests' builder (tests/ is outside the type-checked packages; run from the root).
        tiny_models = importlib.import_module("tests.tiny_models")
        return Path(tiny_models.build_tiny_bart(out / "tiny-bart", text.splitlines() * 3))
    if name == "distilbart":
        from newsum.benchmarks.perf.abstractive_speed import save_random_checkpoint

        folder = out / "random-distilbart-cnn-12-6"
        save_random_checkpoint(SHARED / "model-shapes" / "distilbart-cnn-12-6.json", folder)
        return folder
    raise SystemExit(f"unknown model {name!r}: tiny or distilbart")


def _measure(url: str, body: dict[str, Any], repeats: int) -> dict[str, Any]:
    streamed: list[dict[str, float | None]] = []
    whole: list[float] = []
    sentences: list[int] = []
    with httpx.Client(timeout=600) as client:
        for run in range(repeats + 1):  # the first of each is a warm-up
            marks, count = _stream(client, url, body)
            elapsed = _json(client, url, body)
            if run:
                streamed.append(marks)
                sentences.append(count)
                whole.append(elapsed)
    return {
        "streamed_ms": {mark: _median([m[mark] for m in streamed]) for mark in MARKS},
        "json_ms": statistics.median(whole),
        "sentences_per_request": sentences,
    }


def _stream(
    client: httpx.Client, url: str, body: dict[str, Any]
) -> tuple[dict[str, float | None], int]:
    """Milliseconds from sending to each mark (None: never came), and the sentence count."""
    marks: dict[str, float | None] = dict.fromkeys(MARKS)
    count = 0
    started = time.perf_counter()
    headers = {"Accept": "text/event-stream"}
    with client.stream("POST", f"{url}/v1/summarize", json=body, headers=headers) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("event: "):
                continue
            at = (time.perf_counter() - started) * 1000
            name = line[len("event: ") :]
            if name == "error":
                raise SystemExit(f"the stream ended in an error: {response.read()!r}")
            marks["first_event"] = marks["first_event"] or at
            if name == "sentence":
                count += 1
                marks["first_sentence"] = marks["first_sentence"] or at
            elif name in marks:
                marks[name] = at
    return marks, count


def _json(client: httpx.Client, url: str, body: dict[str, Any]) -> float:
    started = time.perf_counter()
    client.post(f"{url}/v1/summarize", json=body).raise_for_status()
    return (time.perf_counter() - started) * 1000


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if len(present) == len(values) else None


def _markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Streaming latency (POST /v1/summarize, server-sent events vs JSON)",
        "",
        f"{report['article']} ({report['article_words']} words), CTranslate2 float32, greedy, "
        f"no embedding model; median of {report['repeats']} after a warm-up; "
        f"{report['machine']}, 1-minute load average {report['load_average_1m']:.1f} at the end.",
        "",
        "| model | first event | textrank | first sentence | done (stream) | JSON answer "
        "| sentences |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, result in report["models"].items():
        s = result["streamed_ms"]
        cells = [f"{s[m]:.0f} ms" if s[m] is not None else "never" for m in MARKS]
        counts = ", ".join(str(n) for n in result["sentences_per_request"])
        lines.append(f"| {name} | {' | '.join(cells)} | {result['json_ms']:.0f} ms | {counts} |")
    lines += [
        "",
        "Random weights: the summaries are nonsense; what counts is when each part arrives. "
        "A first sentence as late as `done` means the model wrote no sentence end before "
        "its last token, so its one sentence came with the end.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
