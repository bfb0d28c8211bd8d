"""The line `kefu serve` prints once the service answers `/readyz` with 200 (models loaded, the LLM warm when one
is configured), so whoever ran `make run` knows when the first customer can be served, not just when the port
opened.

A daemon thread asks the server's own `/readyz` over loopback, as a load balancer would; with several workers it
reads whichever worker answers. It stops by itself: when ready, when the server process ends, or after `give_up_s`.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable


def local_url(host: str, port: int) -> str:
    """Where a person on this machine opens the service (a wildcard bind is reached over loopback)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    return f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"


def ready_line(url: str, seconds: float, checks: dict[str, object]) -> str:
    """`Kefu ready on http://127.0.0.1:8000 (models loaded, LLM warm; 12.3 s after start)`."""
    llm = checks.get("llm")
    parts = ["models loaded", "no LLM (templates)" if llm == "none" else "LLM warm"]
    return f"Kefu ready on {url} ({', '.join(parts)}; {seconds:.1f} s after start)"


def _ready_checks(url: str) -> dict[str, object] | None:
    """`/readyz`'s checks when it says ready, else None (not listening yet, or still loading)."""
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as resp:
            if resp.status == 200:
                return dict(json.load(resp).get("checks", {}))
    except (OSError, ValueError, urllib.error.URLError):
        pass
    return None


def announce_when_ready(
    url: str,
    started: float,
    say: Callable[[str], None],
    *,
    every_s: float = 0.25,
    give_up_s: float = 900.0,
) -> threading.Thread:
    """Start the thread that calls `say(ready_line(...))` once `url/readyz` answers 200 (`started` is a
    `time.monotonic()` taken when the command began)."""

    def watch() -> None:
        deadline = time.monotonic() + give_up_s
        while time.monotonic() < deadline:
            checks = _ready_checks(url)
            if checks is not None:
                say(ready_line(url, time.monotonic() - started, checks))
                return
            time.sleep(every_s)
        say(f"Kefu is still not ready on {url} after {give_up_s:g} s; see the log above")

    thread = threading.Thread(target=watch, name="kefu-ready", daemon=True)
    thread.start()
    return thread
