"""Response headers of the console page. It shows customer text, so a strict Content-Security-Policy
(no inline script or style, nothing from other origins) is the second line of defence after textContent.
`Referrer-Policy: same-origin`, not `no-referrer`: under `no-referrer` the Fetch standard has a browser send
`Origin: null` on the console's own POSTs (Chromium sends the origin anyway), which the cookie's Origin check
(`server.api.operator.deps`) must refuse; `same-origin` keeps Origin and Referer for this server only, and other
sites still get no referrer."""

from __future__ import annotations

import re

_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def console_headers(host: str | None) -> dict[str, str]:
    sockets = f" ws://{host} wss://{host}" if host and _HOST.fullmatch(host) else ""
    csp = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           f"connect-src 'self'{sockets}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
           "object-src 'none'")
    return {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store"}
