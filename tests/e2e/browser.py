"""Launch headless Chromium for the browser tests.

Playwright cannot download its own browsers here, so we drive Debian's Chromium
(`apt-get install -y chromium fonts-wqy-zenhei`; the font renders the Chinese UI).
Without it the browser tests are skipped locally, but fail when the `CI` env var is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM_PATH = os.environ.get("KEFU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _unavailable(reason: str) -> None:
    """Skip locally; in CI a missing browser is a broken environment, so fail loudly."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def chromium_executable() -> str:
    if not Path(CHROMIUM_PATH).is_file():
        _unavailable(
            f"Chromium not found at {CHROMIUM_PATH}; install it with "
            "`apt-get install -y chromium fonts-wqy-zenhei` (or set KEFU_CHROMIUM)"
        )
    return CHROMIUM_PATH


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Chromium from the system package, with the flags that keep it offline and quiet."""
    return playwright.chromium.launch(executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)


@contextmanager
def chromium() -> Iterator[Browser]:
    """`with chromium() as browser:` — starts Playwright and the browser, closes both afterwards."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the environment
        _unavailable("the playwright Python package is not installed (pip install -e '.[dev]')")
    executable = chromium_executable()  # check before starting Playwright's driver
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()

