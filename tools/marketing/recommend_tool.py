"""`RecommendTool`: "推荐一款手机壳", "有没有类似的", "recommend a phone case", "show me something like this".

The list comes from the recommender (`tools.marketing.recommender`): the trained model file when there is one
(`kefu train recommender`; loaded once, on first use), else a catalogue model (popularity, same category and
brand, what fits what) so a fresh store recommends too. What it is fed:

- the customer's purchases (`ShopperData.purchases`) — only for a verified customer; an anonymous one has no
  history, so the recommender gives popular-and-safe items (no device-specific accessories);
- the in-session signal: the products the customer viewed, clicked, added to the cart or bought in this
  conversation (`ProductInteracted` events), read from the conversation's event log on every request. The log
  is the shared store (PostgreSQL in production), so a request served by another worker sees the same signal
  and the next list changes at once, with no retraining and no worker memory;
- the catalogue's stock and fit (an iPhone 16 owner gets cases that fit an iPhone 16).

Every list is recorded as `RecommendationShown` with each product's score and source signal.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, Field
from scipy import sparse

from agent.events import ProductInteracted, RecommendationShown
from agent.policy import Decision, Turn
from agent.protocols import EventStore, Phrasebook, ToolContext, ToolReply, ToolResult
from agent.tooling import BaseTool
from tools.commerce.ports import ProductView
from tools.commerce.products import product_card
from tools.marketing.ports import ShopperData
from tools.marketing.recommender import Candidate, ItemInfo, Recommender, Weights

log = logging.getLogger(__name__)

# "有没有类似的", "show me something like this": like the product the customer looked at last
SIMILAR = re.compile(
    r"类似|相似|差不多的|同款|同类|像这|这种的|这样的|"
    r"\bsimilar\b|\b(something|anything|one|ones|more|others?) like (this|that|it)\b|\balternatives?\b",
    re.IGNORECASE,
)
SESSION_KINDS = ("viewed", "clicked", "added_to_cart", "purchased")


def catalogue_recommender(products: Sequence[ProductView], sold: Mapping[str, float]) -> Recommender:
    """A recommender from the catalogue alone (no trained model): popularity from units sold, items alike when
    they share a category (and more so a brand), and the catalogue's fit. Its session and history signals
    work like the trained model's, only coarser."""
    items = [p.product_id for p in products]
    n = len(items)
    units = np.array([max(float(sold.get(i, 0.0)), 0.0) for i in items])
    categories = np.array([p.category for p in products], dtype=object)
    brands = np.array([p.brand or f"-{i}" for i, p in enumerate(products)], dtype=object)
    alike = (categories[:, None] == categories[None, :]).astype(np.float32)
    alike += 0.5 * (brands[:, None] == brands[None, :])
    np.fill_diagonal(alike, 0.0)
    return Recommender(
        items=items,
        popularity=(units + 1.0) / (units.sum() + max(n, 1)),
        buyers=units.astype(np.int64),
        propensity=np.zeros(n),  # nothing is known to be bought again: what one owns is not shown again
        similarity=sparse.csr_matrix(alike),
        item_factors=np.zeros((n, 0), dtype=np.float32),
        als_regularization=0.05,
        als_alpha=2.0,
        weights=Weights(popular=1.0, cooccurrence=0.5, compatible=1.0),
        infos=[ItemInfo(p.product_id, p.category, p.stock, p.brand, dict(p.attributes)) for p in products],
        meta={"kind": "catalogue"},
    )


