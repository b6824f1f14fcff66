"""Summarise a corpus with several systems, score it, time it, and show it.

    newsum bench CORPUS.jsonl --out DIR [--systems ...] [--published FILE]
    newsum bench CORPUS.jsonl --out DIR --url http://127.0.0.1:8000 --concurrency 4
    newsum bench CORPUS.jsonl --out DIR --systems lead-3 --batch OUTPUT.jsonl

CORPUS is JSON lines in the shape POST /v1/summarize/batch and `newsum batch`
read (`models.corpus_line`): `text` (or `article`, its alias), optionally `id`
and the request's options, and `reference` (a string or a list of them) or
`references`. In-process, every system runs on every article (read with the
line's `title`, `standfirst` and `language`); with --url, the service is called
over HTTP instead, with the line's options. Rows are appended to DIR/rows.jsonl
as they finish, so an interrupted run continues where it stopped;
DIR/report.json, DIR/report.md and the PNG plots are written from all rows at
the end. Bad corpus rows (an unknown field among them, named with the field it
may have meant) are listed in the report and skipped. A system that cannot run
is reported unavailable with its reason, in process, with --url and with
--batch alike. With --batch, the summaries of a `newsum batch` OUTPUT (in
process or from a Ray cluster) are joined to the corpus by id and scored as
systems of their own.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.progress import Progress

from newsum.benchmarks.bench import plots, report, systems
from newsum.benchmarks.bench.answers import read_answers
from newsum.benchmarks.bench.scoring import lead_scores, reference_scores, words
from newsum.models.article import read_article
from newsum.models.attribution import ArticleEvidence, summary_spans
from newsum.models.compare import SummarySentence
from newsum.models.corpus_line import LINE_FIELDS, REQUEST_OPTIONS, TEXT, TEXT_ALIAS, unknown_field
from newsum.models.errors import NewsumError
from newsum.models.nli.support import NliJudging
from newsum.models.types import Attribution

# The ids --systems takes; lead-3 is lead-N with --sentences N.
SYSTEMS = (
    "lead-3",
    "newsum-textrank",
    "newsum-abstractive",
    "sumy-textrank",
    "sumy-lexrank",
    "summa",
)
DEFAULT_SYSTEMS = ",".join(SYSTEMS)
# The `bench` extra (sumy, summa, scikit-learn, matplotlib) is imported only when a run needs it,
# so --help works without it. The plots need matplotlib on every run; sumy's and summa's systems
# are reported unavailable, with this hint, when those are missing.
INSTALL_EXTRA = "pip install 'newsum[bench]' (in a checkout: pip install -e '.[bench]')"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if importlib.util.find_spec("matplotlib") is None:
        print(
            "newsum bench: the report's plots need matplotlib, from the bench extra: "
            + INSTALL_EXTRA,
            file=sys.stderr,
        )
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    judge = _open_judge(args.nli_model)
    records, skipped = read_corpus(args.corpus)
    rows_path = args.out / "rows.jsonl"
    done = {(row["system"], row["id"]) for row in _read_rows(rows_path)}
    unavailable: dict[str, str] = {}
    http: dict[str, Any] | None = None
    # First use loads the language identifier and stemmers (~0.5 s); not an article's cost.
    read_article("A warm-up sentence. And another one.")

    _end_cleanly(rows_path)
    with rows_path.open("a", encoding="utf-8") as sink, Progress() as progress:

        def write(row: dict[str, Any]) -> None:
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            sink.flush()  # a row on disk is a row a resumed run skips

        if args.url:
            http = run_http(args, records, done, write, progress, judge)
        else:
            for system in build_systems(args):
                if system.run is None:
                    unavailable[system.name] = system.reason or "unavailable"
                    continue
                todo = [r for r in records if (system.name, r["id"]) not in done]
                task = progress.add_task(system.name, total=len(todo))
                for record in todo:
                    write(run_one(system, record, judge))
                    progress.advance(task)
        if args.published:
            for row in published_rows(args.published, records, done, judge):
                write(row)
        for output in args.batch:
            for row in batch_rows(output, records, done, judge):
                write(row)

    rows = list(_read_rows(rows_path))
    summary = report.build(
        rows,
        corpus=str(args.corpus),
        records=len(records),
        skipped=skipped,
        unavailable=unavailable,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        http=http,
    )
    images = plots.draw(summary, args.out)
    (args.out / "report.json").write_text(json.dumps(summary, indent=2) + "\n")
    markdown = report.markdown(summary, images)
    (args.out / "report.md").write_text(markdown)
    print(markdown)
    return 0


def read_corpus(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Usable records, and the rows skipped with the reason (never an abort)."""
    records: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            skipped.append({"line": number, "reason": f"not JSON: {error.msg}"})
            continue
        problem = _problem(record)
        if problem:
            skipped.append({"line": number, "id": _id(record, number), "reason": problem})
            continue
        record["id"] = _id(record, number)
        record[TEXT] = record.pop(TEXT_ALIAS, None) or record[TEXT]
        record["references"] = _references(record)
        if record["id"] in seen:
            skipped.append({"line": number, "id": record["id"], "reason": "duplicate id"})
            continue
        seen.add(record["id"])
        records.append(record)
    return records, skipped


