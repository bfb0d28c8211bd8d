"""`SqlProductCatalog` on both engines, and the query parser on its own."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import update

from server.db.catalog import SqlProductCatalog
from server.db.models import Category
from server.db.query_text import keyword_index, parse_query
from tools.commerce.ports import ProductCatalog

pytestmark = pytest.mark.integration


def _ids(products) -> list[str]:
    return [p.product_id for p in products]


def test_implements_port_and_lists_categories(seeded) -> None:
    catalog = SqlProductCatalog(seeded)
    assert isinstance(catalog, ProductCatalog)
    cats = {c.key: c for c in catalog.categories()}
    assert set(cats) == {"phone", "phone_case", "coffee_beans", "audio", "earphones"}
    assert cats["coffee_beans"].returnable is False
    assert cats["phone_case"].keywords_en == ["case", "cases", "phone case"]


def test_categories_are_cached_until_refresh(seeded) -> None:
    catalog = SqlProductCatalog(seeded)
    assert catalog.category("phone").name_en == "Phones"
    with seeded.begin() as s:
        s.execute(update(Category).where(Category.key == "phone").values(name_en="Mobiles"))
    assert catalog.category("phone").name_en == "Phones"
    catalog.refresh()
    assert catalog.category("phone").name_en == "Mobiles"


def test_category_filter_in_stock_first_then_popularity(seeded) -> None:
    catalog = SqlProductCatalog(seeded)
    # P0002 is more popular but out of stock.
    assert _ids(catalog.search(category="phone")) == ["P0001", "P0002"]
    assert _ids(catalog.search(category="phone", limit=1)) == ["P0001"]


def test_parent_category_includes_children(seeded) -> None:
    catalog = SqlProductCatalog(seeded)
    assert _ids(catalog.search(category="audio")) == ["P0006", "P0007"]
    assert _ids(catalog.search(category="earphones")) == ["P0006"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("huawei", ["P0001", "P0003"]),
        ("HUAWEI case", ["P0003"]),
        ("华为手机壳", ["P0003"]),
        ("我想买华为的保护壳", ["P0003"]),
        ("iphone 16 cases", ["P0004"]),
        ("esr", ["P0004", "P0003"]),
        ("咖啡豆", ["P0005"]),
        ("Starbucks", ["P0005"]),
        ("100% off", ["P0007"]),
        ("%", []),
        ("nothing like this", []),
    ],
)
def test_text_search(seeded, text: str, expected: list[str]) -> None:
    assert _ids(SqlProductCatalog(seeded).search(text=text)) == expected


def test_text_and_category_combine(seeded) -> None:
    catalog = SqlProductCatalog(seeded)
    assert _ids(catalog.search(text="huawei", category="phone")) == ["P0001"]


def test_product_view_fields(seeded) -> None:
    view = SqlProductCatalog(seeded).get("P0003")
    assert view.category == "phone_case" and view.category_zh == "手机壳" and view.category_en == "Phone cases"
    assert view.price == Decimal("39.00") and view.brand == "ESR 亿色" and view.attributes == {"colour": "black"}
    assert SqlProductCatalog(seeded).get("P9999") is None


def test_parse_query_prefers_longest_keywords() -> None:
    index = keyword_index([("phone", ["手机", "phone"]), ("phone_case", ["手机壳", "壳", "phone case", "case"])])
    assert [(t.text, t.categories) for t in parse_query("华为手机壳", index)] == [
        ("手机壳", ("phone_case",)),
        ("华为", ()),
    ]
    assert [t.text for t in parse_query("a red phone case please", index)] == ["phone case", "red"]
    assert [t.text for t in parse_query("壳", index)] == ["壳"]  # single-char keyword only on its own
    assert [t.text for t in parse_query("贝壳", index)] == ["贝壳"]
    assert [t.text for t in parse_query("showcase", index)] == ["showcase"]  # whole words for Latin keywords
