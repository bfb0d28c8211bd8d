"""The recommender's store port in memory: phones, the cases that fit them, and coffee; customers C1 (owns an
iPhone 16) and C2 (owns a Galaxy S24). The most sold cases are Galaxy cases, so the popular list and an
iPhone owner's list differ."""

from __future__ import annotations

from decimal import Decimal

from tools.commerce.ports import ProductView


def _p(pid: str, zh: str, en: str, cat: str, brand: str, price: str, stock: int = 20, **attrs: object) -> ProductView:
    names = {"phone": ("手机", "Phones"), "phone_case": ("手机壳", "Phone cases"), "coffee_beans": ("咖啡豆", "Coffee beans")}
    return ProductView(pid, zh, en, cat, *names[cat], Decimal(price), stock, brand, dict(attrs))


# fmt: off
SHELF = [
    _p("P100", "iPhone 16", "iPhone 16", "phone", "Apple 苹果", "5999", model="iPhone 16"),
    _p("P101", "Galaxy S24", "Galaxy S24", "phone", "Samsung 三星", "4999", model="Galaxy S24"),
    _p("P200", "ESR iPhone 16 磁吸壳", "ESR iPhone 16 MagSafe case", "phone_case", "ESR", "89", compatible_with=["iPhone 16"]),
    _p("P201", "Spigen iPhone 16 防摔壳", "Spigen iPhone 16 rugged case", "phone_case", "Spigen", "129",
       compatible_with=["iPhone 16"]),
    _p("P202", "Apple iPhone 16 硅胶壳", "Apple iPhone 16 silicone case", "phone_case", "Apple 苹果", "399",
       compatible_with=["iPhone 16"]),
    _p("P203", "Spigen Galaxy S24 壳", "Spigen Galaxy S24 case", "phone_case", "Spigen", "119", compatible_with=["Galaxy S24"]),
    _p("P204", "ESR Galaxy S24 壳", "ESR Galaxy S24 case", "phone_case", "ESR", "79", compatible_with=["Galaxy S24"]),
    _p("P205", "Benks Galaxy S24 透明壳", "Benks Galaxy S24 clear case", "phone_case", "Benks", "69",
       compatible_with=["Galaxy S24"]),
    _p("P206", "Benks iPhone 16 透明壳", "Benks iPhone 16 clear case", "phone_case", "Benks", "69", stock=0,
       compatible_with=["iPhone 16"]),
    _p("P300", "意式咖啡豆", "Espresso beans", "coffee_beans", "Lavazza", "88"),
    _p("P301", "哥伦比亚咖啡豆", "Colombia beans", "coffee_beans", "Starbucks", "98"),
]
SOLD = {"P100": 30, "P101": 40, "P200": 10, "P201": 8, "P202": 5, "P203": 50, "P204": 45, "P205": 20, "P206": 60,
        "P300": 100, "P301": 60}
# fmt: on
PURCHASES = {"C1": [["P100"], ["P300"]], "C2": [["P101"]]}


class MemoryShopper:
    """`tools.marketing.ports.ShopperData` over `SHELF`, `SOLD` and `PURCHASES`."""

    def __init__(self) -> None:
        self.products = list(SHELF)
        self.sold = dict(SOLD)
        self.baskets = {c: [list(b) for b in bs] for c, bs in PURCHASES.items()}

    def purchases(self, customer_id: str) -> list[list[str]]:
        return [list(b) for b in self.baskets.get(customer_id, [])]

    def shelf(self) -> list[ProductView]:
        return list(self.products)

    def popularity(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.sold.items()}
