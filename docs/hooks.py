"""The docs' generated references, read from the installed package at build time.

A page asks for one with a marker line, `<!-- generated: NAME -->`:

- `settings`: every field of `newsum.service.settings.Settings` (variable, type, default, meaning);
- `cli`: `newsum --help` and every subcommand's help, `newsum bench`'s own parser included;
- `http-api`: every operation and schema of the OpenAPI document of `create_app(...)`, which
  is also written into the site as `openapi.json`.

So none of them is written by hand, and none can drift from the code. An unknown marker
stops the build.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, cast

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

_MARKER = re.compile(r"^<!-- generated: ([a-z-]+) -->$", re.MULTILINE)
_HELP_WIDTH = 90  # argparse's wrapping, fixed so the page does not depend on the terminal
_METHODS = ("get", "post", "put", "patch", "delete")
_LIMITS = {
    "minLength": "length ≥ {}",
    "maxLength": "length ≤ {}",
    "minimum": "≥ {}",
    "exclusiveMinimum": "> {}",
    "maximum": "≤ {}",
    "exclusiveMaximum": "< {}",
    "minItems": "items ≥ {}",
    "maxItems": "items ≤ {}",
}
_SHORT_PATTERN = 40  # characters; a longer pattern (the non-blank test) is left to openapi.json


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Put the app's OpenAPI document into the site, so pages can link to it."""
    files.append(File.generated(config, "openapi.json", content=json.dumps(_openapi(), indent=2)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace each marker with the reference it names."""

    def render(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in _RENDERERS:
            raise PluginError(f"{page.file.src_path}: unknown marker 'generated: {name}'")
        return _RENDERERS[name]()

    return _MARKER.sub(render, markdown)


# Settings.


def _settings() -> str:
    from newsum.service.settings import Settings

    prefix = str(Settings.model_config.get("env_prefix", ""))
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        kind = _python_type(field.annotation)
        limits = [
            text.format(getattr(constraint, attribute))
            for constraint in field.metadata
            for attribute, text in _FIELD_LIMITS.items()
            if hasattr(constraint, attribute)
        ]
        if limits:
            kind += f" ({', '.join(limits)})"
        default = field.get_default(call_default_factory=True)
        rows.append(
            f"| `{prefix}{name.upper()}` | {kind} | {_python_default(default)} "
            f"| {_cell(field.description or '')} |"
        )
    return "\n".join(rows) + "\n"


# pydantic's constraints (annotated-types' Ge, Le, ...), by attribute.
_FIELD_LIMITS = {
    "ge": "≥ {}",
    "gt": "> {}",
    "le": "≤ {}",
    "lt": "< {}",
    "min_length": "length ≥ {}",
}


def _python_type(annotation: Any) -> str:
    text = re.sub(r"\btyping\.|\b[a-z_.]+\.(?=[A-Z])", "", repr(annotation))
    text = re.sub(r"<class '(\w+)'>", r"\1", text)
    choices = re.fullmatch(r"Literal\[(.*)\]", text)
    if choices:
        return " or ".join(f"`{value.strip(chr(39))}`" for value in choices.group(1).split(", "))
    if text.startswith("list["):
        return "comma-separated list"
    if text.startswith("dict["):
        return "mapping"
    return text.replace(" | None", ", optional")


def _python_default(value: Any) -> str:
    if value is None:
        return "unset"
    if value in ([], {}):
        return "empty"
    return f"`{value}`"


# The command line.


def _cli() -> str:
    from newsum.benchmarks.bench import run as bench
    from newsum.service.cli import main as cli

    # Both parsers are built by private functions of their modules: the commands' own.
    parser = cli._parser()
    parts = [_help_block("newsum", None, parser)]
    for name, summary, command in _subcommands(parser):
        # `newsum bench` hands all its arguments to the benchmark's own parser.
        parts.append(_help_block(f"newsum {name}", summary, bench._parser() if name == "bench"
                                 else command))  # fmt: skip
    return "\n".join(parts)


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str, Any]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, command in action.choices.items():
                yield name, summaries.get(name, ""), command


def _help_block(title: str, summary: str | None, parser: argparse.ArgumentParser) -> str:
    formatter = cast(Callable[..., argparse.HelpFormatter], parser.formatter_class)
    parser.formatter_class = functools.partial(formatter, width=_HELP_WIDTH)
    lead = f"{summary[0].upper()}{summary[1:]}.\n\n" if summary else ""
    return f"## `{title}`\n\n{lead}```text\n{parser.format_help().rstrip()}\n```\n"


# The HTTP API.


@functools.cache
def _openapi() -> dict[str, Any]:
    from newsum.service.settings import Settings
    from newsum.service.web.app import create_app

    # Every setting at its default, given explicitly so the build's NEWSUM_* variables do not
    # leak into the docs; the app is only built (its lifespan, which loads models, never runs).
    defaults = {
        n: f.get_default(call_default_factory=True) for n, f in Settings.model_fields.items()
    }
    document: dict[str, Any] = create_app(Settings(**defaults)).openapi()
    return document


def _http_api() -> str:
    document = _openapi()
    parts = ["## Operations\n"]
    for path, item in document["paths"].items():
        for method in _METHODS:
            if method in item:
                parts.append(_operation(method, path, item[method]))
    parts.append("## Schemas\n")
    for name, schema in document["components"]["schemas"].items():
        parts.append(_schema(name, schema))
    return "\n".join(parts)


def _operation(method: str, path: str, operation: dict[str, Any]) -> str:
    anchor = f"{method}-{path.strip('/').replace('/', '-')}"
    lines = [f"### {method.upper()} `{path}` {{#{anchor}}}\n"]
    lines.append((operation.get("description") or operation["summary"] + ".") + "\n")
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| query parameter | type | limits | meaning |", "|---|---|---|---|"]
        lines += [
            f"| `{p['name']}` | {_type(p['schema'])} | {_limits(p['schema'])} "
            f"| {_cell(p.get('description', ''))} |"
            for p in parameters
        ]
        lines.append("")
    body = operation.get("requestBody")
    if body:
        lines += ["| request body | type | limits |", "|---|---|---|"]
        lines += [
            f"| `{media}` | {_type(content['schema'])} | {_limits(content['schema'])} |"
            for media, content in body["content"].items()
        ]
        lines.append("")
    lines += ["| status | when | body |", "|---|---|---|"]
    for status, response in operation["responses"].items():
        media = ", ".join(
            f"`{name}`: {_type(content['schema'])}" if content.get("schema") else f"`{name}`"
            for name, content in response.get("content", {}).items()
        )
        lines.append(f"| {status} | {_cell(response['description'])} | {media} |")
    return "\n".join(lines) + "\n"


def _schema(name: str, schema: dict[str, Any]) -> str:
    lines = [f"### {name} {{#{_schema_anchor(name)}}}\n"]
    if schema.get("description"):
        lines.append(schema["description"] + "\n")
    required = set(schema.get("required", []))
    lines += ["| field | type | limits | default | meaning |", "|---|---|---|---|---|"]
    for field, spec in schema.get("properties", {}).items():
        default = f"`{json.dumps(spec['default'])}`" if "default" in spec else ""
        if field in required:
            default = "required"
        lines.append(
            f"| `{field}` | {_type(spec)} | {_limits(spec)} | {default} "
            f"| {_cell(spec.get('description', ''))} |"
        )
    return "\n".join(lines) + "\n"


def _schema_anchor(name: str) -> str:
    return f"schema-{name.lower()}"


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return f"[{name}](#{_schema_anchor(name)})"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(_type(option) for option in schema[key])
    if "enum" in schema:
        return " \\| ".join(f"`{json.dumps(value)}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    kind = schema.get("type")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {_type(schema['additionalProperties'])}"
    return str(kind) if kind else "any"


def _limits(schema: dict[str, Any]) -> str:
    """The schema's bounds, its options' included (`anyOf`), in words."""
    found: list[str] = []
    for part in (schema, *schema.get("anyOf", []), schema.get("items") or {}):
        found += [text.format(part[key]) for key, text in _LIMITS.items() if key in part]
        if "pattern" in part:
            pattern = part["pattern"]
            short = len(pattern) <= _SHORT_PATTERN and not set("`|") & set(pattern)
            found.append(f"pattern `{pattern}`" if short else "a pattern (in openapi.json)")
    return ", ".join(dict.fromkeys(found))


def _cell(text: str) -> str:
    """Text that fits one table cell."""
    return " ".join(text.split()).replace("|", "\\|")


_RENDERERS: dict[str, Callable[[], str]] = {
    "settings": _settings,
    "cli": _cli,
    "http-api": _http_api,
}
