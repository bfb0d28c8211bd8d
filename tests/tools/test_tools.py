"""Tools against in-memory ports: ownership, return policy, product cards."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.protocols import ToolContext, ToolError
from tests.fakes import NOW, MemoryCatalog, MemoryOrders
from tools.commerce.orders import OrderStatusTool
from tools.commerce.products import ProductSearchTool
from tools.commerce.returns import ReturnRequestTool

pytestmark = pytest.mark.unit


def ctx(customer: str | None = "C1", now=NOW) -> ToolContext:
    return ToolContext(conversation_id="c", customer_id=customer, language="en", now=now)


async def test_order_status_of_own_order() -> None:
    tool = OrderStatusTool(MemoryOrders())
    result = await tool(tool.Args(order_id="KF10000002"), ctx())
    assert result.data["shipment"]["status"] == "in_transit"
    assert result.data["shipment"]["latest_event"]["location_en"] == "Shanghai hub"


@pytest.mark.parametrize("customer", ["C2", None])
async def test_foreign_or_anonymous_order_is_not_found(customer: str | None) -> None:
    tool = OrderStatusTool(MemoryOrders())
    with pytest.raises(ToolError) as err:
        await tool(tool.Args(order_id="KF10000002"), ctx(customer))
    assert err.value.code in ("order_not_found", "login_required")
    assert "Star Phone" not in str(err.value.params)


async def test_unknown_and_foreign_orders_look_the_same() -> None:
    tool = OrderStatusTool(MemoryOrders())
    errors = []
    for oid in ("KF20000001", "KF99999999"):
        with pytest.raises(ToolError) as err:
            await tool(tool.Args(order_id=oid), ctx())
        errors.append((err.value.code, set(err.value.params)))
    assert errors[0] == errors[1]


def test_order_id_schema_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        OrderStatusTool.Args(order_id="KF1; DROP TABLE orders")


async def test_return_window_boundaries() -> None:
    orders = MemoryOrders()
    tool = ReturnRequestTool(orders)
    delivered = orders.orders["KF10000001"].shipment.delivered_at  # type: ignore[union-attr]
    with pytest.raises(ToolError) as err:
        await tool(tool.Args(order_id="KF10000001"), ctx(now=delivered + timedelta(days=8)))
    assert err.value.code == "return_window_expired" and err.value.params["days"] == 7
    # a quality return is still open on day 8 (15-day window)
    result = await tool(tool.Args(order_id="KF10000001", kind="quality", reason="broken"),
                        ctx(now=delivered + timedelta(days=8)))
    assert result.data["refund_amount"] == "59.00"
    with pytest.raises(ToolError) as err:
        await tool(tool.Args(order_id="KF10000001"), ctx(now=delivered + timedelta(days=1)))
    assert err.value.code == "return_already_requested"


async def test_return_of_undelivered_order_refused() -> None:
    tool = ReturnRequestTool(MemoryOrders())
    with pytest.raises(ToolError) as err:
        await tool(tool.Args(order_id="KF10000002"), ctx())
    assert err.value.code == "return_not_delivered"


async def test_excluded_item_allows_quality_return_only() -> None:
    orders = MemoryOrders()
    tool = ReturnRequestTool(orders)
    with pytest.raises(ToolError) as err:
        await tool(tool.Args(order_id="KF10000004"), ctx())
    assert err.value.code == "return_items_excluded"
    assert not orders.returns
    await tool(tool.Args(order_id="KF10000004", kind="quality"), ctx())
    assert len(orders.returns) == 1


async def test_product_cards_in_stock_first() -> None:
    tool = ProductSearchTool(MemoryCatalog())
    result = await tool(tool.Args(category="phone_case"), ctx())
    assert [c["id"] for c in result.cards] == ["P0002", "P0004"]
    assert result.cards[0]["in_stock"] and not result.cards[1]["in_stock"]
