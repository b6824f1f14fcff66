"""The Dockerfile, linted with hadolint (no Docker engine here to build it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    result = subprocess.run(
        [str(hadolint), "--failure-threshold", "info", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_unprivileged_offline_with_a_readiness_check() -> None:
    assert "USER 10001:10001" in DOCKERFILE
    assert 'RUN NEWSUM_MODEL="${MODEL}" NEWSUM_MODELS="${MODELS}"' in DOCKERFILE
    assert "HF_HUB_OFFLINE=1" in DOCKERFILE
    assert "/readyz" in DOCKERFILE.split("HEALTHCHECK", 1)[1]


def test_the_image_bakes_the_ctranslate2_conversion_it_serves_with() -> None:
    """The build converts with the backend and type the container then serves on."""
    fetch = next(line for line in DOCKERFILE.splitlines() if "newsum fetch-model" in line)
    assert '--backend "${BACKEND}" --compute-type "${COMPUTE_TYPE}"' in fetch
    assert "--no-convert" not in fetch
    assert "ARG BACKEND=ctranslate2" in DOCKERFILE
    assert "ARG COMPUTE_TYPE=float32" in DOCKERFILE
    runtime = DOCKERFILE.split(fetch, 1)[1]
    assert "NEWSUM_BACKEND=${BACKEND}" in runtime
    assert "NEWSUM_COMPUTE_TYPE=${COMPUTE_TYPE}" in runtime
    # The converted copy lies beside the checkpoint in HF_HOME, handed to the user.
    assert "chown -R newsum:newsum /opt/newsum/hf" in runtime.split("ENV", 1)[0]


def test_the_image_bakes_every_model_it_is_built_with_and_serves_them_all() -> None:
    """MODELS (a build argument) is fetched with MODEL, and the container serves both."""
    assert 'ARG MODELS=""' in DOCKERFILE
    build, runtime = DOCKERFILE.split("newsum fetch-model", 1)
    # fetch-model without ids fetches NEWSUM_MODEL, then NEWSUM_MODELS: set from the arguments.
    assert build.rstrip(" \\\n").endswith('NEWSUM_MODEL="${MODEL}" NEWSUM_MODELS="${MODELS}"')
    assert runtime.split("\n", 1)[0].lstrip().startswith("--backend")
    environment = runtime.split("ENV", 1)[1].split("USER", 1)[0]
    assert "NEWSUM_MODEL=${MODEL}" in environment
    assert "NEWSUM_MODELS=${MODELS}" in environment
