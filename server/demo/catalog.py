"""The demo store's catalogue: categories with zh/en keywords, brands, colours and ~500 products.

The data is `catalog.json` beside this module (edit it there; one product a line); this module only
loads it into typed, immutable-by-convention objects. Products carry the attributes complements need
(`model`, `compatible_with`, `card_type`, `head_system`, `strap_fit`, `capsule_system`, `fits_inch`),
and their order in the file is their order in the store (ids P0001… are assigned from it).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

CATALOG_FILE = Path(__file__).with_name("catalog.json")


@dataclass(frozen=True, slots=True)
class CategorySpec:
    key: str
    name_zh: str
    name_en: str
    keywords_zh: tuple[str, ...]
    keywords_en: tuple[str, ...]
    returnable: bool = True
    parent: str | None = None


@dataclass(slots=True)
class ProductSpec:
    category: str
    brand: str  # brand key
    name_zh: str
    name_en: str
    price: Decimal
    attributes: dict[str, Any] = field(default_factory=dict)
    description_zh: str = ""
    description_en: str = ""

    @property
    def brand_label(self) -> str:
        en, zh = BRANDS[self.brand]
        return en if en == zh else f"{en} {zh}"


@cache
def _data() -> dict[str, Any]:
    return json.loads(CATALOG_FILE.read_text(encoding="utf-8"))


def _category(raw: dict[str, Any]) -> CategorySpec:
    return CategorySpec(**{**raw, "keywords_zh": tuple(raw["keywords_zh"]), "keywords_en": tuple(raw["keywords_en"])})


CATEGORIES: tuple[CategorySpec, ...] = tuple(_category(c) for c in _data()["categories"])
CATEGORY_KEYS = tuple(c.key for c in CATEGORIES)
NON_RETURNABLE = frozenset(c.key for c in CATEGORIES if not c.returnable)
BRANDS: dict[str, tuple[str, str]] = {key: (en, zh) for key, (en, zh) in _data()["brands"].items()}  # key: (en, zh)
COLOURS: dict[str, str] = dict(_data()["colours"])  # en: zh


def build_catalog() -> list[ProductSpec]:
    """All demo products in the file's order, as fresh objects (callers may annotate them)."""
    return [
        ProductSpec(**{**p, "price": Decimal(p["price"]), "attributes": copy.deepcopy(p["attributes"])})
        for p in _data()["products"]
    ]
