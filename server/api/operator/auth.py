"""`/api/operator/login`, `/logout`, `/me`: console sign-in.

Login sets an HttpOnly, SameSite=Strict session cookie for the console page and also returns the token
for tools (`Authorization: Bearer …`). Failures never say whether the username exists.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from server.api.deps import RuntimeDep, client_ip, limit
from server.api.fields import StoredText
from server.api.operator.deps import OperatorDep, session_token
from server.errors import ApiError
from server.operators.accounts import COOKIE_NAME, SESSION_TTL, LoginError
from server.operators.passwords import MAX_LENGTH

router = APIRouter(prefix="/api/operator", tags=["operator console"])


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: StoredText = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class LoggedIn(BaseModel):
    token: str
    expires_at: datetime
    operator: dict[str, Any]


@router.post("/login", response_model=LoggedIn)
async def login(body: Login, request: Request, response: Response, runtime: RuntimeDep) -> LoggedIn:
    await limit(runtime, "login_ip", client_ip(request))
    try:
        result = await asyncio.to_thread(runtime.operator_auth.login, body.username, body.password)
    except LoginError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from exc
    response.set_cookie(
        COOKIE_NAME,
        result.token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.headers["Cache-Control"] = "no-store"
    return LoggedIn(token=result.token, expires_at=result.expires_at, operator=result.operator.public())


@router.post("/logout")
async def logout(request: Request, response: Response, operator: OperatorDep, runtime: RuntimeDep) -> dict[str, Any]:
    token, _ = session_token(request)
    await asyncio.to_thread(runtime.operator_auth.logout, token)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return {"signed_out": operator.username}


@router.get("/me")
async def me(operator: OperatorDep) -> dict[str, Any]:
    return {"operator": operator.public()}
