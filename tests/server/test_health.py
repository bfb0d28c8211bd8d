"""`/healthz` and `/readyz` as a load balancer sees them: alive at once, ready when the models are loaded."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.runtime import Runtime, build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever

pytestmark = pytest.mark.integration


@pytest.fixture
def runtime(demo_store_url: str) -> Iterator[Runtime]:
    rt = build_runtime(Settings(database_url=demo_store_url), retriever=KeywordRetriever(), llm=None, warm=False)
    yield rt
    rt.close()


class SlowWarmingLLM:
    """Only what the app's warm-up touches: `warm_up` returns once the test releases it."""

    def __init__(self) -> None:
        self.release = threading.Event()

    async def warm_up(self, messages: object) -> None:
        while not self.release.is_set():
            await asyncio.sleep(0.01)


def test_readyz_is_503_until_the_models_are_warm(runtime: Runtime) -> None:
    calls: list[str] = []
    runtime.warmers = (lambda: calls.append("affect"), lambda: calls.append("nlu"))
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client:
        assert client.get("/healthz").status_code == 200
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["error"] == {"code": "not_ready", "message": "Still loading: models."}
        runtime.warm_up()
        runtime.warm_up()  # idempotent
        r = client.get("/readyz")
        assert r.status_code == 200 and r.json() == {"status": "ready", "checks": {"models": True, "llm": "none"}}
    assert calls == ["affect", "nlu"]


def test_readyz_waits_for_the_llm_warm_up(runtime: Runtime) -> None:
    runtime.warm_up()
    llm = SlowWarmingLLM()
    runtime.llm = llm  # type: ignore[assignment]
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client:
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["error"]["message"] == "Still loading: llm."
        llm.release.set()
        deadline = time.monotonic() + 5
        while (r := client.get("/readyz")).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert r.status_code == 200 and r.json()["checks"] == {"models": True, "llm": True}
