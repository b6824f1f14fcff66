"""schemathesis with every check, every phase, every operation, against a real server process.

Run through its CLI, as an API consumer would run it: the examples, coverage
(boundary values of every limit) and fuzzing phases, and every check
(server errors, status codes, content types, headers, response schemas,
schema-valid requests accepted, schema-violating requests rejected, `Allow` on
405, ...), on a server whose model serves and on one configured without a model
(where `abstractive` alone is the client's error, 422 method_not_served, and the
document says so). tests/service/web/schemathesis.toml loads
tests/service/web/schemathesis_hooks.py: NDJSON one object a line, and negative cases
left out that are not negative on the wire (a batch's bad line gets its own `error` in
a 200, as the contract says). Any failure fails the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.service.conftest import ROOT, live_server

pytestmark = [pytest.mark.live_server, pytest.mark.slow]
HERE = Path(__file__).parent
# Cases per operation and phase: enough for every boundary, small enough for CI.
MAX_EXAMPLES = 40
SEED = 20261129


def run_schemathesis(url: str, max_examples: int, seed: int | None = SEED) -> tuple[int, str]:
    """The CLI's exit status and output against the server at `url`."""
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--workers",
        "2",
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    # The hooks come from the config file, not from the environment.
    environment = {k: v for k, v in os.environ.items() if k != "SCHEMATHESIS_HOOKS"}
    done = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600
    )
    return done.returncode, done.stdout + done.stderr


# A model that serves (the fake, instant), or none configured (NEWSUM_MODEL=none).
DEPLOYMENTS = {
    "model": (("--steps", "1", "--step-s", "0"), {}),
    "no-model": (("--engine", "settings"), {"model": "none"}),
}


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_schemathesis_with_every_check_finds_nothing(deployment: str) -> None:
    arguments, settings = DEPLOYMENTS[deployment]
    with live_server(
        *arguments, max_article_chars="5000", embedding_model="none", **settings
    ) as server:
        status, output = run_schemathesis(server.url, MAX_EXAMPLES)
    summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else output[-3000:]
    print(summary)
    assert status == 0, output[-6000:]
    assert "generated" in summary
