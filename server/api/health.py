"""`/healthz`: liveness plus the state of the database and the knowledge index."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from server.api.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(runtime: RuntimeDep) -> JSONResponse:
    def ping() -> bool:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    checks: dict[str, Any] = {"knowledge": runtime.retriever is not None}
    try:
        checks["database"] = await asyncio.to_thread(ping)
    except Exception as exc:
        checks["database"] = False
        checks["database_error"] = type(exc).__name__
    ok = bool(checks["database"])
    return JSONResponse({"status": "ok" if ok else "degraded", "checks": checks}, status_code=200 if ok else 503)
