"""`CrossSellTool`: the one product that goes with what met the customer's need, and "这个和什么搭配" / "what goes
with this".

Two ways in, one ranking (`tools.marketing.crosssell.pick`):

- a follow-up (`follows`): after an order question was answered (`order_status`: the order's items) or a product
  was added to the cart or bought (`product_interacted`), the pipeline asks `follow`, which offers the best
  complementary in-stock product the customer does not own, as one line and an offer card, and records it
  (`OfferMade`, with the rule that chose it) — at most once per need, never the same product twice in a
  conversation, never over the phone (there is no card to act on). Whether an offer may be made at all (the
  customer calm, nobody waiting for a person, nothing asked) is the core's call (`agent.followups`);
- a question (`cross_sell` intent, by its cue words): the best few for the product the customer names, else the
  one they last looked at, added or were shown; recorded as `RecommendationShown`.

What it reads: the shelf and units sold (`ShopperData`), a verified customer's purchases, the conversation's log
(what is in the cart, what was looked at), and the mined rule files (`KEFU_RULES_DIR`, loaded once, lazily;
without any, the catalogue's fit alone).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from agent.events import Event, OfferMade, RecommendationShown
from agent.policy import Decision, Turn
from agent.protocols import EventStore, Need, Phrasebook, ToolContext, ToolReply, ToolResult
from agent.state import DialogueState
from agent.tooling import BaseTool
from tools.commerce.ports import ProductView
from tools.commerce.products import product_card
from tools.marketing.crosssell import Pick, RuleBook, Shelf, rank
from tools.marketing.crosssell.subject import chosen, last_subject, named_product
from tools.marketing.ports import ShopperData
from tools.marketing.recommender.catalogue import ItemInfo

CARD_ACTIONS = ["view", "add_to_cart"]


class CrossSellTool(BaseTool):
    """What goes with a product: offered once a need is met, or asked for."""

    name: ClassVar[str] = "cross_sell"
    description: ClassVar[str] = (
        "Suggest products that go with one product (what customers buy with it, what fits it): the product with "
        "product_id, else the one named in query, else the one the customer looked at or was shown last."
    )
    purpose: ClassVar[dict[str, str]] = {"zh": "推荐搭配商品", "en": "suggest what goes with a product"}
    intents: ClassVar[tuple[str, ...]] = ("cross_sell",)
    refines: ClassVar[tuple[str, ...]] = ("product_search",)
    overrides: ClassVar[tuple[str, ...]] = ("complaint",)  # the intent model hears "what goes with *this*" as one
    follows: ClassVar[tuple[str, ...]] = ("order_status", "product_interacted")
    llm_words: ClassVar[bool] = False  # the cards speak; the line above them is fixed
    cues: ClassVar[dict[str, list[str]]] = {
        "zh": ["搭配", "配什么", "配啥", "配套", "一起买", "一块买", "还需要买什么", "还要买什么"],
        "en": [r"\bgoes? (well )?with\b", r"\bgo (well |together )?with\b", r"\bpairs? (well )?with\b",
               r"\bmatch(es)? (with )?(it|this|that)\b", r"\b(buy|get|need) (along )?with (it|this|that)\b",
               r"\bcomplements?\b", r"\baccessor(y|ies) for\b", r"\bwhat else (do|should|would) i (need|buy|get)\b"],
    }
    templates: ClassVar[dict[str, dict[str, str]]] = {
        "zh": {
            "cross_sell.follow.product_rule": "顺便推荐：买「{anchor}」的顾客常会一起买「{name}」，有需要可以看看。",
            "cross_sell.follow.category_rule": "顺便推荐：买{anchor_category}的顾客常会搭配{category}，"
                                               "比如这款「{name}」。",
            "cross_sell.follow.compatible": "顺便推荐：「{name}」和「{anchor}」很搭，有需要可以看看。",
            "cross_sell.answer": "和「{anchor}」搭配，推荐这些：",
            "cross_sell.none": "暂时没有和「{anchor}」搭配的有货商品。",
            "cross_sell.which": "您想给哪件商品找搭配？告诉我商品名称，或者先点开商品看看。",
        },
        "en": {
            "cross_sell.follow.product_rule": "By the way, customers who buy “{anchor}” often add “{name}”. Take a "
                                              "look if you need one.",
            "cross_sell.follow.category_rule": "By the way, customers who buy {anchor_category} often add "
                                               "{category}, such as “{name}”.",
            "cross_sell.follow.compatible": "By the way, “{name}” goes well with “{anchor}”, in case you need one.",
            "cross_sell.answer": "These go well with “{anchor}”:",
            "cross_sell.none": "I have nothing in stock that goes with “{anchor}” right now.",
            "cross_sell.which": "Which product would you like a match for? Tell me its name, or open its card first.",
        },
    }

    class Args(BaseModel):
        product_id: str | None = Field(default=None, max_length=64, description="The product to match")
        query: str | None = Field(default=None, max_length=200, description="The customer's words naming it")
        limit: int = Field(default=3, ge=1, le=5)

    def __init__(self, data: ShopperData, store: EventStore, *, rules_dir: Path | None = None) -> None:
        self._data = data
        self._store = store
        self._rules = RuleBook(rules_dir)
        self._built: tuple[list[ProductView], Shelf] | None = None  # the shelf built from the last product list

    def warm_up(self) -> None:
        """Load the rule files now (the runtime's start-up), not on the first offer."""
        self._rules.index()

    # --- a follow-up: one offer once a need is met -------------------------------------------------------

    async def follow(self, need: Need, state: DialogueState, ctx: ToolContext) -> ToolResult | None:
        if state.channel == "voice" or not need.products:
            return None
        if any(offer.get("need") == need.key for offer in state.offers):
            return None
        offered = {str(offer.get("offer_id")) for offer in state.offers}
        events = await self._store.load(ctx.conversation_id)

        def ranked() -> tuple[_Inputs, list[Pick]]:
            inputs = self._read(ctx.customer_id, events)
            return inputs, rank(need.products, shelf=inputs.shelf, rules=self._rules.index(), owned=inputs.owned,
                                exclude=offered, popularity=inputs.popularity)

        inputs, picks = await asyncio.to_thread(ranked)
        if not picks:
            return None
        pick = picks[0]
        product = inputs.views[pick.product_id]
        offer = OfferMade(conversation_id=ctx.conversation_id, kind="cross_sell", offer_id=pick.product_id,
                          need=need.key, source=self.name, rule=pick.rule.to_dict() if pick.rule else None)
        card = {**product_card(product, ctx.language), "actions": CARD_ACTIONS, "offer": True}
        return ToolResult(data=self._facts(pick, inputs, ctx.language), cards=[card], events=[offer])

    def follow_reply(self, result: ToolResult, language: str, say: Phrasebook) -> ToolReply:
        data = result.data
        line = say.render(f"cross_sell.follow.{data['basis']}", language, **data)
        return ToolReply(line, [say.term("quick_replies.no_thanks", language)])

    # --- a question: "这个和什么搭配" -----------------------------------------------------------------------

    def plan(self, turn: Turn) -> Decision:
        return turn.call(self.name, {"query": turn.text[:200]}, llm_words=self.llm_words)

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, self.Args)
        inputs = await self._inputs(ctx)
        anchor = args.product_id if args.product_id in inputs.views else None
        if anchor is None and args.query:
            anchor = named_product(args.query, list(inputs.views.values()), owned=inputs.owned,
                                   popularity=inputs.popularity)
        anchor = anchor or (inputs.subject if inputs.subject in inputs.views else None)
        if anchor is None:
            return ToolResult(data={"basis": "which", "product_ids": []})
        picks = await asyncio.to_thread(rank, [anchor], shelf=inputs.shelf, rules=self._rules.index(),
                                        owned=inputs.owned, popularity=inputs.popularity)
        picks = picks[: args.limit]
        ids = [p.product_id for p in picks]
        data = {"basis": "answer" if picks else "none", "product_ids": ids, "anchor_id": anchor,
                "anchor": _name(inputs.views[anchor], ctx.language)}
        events = [RecommendationShown(
            conversation_id=ctx.conversation_id, product_ids=ids, source=self.name,
            personalised=bool(ctx.customer_id and inputs.owned),
            candidates=[{"product_id": p.product_id, "score": p.score, "source": p.source} for p in picks],
        )] if picks else []
        cards = [{**product_card(inputs.views[p.product_id], ctx.language), "actions": CARD_ACTIONS} for p in picks]
        return ToolResult(data=data, cards=cards, events=events)

    def reply(self, result: ToolResult, decision: Decision, language: str, say: Phrasebook) -> ToolReply:
        data = result.data
        return ToolReply(say.render(f"cross_sell.{data['basis']}", language, anchor=data.get("anchor", "")))

    # --- what both read ----------------------------------------------------------------------------------

    async def _inputs(self, ctx: ToolContext) -> _Inputs:
        events = await self._store.load(ctx.conversation_id)
        return await asyncio.to_thread(self._read, ctx.customer_id, events)

    def _read(self, customer_id: str | None, events: list[Event]) -> _Inputs:
        """Blocking: the shop's reads and the shelf's build in one trip to a thread (they were four, and each trip
        costs the event loop a wake-up)."""
        products = self._data.shelf()
        popularity = self._data.popularity()
        bought = self._data.purchases(customer_id) if customer_id else []
        built = self._built
        if built is None or built[0] is not products:  # the source hands the same list until the catalogue is read
            built = self._built = (products, _shelf(products))
        shelf = built[1]
        owned = {pid for basket in bought for pid in basket} | chosen(events)
        return _Inputs({p.product_id: p for p in products}, shelf, popularity, owned, last_subject(events))

    @staticmethod
    def _facts(pick: Pick, inputs: _Inputs, language: str) -> dict[str, Any]:
        product = inputs.views[pick.product_id]
        anchor = inputs.views.get(pick.anchor)
        return {
            "basis": pick.source,
            "product_id": pick.product_id,
            "name": _name(product, language),
            "category": _category(product, language),
            "anchor_id": pick.anchor,
            "anchor": _name(anchor, language) if anchor else pick.anchor,
            "anchor_category": _category(anchor, language) if anchor else "",
        }


@dataclass(frozen=True, slots=True)
class _Inputs:
    """What one request reads: products by id, the shelf with its fit, units sold, what the customer owns (bought
    before or chosen in this conversation), and the product they last looked at."""

    views: Mapping[str, ProductView]
    shelf: Shelf
    popularity: Mapping[str, float]
    owned: set[str]
    subject: str | None


def _shelf(products: list[ProductView]) -> Shelf:
    return Shelf([ItemInfo(p.product_id, p.category, p.stock, p.brand, dict(p.attributes)) for p in products],
                 {p.product_id: float(p.price) for p in products})


def _name(product: ProductView, language: str) -> str:
    return product.name_zh if language == "zh" else product.name_en


def _category(product: ProductView, language: str) -> str:
    return product.category_zh if language == "zh" else product.category_en.lower()
