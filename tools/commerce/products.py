"""Product search over the catalog, returning product cards."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from agent.language import localized_name
from agent.protocols import ToolContext, ToolResult
from tools.commerce.ports import ProductCatalog, ProductView


def product_card(product: ProductView, language: str) -> dict[str, Any]:
    return {
        "type": "product",
        "id": product.product_id,
        "title": product.name_zh if language == "zh" else product.name_en,
        "brand": localized_name(product.brand, language),
        "price": f"{product.price:.2f}",
        "currency": "CNY",
        "category": product.category_zh if language == "zh" else product.category_en,
        "in_stock": product.stock > 0,
    }


class ProductSearchTool:
    """Find products by category and/or words of their name."""

    name: ClassVar[str] = "product_search"
    description: ClassVar[str] = "Search the store's products by category key and/or free text (zh or en)."

    class Args(BaseModel):
        category: str | None = Field(default=None, max_length=64)
        text: str | None = Field(default=None, max_length=200)
        limit: int = Field(default=4, ge=1, le=10)

    def __init__(self, catalog: ProductCatalog) -> None:
        self._catalog = catalog

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, self.Args)
        products = await asyncio.to_thread(
            self._catalog.search, text=args.text, category=args.category, limit=args.limit
        )
        return ToolResult(
            data={"product_ids": [p.product_id for p in products], "category": args.category},
            cards=[product_card(p, ctx.language) for p in products],
        )
