"""The docs site: it builds strictly, and its references are the code's own."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.docs.blocks import ROOT


def test_the_readme_test_command_is_the_one_ci_runs() -> None:
    """The README's "set up and test" command is `.ci/run`'s, word for word."""
    readme = (ROOT / "README.md").read_text("utf-8")
    command = re.search(r"^\$ (python3 -m venv .*pytest)$", readme, re.MULTILINE)
    assert command is not None, "the README has no set-up-and-test command"
    assert command.group(1) in (ROOT / ".ci" / "run").read_text("utf-8").splitlines()


@pytest.mark.slow
def test_the_site_builds_strictly_with_references_from_the_code(tmp_path: Path) -> None:
    """`mkdocs build --strict` passes (no broken link, anchor or nav entry); the site holds
    the app's own OpenAPI document, every setting's variable and every subcommand's help."""
    pytest.importorskip("mkdocs", reason="the docs extra: pip install -e '.[docs]'")
    site = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert build.returncode == 0, build.stderr

    defaults = {
        n: f.get_default(call_default_factory=True) for n, f in Settings.model_fields.items()
    }
    openapi = json.loads((site / "openapi.json").read_text("utf-8"))
    assert openapi == create_app(Settings(**defaults)).openapi()
    api = (site / "api" / "index.html").read_text("utf-8")
    for path in openapi["paths"]:
        assert f"<code>{path}</code>" in api, path

    configuration = (site / "configuration" / "index.html").read_text("utf-8")
    for name in Settings.model_fields:
        assert f"NEWSUM_{name.upper()}" in configuration, name

    cli = (site / "cli" / "index.html").read_text("utf-8")
    for command in ("serve", "summarize", "attribute", "batch", "bench", "fetch-model"):
        assert f"usage: newsum {command}" in cli, command
    assert "--published" in cli  # `newsum bench`'s own parser, not the stub that forwards to it
