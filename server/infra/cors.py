"""CORS for the widget's REST routes, so that a store page on another origin can chat through them.

Only the conversation routes (`/api/conversations…`) answer other origins, and only those of
`KEFU_HTTP_ALLOWED_ORIGINS`: methods GET and POST, request headers Authorization and Content-Type,
`Retry-After` readable, and no credentials: the widget proves itself with the conversation's bearer token,
never a cookie. The operator console and its API stay same-origin (no CORS headers at all). A refused
preflight gets the API's JSON error shape, like every other error.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from server.errors import error_body

WIDGET_PREFIX = "/api/conversations"


class _JsonCors(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
        reason = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        return JSONResponse(
            error_body("cors_refused", f"This cross-origin request is not allowed ({reason})."),
            status_code=response.status_code,
            headers=headers,
        )


class WidgetCors:
    """ASGI middleware: CORS on the conversation routes for `allowed_origins` (`"*"`: any), nothing elsewhere."""

    def __init__(self, app: ASGIApp, allowed_origins: Sequence[str], prefix: str = WIDGET_PREFIX) -> None:
        self.app = app
        self.prefix = prefix
        self.cors = _JsonCors(
            app,
            allow_origins=list(allowed_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=False,
            expose_headers=["Retry-After"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
