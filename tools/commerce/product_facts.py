"""A product's fields as facts for a reply: the detail asked for (price, unit price, pack size, stock, colour and
variants, storage, size, what it fits, what is in the box…), read from its attributes and description only, in
zh or en. Nothing here invents a figure: a detail the product does not state is reported as not stated.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from agent.language import localized_name
from tools.commerce.ports import ProductView
from tools.commerce.product_words import tokens

LOW_STOCK = 5  # at or under this many left, say how many

# attribute key -> (zh label, en label); the order is the order key facts are listed in
LABELS: dict[str, tuple[str, str]] = {
    "model": ("型号", "model"),
    "storage": ("存储", "storage"),
    "memory_storage": ("内存+存储", "memory + storage"),
    "cpu": ("处理器", "processor"),
    "screen_inch": ("屏幕", "screen"),
    "capacity": ("容量", "capacity"),
    "power": ("功率", "power"),
    "size": ("规格", "size"),
    "fit": ("佩戴方式", "fit"),
    "type": ("类型", "type"),
    "sensor": ("传感器", "sensor"),
    "card_type": ("卡类型", "card type"),
    "connector": ("接口", "connector"),
    "max_load_kg": ("最大承重", "max load"),
    "fits_inch": ("适合笔记本", "fits laptops up to"),
    "compatible_with": ("适用于", "fits"),
    "capsule_system": ("胶囊系统", "capsule system"),
    "head_system": ("刷头系统", "brush-head system"),
    "value": ("面值", "value"),
}
UNITS: dict[str, tuple[str, str]] = {"screen_inch": ("英寸", " in"), "fits_inch": ("英寸", " in"),
                                     "max_load_kg": ("kg", " kg"), "value": ("元", " yuan")}
# attribute asked -> the attribute keys that answer it
ANSWERED_BY: dict[str, tuple[str, ...]] = {
    "storage": ("storage", "memory_storage", "capacity"),
    "capacity": ("capacity", "storage", "memory_storage", "size"),
    "battery": ("capacity",),
    "size": ("screen_inch", "size", "fits_inch", "max_load_kg"),
    "specs": ("model", "cpu", "memory_storage", "storage", "screen_inch", "sensor", "power", "capacity", "connector"),
    "compatibility": ("compatible_with", "fits_inch", "card_type", "capsule_system", "head_system", "connector"),
    "brand": (),
    "model": ("model",),
}
# attribute asked -> words of a description clause that speaks to it
CLUES: dict[str, str] = {
    "material": r"面料|材质|真皮|皮革|硅胶|铝|碳纤维|不锈钢|尼龙|玻璃|钛|leather|silicone|alumin|carbon|nylon|steel|"
                r"glass|titanium|fabric|water-repellent",
    "in_box": r"含|附|送|配|装|套装|\d+ ?片装|includes?|with|pack|bundle|kit",
    "battery": r"续航|电池|充电|mAh|battery|charg",
    "weight": r"轻|重量|克|kg|\d+ ?g\b|light|weigh",
    "specs": r".",
    "date": r"日期|保质|新鲜|烘焙|roast(ed)? on|best before|fresh",
    "size": r"尺寸|英寸|寸|mm|cm|inch|size",
    "compatibility": r"适用|适配|兼容|支持|fits?|compatible|works? with|made for|support",
}
_PACK = re.compile(r"(\d+(?:\.\d+)?)\s*(kg|g|ml|l)\b|(\d+)\s*(capsules|cups|pods|heads)\b|\((\d+)\)|(\d+)-pack",
                   re.IGNORECASE)
_CLAUSE = re.compile(r"[，。,;；:：!！?？]\s*|\.\s+")


def product_name(p: ProductView, language: str) -> str:
    return p.name_zh if language == "zh" else p.name_en


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def pack(p: ProductView) -> tuple[Decimal, str] | None:
    """How much one unit holds, from its `size` attribute or name: (amount, unit) with unit g, ml or pcs."""
    for text in (str(p.attributes.get("size") or ""), p.name_en):
        m = _PACK.search(text)
        if not m:
            continue
        if m.group(1):
            amount, unit = Decimal(m.group(1)), m.group(2).lower()
            if unit in ("kg", "l"):
                return amount * 1000, "g" if unit == "kg" else "ml"
            return amount, unit
        count = m.group(3) or m.group(5) or m.group(6)
        return Decimal(count), "pcs"
    return None


def unit_price(p: ProductView) -> tuple[Decimal, str] | None:
    """Price per 100 g / 100 ml, or per piece."""
    held = pack(p)
    if held is None or held[0] <= 0:
        return None
    amount, unit = held
    if unit in ("g", "ml"):
        return (p.price / amount * 100).quantize(Decimal("0.01")), f"100{unit}"
    return (p.price / amount).quantize(Decimal("0.01")), "pcs"


def value_text(key: str, value: Any, p: ProductView, language: str) -> str:
    if key == "colour":
        return str(p.attributes.get("colour_zh") or value) if language == "zh" else str(value)
    if isinstance(value, list):
        return ("、" if language == "zh" else ", ").join(str(v) for v in value)
    unit = UNITS.get(key)
    return f"{value}{unit[0] if language == 'zh' else unit[1]}" if unit else str(value)


def key_facts(p: ProductView, language: str, keys: tuple[str, ...] | None = None) -> list[str]:
    """"label value" for the product's attributes (those in `keys`, or every labelled one)."""
    out = []
    for key in keys or tuple(LABELS):
        if key in p.attributes and p.attributes[key] not in (None, "", []):
            label = LABELS.get(key, (key, key))[0 if language == "zh" else 1]
            sep = "：" if language == "zh" else ": "
            out.append(f"{label}{sep}{value_text(key, p.attributes[key], p, language)}")
    return out


