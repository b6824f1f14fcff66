"""`newsum serve` as a process: what /readyz says, and how it exits, in each model mode.

NEWSUM_REQUIRE_MODEL off: a model that cannot load leaves the server up, ready and
degraded. On: `newsum serve` exits 1 within seconds, with one line naming the model, why,
and the command that fixes it. Either way the port is taken before anything loads.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import free_port

pytestmark = [pytest.mark.live_server, pytest.mark.slow]

ROOT = Path(__file__).parents[3]
UNFETCHED = "sshleifer/distilbart-cnn-12-6"
_WITHIN_S = 10  # "within seconds": Python and the web stack start in about 2 s here


def serve(port: int, tmp_path: Path, **settings: str) -> subprocess.Popen[bytes]:
    """`newsum serve` with these NEWSUM_* settings only, and an empty, offline hub cache.

    Its stderr goes to tmp_path/stderr.txt (`stderr_of`).
    """
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("NEWSUM_")}
    environment = {
        **clean,
        "HF_HUB_OFFLINE": "1",
        "NEWSUM_MODEL_CACHE_DIR": str(tmp_path / "empty-hub-cache"),
        "NEWSUM_LOG_LEVEL": "warning",
        **{f"NEWSUM_{name.upper()}": value for name, value in settings.items()},
    }
    with (tmp_path / "stderr.txt").open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "newsum", "serve", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def stderr_of(tmp_path: Path) -> str:
    return (tmp_path / "stderr.txt").read_text(encoding="utf-8")


def settled_readyz(process: subprocess.Popen[bytes], port: int) -> httpx.Response | None:
    """/readyz once loading is over (200, or a 503 not about loading); None if it exits first."""
    deadline = time.monotonic() + 90
    while process.poll() is None:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            if response.status_code == 200 or "loading and warming up" not in response.text:
                return response
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the models did not load within 90 s"
        time.sleep(0.1)
    return None


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


# Each mode with NEWSUM_REQUIRE_MODEL off and on; a missing model with it on is refused
# at start (the next test). The abstractive engines /readyz lists, by status.
_SERVING = {
    "no-model-require-off": ("none", "false", []),
    "no-model-require-on": ("none", "true", []),
    "model-missing-require-off": ("missing", "false", ["unavailable"]),
    "model-present-require-off": ("present", "false", ["ready"]),
    "model-present-require-on": ("present", "true", ["ready"]),
}


@pytest.mark.parametrize(("mode", "require", "abstractive"), _SERVING.values(), ids=_SERVING)
def test_serve_is_ready_in_each_mode_and_exits_0_on_sigterm(
    mode: str, require: str, abstractive: list[str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Ready, degraded when the model is missing; SIGTERM ends it with status 0."""
    model = {"none": "none", "missing": UNFETCHED}.get(mode)
    model = model or str(request.getfixturevalue("tiny_bart"))
    port = free_port()
    process = serve(port, tmp_path, model=model, require_model=require)
    try:
        ready = settled_readyz(process, port)
        assert ready is not None, stderr_of(tmp_path)
        assert ready.status_code == 200, ready.text
        engines = ready.json()["engines"]
        assert [e["status"] for e in engines if e["engine"] == "abstractive"] == abstractive
        assert ready.json()["degraded"] is (abstractive == ["unavailable"])
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)


def test_serve_with_require_model_exits_1_within_seconds_naming_model_reason_and_fix(
    tmp_path: Path,
) -> None:
    began = time.monotonic()
    process = serve(free_port(), tmp_path, model=UNFETCHED, require_model="true")
    try:
        code = process.wait(timeout=60)
        elapsed = time.monotonic() - began
    finally:
        stop(process)
    err = stderr_of(tmp_path)
    print(f"\nREQUIRE_MODEL, model not fetched: exit {code} after {elapsed:.1f} s: {err!r}")
    assert code == 1
    assert elapsed < _WITHIN_S
    (line,) = err.splitlines()
    assert line.startswith(f"newsum: cannot serve without abstractive model {UNFETCHED}: ")
    assert "not in the local Hugging Face cache" in line
    assert f"newsum fetch-model {UNFETCHED}" in line
    assert line.endswith("(NEWSUM_REQUIRE_MODEL=true)")


def test_serve_with_require_model_exits_1_when_a_model_is_there_but_fails_to_load(
    tmp_path: Path,
) -> None:
    """Files there but broken are found only by loading them: the server stops itself."""
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    process = serve(free_port(), tmp_path, model=str(broken), require_model="true")
    try:
        code = process.wait(timeout=90)
    finally:
        stop(process)
    assert code == 1
    last = stderr_of(tmp_path).splitlines()[-1]
    assert last.startswith(f"newsum: cannot serve without abstractive model {broken}: ")
    assert f"could not be loaded from {broken}" in last
    assert "newsum fetch-model" in last


def test_serve_on_a_busy_port_fails_at_once_before_loading_any_model(tmp_path: Path) -> None:
    """One line and status 1; at log level info, loading a model would have logged."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        began = time.monotonic()
        process = serve(port, tmp_path, model=UNFETCHED, log_level="info")
        try:
            code = process.wait(timeout=60)
            elapsed = time.monotonic() - began
        finally:
            stop(process)
    assert code == 1
    assert elapsed < _WITHIN_S
    assert stderr_of(tmp_path).splitlines() == [
        f"newsum: cannot listen on 127.0.0.1:{port}: the port is in use (another newsum "
        "serve?); stop that process, or choose another port with --port or NEWSUM_PORT"
    ]