def build_systems(args: argparse.Namespace) -> list[systems.System]:
    wanted = [name.strip() for name in args.systems.split(",") if name.strip()]
    chosen: list[systems.System] = []
    for name in wanted:
        if name == "lead-3":
            chosen.append(systems.lead(args.sentences))
        elif name == "newsum-textrank":
            chosen.append(systems.newsum_textrank(args.sentences))
        elif name == "newsum-abstractive":
            chosen.append(systems.newsum_abstractive(args.model))
        elif name in ("sumy-textrank", "sumy-lexrank"):
            sumy = {s.name.replace(" ", "-"): s for s in systems.sumy_systems(args.sentences)}
            chosen.append(sumy[name])
        elif name == "summa":
            chosen.append(systems.summa_system(args.sentences))
        else:
            raise SystemExit(f"unknown system {name!r}; choose from {DEFAULT_SYSTEMS}")
    return chosen


def run_one(
    system: systems.System, record: dict[str, Any], judge: NliJudging | None = None
) -> dict[str, Any]:
    """One system on one article: its summary, scores and latency (or its error)."""
    assert system.run is not None
    started = time.perf_counter()
    try:
        article = _read(record)
        output = system.run(article)
    except NewsumError as error:
        return {"system": system.name, "id": record["id"], "error": error.code}
    latency_ms = (time.perf_counter() - started) * 1000
    return score_row(system.name, record, article, output.text, output.sources, latency_ms, judge)


@dataclass(frozen=True)
class _Extract:
    """A sentence of an extractive summary, attributed to itself."""

    text: str
    attributions: tuple[Attribution, ...]


def score_row(
    name: str,
    record: dict[str, Any],
    article: Any,
    summary: str,
    sources: tuple[int, ...] | None,
    latency_ms: float | None,
    judge: NliJudging | None = None,
    nli: float | None = None,
) -> dict[str, Any]:
    """One summary's row: ROUGE, the lead comparison, support, and the NLI score (`nli`,
    when the summary came with one, else `judge`'s; None without either)."""
    support: list[float] | None = None
    sentences: Sequence[SummarySentence]
    if sources is None:
        # Where an abstractive or foreign summary's content comes from: attribution
        # (lexical, fast), whose sources give the position shares and the lead coverage.
        attributed = ArticleEvidence(article).attribute(summary)
        sentences = attributed
        support = [s.support or 0.0 for s in attributed]
    else:
        # An extract: each sentence is its own exact source.
        sentences = [_Extract(article.sentences[i].text, (Attribution(i, 1.0),)) for i in sources]
    return {
        "system": name,
        "id": record["id"],
        "summary": summary,
        "words": words(summary),
        "rouge": reference_scores(summary, record["references"], article.language),
        **lead_scores(article, summary, sentences),
        "support": support,
        "nli": nli if nli is not None else judged_mean(judge, article, summary, sources),
        "latency_ms": latency_ms,
    }


