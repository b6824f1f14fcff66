"""The Dockerfile, linted with hadolint (no Docker engine here to build it)."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
import tomllib
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


def test_the_image_requires_the_models_it_carries() -> None:
    """A container whose model cannot be loaded stops at start instead of serving degraded."""
    runtime = DOCKERFILE.split("newsum fetch-model", 1)[1]
    environment = runtime.split("ENV", 1)[1].split("USER", 1)[0]
    assert "NEWSUM_REQUIRE_MODEL=true" in environment


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


def test_the_image_bakes_the_nli_judge_it_is_built_with_and_serves_it() -> None:
    """NLI_MODEL (off by default) is fetched with --nli, and the container judges with it."""
    assert "ARG NLI_MODEL=none" in DOCKERFILE
    judge = DOCKERFILE.split("ARG NLI_MODEL=none", 1)[1]
    fetch = judge.split("ENV", 1)[0]
    assert 'NEWSUM_NLI_MODEL="${NLI_MODEL}" newsum fetch-model --nli' in fetch
    assert "chown -R newsum:newsum /opt/newsum/hf" in fetch
    environment = judge.split("ENV", 1)[1].split("USER", 1)[0]
    assert "NEWSUM_NLI_MODEL=${NLI_MODEL}" in environment


def _copied() -> dict[str, str]:
    """Each path the Dockerfile COPYs from the build context, with where it goes."""
    copied: dict[str, str] = {}
    for line in DOCKERFILE.splitlines():
        words = line.split()
        if words[:1] != ["COPY"] or any(word.startswith("--from") for word in words):
            continue
        *sources, destination = [word for word in words[1:] if not word.startswith("--")]
        copied |= dict.fromkeys(sources, destination)
    return copied


def _dockerignored(path: str) -> bool:
    """Whether .dockerignore keeps PATH (relative to the root) out of the build context."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = Path(path).parts
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatchcase(part, pattern[3:]) for part in parts):
                return True
        elif any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
            return True
    return False


def test_the_image_copies_everything_the_wheel_is_built_from() -> None:
    """`pip install .` in the image builds the wheel: newsum/, its links' folders, the metadata."""
    copied = _copied()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    needed = {"pyproject.toml", project["project"]["readme"], "newsum"}
    # newsum/models, newsum/service and newsum/benchmarks are links to the folders beside
    # newsum/; COPY keeps a link a link, so each target is copied too.
    links = sorted(entry for entry in (ROOT / "newsum").iterdir() if entry.is_symlink())
    assert {link.name for link in links} >= {"models", "service", "benchmarks"}
    for link in links:
        target = (link.parent / os.readlink(link)).resolve()
        assert target.is_dir(), link
        needed.add(target.relative_to(ROOT.resolve()).as_posix())
    assert needed <= set(copied), f"the Dockerfile does not COPY {sorted(needed - set(copied))}"

    for source, destination in copied.items():
        assert (ROOT / source).exists(), f"COPY {source}: no such path in the checkout"
        assert not _dockerignored(source), f"COPY {source}: .dockerignore leaves it out"
        # A folder keeps its name and lies beside the others (where the links point); a
        # file goes to the working directory.
        if (ROOT / source).is_dir():
            assert destination.rstrip("/") == f"./{source}", (source, destination)
        else:
            assert destination in (".", "./"), (source, destination)

    # Nothing the wheel takes from the copied folders is left out of the build context.
    wheel_files = [path for name in needed if (ROOT / name).is_dir()
                   for path in (ROOT / name).rglob("*.py")]  # fmt: skip
    for package, globs in project["tool"]["setuptools"]["package-data"].items():
        folder = ROOT.joinpath(*package.split(".")).resolve()
        wheel_files += [path for pattern in globs for path in folder.glob(pattern)]
    assert len(wheel_files) > 50
    for path in wheel_files:
        relative = path.resolve().relative_to(ROOT.resolve()).as_posix()
        if "__pycache__" not in relative:
            assert not _dockerignored(relative), f"{relative} is in .dockerignore"


def test_the_build_context_leaves_out_tests_and_research() -> None:
    assert _dockerignored("tests/conftest.py")
    assert _dockerignored("research/textrank_dev.py")
    assert not _dockerignored("newsum/__init__.py")
