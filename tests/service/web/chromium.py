"""Debian's headless Chromium for the browser tests, driven by Playwright.

Playwright's own browser download does not work here, so the tests drive
/usr/bin/chromium (`.ci/run` installs it). Without that binary they skip, unless
NEWSUM_REQUIRE_BROWSER is set (as CI sets it), when they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAS_CHROMIUM = Path(CHROMIUM).exists()
# The flags the workplace's probe ran headless Chromium with, as root, offline.
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# The marks of a test that drives Chromium against a live server.
IN_CHROMIUM = [
    pytest.mark.live_server,
    pytest.mark.slow,
    pytest.mark.skipif(not HAS_CHROMIUM, reason=f"no Chromium at {CHROMIUM}"),
]

if not HAS_CHROMIUM and os.environ.get("NEWSUM_REQUIRE_BROWSER"):
    pytest.fail(f"NEWSUM_REQUIRE_BROWSER is set and there is no Chromium at {CHROMIUM}")


@contextmanager
def launched(*extra_flags: str) -> Iterator[Any]:
    """A headless Chromium with the probe's flags and `extra_flags`, closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*FLAGS, *extra_flags])
        yield browser
        browser.close()
