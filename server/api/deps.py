"""Typed dependencies shared by the routes: the runtime, conversation bearer auth and the Origin checks."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Header, Path, Request
from starlette.requests import HTTPConnection

from server.db.conversations import ConversationRow
from server.errors import ApiError
from server.infra.rate_limits import RateLimited
from server.runtime import Runtime

CONVERSATION_ID = r"^[0-9a-f]{32}$"
MAX_SEQ = 2**31 - 1  # event sequence numbers are 32-bit integers in the database; a larger `after` is refused


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def client_ip(conn: HTTPConnection) -> str:
    """The peer's address (behind a proxy, configure it to pass the client's own address through)."""
    return conn.client.host if conn.client else "unknown"


def _netloc(value: str) -> str:
    value = value.strip().lower()
    for default in (":80", ":443"):  # browsers leave the default port out of Origin; some proxies put it in Host
        if value.endswith(default):
            return value.removesuffix(default)
    return value


def _names_this_server(conn: HTTPConnection, url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # `Origin: null` (sandboxed frames, some redirects) is never this server
    return _netloc(parts.netloc) == _netloc(conn.headers.get("host", ""))


def own_origin(conn: HTTPConnection) -> bool:
    """True unless a browser's `Origin` names another site than this server (the host the request came to).
    No `Origin`: not a browser (a tool, a test, a server), which no cross-site page can drive."""
    origin = conn.headers.get("origin")
    return origin is None or _names_this_server(conn, origin)


def from_this_server(conn: HTTPConnection, *, missing_ok: bool) -> bool:
    """Whether the request's `Origin` (else `Referer`) names this server's host (the `Host` header). Without
    either header: `missing_ok`."""
    for header in ("origin", "referer"):
        value = conn.headers.get(header)
        if value:
            return _names_this_server(conn, value)
    return missing_ok


def allowed_origin(conn: HTTPConnection, allowed: Sequence[str]) -> bool:
    """This server's own pages, non-browsers, and the store origins of `KEFU_HTTP_ALLOWED_ORIGINS`."""
    if own_origin(conn):
        return True
    origin = conn.headers.get("origin", "").rstrip("/").lower()
    return "*" in allowed or origin in allowed


async def limit(runtime: Runtime, kind: str, key: str) -> None:
    """Count one attempt against the `kind` limit of `key`; over it: 429 `rate_limited` with `Retry-After`."""
    try:
        await runtime.rate_limits.hit(kind, key)
    except RateLimited as exc:
        raise ApiError(429, "rate_limited", exc.message, headers={"Retry-After": str(exc.retry_after)}) from exc


async def authorize(runtime: Runtime, conversation_id: str, token: str | None) -> ConversationRow:
    """The conversation if `token` opens it. Unknown ids and wrong tokens are told apart only by status."""
    if not token:
        raise ApiError(401, "missing_token", "A conversation token is required (Authorization: Bearer <token>).")
    verified = await asyncio.to_thread(runtime.conversations.verify, conversation_id, token)
    if verified is not None:  # one read on the way every socket and request takes; a refusal reads again
        return verified
    if await asyncio.to_thread(runtime.conversations.get, conversation_id) is None:
        raise ApiError(404, "unknown_conversation", "No such conversation.")
    raise ApiError(403, "invalid_token", "The token does not open this conversation.")


async def conversation_from_header(
    runtime: RuntimeDep,
    conversation_id: Annotated[str, Path(pattern=CONVERSATION_ID)],
    authorization: Annotated[str | None, Header()] = None,
) -> ConversationRow:
    token = None
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(401, "missing_token", "Use the header Authorization: Bearer <token>.")
        token = value.strip()
    return await authorize(runtime, conversation_id, token)


ConversationDep = Annotated[ConversationRow, Depends(conversation_from_header)]