def description(p: ProductView, language: str) -> str:
    return (p.description_zh if language == "zh" else p.description_en).strip()


def description_rest(p: ProductView, language: str) -> list[str]:
    """The description's clauses that say more than the product's name."""
    name_words = set(tokens(product_name(p, language)))
    return [c.strip() for c in _CLAUSE.split(description(p, language)) if c.strip()
            and not set(tokens(c)) <= name_words]


def clauses_about(p: ProductView, language: str, attribute: str | None, question: str) -> list[str]:
    """The clauses of the description that speak to the question: its own words, or the attribute's clues."""
    text = description(p, language)
    name_words = set(tokens(product_name(p, language)))
    asked = {t for t in tokens(question) if t not in name_words and len(t) >= 2}
    clue = re.compile(CLUES[attribute], re.IGNORECASE) if attribute in CLUES else None
    out = []
    for clause in _CLAUSE.split(text):
        clause = clause.strip()
        if not clause or set(tokens(clause)) <= name_words:
            continue
        if asked & set(tokens(clause)) or (clue is not None and clue.search(clause)):
            out.append(clause)
    return out


def variant_label(p: ProductView, language: str) -> str:
    parts = [str(p.attributes[k]) for k in ("storage", "memory_storage", "size") if p.attributes.get(k)]
    if p.attributes.get("colour"):
        parts.append(value_text("colour", p.attributes["colour"], p, language))
    return " ".join(parts) or product_name(p, language)


def facts(p: ProductView) -> dict[str, Any]:
    """Plain facts of one product (both languages), for the reply and an LLM's grounding."""
    per = unit_price(p)
    held = pack(p)
    return {
        "product_id": p.product_id,
        "item_no": p.attributes.get("item_no"),
        "name_zh": p.name_zh,
        "name_en": p.name_en,
        "brand": p.brand,
        "price": money(p.price),
        "in_stock": p.stock > 0,
        "low_stock": p.stock if 0 < p.stock <= LOW_STOCK else None,
        "attributes": {k: v for k, v in p.attributes.items() if k != "item_no"},
        "pack": None if held is None else {"amount": str(held[0].normalize()), "unit": held[1]},
        "unit_price": None if per is None else {"price": money(per[0]), "per": per[1]},
        "description_zh": p.description_zh,
        "description_en": p.description_en,
    }


def brand_name(p: ProductView, language: str) -> str:
    return localized_name(p.brand, language)