def run_http(
    args: argparse.Namespace,
    records: list[dict[str, Any]],
    done: set[tuple[str, str]],
    write: Any,
    progress: Progress,
    judge: NliJudging | None = None,
) -> dict[str, Any]:
    """Every article through POST /v1/summarize at the chosen concurrency."""
    import httpx

    todo = [r for r in records if ("service", r["id"]) not in done]
    task = progress.add_task(f"HTTP x{args.concurrency}", total=len(todo))
    statuses: dict[str, int] = {}
    client = httpx.Client(base_url=args.url, timeout=args.timeout)

    def call(record: dict[str, Any]) -> tuple[dict[str, Any], int, float, Any]:
        # The line's request as the batch endpoint would take it (its corpus fields aside).
        body = {key: record[key] for key in REQUEST_OPTIONS if record.get(key) is not None}
        body[TEXT] = record[TEXT]
        started = time.perf_counter()
        try:
            response = client.post("/v1/summarize", json=body)
            status, answer = response.status_code, response.json()
        except (httpx.HTTPError, ValueError) as error:
            status, answer = 0, {"error": {"code": type(error).__name__}}
        return record, status, (time.perf_counter() - started) * 1000, answer

    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        for record, status, latency_ms, answer in pool.map(call, todo):
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            write({"system": "service", "id": record["id"], "status": status,
                   "latency_ms": latency_ms})  # fmt: skip
            if status == 200:
                for row in _service_rows(record, answer, latency_ms, judge=judge):
                    write(row)
            progress.advance(task)
    elapsed = time.perf_counter() - started
    client.close()
    return {
        "url": args.url,
        "concurrency": args.concurrency,
        "requests": len(todo),
        "status_counts": statuses,
        "wall_s": elapsed,
        "throughput_articles_per_s": len(todo) / elapsed if elapsed else 0.0,
    }


def published_rows(
    path: Path,
    records: list[dict[str, Any]],
    done: set[tuple[str, str]],
    judge: NliJudging | None = None,
) -> Iterator[dict[str, Any]]:
    """Rows for published system outputs ({id, system, summary}) on the corpus's articles."""
    by_id = {r["id"]: r for r in records}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        name = f"published {row['system']}"
        record = by_id.get(row["id"])
        if record is None or (name, row["id"]) in done or not row.get("summary", "").strip():
            continue
        article = read_article(record[TEXT])
        yield score_row(name, record, article, row["summary"], None, None, judge)


def batch_rows(
    path: Path,
    records: list[dict[str, Any]],
    done: set[tuple[str, str]],
    judge: NliJudging | None = None,
) -> Iterator[dict[str, Any]]:
    """Rows for a `newsum batch` OUTPUT's summaries, as systems named after the file."""
    by_id = {r["id"]: r for r in records}
    name = path.stem
    answers = [(key, answer, error) for key, answer, error in read_answers(path) if key in by_id]
    # An error row counts against each summary the OUTPUT holds (each system's error count).
    methods = [
        m for m in _METHODS if any(a and a["summaries"].get(m) for _, a, _ in answers)
    ] or ["textrank"]  # fmt: skip
    for key, answer, error in answers:
        if any((f"{name} {method}", key) in done for method in methods):
            continue
        if answer is None:
            for method in methods:
                yield {"system": f"{name} {method}", "id": key, "error": error}
            continue
        yield from _service_rows(by_id[key], answer, None, name, judge)


_METHODS = ("textrank", "abstractive")


def _service_rows(
    record: dict[str, Any],
    answer: dict[str, Any],
    latency_ms: float | None,
    name: str = "service",
    judge: NliJudging | None = None,
) -> list[dict[str, Any]]:
    """A service answer's summaries scored; one it says unavailable (or failed), with why.

    Each summary's `nli` is the answer's own (the service's judge), else `judge`'s."""
    article = _read(record)
    rows = []
    textrank = answer["summaries"].get("textrank")
    if textrank and textrank["status"] == "ok":
        sources = tuple(s["source_sentences"][0] for s in textrank["sentences"])
        system = f"{name} textrank"
        rows.append(score_row(system, record, article, textrank["text"], sources, latency_ms,
                              judge, _answered_nli(textrank)))  # fmt: skip
    abstractive = answer["summaries"].get("abstractive")
    system = f"{name} abstractive"
    if abstractive and abstractive["status"] == "ok":
        rows.append(score_row(system, record, article, abstractive["text"], None, latency_ms,
                              judge, _answered_nli(abstractive)))  # fmt: skip
    elif abstractive and abstractive["status"] == "unavailable":
        rows.append({"system": system, "id": record["id"], "unavailable": abstractive["reason"]})
    elif abstractive:  # "error": the model failed on this article
        rows.append({"system": system, "id": record["id"], "error": "generation_failed"})
    return rows