class RecommendTool(BaseTool):
    """Recommend products that fit this customer and what they showed interest in during this conversation."""

    name: ClassVar[str] = "recommend"
    description: ClassVar[str] = (
        "Recommend products for this customer, optionally of one category key, or similar to the product they "
        "looked at last (similar=true). Uses their purchases and what they viewed or added to the cart."
    )
    purpose: ClassVar[dict[str, str]] = {"zh": "推荐商品", "en": "recommend products"}
    intents: ClassVar[tuple[str, ...]] = ("recommend",)
    refines: ClassVar[tuple[str, ...]] = ("product_search",)
    llm_words: ClassVar[bool] = False  # the cards speak; the line above them is fixed
    cues: ClassVar[dict[str, list[str]]] = {
        "zh": ["推荐", "类似", "相似", "差不多的", "同款", "像这"],
        "en": [r"\brecommend", r"\bsuggest", r"\bsimilar\b", r"\balternatives?\b",
               r"\b(something|anything|one|ones|more) like (this|that|it)\b"],
    }
    templates: ClassVar[dict[str, dict[str, str]]] = {
        "zh": {
            "recommend.personal": "根据您的购买记录，为您推荐这些{category}：",
            "recommend.session": "根据您刚才看过的商品，为您推荐这些{category}：",
            "recommend.popular": "这些{category}很受欢迎，推荐给您：",
            "recommend.similar": "和「{anchor}」相似的{category}：",
            "recommend.none": "暂时没有合适的{category}可以推荐，换个品类看看？",
        },
        "en": {
            "recommend.personal": "Based on what you've bought, you may like these {category}:",
            "recommend.session": "Based on what you just looked at, you may like these {category}:",
            "recommend.popular": "These {category} are popular right now:",
            "recommend.similar": "Similar to “{anchor}”, you may like these {category}:",
            "recommend.none": "I have no {category} to recommend right now. Try another kind of product?",
        },
    }

    class Args(BaseModel):
        category: str | None = Field(default=None, max_length=64)
        similar: bool = False  # like the product the customer viewed last (or was shown last)
        limit: int = Field(default=4, ge=1, le=10)

    def __init__(self, data: ShopperData, store: EventStore, *, model_path: Path | None = None) -> None:
        self._data = data
        self._store = store
        self._model_path = model_path
        self._model: Recommender | None = None
        self._lock = threading.Lock()

    # --- the model: loaded once, on first use -----------------------------------------------------------

    def model(self) -> Recommender:
        """The trained model from `model_path` when the file exists, else the catalogue model (blocking)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def warm_up(self) -> None:
        """Load the model now (the runtime's start-up), not on the first recommendation."""
        self.model()

    def _load(self) -> Recommender:
        path = self._model_path
        if path is not None and Path(path).with_suffix(".npz").exists():
            try:
                model = Recommender.load(Path(path))
                log.info("recommender: loaded %s (%d items)", path, len(model.items))
                return model
            except (OSError, ValueError, KeyError) as exc:  # a damaged or outdated file: say so, still serve
                log.warning("recommender: cannot load %s (%s); using the catalogue model", path, exc)
        model = catalogue_recommender(self._data.shelf(), self._data.popularity())
        log.info("recommender: no trained model; catalogue model over %d products", len(model.items))
        return model

    # --- one request ------------------------------------------------------------------------------------

    async def session(self, conversation_id: str) -> tuple[list[str], list[str]]:
        """(products interacted with in this conversation, oldest first; the last list shown)."""
        interest: dict[str, None] = {}
        shown: list[str] = []
        for event in await self._store.load(conversation_id):
            if isinstance(event, ProductInteracted) and event.kind in SESSION_KINDS:
                interest.pop(event.product_id, None)
                interest[event.product_id] = None
            elif isinstance(event, RecommendationShown) and event.product_ids:
                shown = list(event.product_ids)
        return list(interest), shown

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, self.Args)
        model = await asyncio.to_thread(self.model)
        shelf = {p.product_id: p for p in await asyncio.to_thread(self._data.shelf)}
        history = await asyncio.to_thread(self._data.purchases, ctx.customer_id) if ctx.customer_id else []
        interest, shown = await self.session(ctx.conversation_id)
        category = args.category
        anchor = None
        if args.similar:
            anchor = next((shelf[p] for p in reversed(interest or shown[:1]) if p in shelf), None)
            if anchor is not None and category is None:
                category = anchor.category
        session = [*interest, *([anchor.product_id] if anchor is not None else [])]
        candidates = await asyncio.to_thread(
            model.recommend, history, k=args.limit + len(session), category=category, session=session,
            stock={pid: p.stock for pid, p in shelf.items()},
        )
        seen = set(session)
        picked: list[tuple[Candidate, ProductView]] = [
            (c, shelf[c.item]) for c in candidates if c.item in shelf and c.item not in seen
        ][: args.limit]
        ids = [p.product_id for _, p in picked]
        personalised = bool(ctx.customer_id and any(history))
        basis = ("similar" if anchor is not None else "session" if interest
                 else "personal" if personalised else "popular")
        data: dict[str, Any] = {"product_ids": ids, "category": category, "basis": basis,
                                "anchor": _name(anchor, ctx.language) if anchor is not None else None}
        events = [
            RecommendationShown(
                conversation_id=ctx.conversation_id, product_ids=ids, source=self.name, personalised=personalised,
                candidates=[{"product_id": c.item, "score": c.score, "source": c.source} for c, _ in picked],
            )
        ] if ids else []
        cards = [{**product_card(p, ctx.language), "actions": ["view", "add_to_cart"]} for _, p in picked]
        return ToolResult(data=data, cards=cards, events=events)

    def plan(self, turn: Turn) -> Decision:
        args: dict[str, Any] = {"similar": bool(SIMILAR.search(turn.text))}
        category = turn.slot("category")
        if category is not None:
            args["category"] = category
        return turn.call(self.name, args, llm_words=self.llm_words)

    def reply(self, result: ToolResult, decision: Decision, language: str, say: Phrasebook) -> ToolReply:
        generic = say.render("products_generic", language)
        category = (result.cards[0]["category"] if result.cards and result.data.get("category") else None) or generic
        if language == "en":
            category = category.lower()  # mid-sentence: "these phone cases"
        if not result.cards:
            return ToolReply(say.render("recommend.none", language, category=category))
        key = f"recommend.{result.data.get('basis') or 'popular'}"
        return ToolReply(say.render(key, language, category=category, anchor=result.data.get("anchor") or ""))


def _name(product: ProductView, language: str) -> str:
    return product.name_zh if language == "zh" else product.name_en
