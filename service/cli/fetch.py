"""`newsum fetch-model`: download models ahead of time, convert them, check that they load."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newsum.models.article import read_article
from newsum.models.errors import NewsumError
from newsum.service.settings import Settings


def add_fetch_model(commands: Any, run: Callable[[argparse.Namespace], int]) -> None:
    """The `fetch-model` subcommand, which calls `run` with its arguments."""
    fetch = commands.add_parser(
        "fetch-model",
        help="download a model ahead of time, convert it for CTranslate2, check that it loads",
    )
    fetch.add_argument(
        "model",
        nargs="*",
        help="hub ids (default: NEWSUM_MODEL, then NEWSUM_MODELS; with --nli, NEWSUM_NLI_MODEL)",
    )
    fetch.add_argument(
        "--nli",
        action="store_true",
        help="fetch the NLI judge (an NLI classifier) and check that it loads and judges, "
        "instead of abstractive models",
    )
    fetch.add_argument("--to", type=Path, help="folder to put one model in (default: the HF cache)")
    fetch.add_argument(
        "--backend", choices=["ctranslate2", "torch"], help="default: NEWSUM_BACKEND"
    )
    fetch.add_argument("--compute-type", help="default: NEWSUM_COMPUTE_TYPE")
    fetch.add_argument(
        "--no-convert",
        action="store_true",
        help="do not convert for CTranslate2 now (the first start on it converts once); "
        "check the download on torch instead",
    )
    fetch.set_defaults(run=run)


def fetch_model(args: argparse.Namespace, settings: Settings) -> int:
    """Fetch (and convert) every model asked for; the exit status is the worst of theirs."""
    # The conversion's log lines (that it converts, how long it took) are this command's news.
    logging.basicConfig(format="%(message)s")  # others' (the HTTP client's) at warning
    logging.getLogger("newsum").setLevel(logging.INFO)
    if args.nli:
        names = args.model or ([settings.nli_model] if settings.nli_configured else [])
        unset, fetch = "NEWSUM_NLI_MODEL is none", _fetch_judge
    else:
        names = args.model or settings.abstractive_models
        unset, fetch = "NEWSUM_MODEL is none, NEWSUM_MODELS empty", _fetch_one
    if not names:
        print(f"newsum: no model to fetch: {unset}", file=sys.stderr)
        return 2
    if args.to and len(names) > 1:
        print(f"newsum: --to takes one model; given: {len(names)}", file=sys.stderr)
        return 2
    # Every model is tried; the status is the worst of theirs.
    return max(fetch(name, args, settings) for name in names)


def _fetch_one(name: str, args: argparse.Namespace, settings: Settings) -> int:
    from newsum.models.abstractive.engine import Seq2SeqEngine, open_engine
    from newsum.models.abstractive.fetch import fetch_checkpoint

    backend = args.backend or settings.backend
    compute_type = args.compute_type or settings.compute_type
    if args.no_convert:
        backend, compute_type = "torch", "float32"  # the reference: checks the weights as given
    try:
        folder = fetch_checkpoint(name, to=args.to, cache_dir=settings.model_cache_dir)
    except NewsumError as error:  # this one is not fetched; the others may be
        print(f"newsum: {error.code}: {error.message}", file=sys.stderr)
        return 1
    print(f"fetched {name} into {folder}; checking that it loads and generates on {backend} ...")
    # Load through the production loader, from exactly where serving will look;
    # for CTranslate2 this converts the checkpoint once and caches the result.
    engine = open_engine(
        str(folder) if args.to else name,
        backend=backend,
        compute_type=compute_type,
        cache_dir=settings.model_cache_dir,
    )
    if not isinstance(engine, Seq2SeqEngine):
        print(f"newsum: model_unavailable: {engine.reason}", file=sys.stderr)
        return 1
    probe = read_article("The minister visited Baghdad on Friday. Talks on security went well.")
    summary = engine.summarize(probe)
    checkpoint = engine.checkpoint
    print(
        f"ok: {engine.generator.name}, input limit {checkpoint.max_input_tokens} tokens, "
        f"defaults {checkpoint.defaults}, languages {engine.scope.describe()} "
        f"({engine.scope.source}); probe summary: {summary.text!r}"
    )
    if args.no_convert:
        print("not converted: a start on ctranslate2 (the default backend) converts it once")
    if args.to:
        print(f"serve it with: NEWSUM_MODEL={folder} newsum serve")
    return 0


def _fetch_judge(name: str, args: argparse.Namespace, settings: Settings) -> int:
    from newsum.models.abstractive.fetch import fetch_checkpoint
    from newsum.models.nli import NliLabelsRefused, load_nli_model

    try:
        folder = fetch_checkpoint(name, to=args.to, cache_dir=settings.model_cache_dir)
        print(f"fetched {name} into {folder}; checking that it loads and judges ...")
        model = load_nli_model(str(folder) if args.to else name, cache_dir=settings.model_cache_dir)
        probe = read_article("The minister visited Baghdad on Friday. Talks on security went well.")
        verdict = model.judge(
            probe,
            ["The minister was in Baghdad."],
            max_pairs=settings.nli_max_pairs,
            batch_size=settings.nli_batch_size,
        )
    except NliLabelsRefused as error:
        print(f"newsum: {error.message}", file=sys.stderr)
        return 2
    except NewsumError as error:
        print(f"newsum: {error.code}: {error.message}", file=sys.stderr)
        return 1
    print(
        f"ok: labels {list(model.labels)}, input limit {model.max_tokens} tokens; probe: "
        f"'The minister was in Baghdad.' scores {verdict.mean:+.3f}"
    )
    if args.to:
        print(f"serve it with: NEWSUM_NLI_MODEL={folder} newsum serve")
    return 0