def judged_mean(
    judge: NliJudging | None, article: Any, summary: str, sources: tuple[int, ...] | None
) -> float | None:
    """The NLI judge's score of a summary (SummaC mean), or None without a judge or a verdict.

    An extract is judged sentence by sentence as the service judges TextRank's; any other
    summary as attribution splits it."""
    if judge is None or not summary.strip():
        return None
    if sources is not None:
        sentences = [article.sentences[i].text for i in sources]
    else:
        sentences = [summary[start:end] for start, end in summary_spans(summary, article.language)]
    verdict = judge.verdict(article, sentences)
    return None if verdict is None or isinstance(verdict, str) else verdict.mean


def _answered_nli(block: dict[str, Any]) -> float | None:
    nli = block.get("nli")
    return float(nli["mean"]) if isinstance(nli, dict) else None


def _open_judge(name: str | None) -> NliJudging | None:
    if not name:
        return None
    from newsum.models.nli import DEFAULT_BATCH_SIZE, DEFAULT_MAX_PAIRS, load_nli_model

    try:
        model = load_nli_model(name)
    except NewsumError as error:
        raise SystemExit(f"newsum bench: --nli-model: {error.message}") from error
    return NliJudging(model, DEFAULT_MAX_PAIRS, DEFAULT_BATCH_SIZE)


def _read(record: dict[str, Any]) -> Any:
    title, standfirst, language = (record.get(k) for k in ("title", "standfirst", "language"))
    return read_article(record[TEXT], title=title, standfirst=standfirst, language=language)


def _references(record: dict[str, Any]) -> Any:
    given = record.get("references") or record.get("reference")
    return [given] if isinstance(given, str) else given


def _problem(record: Any) -> str | None:
    if not isinstance(record, dict):
        return "not a JSON object"
    # The line's shape is the batch endpoint's: its fields, by the same names.
    unknown = [key for key in record if key not in LINE_FIELDS]
    if unknown:
        return "; ".join(f"{key}: {unknown_field(key, LINE_FIELDS)}" for key in unknown)
    if TEXT in record and TEXT_ALIAS in record:
        return f'{TEXT_ALIAS}: an alias of "{TEXT}", which is given too; give one of the two'
    name = TEXT_ALIAS if TEXT_ALIAS in record else TEXT
    text = record.get(name)
    if not isinstance(text, str) or not text.strip():
        return f"empty or missing {name}"
    references = _references(record)
    if (
        not isinstance(references, list)
        or not references
        or not all(isinstance(r, str) and r.strip() for r in references)
    ):
        return "empty or missing reference"
    return None


def _id(record: Any, number: int) -> str:
    given = record.get("id") if isinstance(record, dict) else None
    return str(given) if given not in (None, "") else f"line-{number}"


def _end_cleanly(path: Path) -> None:
    # An interrupted run may have left half a line; new rows start on a line of their own.
    if path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
        with path.open("a", encoding="utf-8") as sink:
            sink.write("\n")


def _read_rows(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue  # a row cut short by an interruption is redone


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsum bench",
        description=__doc__.split("\n")[0],
        epilog="sumy-textrank, sumy-lexrank, summa and the report's plots (matplotlib) need\n"
        "the bench extra: " + INSTALL_EXTRA.replace(" (", "\n(") + ".",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "corpus", type=Path, help="JSON lines: text (or article), reference(s), id, options"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for rows and reports")
    parser.add_argument(
        "--systems",
        default=DEFAULT_SYSTEMS,
        help=f"comma-separated, from: {', '.join(SYSTEMS)} (default: all)",
    )
    parser.add_argument("--sentences", type=int, default=3, help="extractive summary length")
    parser.add_argument(
        "--model",
        default="sshleifer/distilbart-cnn-12-6",
        help="newsum-abstractive's model: hub id or folder (default: %(default)s)",
    )
    parser.add_argument("--published", type=Path, help="JSON lines {id, system, summary}")
    parser.add_argument(
        "--batch",
        type=Path,
        action="append",
        default=[],
        help="a `newsum batch` OUTPUT (.jsonl or .parquet) to score as systems named after it; "
        "repeatable",
    )
    parser.add_argument(
        "--nli-model",
        help="an NLI judge (a hub id from the local cache, or a folder; as NEWSUM_NLI_MODEL) "
        "that scores every summary in process: rows gain `nli`, the SummaC mean; a service's "
        "answers carry their own",
    )
    parser.add_argument("--url", help="benchmark a running service instead")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="requests at once with --url (default: 1)"
    )
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds per request with --url (default: 300)"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
