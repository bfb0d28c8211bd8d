"""`/api/operator/login`, `/logout`, `/me`: console sign-in.

Login sets an HttpOnly, SameSite=Strict session cookie for the console page (`Secure` over https, or always
with `KEFU_HTTP_SECURE_COOKIES`) and also returns the token for tools (`Authorization: Bearer …`). Failures
never say whether the username exists. Attempts are throttled per address (`login_ip`) and per (address,
username) (`server.operators.throttle`); no number of failures locks the account itself. A login that
names another site as its `Origin` is refused (403 `bad_origin`: no signing a browser in from elsewhere).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from server.api.deps import RuntimeDep, client_ip, from_this_server, limit
from server.api.fields import StoredText
from server.api.operator.deps import BAD_ORIGIN, OperatorDep, session_token
from server.errors import ApiError
from server.operators import sessions, throttle
from server.operators.accounts import COOKIE_NAME, SESSION_TTL, LoginError
from server.operators.passwords import MAX_LENGTH
from server.runtime import Runtime

router = APIRouter(prefix="/api/operator", tags=["operator console"])


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: StoredText = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class LoggedIn(BaseModel):
    token: str
    expires_at: datetime
    operator: dict[str, Any]


def _secure(request: Request, runtime: Runtime) -> bool:
    """`Secure` cookie: always when the setting says so (TLS ends at a proxy), else when this request is https."""
    return runtime.settings.http.secure_cookies or request.url.scheme == "https"


@router.post("/login", response_model=LoggedIn)
async def login(body: Login, request: Request, response: Response, runtime: RuntimeDep) -> LoggedIn:
    if not from_this_server(request, missing_ok=True):
        raise ApiError(403, "bad_origin", BAD_ORIGIN)
    ip = client_ip(request)
    await limit(runtime, "login_ip", ip)
    try:
        await throttle.attempt(runtime.rate_limits, ip, body.username)
        result = await asyncio.to_thread(runtime.operator_auth.login, body.username, body.password)
    except throttle.TooManyAttempts as exc:
        raise ApiError(exc.status, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)}) from exc
    except LoginError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from exc
    await throttle.succeeded(runtime.rate_limits, ip, body.username)
    response.set_cookie(
        COOKIE_NAME,
        result.token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=_secure(request, runtime),
        path="/",
    )
    response.headers["Cache-Control"] = "no-store"
    return LoggedIn(token=result.token, expires_at=result.expires_at, operator=result.operator.public())


@router.post("/logout")
async def logout(request: Request, response: Response, operator: OperatorDep, runtime: RuntimeDep) -> dict[str, Any]:
    """End this session; the console sockets signed in with it close (on every worker)."""
    token, _ = session_token(request)
    await asyncio.to_thread(runtime.operator_auth.logout, token)
    await sessions.announce_ended(runtime.pubsub, operator.id)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=_secure(request, runtime))
    return {"signed_out": operator.username}


@router.get("/me")
async def me(operator: OperatorDep) -> dict[str, Any]:
    return {"operator": operator.public()}
