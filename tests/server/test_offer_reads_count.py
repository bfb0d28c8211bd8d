"""Issue 17: an offer answer reads through one pooled connection (`server.db.reads`), in a bounded number of
statements: it was ten statements on eight checkouts, one checkout a store call."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from server.db.offers import SqlCampaignStore
from server.runtime import Runtime
from tests.server.test_offer_reads_fresh import customer_of, offered, store_runtime

pytestmark = pytest.mark.integration
MAX_STATEMENTS = 8  # the campaigns, the profile, the coupons, the last order, experiments (2), the shopper history (2)


@pytest.fixture
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    yield from store_runtime(tmp_path_factory, "reads")


@pytest.mark.parametrize(("language", "ask"), [("zh", "有什么优惠券吗"), ("en", "any coupons for me?")])
async def test_an_offer_answer_takes_one_connection_and_few_statements(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, language: str, ask: str
) -> None:
    customer = customer_of(runtime.settings.database_url, language)
    assert SqlCampaignStore(runtime.sessions).last_order(customer) is not None  # the answer reckons from it
    tool: Any = runtime.agent.tools.get("offers")
    seen = {"statements": 0, "checkouts": 0}
    inside = threading.Event()

    def count(kind: str) -> Any:
        def bump(*_: Any) -> None:
            if inside.is_set():
                seen[kind] += 1
        return bump

    event.listen(runtime.engine, "before_cursor_execute", count("statements"))
    event.listen(runtime.engine.pool, "checkout", count("checkouts"))
    answer = tool._answer

    def counted(*args: Any) -> Any:
        inside.set()
        try:
            return answer(*args)
        finally:
            inside.clear()

    monkeypatch.setattr(tool, "_answer", counted)
    assert await offered(runtime, customer, ask)  # the first answer: what is read once (category names) is read
    seen.update(statements=0, checkouts=0)
    assert await offered(runtime, customer, ask)
    assert seen["checkouts"] == 1
    assert 0 < seen["statements"] <= MAX_STATEMENTS
