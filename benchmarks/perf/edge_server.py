"""The server under test for the edge benchmarks: a checkout's `newsum serve`, and a watch.

`EdgeServer` starts the checkout's own code on a free port; `Watch` probes /healthz on
fresh connections meanwhile and reads the server's CPU seconds and peak RSS from /proc.
Used by benchmarks.perf.edge and benchmarks.perf.server_throughput.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsum.benchmarks.perf.raw_http import status_of

SERVE = ("-m", "newsum", "serve")
BASE_SETTINGS = {"NEWSUM_MODEL": "none", "NEWSUM_EMBEDDING_MODEL": "none"}
_PROBE_EVERY_S = 0.05
_SAMPLE_EVERY_S = 0.2  # /proc reads of the server's CPU and memory
# After a case, the watch goes on until the server has used under 10% of a core for a
# second (at most 60 s): CPU spent after the answer belongs to the case.
_IDLE_SHARE, _SETTLE_MIN_S, _SETTLE_MAX_S = 0.1, 1.0, 60.0


def parse_settings(pairs: Iterable[str]) -> dict[str, str]:
    """KEY=VALUE items as a dict; a KEY without `=` stops the script."""
    settings = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals:
            raise SystemExit(f"--env {pair!r}: expected KEY=VALUE")
        settings[key] = value
    return settings


# The checkout and its server.


@dataclass(frozen=True)
class Checkout:
    """A folder holding a checkout of newsum, and the interpreter that runs its code."""

    root: Path
    python: str
    commit: str
    versions: str

    @classmethod
    def at(cls, folder: Path, python: str | None = None) -> Checkout:
        root = folder.resolve()
        own = root / ".venv" / "bin" / "python"
        python = python or (str(own) if own.exists() else sys.executable)
        show = (
            "import importlib.metadata as m, platform, newsum\n"
            "print(newsum.__file__)\n"
            "def v(d):\n"
            "    try: return m.version(d)\n"
            "    except m.PackageNotFoundError: return 'absent'\n"
            "print(f'Python {platform.python_version()}, ' + ', '.join(f'{d} {v(d)}' "
            "for d in ('uvicorn', 'httptools', 'uvloop', 'h11')))\n"
        )
        shown = subprocess.run([python, "-c", show], cwd=root, env=cls._environment(root, {}),
                               capture_output=True, text=True, check=False)  # fmt: skip
        lines = shown.stdout.splitlines()
        if shown.returncode or not Path(lines[0]).resolve().is_relative_to(root):
            where = lines[0] if lines else shown.stderr.strip()[-500:]
            raise SystemExit(f"{python} does not import newsum from {root}: {where}")
        return cls(root, python, _commit(root), lines[1])

    def environment(self, settings: dict[str, str]) -> dict[str, str]:
        return self._environment(self.root, {**BASE_SETTINGS, **settings})

    @staticmethod
    def _environment(root: Path, settings: dict[str, str]) -> dict[str, str]:
        path = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH")) if p)
        return {**os.environ, **settings, "PYTHONPATH": path}


def _commit(root: Path) -> str:
    def git(*command: str) -> str:
        done = subprocess.run(["git", "--no-optional-locks", "-C", str(root), *command],
                              capture_output=True, text=True, check=False)  # fmt: skip
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("log", "-1", "--format=%H %s")
    if not commit:
        return "unknown (not a git checkout)"
    changed = git("status", "--porcelain", "--untracked-files=no")
    return commit + (" + uncommitted changes" if changed else "")


class EdgeServer:
    """`python ARGV` of a checkout on a free local port (NEWSUM_PORT), ready on entry."""

    def __init__(
        self,
        checkout: Checkout,
        settings: dict[str, str],
        log: Path,
        argv: Sequence[str] = SERVE,
        ready_within_s: float = 120,
    ) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.log = log
        self._ready_within_s = ready_within_s
        log.parent.mkdir(parents=True, exist_ok=True)
        self._output = log.open("wb")
        self.process = subprocess.Popen(
            [checkout.python, *argv],
            cwd=checkout.root,
            env=checkout.environment({**settings, "NEWSUM_PORT": str(self.port)}),
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )

    def __enter__(self) -> EdgeServer:
        deadline = time.monotonic() + self._ready_within_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise SystemExit(f"the server exited while starting:\n{tail}")
            try:
                if http_get(self.port, "/readyz", 2)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"the server was not ready within {self._ready_within_s:g} s")

    def __exit__(self, *_: object) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._output.close()


def http_get(port: int, path: str, timeout_s: float) -> tuple[int, bytes]:
    """GET `path` on a fresh connection: the status and the body. Raises OSError, TimeoutError."""
    deadline = time.monotonic() + timeout_s
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            sock.settimeout(max(deadline - time.monotonic(), 1e-3))
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    status = status_of(data)
    if status is None:
        raise ConnectionError(f"GET {path}: no status line in {data[:80]!r}")
    return int(status), data.partition(b"\r\n\r\n")[2]


# Measuring meanwhile.


class Watch:
    """While entered: /healthz latency on fresh connections, and the server's CPU and peak RSS."""

    def __init__(self, server: EdgeServer, probe_timeout_s: float) -> None:
        self.pid = server.process.pid
        self.port = server.port
        self.probe_timeout_s = probe_timeout_s
        self.probing = True
        self.latencies_s: list[float] = []
        self.failed = 0
        self._cpu_s: dict[int, float] = {}
        self._peak_kb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Watch:
        tree = _tree(self.pid)
        for pid in tree:
            _reset_peak(pid)
        self._rss_kb = sum(_status_kb(pid, "VmRSS") for pid in tree)
        self._sample()
        self._cpu_start_s = sum(self._cpu_s.values())
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        # Work the case left behind counts too: go on until the server idles.
        idle_since, used_s = time.monotonic(), self.cpu_s
        started = idle_since
        while time.monotonic() - started < _SETTLE_MAX_S and _cpu_s(self.pid) is not None:
            time.sleep(_SAMPLE_EVERY_S)
            self._sample()
            if self.cpu_s - used_s > _IDLE_SHARE * _SAMPLE_EVERY_S:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= _SETTLE_MIN_S:
                break
            used_s = self.cpu_s
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def cpu_s(self) -> float:
        """CPU seconds of the server's processes since entry (last reading of any that exited)."""
        return sum(self._cpu_s.values()) - self._cpu_start_s

    @property
    def rss_growth_mb(self) -> float:
        return (sum(self._peak_kb.values()) - self._rss_kb) / 1024

    def _run(self) -> None:
        sampled = time.monotonic()
        while not self._stop.is_set():
            began = time.monotonic()
            if self.probing:
                self._probe()
            if time.monotonic() - sampled >= _SAMPLE_EVERY_S:
                self._sample()
                sampled = time.monotonic()
            self._stop.wait(max(0.0, _PROBE_EVERY_S - (time.monotonic() - began)))

    def _probe(self) -> None:
        began = time.monotonic()
        try:
            ok = http_get(self.port, "/healthz", self.probe_timeout_s)[0] == 200
        except TimeoutError:
            ok = False
            self.latencies_s.append(self.probe_timeout_s)
        except OSError:
            ok = False
            self.latencies_s.append(time.monotonic() - began)
        else:
            self.latencies_s.append(time.monotonic() - began)
        self.failed += not ok

    def _sample(self) -> None:
        for pid in _tree(self.pid):
            cpu = _cpu_s(pid)
            if cpu is not None:
                self._cpu_s[pid] = cpu
                self._peak_kb[pid] = max(self._peak_kb.get(pid, 0), _status_kb(pid, "VmHWM"))


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rpartition(")")[2].split()[1]), []).append(int(entry))
    tree, i = [pid], 0
    while i < len(tree):
        tree += children.get(tree[i], [])
        i += 1
    return tree


def _cpu_s(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    # utime and stime, fields 14 and 15 of proc(5), in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak(pid: int) -> None:
    # VmHWM := VmRSS (proc(5)); where refused, the peak counts from the process's start.
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


# Raw-socket clients.
