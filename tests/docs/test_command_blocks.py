"""The README's and the docs' command blocks: each labelled, the examples run, the rest exist.

A block labelled as run is run here, command by command, against a fresh server (the
docs' `localhost:8000` is this test's server), from a folder laid out like a checkout, and
its output must be the block's, timings aside. Every other block shows no output, and each
of its `newsum` commands must parse, each `python -m` script must exist with the options
used, and each `pip` extra must be in pyproject.toml.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.blocks import LABELS, ROOT, RUN, Block, command_blocks, simple_commands
from tests.service.conftest import LiveServer, live_server

BLOCKS = command_blocks()
RUN_BLOCKS = [block for block in BLOCKS if block.label == RUN]
OTHER_BLOCKS = [block for block in BLOCKS if block.label != RUN]
# What changes from one run to the next, and nothing else.
_VARIABLE = [
    (re.compile(r'("elapsed_ms": ?)-?\d+(\.\d+)?(e-?\d+)?'), r"\1<ms>"),
    (re.compile(r"^\d+(\.\d+)? s, \d+(\.\d+)? articles/s.*$", re.MULTILINE), "<time and rate>"),
    (re.compile(r"busy \d+(\.\d+)? s, peak RSS \d+ MB"), "busy <s>, peak RSS <MB>"),
]
# `python -m` modules that are tools, not the project's scripts.
_TOOLS = {"pip", "venv", "pytest", "mkdocs", "json.tool"}


def _name(block: Block) -> str:
    return block.name


def untimed(text: str) -> str:
    for pattern, replacement in _VARIABLE:
        text = pattern.sub(replacement, text)
    return text


@pytest.mark.parametrize("block", BLOCKS, ids=_name)
def test_every_command_block_says_whether_the_tests_run_it(block: Block) -> None:
    """Its fence title is one of the three labels (run; needs a fetched model; not run)."""
    assert block.label in LABELS, f'{block.name}: give the fence title="..." one of {LABELS}'


def test_the_quick_start_batch_stream_and_corpus_examples_are_run() -> None:
    """At least the quick start's curl (README and docs), the NDJSON batch, the event stream
    and `newsum batch` on five lines are among the blocks that run."""
    readme = [block.body for block in RUN_BLOCKS if block.path.name == "README.md"]
    quick_start = [block.body for block in RUN_BLOCKS if block.path.name == "index.md"]
    bodies = [block.body for block in RUN_BLOCKS]
    assert any("sample_article.txt" in body and "/v1/summarize" in body for body in readme)
    assert any("sample_article.txt" in body and "/v1/summarize" in body for body in quick_start)
    assert any("/v1/summarize/batch" in body for body in bodies)
    assert any("text/event-stream" in body for body in bodies)
    assert any("head -n 5" in body and "newsum batch" in body for body in bodies)


@pytest.mark.parametrize("block", OTHER_BLOCKS, ids=_name)
def test_a_block_not_run_shows_no_output_and_its_commands_exist(block: Block) -> None:
    """Output nobody checks is not shown; the commands and options it names exist."""
    steps = block.steps()
    assert all(not step.output for step in steps), f"{block.name}: output the tests do not check"
    for step in steps:
        for words in simple_commands(step.command):
            _check_exists(words, block.name)


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    """`newsum serve` with no abstractive model: the examples ask for TextRank only."""
    with live_server("--engine", "settings", model="none") as running:
        yield running


@pytest.mark.live_server
@pytest.mark.parametrize("block", RUN_BLOCKS, ids=_name)
def test_a_run_block_prints_what_it_shows(block: Block, server: LiveServer, tmp_path: Path) -> None:
    """Each command's output is the one shown under it, timings aside."""
    checkout = _checkout_like(tmp_path)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSUM_")}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    environment["COLUMNS"] = "200"  # rich wraps at the terminal's width; a wide one
    for step in block.steps():
        command = step.command.replace("localhost:8000", f"127.0.0.1:{server.port}")
        result = subprocess.run(
            ["bash", "-c", f"set -o pipefail\n{command}"],
            cwd=checkout,
            env=environment,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        assert result.returncode == 0, f"{block.name}: {step.command}\n{result.stderr}"
        shown, printed = untimed(step.output), untimed(result.stdout.rstrip("\n"))
        assert printed == shown, f"{block.name}: {step.command}\nprinted:\n{result.stdout}"


def _checkout_like(folder: Path) -> Path:
    """A folder whose tests/ and ../shared/ are the checkout's, for files the examples write."""
    checkout = folder / "checkout"
    checkout.mkdir()
    (checkout / "tests").symlink_to(ROOT / "tests")
    if (ROOT.parent / "shared").is_dir():
        (folder / "shared").symlink_to(ROOT.parent / "shared")
    return checkout


def _check_exists(words: list[str], where: str) -> None:
    program = Path(words[0]).name
    if program == "newsum":
        _check_parses(words[1:], where)
    elif program.startswith("python") and words[1:2] == ["-m"] and len(words) > 2:
        if words[2] == "newsum":
            _check_parses(words[3:], where)
        elif words[2] not in _TOOLS:
            _check_script(words[2], words[3:], where)
    elif program == "pip" and "install" in words:
        extras = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
            "optional-dependencies"
        ]
        for word in words:
            for extra in re.findall(r"^\.\[([\w,-]+)\]$", word):
                unknown = set(extra.split(",")) - set(extras)
                assert not unknown, f"{where}: no extra {unknown} in pyproject.toml"


def _check_parses(arguments: list[str], where: str) -> None:
    """The `newsum` command line parses with the command's own parser."""
    from newsum.benchmarks.bench.run import _parser as bench_parser
    from newsum.service.cli.main import _parser

    parser = bench_parser() if arguments[:1] == ["bench"] else _parser()
    arguments = arguments[1:] if arguments[:1] == ["bench"] else arguments
    messages = io.StringIO()
    status: str | int | None = 0
    with contextlib.redirect_stderr(messages), contextlib.redirect_stdout(messages):
        try:
            parser.parse_args(arguments)
        except SystemExit as stop:  # --help exits 0; a wrong option 2
            status = stop.code
    assert status == 0, f"{where}: newsum {' '.join(arguments)}\n{messages.getvalue()}"


def _check_script(module: str, arguments: list[str], where: str) -> None:
    """The script exists, and each --option used is one its source defines."""
    spec = importlib.util.find_spec(module)
    assert spec is not None, f"{where}: no module {module}"
    assert spec.origin, f"{where}: module {module} has no source file"
    source = Path(spec.origin).read_text("utf-8")
    options = {word.split("=")[0] for word in arguments if word.startswith("--")}
    missing = sorted(option for option in options if f'"{option}"' not in source)
    assert not missing, f"{where}: {module} defines no {missing}"
