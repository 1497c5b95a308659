"""Browser fixtures: Debian's Chromium driven by Playwright against the local runner.

Chromium is launched by path with the flags that keep it on loopback; Playwright never
downloads a browser of its own. Without /usr/bin/chromium the browser tests are skipped
with a reason (`make test` prints a line about it; `.ci/run` installs Chromium first).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (  # noqa: F401  (fixtures shared with e2e)
    Runner,
    runner,
    user,
    webhooks_end_with_the_test,
)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 15_000  # every browser wait is bounded


def chromium_missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (make install)"
    return None


# Module scope: Playwright's sync API keeps an event loop running in this thread while it
# is open, which would break in-process ASGI tests (mangum) later in the same worker.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = chromium_missing()
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    # launch() gives Chromium a new empty profile directory of its own each time
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS, timeout=WAIT_MS)
        yield b
        b.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """docs/screenshots/ when SAVE_SCREENSHOTS=1 (to refresh the README), else a temp dir."""
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        out = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
        out.mkdir(parents=True, exist_ok=True)
        return out
    return tmp_path


__all__ = ["Runner", "runner", "user"]
