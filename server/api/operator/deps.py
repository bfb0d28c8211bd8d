"""Route and socket dependencies for the operator console: who is signed in, and may they do this.

A session token is read from `Authorization: Bearer …` (tools), else from the HttpOnly session cookie
(the console page); sockets also accept `?token=`. A socket authenticated by cookie must come from a
page of this server (Origin check), which stops cross-site WebSocket hijacking.
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


async def current_operator(request: Request, runtime: RuntimeDep) -> OperatorRow:
    token, _ = session_token(request)
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
    origin = ws.headers.get("origin")
    if not origin:
        return True  # not a browser, or a browser that sends no Origin for same-origin sockets
    return urlsplit(origin).netloc.lower() == ws.headers.get("host", "").lower()


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
