"""Route and socket dependencies for the operator console: who is signed in, and may they do this.

A session token is read from `Authorization: Bearer …` (tools), else from the HttpOnly session cookie
(the console page); sockets also accept `?token=`. The cookie is a credential the browser attaches by
itself, so whatever it authenticates must come from a page of this server: a state-changing request
(POST, PUT, PATCH, DELETE) needs an `Origin` (else `Referer`) naming this server's host, and a socket a
matching `Origin` when it sends one; otherwise 403 `bad_origin`. This stops cross-site request forgery and
WebSocket hijacking even where `SameSite` does not (same-site sibling hosts, old browsers). A bearer token
is never sent by a browser on its own, so requests carrying one are not checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, WebSocket
from starlette.requests import HTTPConnection

from server.api.deps import RuntimeDep
from server.db.operators import OperatorRow
from server.errors import ApiError
from server.operators.accounts import COOKIE_NAME
from server.runtime import Runtime

STAFF_ROLES = ("operator", "supervisor")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BAD_ORIGIN = "Signed in by cookie, a change must come from a page of this server (the Origin header)."


def session_token(conn: HTTPConnection, *, allow_query: bool = False) -> tuple[str | None, str]:
    """`(token, source)` where source is header | cookie | query | none."""
    authorization = conn.headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip(), "header"
        raise ApiError(401, "not_signed_in", "Use the header Authorization: Bearer <token>.")
    if allow_query and conn.query_params.get("token"):
        return conn.query_params["token"], "query"
    cookie = conn.cookies.get(COOKIE_NAME)
    if cookie:
        return cookie, "cookie"
    return None, "none"


async def _operator_for(runtime: Runtime, token: str | None) -> OperatorRow:
    if not token:
        raise ApiError(401, "not_signed_in", "Sign in to the operator console first.")
    operator = await asyncio.to_thread(runtime.operator_auth.authenticate, token)
    if operator is None:
        raise ApiError(401, "session_expired", "Your session has expired or was signed out; sign in again.")
    return operator


def _netloc(value: str) -> str:
    value = value.strip().lower()
    for default in (":80", ":443"):  # browsers leave the default port out of Origin; some proxies put it in Host
        if value.endswith(default):
            return value.removesuffix(default)
    return value


def from_this_server(conn: HTTPConnection, *, missing_ok: bool) -> bool:
    """Whether the request's `Origin` (else `Referer`) names this server's host (the `Host` header). Without
    either header: `missing_ok`. `Origin: null` (sandboxed frames, some redirects) is never this server."""
    for header in ("origin", "referer"):
        value = conn.headers.get(header)
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                return False
            return _netloc(parts.netloc) == _netloc(conn.headers.get("host", ""))
    return missing_ok


async def current_operator(request: Request, runtime: RuntimeDep) -> OperatorRow:
    token, source = session_token(request)
    if source == "cookie" and request.method not in SAFE_METHODS and not from_this_server(request, missing_ok=False):
        raise ApiError(403, "bad_origin", BAD_ORIGIN)
    return await _operator_for(runtime, token)


OperatorDep = Annotated[OperatorRow, Depends(current_operator)]


def check_role(operator: OperatorRow, roles: tuple[str, ...]) -> None:
    if operator.role not in roles:
        raise ApiError(403, "forbidden_role",
                       f"This needs the role {' or '.join(roles)}; you are signed in as {operator.role}.")


def require_role(*roles: str) -> Callable[[OperatorRow], Awaitable[OperatorRow]]:
    """A dependency that lets only operators with one of `roles` through (403 otherwise)."""

    async def dependency(operator: OperatorDep) -> OperatorRow:
        check_role(operator, roles)
        return operator

    return dependency


# One function object, so a router-level dependency and a handler parameter resolve it once per request.
require_staff = require_role(*STAFF_ROLES)
StaffDep = Annotated[OperatorRow, Depends(require_staff)]


def _same_origin(ws: WebSocket) -> bool:
    # Browsers always send Origin on sockets; none means not a browser, with no ambient cookie to abuse.
    return from_this_server(ws, missing_ok=True) if ws.headers.get("origin") else True


async def socket_operator(ws: WebSocket, runtime: Runtime, roles: tuple[str, ...] = STAFF_ROLES) -> tuple[
    OperatorRow, str
]:
    """The signed-in operator of a socket and their token, or `ApiError` (401/403)."""
    token, source = session_token(ws, allow_query=True)
    if source == "cookie" and not _same_origin(ws):
        raise ApiError(403, "bad_origin", "The console socket only accepts pages of this server.")
    operator = await _operator_for(runtime, token)
    check_role(operator, roles)
    assert token is not None
    return operator, token
