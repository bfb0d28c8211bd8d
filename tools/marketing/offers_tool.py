"""`OffersTool`: "有什么优惠", "what deals do you have", "满300减50怎么用", "新人券怎么用".

The offers that are really the customer's: running campaigns they are in (threshold, percent off), coupons
they hold, and coupons they may claim — each with how far their basket is from it, the basket being the cart
they filled in this conversation or else their last order ("再买¥37就能用满300减50"). An anonymous visitor
sees public campaigns only (and is told that coupons need signing in). The answer cites the store's coupon
rules; questions about those rules themselves (stacking, expiry, refunds) are answered from the documents.

Every campaign and claimable coupon shown is recorded as `OfferMade` (kind `campaign` or `coupon`): with the
claims (`CouponIssued`) and redemptions it is the marketing outcome log. Which offer goes first is the offer
bandit's choice among the live eligible offers (`tools.marketing.offer_serving.OfferChooser`), logged with its
propensity in `OfferMade.policy`; a customer in a running experiment of a campaign gets their arm's threshold,
offer or copy variant (recorded once as `ExperimentAssigned`); a campaign with a dynamic threshold shows the
level in force, and each offer records it.

With a `VariantBook`, each offer is worded by a copy variant of the customer's shopper segment
(`tools.marketing.campaigns.variants`: a limited-time angle for the price-sensitive, what the product is for the
quality-sensitive), and the variants compete in the same bandit as the offers: its arms are `offer|variant`, so the
chosen arm decides both which offer goes first and the words it is put in; the others keep the variant the
posterior ranks highest for them. The variant shown is recorded on the offer (`OfferMade.variant`, `.segment`) and in
its policy's arm, which is what claims and redemptions credit. The plain variant's template says what the tool's own
line says, so that line stays; another angle, or a line the LLM wrote, replaces it.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from agent.events import Event, ExperimentAssigned, OfferMade
from agent.policy import Decision, Turn
from agent.protocols import EventStore, Phrasebook, Retriever, ToolContext, ToolReply, ToolResult
from agent.tooling import BaseTool
from tools.commerce.price_words import PriceAsk, price_ask
from tools.commerce.product_shelf import ProductShelf
from tools.commerce.product_words import DEICTIC
from tools.marketing.campaigns import conversation
from tools.marketing.campaigns.eligibility import (
    CustomerProfile,
    HeldCoupon,
    Refusal,
    claim_refusal,
    offer_refusal,
)
from tools.marketing.campaigns.linked import is_new_customer_offer, linked_refusal
from tools.marketing.campaigns.ports import Basket, CampaignStore, reads_of
from tools.marketing.campaigns.rules import Campaign, CampaignRules
from tools.marketing.campaigns.thresholds import Line, after_discount, best_campaign, progress
from tools.marketing.campaigns.variants import Variant, VariantBook, template_line
from tools.marketing.campaigns.wording import Names, day, offer_text, progress_text, validity_text, yuan
from tools.marketing.campaigns.words import named_campaigns
from tools.marketing.experiments.placing import Placement, applied, place
from tools.marketing.experiments.ports import ExperimentStore
from tools.marketing.insight.identity_ports import LinkedAccounts
from tools.marketing.offer_bandit import Choice, OfferArm, segment_of
from tools.marketing.offer_serving import OfferChooser
from tools.marketing.price_talk import POLICY, TEMPLATES, price_reply, sale_scope
from tools.marketing.segments import HistorySource, shopper_segment

MAX_OFFERS = 6  # lines in one answer (the cards carry the same)
SNIPPET_CHARS = 160
CITATIONS_KEPT = 256  # (query, language, document) citations kept: a few rules, each asked in zh and en
# Questions about the coupon rules themselves go to the documents: can coupons stack, do they expire, come back
# after a refund, turn into cash.
RULE_QUESTION = re.compile(
    r"叠加|一起用|同时用|一块用|合并使用|过期|补发|补一张|重发|延期|延长|退回|退还|退款|退货|退了|兑换|换现金|提现|礼品卡|价保|"
    r"价格保护|还能.{0,4}用.{0,2}券|再用.{0,2}券|"
    r"\bstack|\bcombine|\btogether\b|\bexpir|\bresend|\breissue|\bextend|\brefund|\breturn|\bcash\b|\bgift cards?\b|"
    r"\bprice protection\b|\bstill use\b",
    re.IGNORECASE,
)

WHO = {"zh": {"new_customer": "新客户", "returning": "老客户", "regular": "普通会员", "silver": "银卡会员",
              "gold": "金卡会员", "platinum": "铂金会员", "join": "、"},
       "en": {"new_customer": "new customers", "returning": "returning customers", "regular": "Regular members",
              "silver": "Silver members", "gold": "Gold members", "platinum": "Platinum members", "join": ", "}}


@dataclass(slots=True)
class _Shown:
    """What one answer shows: lines of text, cards, the events they record, and the claimable coupons."""

    lines: list[str] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    claimable: list[str] = field(default_factory=list)  # names, for the quick replies
    automatic_named: bool = False
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # offer id -> its OfferMade.policy
    copy: dict[str, Variant] = field(default_factory=dict)  # offer id -> the copy variant it is worded by
    shopper: str = ""  # the shopper segment the copy is for ("" without copy variants)
    copy_options: dict[str, list[Variant]] = field(default_factory=dict)  # offer id -> the variants that compete


def coupon_rules(coupon: HeldCoupon, campaign: Campaign | None) -> CampaignRules:
    """A held coupon's terms with its campaign's scope (a coupon under a 满减 campaign keeps its exclusions)."""
    scope: dict[str, Any] = {}
    if campaign is not None:
        r = campaign.rules
        scope = {"categories": r.categories, "products": r.products, "exclude_categories": r.exclude_categories,
                 "exclude_products": r.exclude_products}
    return CampaignRules.model_construct(type="coupon", tiers=[], percent_off=None, discount=coupon.discount,
                                         min_spend=coupon.min_spend, valid_days=None, day_of_month=None,
                                         keywords=[], **{"categories": [], "products": [], "exclude_categories": [],
                                                         "exclude_products": [], **scope})


def who_text(segments: list[str], language: str) -> str:
    words = WHO["zh" if language == "zh" else "en"]
    return words["join"].join(words[s] for s in segments if s in words)


class OffersTool(BaseTool):
    """The customer's offers and coupons, with the threshold arithmetic done for them; price talk ("能便宜点吗",
    "price match?", "is this on sale today") gets the store's rule on prices with them (`tools.marketing.price_talk`)
    and, for a product named or just shown, the campaigns that count it."""

    name: ClassVar[str] = "offers"
    description: ClassVar[str] = (
        "List the promotions and coupons this customer can use now, with how much more their cart (or last "
        "order) needs for each threshold. Optionally name the campaign or tier asked about (topic)."
    )
    purpose: ClassVar[dict[str, str]] = {"zh": "查优惠活动和优惠券", "en": "show deals and coupons"}
    intents: ClassVar[tuple[str, ...]] = ("coupon_question",)
    llm_words: ClassVar[bool] = False  # figures and eligibility are the reply; the cards carry the same
    cues: ClassVar[dict[str, list[str]]] = {
        "zh": ["优惠", "满减", "促销", "折扣", "打折", "优惠券"],
        "en": [r"\bdeals?\b", r"\boffers?\b", r"\bpromotions?\b", r"\bcoupons?\b", r"\bvouchers?\b", r"\bon sale\b"],
    }
    templates: ClassVar[dict[str, dict[str, str]]] = {
        "zh": {
            "offers.intro_cart": "按您购物车里的商品（¥{amount}）算：",
            "offers.intro_order": "按您上一单（{order_id}，¥{amount}）算：",
            "offers.intro": "现在有这些优惠：",
            "offers.intro_public": "现在有这些公开活动（登录后可以看到您专属的优惠和券）：",
            "offers.line": "· {name}：{offer}{progress}",
            "offers.held": "· 您的券「{name}」：{offer}，券码{code}，{expires}到期{progress}",
            "offers.claimable": "· 可领取「{name}」：{offer}{validity}{progress}",
            "offers.line_copy": "· {line}{progress}",
            "offers.claimable_copy": "· 可领取：{line}{progress}",
            "offers.unavailable": "· {name}：{offer}——{reason}",
            "offers.progress": "——{text}",
            "offers.automatic": "满减和折扣在结算时自动计算，不用领券。",
            "offers.claim_hint": "说“领取{name}”就能领券。",
            "offers.sign_in_hint": "优惠券需要登录后领取。",
            "offers.none": "现在没有您可以参加的活动，也没有可用的券。",
            "offers.claim_quick": "领取{name}",
            "offers.why.campaign_paused": "活动暂停中",
            "offers.why.campaign_ended": "已于{ends}结束",
            "offers.why.campaign_not_started": "{starts}开始",
            "offers.why.campaign_not_today": "只在每月{day}日",
            "offers.why.campaign_not_for_you": "仅限{who}",
            "offers.why.sign_in": "登录后才能看是否适用",
            "offers.why.campaign_budget_exhausted": "已经发完了",
            "offers.why.coupon_already_claimed": "您已经领过了（券码{code}）",
            "offers.why.coupon_linked_account": "您的账户与已领过新人券的账户相关联，每组限领一张",
        },
        "en": {
            "offers.intro_cart": "For what's in your cart (¥{amount}):",
            "offers.intro_order": "Based on your last order ({order_id}, ¥{amount}):",
            "offers.intro": "Here's what's on now:",
            "offers.intro_public": "Here are our public deals (sign in to see your own offers and coupons):",
            "offers.line": "• {name}: {offer}{progress}",
            "offers.held": "• Your coupon “{name}”: {offer}, code {code}, expires {expires}{progress}",
            "offers.claimable": "• You can claim “{name}”: {offer}{validity}{progress}",
            "offers.line_copy": "• {line}{progress}",
            "offers.claimable_copy": "• Yours to claim: {line}{progress}",
            "offers.unavailable": "• {name}: {offer} — {reason}",
            "offers.progress": " — {text}",
            "offers.automatic": "Spend-and-save and percentage discounts apply automatically at checkout; there's "
                                "nothing to claim.",
            "offers.claim_hint": "Say “claim {name}” to get the coupon.",
            "offers.sign_in_hint": "Coupons can be claimed once you're signed in.",
            "offers.none": "There are no deals or coupons for you right now.",
            "offers.claim_quick": "Claim {name}",
            "offers.why.campaign_paused": "paused for now",
            "offers.why.campaign_ended": "ended on {ends}",
            "offers.why.campaign_not_started": "starts on {starts}",
            "offers.why.campaign_not_today": "only on day {day} of each month",
            "offers.why.campaign_not_for_you": "for {who} only",
            "offers.why.sign_in": "sign in to see whether it applies to you",
            "offers.why.campaign_budget_exhausted": "all given out",
            "offers.why.coupon_already_claimed": "you already claimed it (code {code})",
            "offers.why.coupon_linked_account": "this account is linked to one that already had a new-customer coupon",
        },
    }

    templates = {lang: {**own, **TEMPLATES[lang]} for lang, own in templates.items()}

    class Args(BaseModel):
        topic: str | None = Field(default=None, max_length=200)  # the campaign or tier asked about, if any
        ask: PriceAsk | None = None  # price talk: haggle, price_change, loyal, price_match, in_sale, shipping_fee
        product_ids: list[str] = Field(default_factory=list, max_length=3)  # the products a price ask is about

    def __init__(self, store: CampaignStore, events: EventStore, *, retriever: Retriever | None = None,
                 policy_doc: str | None = "coupons", tz: str = "Asia/Shanghai", chooser: OfferChooser | None = None,
                 experiments: ExperimentStore | None = None, variants: VariantBook | None = None,
                 history: HistorySource | None = None, shelf: ProductShelf | None = None,
                 linked: LinkedAccounts | None = None) -> None:
        self._store = store
        self._linked = linked  # a welcome coupon a linked account already had is not offered as claimable
        self._variants = variants
        self._history = history
        self._shelf = shelf
        self._events = events
        self._retriever = retriever
        self._policy_doc = policy_doc
        self._tz = tz
        self._chooser = chooser
        self._experiments = experiments
        # the citation of each (query, language, document): the policy documents do not change while the retriever
        # serves (it is loaded once), and most answers cite the same rule, so each answer need not search again
        self._citations: OrderedDict[tuple[str, str, str | None], list[dict[str, Any]]] = OrderedDict()
        self._citations_lock = threading.Lock()

    def recognises(self, turn: Turn) -> bool:
        """Price talk is ours whatever intent was read in it ("改价" is no refund, "price match?" no policy
        question); "is it on sale?" only about a product named or in view (else it is a plain question for deals)."""
        return self._price_talk(turn) is not None

    def _price_talk(self, turn: Turn) -> tuple[PriceAsk, list[str]] | None:
        """The price ask of this turn and the products it is about; None when it is none, asks about the coupon
        rules themselves (the documents answer), or asks whether something is on sale naming no product."""
        ask = price_ask(turn.text)
        if ask is None or (RULE_QUESTION.search(turn.text) and ask != "price_match"):
            return None
        products = self._products_asked(turn)
        return (ask, products) if ask != "in_sale" or products else None

    def _products_asked(self, turn: Turn) -> list[str]:
        """The products a price ask is about: those it names, else the ones just shown when it points at them."""
        snap = self._shelf.current() if self._shelf is not None else None
        named = snap.named(turn.text) if snap is not None else []
        if named:
            return [p.product_id for p in named][:3]
        focus = list(turn.state.focus_products)
        return focus[:1] if focus and DEICTIC.search(turn.text) else []

    def plan(self, turn: Turn) -> Decision:
        """Price talk gets the store's rule and the customer's offers; a question about the coupon rules
        themselves is answered from the documents; anything else about deals gets the customer's offers."""
        talk = self._price_talk(turn)
        if talk is not None:
            return turn.call(self.name, {"topic": turn.text[:200], "ask": talk[0], "product_ids": talk[1]},
                             llm_words=self.llm_words)
        if RULE_QUESTION.search(turn.text):
            return Decision("answer_kb", turn.intent, query=turn.text, empathy=turn.empathy, llm_words=True)
        return turn.call(self.name, {"topic": turn.text[:200]}, llm_words=self.llm_words)

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, self.Args)
        # the cart the turn began with, else from the log
        cart = (list(ctx.cart) if ctx.cart is not None
                else conversation.cart(await self._events.load(ctx.conversation_id)))
        if self._variants is not None:
            await self._variants.start()  # lines the LLM words are written in the background, from now on
        return await asyncio.to_thread(self._answer, args, ctx, cart)

    # --- the answer, blocking (SQL) ----------------------------------------------------------------------

    def _answer(self, args: Args, ctx: ToolContext, cart: list[str]) -> ToolResult:
        """The offers and their citation in one trip to a thread (each trip costs the loop a wake-up), the offers' reads
        on one connection."""
        with reads_of(self._store):
            result = self._offers(args, ctx, cart)
        if self._retriever is not None and args.ask:  # the store's rule on prices (or on shipping fees)
            doc, queries = POLICY.get(args.ask, POLICY["*"])
            result.citations = self._cite(queries["zh" if ctx.language == "zh" else "en"], ctx.language, doc)
        elif self._retriever is not None and self._policy_doc:
            result.citations = self._cite(args.topic or "优惠券 coupons", ctx.language)
        return result

    def _offers(self, args: Args, ctx: ToolContext, cart_ids: list[str]) -> ToolResult:
        lang, now, store = ctx.language, ctx.now, self._store
        campaigns = conversation.live_campaigns(store)
        customer = store.profile(ctx.customer_id) if ctx.customer_id else None
        held = store.coupons(ctx.customer_id) if customer else []
        basket: Basket | None = Basket(store.priced(cart_ids)) if cart_ids else None
        if basket is None and customer is not None:
            basket = store.last_order(customer.customer_id)
        lines = basket.lines if basket else []
        names = store.category_names()
        named = {c.id for c in named_campaigns(args.topic or "", campaigns)}
        visible = [c for c in campaigns if offer_refusal(c, customer, now, self._tz) is None]
        shown = _Shown()
        placements = self._place(visible, customer, ctx, shown)
        visible = [applied(c, placements.get(c.id)) for c in visible]
        refusals = {c.id: claim_refusal(c, customer, held, now, self._tz) for c in visible if c.rules.type == "coupon"}
        if customer is not None and self._linked is not None:
            newcomer = [c for c in visible if c.id in refusals and refusals[c.id] is None and is_new_customer_offer(c)]
            linked = self._linked.linked_to(customer.customer_id) if newcomer else ()
            for c in newcomer:
                refusals[c.id] = linked_refusal(c, linked, store.coupons, {c.id for c in campaigns
                                                                           if is_new_customer_offer(c)})
        offered = [c for c in visible if c.rules.automatic
                   or (c.id in refusals and (refusals[c.id] is None or refusals[c.id].code == "coupon_needs_sign_in"))]
        self._word(offered, customer, placements, lang, shown)
        choice = self._choose(offered, customer, placements, shown)
        rank = {a.offer_id: i for i, a in enumerate(choice.ordered)} if choice else {}
        visible.sort(key=lambda c: (c.id not in named, rank.get(c.id, len(rank)), c.starts_at))
        self._lead_copy(choice, visible, shown)
        best = best_campaign(visible, lines) if lines else None
        net = after_discount(lines, best[0].rules, best[1].saving) if best else lines

        def automatic() -> None:
            for c in visible:
                if c.rules.automatic:
                    self._automatic(c, lines, names, lang, shown, ctx)
                    shown.automatic_named |= c.id in named

        def coupons() -> None:
            for c in visible:
                if c.id in refusals:
                    refusal = refusals[c.id]
                    if refusal is None or refusal.code == "coupon_needs_sign_in":
                        self._claimable(c, net, bool(best), names, lang, shown, ctx, basket is not None)
                    elif c.id in named and refusal.code != "coupon_already_claimed":
                        shown.lines.append(self._unavailable(c, refusal, names, lang))

        coupon_first = (choice is not None and not named and next((c for c in visible if c.id == choice.arm.offer_id),
                                                                    visible[0]).rules.type == "coupon")
        if coupon_first:  # the offer chosen to go first is a coupon to claim
            coupons()
            automatic()
            self._held(held, campaigns, net, bool(best), names, lang, now, shown)
        else:
            automatic()
            self._held(held, campaigns, net, bool(best), names, lang, now, shown)
            coupons()
        for c in campaigns:  # named but not for them now: say why
            if c.id in named and c not in visible:
                refusal = offer_refusal(c, customer, now, self._tz)
                assert refusal is not None
                shown.lines.append(self._unavailable(c, refusal, names, lang))
        data: dict[str, Any] = {
            "signed_in": customer is not None,
            "basis": None if basket is None else ("last_order" if basket.order_id else "cart"),
            "basis_amount": f"{sum((ln.amount for ln in lines), Decimal('0')):.2f}",
            "order_id": basket.order_id if basket else None,
            "lines": shown.lines[:MAX_OFFERS],
            "claimable": shown.claimable,
            "automatic_named": shown.automatic_named,
            "offers": [c["id"] for c in shown.cards],
            "first": choice.arm.key if choice else None,  # the offer (and copy variant) chosen to go first
            "variants": {p.experiment.campaign_id: p.arm.variant for p in placements.values() if p.arm.variant},
            "copy": {cid: v.id for cid, v in shown.copy.items()},  # offer -> the copy variant it was worded by
            "shopper": shown.shopper,
            "ask": args.ask,
            "scope": self._scope(args.product_ids, visible, names, lang) if args.ask == "in_sale" else [],
        }
        return ToolResult(data=data, cards=shown.cards, events=shown.events)

    # --- which offer first, experiments ------------------------------------------------------------------

    def _place(self, visible: list[Campaign], customer: CustomerProfile | None, ctx: ToolContext,
               shown: _Shown) -> dict[str, Placement]:
        """The customer's arms in the running experiments of the campaigns shown (new ones recorded)."""
        if self._experiments is None or customer is None:
            return {}
        placements = place(self._experiments, visible, customer, ctx.conversation_id, ctx.now)
        for p in placements.values():
            if p.new:
                shown.events.append(ExperimentAssigned(conversation_id=ctx.conversation_id,
                                                       experiment_id=p.experiment.id, arm=p.arm.key,
                                                       customer_id=customer.customer_id, stratum=p.stratum,
                                                       campaign_id=p.experiment.campaign_id))
        return placements

    def _word(self, offered: list[Campaign], customer: CustomerProfile | None, placements: dict[str, Placement],
              lang: str, shown: _Shown) -> None:
        """The copy variants each offer may be worded by (the segment's own angle first); an experiment arm that
        sets the variant leaves that one alone."""
        if self._variants is None or not offered:
            return
        history = self._history.history(customer.customer_id) if self._history and customer else None
        shown.shopper = shopper_segment(history)
        for c in offered:
            options = self._variants.variants_for(c, shown.shopper, lang)
            pinned = placements[c.id].arm.variant if c.id in placements else ""
            if pinned:
                found = [v for v in options if v.id == pinned]
                options = found or [Variant(pinned, c.id, shown.shopper, lang, template_line(
                    c, pinned, lang, self._variants.names(), tz=self._tz), "template")]
            shown.copy_options[c.id] = options

    def _choose(self, offered: list[Campaign], customer: CustomerProfile | None, placements: dict[str, Placement],
                shown: _Shown) -> Choice | None:
        """The bandit's order of the offers (an experiment arm that names an offer puts it first), and each
        offer's policy record."""
        for c in offered:
            record: dict[str, Any] = {}
            if c.rules.dynamic_threshold is not None or (c.id in placements and placements[c.id].arm.threshold):
                record["threshold"] = f"{c.rules.threshold:.2f}"
            if c.id in placements:
                record["experiment"] = placements[c.id].payload()
            if record:
                shown.policies[c.id] = record
        if self._chooser is None or not offered:
            return None
        arms = [OfferArm(c.id, v.id) for c in offered for v in shown.copy_options[c.id]] if shown.copy_options else [
            OfferArm(c.id, placements[c.id].arm.variant if c.id in placements else "") for c in offered]
        choice = self._chooser.choose(segment_of(customer.segments() if customer else None, shown.shopper or None),
                                      arms).by_offer()
        if shown.copy_options:  # only the lead offer is worded by its variant; the rest of the list plainly
            choice = Choice(choice.segment, [choice.ordered[0], *(self._plain(a, shown) for a in choice.ordered[1:])],
                            choice.propensity, choice.arms, choice.distribution)
        pinned = next((p.arm.offer_id for p in placements.values() if p.arm.offer_id), None)
        first = next((a for a in choice.ordered if a.offer_id == pinned), None)
        for arm in choice.ordered:
            payload = choice.payload_for(arm)
            if first is not None:  # the experiment chose the first offer, not the bandit: nothing for it to learn
                payload = {**payload, "name": "experiment", "rank": [first, *(a for a in choice.ordered
                                                                              if a != first)].index(arm)}
            shown.policies[arm.offer_id] = {**payload, **shown.policies.get(arm.offer_id, {})}
        if first is not None:
            return Choice(choice.segment, [first, *(a for a in choice.ordered if a != first)], 1.0, choice.arms,
                          choice.distribution)
        return choice

    def _progress(self, rules: CampaignRules, lines: list[Line], lang: str, *, net: bool = False,
                  has_basket: bool = True) -> str:
        if not has_basket:
            return ""
        return self._say(lang, "offers.progress", text=progress_text(rules, progress(rules, lines), lang, net=net))

    def _automatic(self, c: Campaign, lines: list[Line], names: Names, lang: str, shown: _Shown,
                   ctx: ToolContext) -> None:
        offer = offer_text(c, names, lang)
        said = self._progress(c.rules, lines, lang, has_basket=bool(lines))
        copy = self._copy(c, shown)
        if copy is None:
            shown.lines.append(self._say(lang, "offers.line", name=c.name(lang), offer=offer, progress=said))
        else:
            shown.lines.append(self._say(lang, "offers.line_copy", line=copy, progress=said))
        shown.cards.append({"type": "offer", "id": c.id, "title": c.name(lang), "offer": offer,
                            "description": offer + said, "campaign_type": c.rules.type,
                            "ends_at": c.ends_at.isoformat(), **self._copy_fields(c, shown)})
        shown.events.append(OfferMade(conversation_id=ctx.conversation_id, kind="campaign", offer_id=c.id,
                                      need="offers_asked", source=self.name, policy=shown.policies.get(c.id),
                                      **self._variant_fields(c, shown)))

    def _held(self, held: list[HeldCoupon], campaigns: list[Campaign], net: list[Line], netted: bool,
              names: Names, lang: str, now: datetime, shown: _Shown) -> None:
        by_id = {c.id: c for c in campaigns}
        for coupon in sorted((h for h in held if h.usable(now)), key=lambda h: h.expires_at):
            campaign = by_id.get(coupon.campaign_id or "")
            if campaign is None and coupon.campaign_id:
                row = self._store.campaign(coupon.campaign_id)
                found = conversation.campaigns_from([row]) if row else []
                campaign = found[0] if found else None
            rules = coupon_rules(coupon, campaign)
            name = campaign.name(lang) if campaign else coupon.code
            offer = offer_text(Campaign.model_construct(rules=rules, segments=[]), names, lang)
            said = self._progress(rules, net, lang, net=netted, has_basket=bool(net))
            expires = day(coupon.expires_at, lang, self._tz)
            shown.lines.append(self._say(lang, "offers.held", name=name, offer=offer, code=coupon.code,
                                         expires=expires, progress=said))
            shown.cards.append({"type": "coupon", "id": coupon.code, "code": coupon.code,
                                "campaign_id": coupon.campaign_id, "title": name, "status": "held",
                                "discount_text": f"¥{yuan(coupon.discount)}", "discount": f"{coupon.discount:.2f}",
                                "min_spend": f"{coupon.min_spend:.2f}", "currency": "CNY",
                                "expires_at": coupon.expires_at.isoformat(), "description": offer + said})

    def _claimable(self, c: Campaign, net: list[Line], netted: bool, names: Names, lang: str, shown: _Shown,
                   ctx: ToolContext, has_basket: bool) -> None:
        assert c.rules.discount is not None
        offer = offer_text(c, names, lang)
        validity = validity_text(c, lang, self._tz)
        said = self._progress(c.rules, net, lang, net=netted, has_basket=has_basket and bool(net))
        copy = self._copy(c, shown)
        if copy is None:
            shown.lines.append(self._say(lang, "offers.claimable", name=c.name(lang), offer=offer, validity=validity,
                                         progress=said))
        else:
            shown.lines.append(self._say(lang, "offers.claimable_copy", line=copy, progress=said))
        shown.claimable.append(c.name(lang))
        shown.cards.append({"type": "coupon", "id": c.id, "campaign_id": c.id, "title": c.name(lang),
                            "status": "claimable", "discount_text": f"¥{yuan(c.rules.discount)}",
                            "discount": f"{c.rules.discount:.2f}", "min_spend": f"{c.rules.min_spend:.2f}",
                            "currency": "CNY", "description": offer + validity + said,
                            "claim_text": self._say(lang, "offers.claim_quick", name=c.name(lang)),
                            **self._copy_fields(c, shown)})
        shown.events.append(OfferMade(conversation_id=ctx.conversation_id, kind="coupon", offer_id=c.id,
                                      need="offers_asked", source=self.name, policy=shown.policies.get(c.id),
                                      **self._variant_fields(c, shown)))

    @staticmethod
    def _plain(arm: OfferArm, shown: _Shown) -> OfferArm:
        options = shown.copy_options[arm.offer_id]
        return OfferArm(arm.offer_id, "plain" if any(v.id == "plain" for v in options) else options[0].id)

    def _lead_copy(self, choice: Choice | None, visible: list[Campaign], shown: _Shown) -> None:
        """Each offer's copy variant: the lead offer's is the chosen arm's (without a bandit, the first offer's
        segment angle); the others' the plain one, so the list does not say the same pitch five times."""
        if not shown.copy_options:
            return
        lead = choice.arm if choice is not None else next(
            OfferArm(c.id, shown.copy_options[c.id][0].id) for c in visible if c.id in shown.copy_options)
        for cid, options in shown.copy_options.items():
            arm = lead if cid == lead.offer_id else self._plain(OfferArm(cid), shown)
            shown.copy[cid] = next(v for v in options if v.id == arm.variant)

    @staticmethod
    def _copy(c: Campaign, shown: _Shown) -> str | None:
        """The variant's line when it says more than the tool's own (another angle, or the LLM's words)."""
        v = shown.copy.get(c.id)
        if v is None or (v.id == "plain" and v.source == "template"):
            return None
        return v.text.strip().rstrip("。.")

    @staticmethod
    def _copy_fields(c: Campaign, shown: _Shown) -> dict[str, str]:
        v = shown.copy.get(c.id)
        return {} if v is None else {"variant": v.id, "copy": v.text}

    @staticmethod
    def _variant_fields(c: Campaign, shown: _Shown) -> dict[str, str]:
        v = shown.copy.get(c.id)
        return {} if v is None else {"variant": v.id, "segment": shown.shopper}

    def _unavailable(self, c: Campaign, refusal: Refusal, names: Names, lang: str) -> str:
        p = refusal.params
        if refusal.code == "campaign_not_for_you" and not p.get("signed_in"):
            reason = self._say(lang, "offers.why.sign_in")
        else:
            reason = self._say(lang, f"offers.why.{refusal.code}",
                               ends=day(c.ends_at, lang, self._tz), starts=day(c.starts_at, lang, self._tz),
                               day=p.get("day", ""), who=who_text(list(c.segments), lang),
                               code=p.get("coupon_code", ""))
        return self._say(lang, "offers.unavailable", name=c.name(lang), offer=offer_text(c, names, lang),
                         reason=reason)

    def _scope(self, product_ids: list[str], visible: list[Campaign], names: Names, lang: str) -> list[dict[str, Any]]:
        """The products asked about, each with the customer's running campaigns and coupons that count it."""
        if self._shelf is None or not product_ids:
            return []
        snap = self._shelf.snapshot()
        products = [p for pid in dict.fromkeys(product_ids) if (p := snap.get(pid)) is not None]
        return sale_scope(products, visible, names, lang)

    def _say(self, lang: str, key: str, **params: Any) -> str:
        return self.templates["zh" if lang == "zh" else "en"][key].format(**params)

    def _cite(self, query: str, language: str, doc: str | None = None) -> list[dict[str, Any]]:
        """The passage of the policy document that answers `query` (searched once per query, language, document)."""
        key = (query, language, doc)
        with self._citations_lock:
            found = self._citations.get(key)
            if found is not None:
                self._citations.move_to_end(key)
        if found is None:
            found = self._search_citation(query, language, doc)
            with self._citations_lock:
                self._citations[key] = found
                while len(self._citations) > CITATIONS_KEPT:
                    self._citations.popitem(last=False)
        return [dict(c) for c in found]

    def _search_citation(self, query: str, language: str, doc: str | None) -> list[dict[str, Any]]:
        assert self._retriever is not None
        doc = doc or self._policy_doc
        passages = [p for p in self._retriever.search(query, k=5, language=language)  # type: ignore[arg-type]
                    if p.doc == doc]
        if not passages:
            passages = [p for p in self._retriever.search("优惠券 coupon", k=5, language=language)  # type: ignore[arg-type]
                        if p.doc == doc]
        if not passages:
            return []
        top = passages[0]
        flat = " ".join(top.text.split())
        snippet = flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"
        return [{"doc": top.doc, "title": top.title, "snippet": snippet}]

    # --- words -------------------------------------------------------------------------------------------

    def reply(self, result: ToolResult, decision: Decision, language: str, say: Phrasebook) -> ToolReply:
        data = result.data
        listing = self._listing(data, language, say)
        if data.get("ask"):
            text = price_reply(data["ask"], data, listing.text if data["lines"] else None, language, say)
            return ToolReply(text, listing.quick_replies)
        return listing

    def _listing(self, data: dict[str, Any], language: str, say: Phrasebook) -> ToolReply:
        if not data["lines"]:
            return ToolReply(say.render("offers.none", language))
        if data["basis"] == "cart":
            intro = say.render("offers.intro_cart", language, amount=yuan(data["basis_amount"]))
        elif data["basis"] == "last_order":
            intro = say.render("offers.intro_order", language, amount=yuan(data["basis_amount"]),
                               order_id=data["order_id"])
        else:
            intro = say.render("offers.intro" if data["signed_in"] else "offers.intro_public", language)
        parts = [intro, *data["lines"]]
        if data.get("automatic_named"):
            parts.append(say.render("offers.automatic", language))
        quick: list[str] = []
        if data["claimable"]:
            if data["signed_in"]:
                parts.append(say.render("offers.claim_hint", language, name=data["claimable"][0]))
                quick = [say.render("offers.claim_quick", language, name=n) for n in data["claimable"][:3]]
            else:
                parts.append(say.render("offers.sign_in_hint", language))
        return ToolReply("\n".join(parts), quick)
