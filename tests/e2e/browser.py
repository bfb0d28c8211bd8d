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

TIMEOUT_MS = 15_000  # a page action or wait, in the browser tests
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


class Page:
    """A fresh browser context + page that records console errors, page errors and dialogs."""

    def __init__(self, browser, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.context = browser.new_context(
            viewport={"width": 1360, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("dialog", self._on_dialog)

    def _on_console(self, msg) -> None:
        if msg.type == "error":
            self.errors.append(f"console.error: {msg.text} @ {msg.location}")

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()
