"""`/healthz`: liveness plus the state of the database and the knowledge index; `/readyz`: ready to answer.

`/healthz` is 200 while the process can serve at all (the database answers); `/readyz` is 503 with an
`error` body until the runtime's models are loaded and the LLM (if any) has been warmed up, then 200.
A load balancer sends customers to a worker only when it is ready.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from server.api.deps import RuntimeDep
from server.errors import error_body

router = APIRouter(tags=["health"])
# Not a failure of the request: the process is starting, or its database is down (a load balancer reads it).
UNAVAILABLE = {503: {"description": "Not able to serve now; the body says which check failed."}}


@router.get("/healthz", responses=UNAVAILABLE)
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


@router.get("/readyz", responses=UNAVAILABLE)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    pending = runtime.pending()
    checks = {"models": runtime.models_warm, "llm": "none" if runtime.llm is None else runtime.llm_warm}
    if pending:
        body = error_body("not_ready", f"Still loading: {', '.join(pending)}.")
        return JSONResponse({**body, "checks": checks}, status_code=503)
    return JSONResponse({"status": "ready", "checks": checks})
