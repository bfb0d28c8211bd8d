"""The service's pages and documents answer as a deployer expects."""

from __future__ import annotations

import httpx
import pytest

from tests.services import signed

pytestmark = pytest.mark.e2e


def test_health_docs_widget_and_demo_customers(live_server: str) -> None:
    health = httpx.get(f"{live_server}/healthz").json()
    assert health["status"] == "ok" and health["checks"]["database"] and health["checks"]["knowledge"]
    assert "swagger" in httpx.get(f"{live_server}/docs").text.lower()
    spec = httpx.get(f"{live_server}/openapi.json").json()
    assert {"/api/conversations", "/api/conversations/{conversation_id}/messages"} <= set(spec["paths"])
    widget = httpx.get(f"{live_server}/widget.js")
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
    page = httpx.get(f"{live_server}/")
    assert page.status_code == 200 and "/widget.js" in page.text
    customers = httpx.get(f"{live_server}/api/demo/customers?limit=4").json()
    assert [c["customer_id"] for c in customers] == ["C00001", "C00002", "C00003", "C00004"]
    assert {c["language"] for c in customers} == {"zh", "en"} and all(c["orders"] for c in customers)
    missing = httpx.get(f"{live_server}/no/such/page")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_metrics_count_turns(live_server: str) -> None:
    r = httpx.post(f"{live_server}/api/conversations", json={"channel": "api", **signed("C00009")})
    cid, token = r.json()["conversation_id"], r.json()["token"]
    httpx.post(f"{live_server}/api/conversations/{cid}/messages", json={"text": "转人工"},
               headers={"Authorization": f"Bearer {token}"})
    text = httpx.get(f"{live_server}/metrics").text
    assert 'kefu_turns_total{intent="human",language="zh"}' in text
    assert 'kefu_handoffs_total{reason="customer_asked"}' in text
    assert "kefu_turn_seconds_count" in text
