"""Product search over the catalog, returning product cards."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from agent.events import RecommendationShown
from agent.language import localized_name
from agent.policy import Decision, Turn
from agent.protocols import Phrasebook, ToolContext, ToolReply, ToolResult
from agent.tooling import BaseTool
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


class ProductSearchTool(BaseTool):
    """Find products by category and/or words of their name; what it shows is recorded as recommended."""

    name: ClassVar[str] = "product_search"
    description: ClassVar[str] = "Search the store's products by category key and/or free text (zh or en)."
    purpose: ClassVar[dict[str, str]] = {"zh": "找商品", "en": "find products"}
    intents: ClassVar[tuple[str, ...]] = ("product_search",)
    llm_words: ClassVar[bool] = False  # the cards speak; the line above them is fixed

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
        ids = [p.product_id for p in products]
        return ToolResult(
            data={"product_ids": ids, "category": args.category},
            cards=[product_card(p, ctx.language) for p in products],
            events=[RecommendationShown(conversation_id=ctx.conversation_id, product_ids=ids, source=self.name)]
            if ids
            else [],
        )

    def plan(self, turn: Turn) -> Decision:
        category = turn.slot("category")
        if category is None:  # (no empathy line before a plain question about what they want)
            return Decision("template", turn.intent, template="ask_product_kind", ask_slot="category")
        return Decision("call_tool", turn.intent, tool=self.name, args={"category": category})

    def reply(self, result: ToolResult, decision: Decision, language: str, say: Phrasebook) -> ToolReply:
        category = (result.cards[0]["category"] if result.cards else None) or say.render("products_generic", language)
        return ToolReply(say.render("products_found" if result.cards else "products_none", language, category=category))
