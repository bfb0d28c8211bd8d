"""`ProactiveOfferTool`: an offer the customer did not ask for, at a moment it fits — never on request.

Two moments, both follow-ups of a need just met (`agent.followups`; the core has already checked that the customer
is calm, nobody is waiting for a person and nothing was asked):

- **trade-in** (以旧换新): after a question about returns was answered from the policy documents (`policy_question`,
  topic `returns`) or a return was filed (`request_return`), the running trade-in campaign (kind `trade_in`) the
  customer may have — one they are in the audience of and, for a coupon, may still claim. A coupon comes as a
  claimable card (its "领取 / Claim" action sends the claim in the customer's words), recorded as `OfferMade` kind
  `trade_in`;
- **threshold nudge**: after an order question was answered (`order_status`), when what the customer put in the
  cart in this conversation is close to a spend threshold ("再买¥38就能用满300减50": within `NEAR_SHARE` of it) of a
  campaign that would then save them more than the best one that applies now, recorded as kind `campaign`.

At most one offer per turn and per need (the core asks followers one at a time and hears the first); each campaign
at most once per conversation by this tool. With cross-sell following the same answered order question, this tool
is asked first (`follow_priority`): a cart close to a threshold is about what the customer already chose and saves
them money; it speaks rarely (only then), and the cross-sell is heard otherwise.

The offer's line is a copy variant for the customer's shopper segment (`tools.marketing.campaigns.variants`,
`tools.marketing.segments`), recorded with the offer (`variant`, `segment`). With the offer bandit (`chooser`), the
variants compete with each other and with the other eligible trade-in offers in the same bandit as the offers the
customer asks for: its arms are `offer|variant`, the chosen arm decides the offer and its words, and the offer
records the decision (`OfferMade.policy`) that a claim or a redemption credits. Without one, `pick` chooses (the
segment's own angle by default). Not over the phone (no card to act on).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel

from agent.events import OfferMade
from agent.followups import POLICY_ANSWER
from agent.protocols import EventStore, Need, Phrasebook, ToolContext, ToolError, ToolReply, ToolResult
from agent.state import DialogueState
from agent.tooling import BaseTool
from tools.marketing.campaigns import conversation
from tools.marketing.campaigns.eligibility import CustomerProfile, claim_refusal, offer_refusal
from tools.marketing.campaigns.ports import CampaignStore, reads_of
from tools.marketing.campaigns.rules import Campaign
from tools.marketing.campaigns.thresholds import Line, Progress, best_campaign, progress
from tools.marketing.campaigns.variants import Variant, VariantBook
from tools.marketing.campaigns.wording import offer_text, progress_text, validity_text, yuan
from tools.marketing.claim_tool import claim_words
from tools.marketing.offer_bandit import OfferArm, segment_of
from tools.marketing.offer_serving import OfferChooser
from tools.marketing.segments import HistorySource, Segment, shopper_segment

TRADE_IN = "trade_in"  # the campaign kind of a trade-in (以旧换新) campaign
TRADE_IN_TOPICS = ("returns",)  # documents whose answer a trade-in offer may follow
TRADE_IN_AFTER = ("request_return",)  # tools whose result a trade-in offer may follow
NUDGE_AFTER = ("order_status",)
NEAR_SHARE = Decimal("0.2")  # a cart is close to a threshold when it lacks at most this share of it
# Chooses the variant to show a segment (an offer bandit); without one, the segment's own angle (the first).
VariantPicker = Callable[[Campaign, str, Sequence[Variant]], Variant]


def first_variant(campaign: Campaign, segment: str, variants: Sequence[Variant]) -> Variant:
    return variants[0]


@dataclass(frozen=True, slots=True)
class _Nudge:
    campaign: Campaign
    progress: Progress
    amount: Decimal


class ProactiveOfferTool(BaseTool):
    """Offers at the right moment: a trade-in after returns, a nudge when the cart is close to a threshold."""

    name: ClassVar[str] = "proactive_offer"
    description: ClassVar[str] = "Offers made by the agent after a need was met; never called on request."
    follows: ClassVar[tuple[str, ...]] = (POLICY_ANSWER, *TRADE_IN_AFTER, *NUDGE_AFTER)
    follow_priority: ClassVar[int] = 10  # before cross-sell (see the module docstring)
    llm_words: ClassVar[bool] = False
    templates: ClassVar[dict[str, dict[str, str]]] = {
        "zh": {
            "proactive.trade_in": "顺便一提：{line}。",
            "proactive.trade_in.claim": "需要的话，点券上的“领取”或者说“{claim}”就能领。",
            "proactive.nudge": "顺便提醒：{line}。按您购物车里的商品（¥{amount}）算，{progress}。",
            "proactive.nudge_scoped": "顺便提醒：{line}。按您购物车里参加活动的商品（¥{amount}）算，{progress}。",
        },
        "en": {
            "proactive.trade_in": "By the way: {line}.",
            "proactive.trade_in.claim": "Tap “Claim” on the coupon or say “{claim}” if you'd like it.",
            "proactive.nudge": "By the way: {line}. For what's in your cart (¥{amount}), {progress}.",
            "proactive.nudge_scoped": "By the way: {line}. For the items in your cart that count (¥{amount}), "
                                      "{progress}.",
        },
    }

    class Args(BaseModel):
        pass

    def __init__(self, store: CampaignStore, events: EventStore, variants: VariantBook, *,
                 history: HistorySource | None = None, pick: VariantPicker | None = None,
                 chooser: OfferChooser | None = None, tz: str = "Asia/Shanghai") -> None:
        self._store = store
        self._events = events
        self._variants = variants
        self._history = history
        self._pick = pick or first_variant
        self._chooser = chooser
        self._tz = tz

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        raise ToolError("tool_unavailable", "Proactive offers are made after a need is met, not on request.")

    # --- a follow-up -------------------------------------------------------------------------------------------

    async def follow(self, need: Need, state: DialogueState, ctx: ToolContext) -> ToolResult | None:
        if state.channel == "voice":
            return None
        trade_in = need.source in TRADE_IN_AFTER or (need.source == POLICY_ANSWER and need.topic in TRADE_IN_TOPICS)
        if not trade_in and need.source not in NUDGE_AFTER:
            return None
        made = {(str(o.get("kind")), str(o.get("offer_id"))) for o in state.offers if o.get("source") == self.name}
        await self._variants.start()  # lines the LLM words are written in the background, from now on
        if trade_in:
            return await asyncio.to_thread(self._reading, self._trade_in, need, made, ctx)
        cart = list(state.cart)  # (the log's cart, as state: `conversation.cart`)
        if not cart:
            return None
        return await asyncio.to_thread(self._reading, self._nudge, need, made, ctx, cart)

    def _reading(self, fn: Callable[..., ToolResult | None], *args: Any) -> ToolResult | None:
        """`fn(*args)` with its reads on one connection (`reads_of`)."""
        with reads_of(self._store):
            return fn(*args)

    def follow_reply(self, result: ToolResult, language: str, say: Phrasebook) -> ToolReply:
        data = result.data
        line = data["line"].strip().rstrip("。.!！")
        if data["kind"] == TRADE_IN:
            text = say.render("proactive.trade_in", language, line=line)
            if data.get("claim"):
                text += ("" if language == "zh" else " ") + say.render("proactive.trade_in.claim", language,
                                                                       claim=data["claim"])
                return ToolReply(text, [data["claim"], say.term("quick_replies.no_thanks", language)])
            return ToolReply(text, [say.term("quick_replies.no_thanks", language)])
        key = "proactive.nudge_scoped" if data.get("scoped") else "proactive.nudge"
        return ToolReply(say.render(key, language, line=line, amount=data["amount"], progress=data["progress"]))

    # --- blocking (SQL) ----------------------------------------------------------------------------------------

    def _trade_in(self, need: Need, made: set[tuple[str, str]], ctx: ToolContext) -> ToolResult | None:
        store, now = self._store, ctx.now
        customer = store.profile(ctx.customer_id) if ctx.customer_id else None
        held = store.coupons(ctx.customer_id) if customer is not None and ctx.customer_id else []
        fits = [c for c in conversation.live_campaigns(store)
                if c.kind == TRADE_IN and (TRADE_IN, c.id) not in made
                and offer_refusal(c, customer, now, self._tz) is None
                and (c.rules.type != "coupon" or claim_refusal(c, customer, held, now, self._tz) is None)]
        if not fits:
            return None
        fits.sort(key=lambda c: (c.ends_at, c.id))  # without a bandit, the one that ends first
        campaign, segment, variant, policy = self._choose(fits, customer, ctx)
        lang = ctx.language
        names = self._variants.names()
        offer = offer_text(campaign, names, lang, tz=self._tz)
        data: dict[str, Any] = {"kind": TRADE_IN, "campaign_id": campaign.id, "name": campaign.name(lang),
                                "line": variant.text, "variant": variant.id, "variant_source": variant.source,
                                "segment": segment, "claim": ""}
        if campaign.rules.type == "coupon":
            assert campaign.rules.discount is not None
            data["claim"] = claim_words(campaign, lang)
            card = {"type": "coupon", "id": campaign.id, "campaign_id": campaign.id, "title": campaign.name(lang),
                    "status": "claimable", "offer_kind": TRADE_IN,
                    "discount_text": f"¥{yuan(campaign.rules.discount)}",
                    "discount": f"{campaign.rules.discount:.2f}", "min_spend": f"{campaign.rules.min_spend:.2f}",
                    "currency": "CNY", "description": offer + validity_text(campaign, lang, self._tz),
                    "claim_text": data["claim"]}
        else:
            card = self._offer_card(campaign, offer, "", lang)
        event = OfferMade(conversation_id=ctx.conversation_id, kind=TRADE_IN, offer_id=campaign.id, need=need.key,
                          source=self.name, variant=variant.id, segment=segment, policy=policy)
        return ToolResult(data=data, cards=[card], events=[event])

    def _nudge(self, need: Need, made: set[tuple[str, str]], ctx: ToolContext, cart: list[str]) -> ToolResult | None:
        store, now, lang = self._store, ctx.now, ctx.language
        lines = store.priced(cart)
        if not lines:
            return None
        customer = store.profile(ctx.customer_id) if ctx.customer_id else None
        visible = [c for c in conversation.live_campaigns(store)
                   if c.rules.automatic and offer_refusal(c, customer, now, self._tz) is None]
        nudge = close_threshold(visible, lines, exclude={cid for kind, cid in made if kind == "campaign"})
        if nudge is None:
            return None
        campaign, segment, variant, policy = self._choose([nudge.campaign], customer, ctx)
        names = self._variants.names()
        said = progress_text(campaign.rules, nudge.progress, lang)
        whole = sum((ln.amount for ln in lines), Decimal("0"))
        data = {"kind": "campaign", "campaign_id": campaign.id, "name": campaign.name(lang), "line": variant.text,
                "variant": variant.id, "variant_source": variant.source, "segment": segment,
                "amount": yuan(nudge.amount), "progress": said, "scoped": nudge.amount != whole}
        card = self._offer_card(campaign, offer_text(campaign, names, lang, tz=self._tz),
                                ("——" if lang == "zh" else " — ") + said, lang)
        event = OfferMade(conversation_id=ctx.conversation_id, kind="campaign", offer_id=campaign.id, need=need.key,
                          source=self.name, variant=variant.id, segment=segment, policy=policy)
        return ToolResult(data=data, cards=[card], events=[event])

    def _choose(self, campaigns: Sequence[Campaign], customer: CustomerProfile | None,
                ctx: ToolContext) -> tuple[Campaign, Segment, Variant, dict[str, Any] | None]:
        """The offer and its copy variant: the bandit's arm among every (campaign, variant) when there is a bandit
        (with the decision's record), else the first campaign in `pick`'s variant."""
        history = self._history.history(ctx.customer_id) if self._history and ctx.customer_id else None
        segment = shopper_segment(history)
        options = {c.id: self._variants.variants_for(c, segment, ctx.language) for c in campaigns}
        if self._chooser is None:
            first = campaigns[0]
            return first, segment, self._pick(first, segment, options[first.id]), None
        arms = [OfferArm(c.id, v.id) for c in campaigns for v in options[c.id]]
        choice = self._chooser.choose(segment_of(customer.segments() if customer else None, segment), arms)
        campaign = next(c for c in campaigns if c.id == choice.arm.offer_id)
        variant = next(v for v in options[campaign.id] if v.id == choice.arm.variant)
        return campaign, segment, variant, choice.payload()

    @staticmethod
    def _offer_card(campaign: Campaign, offer: str, progress_said: str, lang: str) -> dict[str, Any]:
        return {"type": "offer", "id": campaign.id, "title": campaign.name(lang), "offer": offer,
                "description": offer + progress_said, "campaign_type": campaign.rules.type,
                "offer_kind": campaign.kind, "ends_at": campaign.ends_at.isoformat()}


def close_threshold(campaigns: Sequence[Campaign], lines: Sequence[Line], *,
                    exclude: Collection[str] = ()) -> _Nudge | None:
    """The threshold campaign the basket is closest to a tier of (lacking at most `NEAR_SHARE` of it), when that
    tier would save more than the best campaign applies now (campaigns do not stack); None if there is none."""
    best = best_campaign(campaigns, lines)
    saving_now = best[1].saving if best else Decimal("0")
    found: tuple[Decimal, _Nudge] | None = None
    for campaign in campaigns:
        if campaign.rules.type != "threshold" or campaign.id in exclude:
            continue
        p = progress(campaign.rules, lines)
        if p.next is None or p.short is None or p.amount <= 0 or p.next.discount <= saving_now:
            continue
        share = p.short / p.next.min_spend
        if share <= NEAR_SHARE and (found is None or share < found[0]):
            found = (share, _Nudge(campaign, p, p.amount))
    return found[1] if found else None
