"""The one error shape of the public API: `{"error": {"code", "message"}}`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.infra.metrics import API_ERRORS


class ApiError(Exception):
    """An error a client caused, with a stable code and a message fit to show."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


# Documented on every operation (FastAPI then leaves out its own 422 shape, which this API never sends).
ERROR_RESPONSES: dict[int | str, dict] = {
    "4XX": {"model": ErrorBody, "description": 'A refused request: `{"error": {"code", "message"}}`.'},
}


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


MAX_FIELD_ERRORS = 5
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden", 413: "too_large"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        API_ERRORS.labels(exc.code).inc()
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(error_body("malformed_json", "The request body is not valid JSON."), status_code=400)
        said = []  # every field that is wrong (a few), so a client fixes them in one go
        for e in errors[:MAX_FIELD_ERRORS]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            msg = str(e.get("msg", "invalid value")).removeprefix("Value error, ")
            said.append(f"{where}: {msg}" if where else msg)
        message = "; ".join(said) or "invalid request"
        if len(errors) > MAX_FIELD_ERRORS:
            message += f" (and {len(errors) - MAX_FIELD_ERRORS} more)"
        return JSONResponse(error_body("invalid_request", message), status_code=422)
