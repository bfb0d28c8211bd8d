"""A store's own web server for the browser tests: pages on their own 127.0.0.1 port that embed the widget as a
store would (the script tag with the signed-in customer's id and signature, from the store's backend).

A real server, not a route fulfilled inside the browser: Chromium treats a fulfilled page as public, and its
local-network-access checks then block the widget's socket to 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.services import customer_sig


class StorePages(ThreadingHTTPServer):
    """A store's web server on its own 127.0.0.1 port: `pages` maps a path to the HTML it serves."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages: dict[str, str] = {}
        self.origin = f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: StorePages

    def do_GET(self) -> None:
        body = self.server.pages.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def shop_page(kefu: str, customer: str, language: str = "en", *, open_chat: bool = False) -> str:
    """The store's page as a store would write it: the script tag with the signed customer id (`open_chat`:
    the chat panel opens as the page loads)."""
    opened = ' data-open="true"' if open_chat else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A store</title>'
        '<link rel="icon" href="data:,"></head><body>'
        "<h1>A store on another origin</h1>"
        f'<script src="{escape(kefu)}/widget.js" data-customer-id="{escape(customer)}"'
        f' data-customer-sig="{customer_sig(customer)}" data-language="{language}"{opened}></script></body></html>'
    )


@contextmanager
def store_pages() -> Iterator[StorePages]:
    """A running `StorePages` server, shut down afterwards."""
    server = StorePages()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
