"""The `newsum` command: serve the API, or summarise a file on the command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console
from rich.table import Table

from newsum.models.article import check_text, read_article
from newsum.models.embeddings import load_encoder
from newsum.models.errors import NewsumError
from newsum.models.nli.labels import NliLabelsRefused
from newsum.models.textrank import MAX_SUMMARY_SENTENCES, PICKS
from newsum.models.types import METHODS, Comparison, Method, Report, Rouge
from newsum.service.cli.fetch import add_fetch_model, fetch_model
from newsum.service.settings import Settings

# Summarising, comparing and the response schemas (ROUGE brings NLTK: most of a second) are
# imported by the commands that use them, so `fetch-model` and `--help` start without them.


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["bench"]:
        # The benchmark has its own parser, --help included: it gets all that follows.
        return _bench(argparse.Namespace(arguments=arguments[1:]))
    parser = _parser()
    args = parser.parse_args(arguments)
    try:
        return int(args.run(args))
    except InvalidSettings as error:
        print(error, file=sys.stderr)
        return 2
    except NliLabelsRefused as error:  # a setting's mistake, as `newsum serve` says it
        print(f"newsum: NEWSUM_NLI_MODEL: {error.message}", file=sys.stderr)
        return 2
    except NewsumError as error:
        print(f"newsum: {error.code}: {error.message}", file=sys.stderr)
        return 1 if error.code == "model_unavailable" else 2


class InvalidSettings(Exception):
    """NEWSUM_* variables that do not make valid Settings; the message names each one."""


# Secrets are named, never echoed.
_SECRET_SETTINGS = frozenset({"api_keys"})


def load_settings() -> Settings:
    """Settings from the NEWSUM_* variables, all checked before a command does anything."""
    try:
        return Settings()
    except ValidationError as error:
        raise InvalidSettings(_describe(error)) from None
    except SettingsError as error:  # a value pydantic-settings could not even parse
        raise InvalidSettings(f"newsum: invalid setting: {error}") from None


def _describe(error: ValidationError) -> str:
    prefix = Settings.model_config.get("env_prefix", "")
    lines = ["newsum: invalid settings:"]
    for problem in error.errors():
        # A validator's ValueError reads better without pydantic's "Value error, ".
        cause = problem.get("ctx", {}).get("error")
        message = str(cause) if isinstance(cause, ValueError) else problem["msg"]
        if not problem["loc"]:  # about several settings at once; its input is all of them
            lines.append(f"  {message}")
            continue
        field = str(problem["loc"][0])
        given = "(hidden)" if field in _SECRET_SETTINGS else repr(problem["input"])
        lines.append(f"  {prefix.upper()}{field.upper()}={given}: {message}{_bounds(field)}")
    return "\n".join(lines)


def _bounds(field: str) -> str:
    """A numeric setting's whole allowed range ("; allowed: >= 1 and <= 65535"), else ''."""
    info = Settings.model_fields.get(field)
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    bounds = [
        f"{symbol} {getattr(constraint, name)}"
        for constraint in (info.metadata if info else [])
        for name, symbol in symbols.items()
        if hasattr(constraint, name)
    ]
    return f"; allowed: {' and '.join(bounds)}" if bounds else ""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsum", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="start the HTTP service")
    serve.add_argument("--host", help="address to listen on (default: NEWSUM_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: NEWSUM_PORT or 8000)")
    serve.set_defaults(run=_serve)

    text = commands.add_parser("summarize", help="summarise an article file ('-' for stdin)")
    text.add_argument("file", help="article text file, or - to read standard input")
    text.add_argument("--json", action="store_true", help="print the POST /v1/summarize body")
    text.add_argument("--title")
    text.add_argument("--standfirst", help="the article's standfirst; it becomes the lead")
    text.add_argument("--language", help="ISO 639 code; detected when absent")
    text.add_argument(
        "--methods",
        default=",".join(METHODS),
        help="comma-separated: textrank, abstractive (default: both)",
    )
    text.add_argument(
        "--model",
        help="abstractive model (default: the first configured one serving the language)",
    )
    _add_extractive_options(text, "")
    text.set_defaults(run=_summarize)

    attribute = commands.add_parser(
        "attribute", help="attribute a summary's sentences to an article ('-' for stdin)"
    )
    attribute.add_argument("article", help="article text file, or -")
    attribute.add_argument("summary", help="summary text file, or -")
    attribute.add_argument("--json", action="store_true", help="print the POST /v1/attribute body")
    attribute.add_argument("--standfirst", help="the article's standfirst; it becomes the lead")
    attribute.add_argument("--language", help="ISO 639 code; detected when absent")
    attribute.set_defaults(run=_attribute)

    bench = commands.add_parser(
        "bench",
        help="summarise, score and time a corpus (see: newsum bench --help)",
        add_help=False,
    )
    bench.add_argument("arguments", nargs=argparse.REMAINDER)
    bench.set_defaults(run=_bench)
    _add_batch(commands)

    add_fetch_model(commands, lambda args: fetch_model(args, load_settings()))
    return parser


