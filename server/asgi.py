"""The app factory each `kefu serve --workers N` process imports (`uvicorn server.asgi:create --factory`).

Worker processes are spawned fresh, so each sets up logging (masking included) and reads its settings from the
same `KEFU_*` environment before building its own runtime.
"""

from __future__ import annotations

from fastapi import FastAPI

from server.app import create_app
from server.infra.logs import setup_logging
from server.settings import get_settings


def create() -> FastAPI:
    settings = get_settings()
    setup_logging(settings.http.log_level, secrets=[settings.llm.api_key.get_secret_value()])
    return create_app(settings, settle_heap=True)
