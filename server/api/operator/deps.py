"""Route and socket dependencies for the operator console: who is signed in, and may they do this.

A session token is read from `Authorization: Bearer …` (tools), else from the HttpOnly session cookie
(the console page); a socket with neither takes it from its first frame `{"type": "auth", "token"}`, never
from its URL. The cookie is a credential the browser attaches by itself, so whatever it authenticates must
come from a page of this server: a state-changing request (POST, PUT, PATCH, DELETE) needs an `Origin` (else
`Referer`) naming this server's host, otherwise 403 `bad_origin`; a socket opened by a browser must come from a
page of this server whatever its credential. This stops cross-site request forgery and WebSocket hijacking even
where `SameSite` does not (same-site sibling hosts, old browsers). A bearer token is never sent by a browser on
its own, so requests carrying one are not checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, WebSocket
from starlette.requests import HTTPConnection

from server.api.deps import RuntimeDep, from_this_server, own_origin
from server.channels.frames import first_frame_token, refuse_token_in_url
from server.db.operators import OperatorRow
from server.errors import ApiError
from server.operators.accounts import COOKIE_NAME
from server.runtime import Runtime

STAFF_ROLES = ("operator", "supervisor")
MARKETING_ROLES = ("marketer", "supervisor")  # campaign copy, the marketing view
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BAD_ORIGIN = "Signed in by cookie, a change must come from a page of this server (the Origin header)."


def session_token(conn: HTTPConnection) -> tuple[str | None, str]:
    """`(token, source)` where source is header | cookie | none."""
    authorization = conn.headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip(), "header"
        raise ApiError(401, "not_signed_in", "Use the header Authorization: Bearer <token>.")
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


async def socket_operator(ws: WebSocket, runtime: Runtime, roles: tuple[str, ...] = STAFF_ROLES) -> tuple[
    OperatorRow, str
]:
    """The signed-in operator of a socket and their token, or `ApiError` (400/401/403/408); `WebSocketDisconnect`
    if the client leaves before authenticating. Only this server's pages may open it from a browser."""
    if not own_origin(ws):
        raise ApiError(403, "bad_origin", "The console socket only accepts pages of this server.")
    refuse_token_in_url(ws)
    token, source = session_token(ws)
    if source == "none":
        token = await first_frame_token(ws)
    operator = await _operator_for(runtime, token)
    check_role(operator, roles)
    assert token is not None
    return operator, token