def _serve(args: argparse.Namespace) -> int:
    settings = load_settings()  # before the slow imports: a bad setting fails at once
    from newsum.service.cli.serve import serve

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s:     %(name)s: %(message)s"
    )
    return serve(settings, args.host or settings.host, args.port or settings.port)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _summarize(args: argparse.Namespace) -> int:
    from newsum.models.summarize import summarize
    from newsum.service.contract.schemas import summarize_response
    from newsum.service.runtime.nli import open_nli

    settings = load_settings()
    text = _read(args.file)
    methods: list[Method] = []
    for name in args.methods.split(","):
        if name not in METHODS:
            known = ", ".join(METHODS)
            print(f"newsum: unknown method {name!r}; choose from {known}", file=sys.stderr)
            return 2
        methods.append(name)
    article = read_article(
        text,
        title=args.title,
        standfirst=args.standfirst,
        language=args.language,
        limits=settings.limits,
    )
    engine = encoder = None
    if "abstractive" in methods:
        from newsum.models.abstractive.routing import route
        from newsum.service.runtime.state import open_abstractive

        # The model --model names (refused if it lacks the article's language), else the
        # server's choice among every configured model: each is loaded to read its scope.
        names = [args.model] if args.model else settings.abstractive_models or [settings.model]
        # The report (or the error) says why a model cannot serve: not the log as well.
        engines = [open_abstractive(settings, name, log_unavailable=False) for name in names]
        engine = route(engines, article.language, args.model if engines[0].status == "ok" else None)
        encoder = load_encoder(settings.embedding_model) if engine.status == "ok" else None
    report = summarize(
        article,
        methods=methods,
        max_sentences=args.max_sentences,
        textrank_pick=args.textrank_pick,
        abstractive=engine,
        encoder=encoder,
        nli=open_nli(settings),  # the NLI judge, when NEWSUM_NLI_MODEL names one
    )
    if args.json:
        print(summarize_response(report).model_dump_json())
    else:
        _print_report(report, Console())
    return 0


def _attribute(args: argparse.Namespace) -> int:
    from newsum.models.attribution import summary_spans
    from newsum.models.summarize import attribute_summary, judge_in_process
    from newsum.service.contract.schemas import attribute_response
    from newsum.service.runtime.nli import open_nli

    settings = load_settings()
    if args.article == "-" and args.summary == "-":
        print("newsum: only one of ARTICLE and SUMMARY can be read from stdin", file=sys.stderr)
        return 2
    article = read_article(
        _read(args.article),
        standfirst=args.standfirst,
        language=args.language,
        limits=settings.limits,
    )
    summary = _read(args.summary)
    check_text(summary, "summary", settings.max_summary_chars)
    judge = open_nli(settings)  # the NLI judge, when NEWSUM_NLI_MODEL names one
    sentences = [summary[start:end] for start, end in summary_spans(summary, article.language)]
    report = attribute_summary(
        article,
        summary,
        encoder=load_encoder(settings.embedding_model),
        nli=judge_in_process(judge, article, sentences) if judge is not None else None,
    )
    if args.json:
        print(attribute_response(report).model_dump_json())
        return 0
    console = Console()
    table = Table(title="Summary sentences and the article sentences behind them")
    for column in ("summary sentence", "support", "sources (sentence: score)", "not in article"):
        table.add_column(column)
    for sentence in report.sentences:
        sources = ", ".join(f"{a.sentence}: {a.score:.2f}" for a in sentence.attributions)
        table.add_row(
            sentence.text,
            f"{sentence.support or 0:.2f}",
            sources or "none",
            ", ".join(sentence.unsupported),
        )
    console.print(table)
    p = report.comparison.position
    console.print(
        f"vs lead (R1/R2/RL): {_rouge(report.comparison.vs_lead)}; "
        f"vs closing: {_rouge(report.comparison.vs_closing)}; "
        f"sources in lead/body/closing: {p.lead:.2f} / {p.body:.2f} / {p.closing:.2f}"
    )
    return 0


def _bench(args: argparse.Namespace) -> int:
    try:
        from newsum.benchmarks.bench.run import main as bench_main
    except ImportError as error:
        # The benchmark imports its extras when it runs; this is a module it cannot do without.
        print(f"newsum: bench cannot import {error.name}: pip install 'newsum[bench]' "
              "(in a checkout: pip install -e '.[bench]')", file=sys.stderr)  # fmt: skip
        return 2
    return bench_main(args.arguments)


def _add_extractive_options(command: argparse.ArgumentParser, unless: str) -> None:
    command.add_argument(
        "--max-sentences",
        type=int,
        default=3,
        choices=range(1, MAX_SUMMARY_SENTENCES + 1),
        metavar=f"1..{MAX_SUMMARY_SENTENCES}",
        help=f"length of the extractive summary{unless} (default: 3)",
    )
    command.add_argument(
        "--textrank-pick",
        choices=PICKS,
        default="distinct",
        help="distinct: never two sentences telling one fact; classic: the best-ranked as "
        f"they come{unless} (default: distinct)",
    )


