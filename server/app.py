"""The FastAPI application: public API, widget socket, demo page, console page and the scripts they load."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST

from agent.nlg.messages import warm_up
from agent.protocols import LLMUnavailable
from server.api import (
    assets,
    campaigns,
    conversations,
    demo,
    experiments,
    health,
    identifiers,
    marketing,
    marketing_ask,
    operator,
    thresholds,
)
from server.api.operator.page import console_headers
from server.channels import chat_ws, operator_ws, voice_ws
from server.errors import ERROR_RESPONSES, install_error_handlers
from server.infra.cors import WidgetCors
from server.infra.demo_mode import check_demo
from server.infra.limits import BodySizeLimit
from server.infra.metrics import render as render_metrics
from server.operators.thresholds import tune_all
from server.runtime import Runtime, build_runtime
from server.settings import Settings, get_settings

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
# FastAPI's native OpenTelemetry (newer FastAPI) looks the global providers up (environment reads) on every request
# and socket even when none is configured; Kefu's metrics are Prometheus (`/metrics`)
_NO_OTEL: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters else {}
)


async def warm_llm(runtime: Runtime) -> None:
    """Load the model and cache the system prompts before the first customer; `/readyz` waits for it."""
    assert runtime.llm is not None
    try:
        await warm_up(runtime.llm)
        log.info("LLM warmed up")
    except LLMUnavailable as exc:
        log.warning("LLM warm-up failed; replies fall back to templates until it answers: %s", exc)
    finally:
        runtime.llm_warm = True


async def tune_thresholds(runtime: Runtime, every_s: float) -> None:
    """The dynamic-threshold job, every `every_s` seconds while the app runs (a failed pass is logged)."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await asyncio.to_thread(tune_all, runtime.sessions, runtime.agent.clock())
        except Exception:
            log.exception("the dynamic-threshold pass failed")


def create_app(
    settings: Settings | None = None, runtime: Runtime | None = None, *, settle_heap: bool = False
) -> FastAPI:
    """The service. `settle_heap` (a served process, not tests): freeze the start-up heap once the runtime is built
    (`Runtime.settle_heap`)."""
    settings = settings or get_settings()
    check_demo(settings)  # before anything starts: demo mode never serves the production shape

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = runtime is None
        app.state.runtime = runtime or build_runtime(settings)
        if settle_heap:
            app.state.runtime.settle_heap()
        warming = None
        if app.state.runtime.llm is not None:
            app.state.runtime.llm_warm = False  # until the background warm-up has run
            warming = asyncio.create_task(warm_llm(app.state.runtime))
        every = app.state.runtime.settings.offers.threshold_tune_s
        tuning = asyncio.create_task(tune_thresholds(app.state.runtime, every)) if every > 0 else None
        try:
            yield
        finally:
            if warming is not None:
                warming.cancel()
            if tuning is not None:
                tuning.cancel()
            if own:
                await app.state.runtime.aclose()

    app = FastAPI(
        **_NO_OTEL,
        title="Kefu",
        version="0.2.0",  # 0.2.0: the socket token moved from the URL to a first `auth` frame
        lifespan=lifespan,
        description="Customer-service and marketing agent for an online store (zh-CN / en).",
        responses=ERROR_RESPONSES,
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.http.max_body_bytes)
    # outermost: a refusal by the body limit still carries the CORS headers the widget needs to read it
    app.add_middleware(WidgetCors, allowed_origins=settings.http.allowed_origins)
    app.state.allowed_origins = settings.http.allowed_origins  # the chat socket's Origin check
    app.include_router(health.router)
    app.include_router(conversations.router)
    if settings.store.demo:
        app.include_router(demo.router)
    app.include_router(chat_ws.router)
    for router in operator.routers:
        app.include_router(router)
    app.include_router(marketing.router)
    app.include_router(marketing_ask.router)
    app.include_router(campaigns.router)
    app.include_router(thresholds.router)
    app.include_router(experiments.router)
    app.include_router(operator_ws.router)
    app.include_router(voice_ws.router)
    app.include_router(identifiers.router)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(render_metrics(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        # The demo store's page only in demo mode; otherwise a page that says what runs here and how to embed it.
        return FileResponse(STATIC / ("index.html" if settings.store.demo else "home.html"))

    @app.get("/console", include_in_schema=False)
    async def console(request: Request) -> FileResponse:
        return FileResponse(STATIC / "console.html", headers=console_headers(request.headers.get("host")))

    app.include_router(assets.router(STATIC))  # /widget.js, /static/console.js, /static/demo.js: before the mount
    STATIC.mkdir(exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
