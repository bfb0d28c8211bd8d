"""Typed dependencies shared by the routes: the runtime and conversation bearer auth."""

from __future__ import annotations

import asyncio
from typing import Annotated

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
    row = await asyncio.to_thread(runtime.conversations.get, conversation_id)
    if row is None:
        raise ApiError(404, "unknown_conversation", "No such conversation.")
    verified = await asyncio.to_thread(runtime.conversations.verify, conversation_id, token)
    if verified is None:
        raise ApiError(403, "invalid_token", "The token does not open this conversation.")
    return verified


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