def _add_batch(commands: Any) -> None:
    batch = commands.add_parser(
        "batch",
        help="summarise a corpus (JSON lines or Parquet) into a file; resumable; --ray",
        description="Summarise every row of INPUT into OUTPUT (JSON lines or Parquet, by "
        "extension), one row per input row in the shape of POST /v1/summarize/batch. "
        "Rerunning with the same OUTPUT continues where the last run stopped.",
    )
    batch.add_argument("input", type=Path, help="JSON lines or .parquet: text (or article), id, …")
    batch.add_argument("output", type=Path, help=".jsonl or .parquet; appended to when it exists")
    batch.add_argument("--methods", default=",".join(METHODS), help="default: both")
    _add_extractive_options(batch, ", unless a row says")
    batch.add_argument(
        "--ray",
        nargs="?",
        const=os.environ.get("RAY_ADDRESS") or "local",
        metavar="local|auto|ADDRESS",
        help="run on Ray Data: 'local' starts Ray here; 'auto' or ray://host:10001 joins a "
        "cluster (bare --ray: RAY_ADDRESS, else local)",
    )
    batch.add_argument("--actors", type=int, default=2, help="Ray actors (default: 2)")
    batch.add_argument("--cpus-per-actor", type=float, default=1.0, help="default: 1")
    batch.add_argument("--batch-size", type=int, default=16, help="rows per Ray batch (16)")
    batch.add_argument("--stats", type=Path, help="also write the end summary here as JSON")
    batch.set_defaults(run=_batch)


def _batch(args: argparse.Namespace) -> int:
    from newsum.models.summarize import check_methods
    from newsum.service.corpus.job import BatchJob
    from newsum.service.corpus.run import INTERRUPTED, print_summary, run_batch, write_stats

    settings = load_settings()
    methods = tuple(name.strip() for name in args.methods.split(","))
    check_methods(methods)  # a wrong name is this command's error, not every row's
    if min(args.actors, args.batch_size) < 1 or args.cpus_per_actor <= 0:
        print("newsum: --actors, --batch-size and --cpus-per-actor must be positive",
              file=sys.stderr)  # fmt: skip
        return 2
    if not args.input.is_file():
        print(f"newsum: INPUT {args.input} is not a file", file=sys.stderr)
        return 2
    job = BatchJob(args.input, args.output, cast("tuple[Method, ...]", methods),
                   args.max_sentences, args.textrank_pick, args.ray, args.actors,
                   args.cpus_per_actor, args.batch_size)  # fmt: skip
    stats = run_batch(job, settings, Console(stderr=True))
    print_summary(stats, job, Console())
    if args.stats:
        write_stats(stats, args.stats)
    return INTERRUPTED if stats.interrupted else 0


def _print_report(report: Report, console: Console) -> None:
    article = report.article
    closing = article.closing.method if article.closing else "none"
    console.print(
        f"[bold]Article[/]: {len(article.sentences)} sentences in {len(article.paragraphs)} "
        f"paragraphs, language {article.language}; lead: {article.lead.method}, "
        f"closing: {closing}; {len(article.boilerplate)} boilerplate spans"
    )
    for leftover in article.boilerplate:
        console.print(f"  [dim]boilerplate ({leftover.kind}): {leftover.text}[/]")

    textrank = report.summaries.textrank
    if textrank:
        scores = {r.sentence: r for r in textrank.ranking}
        table = Table(title=f"TextRank summary ({textrank.elapsed_ms:.1f} ms)")
        table.add_column("sentence", justify="right")
        table.add_column("rank", justify="right")
        table.add_column("score", justify="right")
        table.add_column("text")
        for extracted in textrank.sentences:
            ranked = scores[extracted.source_sentences[0]]
            table.add_row(
                str(ranked.sentence), str(ranked.rank), f"{ranked.score:.4f}", extracted.text
            )
        console.print(table)

    abstractive = report.summaries.abstractive
    if abstractive:
        if abstractive.status == "ok":
            console.print(f"[bold]Abstractive summary[/] ({abstractive.model}): {abstractive.text}")
        else:
            console.print(f"[bold]Abstractive[/]: {abstractive.status}: {abstractive.reason}")

    table = Table(title="Compared with the article's own lead and closing (ROUGE F1)")
    for column in ("summary", "vs lead R1/R2/RL", "vs closing R1/R2/RL", "lead/body/closing"):
        table.add_column(column)
    comparisons: list[tuple[str, Comparison | None]] = [
        ("textrank", report.comparison.textrank),
        ("abstractive", report.comparison.abstractive),
    ]
    for name, comparison in comparisons:
        if comparison is not None:
            p = comparison.position
            table.add_row(
                name,
                _rouge(comparison.vs_lead),
                _rouge(comparison.vs_closing),
                f"{p.lead:.2f} / {p.body:.2f} / {p.closing:.2f}",
            )
    table.add_row("lead vs closing", _rouge(report.comparison.lead_vs_closing), "", "")
    console.print(table)


def _rouge(scores: Rouge | None) -> str:
    if scores is None:
        return "-"
    return f"{scores.rouge1:.3f} / {scores.rouge2:.3f} / {scores.rougeL:.3f}"


if __name__ == "__main__":
    sys.exit(main())
