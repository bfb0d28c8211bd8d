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


def open_store_page(page, base: str, customer_id: str, language: str = "zh") -> None:
    """Open a store's page that embeds the widget for its signed-in `customer_id`, as a real store would: the
    signature computed by the store's backend (here, with the test identity secret), the panel open at load.

    The page is fulfilled by the browser at a path of the Kefu server's own origin, so it is same-origin with the
    server without the server serving it (the demo page is off in the production shape)."""
    from html import escape

    from tests.services import customer_sig

    url = f"{base}/__store__/account.html"
    html = (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"><title>Store</title></head>'
            f'<body><h1>My account</h1><script src="/widget.js" data-customer-id="{escape(customer_id)}" '
            f'data-customer-sig="{customer_sig(customer_id)}" data-language="{language}" data-open="true">'
            f"</script></body></html>")
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
    page.goto(url)
