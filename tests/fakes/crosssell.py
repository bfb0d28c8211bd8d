"""Cross-sell in memory: phones and what goes with them, rule sets over them, and orders of those phones.

Customer C1 owns an iPhone 16 (P100, order KF10000009, delivered) and C2 a Galaxy S24 (P101, order KF20000009).
The product rules say an iPhone 16 goes best with an out-of-stock protector (P212), then the iPhone protector
P210, then the ESR case P200; nothing is mined for the Galaxy, whose category rules (phone → screen protector,
phone → charger) must find its protector (P211) instead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tests.fakes.commerce import NOW, MemoryOrders
from tools.commerce.ports import OrderLineView, OrderView, ProductView, ShipmentView
from tools.marketing.rules import RuleSet, save_rules

NAMES = {"phone": ("手机", "Phones"), "phone_case": ("手机壳", "Phone cases"),
         "screen_protector": ("钢化膜", "Screen protectors"), "charger": ("充电器", "Chargers & cables"),
         "coffee_beans": ("咖啡豆", "Coffee beans")}


def _p(pid: str, zh: str, en: str, cat: str, brand: str, price: str, stock: int = 20, **attrs: object) -> ProductView:
    return ProductView(pid, zh, en, cat, *NAMES[cat], Decimal(price), stock, brand, dict(attrs))


# fmt: off
SHELF = [
    _p("P100", "iPhone 16", "iPhone 16", "phone", "Apple 苹果", "5999", model="iPhone 16"),
    _p("P101", "Galaxy S24", "Galaxy S24", "phone", "Samsung 三星", "4999", model="Galaxy S24"),
    _p("P200", "ESR iPhone 16 磁吸壳", "ESR iPhone 16 MagSafe case", "phone_case", "ESR", "89",
       compatible_with=["iPhone 16"]),
    _p("P203", "Spigen Galaxy S24 壳", "Spigen Galaxy S24 case", "phone_case", "Spigen", "119",
       compatible_with=["Galaxy S24"]),
    _p("P210", "iPhone 16 钢化膜", "iPhone 16 tempered glass", "screen_protector", "Benks", "39",
       compatible_with=["iPhone 16"]),
    _p("P211", "Galaxy S24 钢化膜", "Galaxy S24 tempered glass", "screen_protector", "Benks", "39",
       compatible_with=["Galaxy S24"]),
    _p("P212", "iPhone 16 防窥膜", "iPhone 16 privacy glass", "screen_protector", "Benks", "59", stock=0,
       compatible_with=["iPhone 16"]),
    _p("P220", "20W 快充充电器", "20W fast charger", "charger", "Anker", "99", compatible_with=["universal"]),
    _p("P300", "意式咖啡豆", "Espresso beans", "coffee_beans", "Lavazza", "88"),
]
SOLD = {"P100": 30, "P101": 40, "P200": 10, "P203": 50, "P210": 20, "P211": 25, "P212": 90, "P220": 60, "P300": 100}
PURCHASES = {"C1": [["P100"], ["P300"]], "C2": [["P101"]]}
# fmt: on


def rule(antecedent: list[str], consequent: str, support: float, confidence: float, lift: float) -> dict[str, object]:
    return {"antecedent": antecedent, "consequent": [consequent], "support": support, "confidence": confidence,
            "lift": lift}


def rule_set(name: str, by: str, rules: list[dict[str, object]]) -> RuleSet:
    return RuleSet.model_validate({
        "name": name, "engine": "local", "by": by, "source": "orders", "min_support": 0.01, "min_confidence": 0.1,
        "min_count": 1, "n_baskets": 100, "n_items": 10, "created_at": datetime(2026, 11, 1, tzinfo=UTC),
        "itemsets": [], "rules": rules,
    })


PRODUCT_RULES = rule_set("orders-product", "product", [
    rule(["P100"], "P212", 0.05, 0.6, 6.0),  # the strongest, but out of stock
    rule(["P100"], "P210", 0.04, 0.5, 5.0),  # strength 2.5
    rule(["P100"], "P200", 0.05, 0.6, 3.0),  # strength 1.8
    rule(["P100"], "P300", 0.01, 0.2, 0.9),  # lift below 1: no association
])
CATEGORY_RULES = rule_set("orders-category", "category", [
    rule(["phone"], "screen_protector", 0.2, 0.5, 2.0),  # strength 1.0
    rule(["phone"], "charger", 0.1, 0.3, 1.5),  # strength 0.45
    rule(["phone"], "phone_case", 0.3, 0.6, 1.1),  # strength 0.66
])


def write_rules(folder: Path) -> Path:
    """Both rule sets as rule files in `folder` (what `kefu rules mine` writes)."""
    for rs in (PRODUCT_RULES, CATEGORY_RULES):
        save_rules(rs, folder / f"{rs.name}.json")
    return folder


class CrossSellShopper:
    """`tools.marketing.ports.ShopperData` over `SHELF`, `SOLD` and `PURCHASES`."""

    def __init__(self) -> None:
        self.products = list(SHELF)
        self.baskets = {c: [list(b) for b in bs] for c, bs in PURCHASES.items()}

    def purchases(self, customer_id: str) -> list[list[str]]:
        return [list(b) for b in self.baskets.get(customer_id, [])]

    def shelf(self) -> list[ProductView]:
        return list(self.products)

    def popularity(self) -> dict[str, float]:
        return {k: float(v) for k, v in SOLD.items()}


def phone_orders() -> MemoryOrders:
    """`MemoryOrders` plus C1's iPhone 16 order KF10000009 and C2's Galaxy S24 order KF20000009 (both delivered)."""
    orders = MemoryOrders()
    placed = NOW - timedelta(days=5)
    for order_id, customer, pid, name in (("KF10000009", "C1", "P100", "iPhone 16"),
                                          ("KF20000009", "C2", "P101", "Galaxy S24")):
        line = OrderLineView(int(order_id[-1]) * 10 + len(customer), pid, name, name, "phone", 1, Decimal("5999"), True)
        shipment = ShipmentView(int(order_id[2:]), "SF Express", f"SF{order_id[2:]}", "delivered",
                                placed + timedelta(days=1), placed + timedelta(days=3), None, [])
        orders.orders[order_id] = OrderView(order_id, customer, "delivered", placed, Decimal("5999"), "CNY", [line],
                                            shipment)
    return orders
