"""Debian's Chromium driven by Playwright, for the live page's browser tests and screenshots.

Never `playwright install` (it downloads a browser): CI installs the distribution's chromium
(.ci/run) and Playwright is pointed at it. Tests skip, saying why, where it is absent.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MISSING = f"no {CHROMIUM}: the browser tests drive Debian's chromium (apt-get install chromium; CI does)"


@contextlib.contextmanager
def chromium(width: int = 1280, height: int = 820) -> Iterator[object]:
    """A browser context with a fresh profile (a temporary user-data-dir)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="ride-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport={"width": width, "height": height})
        try:
            yield context
        finally:
            context.close()
