"""Twilio's request signature, checked on the `/ws/voice` upgrade: is this socket Twilio dialling for our account?

Twilio signs each request with the account's auth token: `X-Twilio-Signature` = base64(HMAC-SHA1(token, URL)),
the URL being the one it dialled (scheme, host, path, query; a form POST's parameters would follow, sorted, but a
WebSocket upgrade has none). Behind a proxy the app sees another scheme or host, so the URL's base is configured
(`KEFU_VOICE__PUBLIC_URL`) or taken as `wss://` + the request's Host; as in Twilio's own validators, the host is
tried with and without the scheme's default port. Compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.websockets import WebSocket

HEADER = "x-twilio-signature"
_DEFAULT_PORTS = {"wss": "443", "https": "443", "ws": "80", "http": "80"}


def signature(auth_token: str, url: str, params: Mapping[str, str] | None = None) -> str:
    data = url + "".join(k + v for k, v in sorted((params or {}).items()))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode("ascii")


def _with_and_without_port(url: str) -> list[str]:
    parts = urlsplit(url)
    default = _DEFAULT_PORTS.get(parts.scheme)
    host = parts.hostname or ""
    rest = url[len(f"{parts.scheme}://{parts.netloc}"):]
    bare = f"{parts.scheme}://{host}{rest}"
    ported = f"{parts.scheme}://{host}:{parts.port or default}{rest}" if (parts.port or default) else bare
    return list(dict.fromkeys([url, bare, ported]))


def dialled_urls(ws: WebSocket, public_url: str) -> list[str]:
    """The URLs Twilio may have signed for this upgrade request."""
    tail = ws.url.path + (f"?{ws.url.query}" if ws.url.query else "")
    base = public_url.rstrip("/") if public_url else f"wss://{ws.headers.get('host', '')}"
    return _with_and_without_port(base + tail)


def is_signed(ws: WebSocket, auth_token: str, public_url: str = "") -> bool:
    given = ws.headers.get(HEADER, "")
    if not given:
        return False
    return any(hmac.compare_digest(signature(auth_token, url), given) for url in dialled_urls(ws, public_url))
