"""The command blocks of the README and the docs: found, labelled, split into commands.

A command block is a fenced ```console (commands after `$ `, their output below them),
```bash, ```sh or ```shell block (a script, no output). Each carries one of three labels as
its fence title (`title="..."`, shown above the block on the site):

- RUN: the tests run its commands and compare their output with the block's;
- NEEDS_MODEL: it needs a model fetched from the hub, which no test machine has;
- NOT_RUN: it installs, builds or measures for minutes; its commands are checked to exist.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[2]
RUN = "Real output, checked by the tests"
NEEDS_MODEL = "Needs a model fetched from the hub"
NOT_RUN = "Not run by the tests"
LABELS = (RUN, NEEDS_MODEL, NOT_RUN)
COMMAND_LANGUAGES = ("console", "bash", "sh", "shell")

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_TITLE = re.compile(r'title="([^"]*)"')
# Shell words that end one simple command and start the next.
_SEPARATORS = {";", "&", "&&", "|", "||", "(", ")", "{", "}", ";;"}
_REDIRECTS = {">", ">>", "<", "<<<"}
_KEYWORDS = {"do", "done", "then", "else", "fi", "for", "while", "until", "if", "time"}


@dataclass(frozen=True)
class Step:
    """One command of a console block and the output shown under it."""

    command: str
    output: str


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    language: str
    label: str | None
    body: str

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def steps(self) -> list[Step]:
        """The commands with their output; a script block is one command without output."""
        if self.language != "console":
            return [Step(self.body, "")]
        commands: list[list[str]] = []
        outputs: list[list[str]] = []
        lines = iter(self.body.splitlines())
        for line in lines:
            if line.startswith("$ "):
                command = [line[2:]]
                while _continues("\n".join(command)):
                    command.append(next(lines))
                commands.append(command)
                outputs.append([])
            elif not commands:
                raise ValueError(f"{self.name}: output before the first `$ ` command")
            else:
                outputs[-1].append(line)
        return [
            Step("\n".join(c), "\n".join(o).rstrip("\n"))
            for c, o in zip(commands, outputs, strict=True)
        ]


def command_blocks() -> list[Block]:
    """Every command block of README.md and the docs pages, in reading order."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    found = []
    for path in pages:
        text = path.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            if match["lang"] not in COMMAND_LANGUAGES:
                continue
            indent = len(match["indent"])
            body = "\n".join(line[indent:] for line in match["body"].splitlines())
            title = _TITLE.search(match["info"])
            found.append(
                Block(
                    path,
                    text.count("\n", 0, match.start()) + 1,
                    match["lang"],
                    title.group(1) if title else None,
                    body,
                )
            )
    return found


def simple_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script as words: no separators, redirections,
    variable assignments or keywords in front (enough to see which program runs)."""
    commands: list[list[str]] = []
    for line in _logical_lines(script):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words: list[str] = []
        skip_next = False
        for word in lexer:
            if skip_next:
                skip_next = False
            elif word in _REDIRECTS:
                skip_next = True
            elif word in _SEPARATORS:
                commands.append(words)
                words = []
            else:
                words.append(word)
        commands.append(words)
    return [_program_first(words) for words in commands if _program_first(words)]


def _program_first(words: list[str]) -> list[str]:
    while words and (re.match(r"^[A-Za-z_]\w*=", words[0]) or words[0] in _KEYWORDS):
        words = words[1:]
    if words[:1] == ["nice"] and len(words) > 2 and words[1] == "-n":
        words = words[3:]
    return words


def _logical_lines(script: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for line in script.splitlines():
        current = f"{current}\n{line}" if current else line
        if not _continues(current):
            lines.append(current.replace("\\\n", " "))
            current = ""
    if current:
        lines.append(current)
    return lines


def _continues(command: str) -> bool:
    """Whether the command goes on on the next line: a trailing backslash or an open quote."""
    if command.endswith("\\"):
        return True
    try:
        shlex.split(command, comments=True)
    except ValueError:
        return True
    return False
