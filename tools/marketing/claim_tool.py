"""`ClaimCouponTool`: "领取新人券", "帮我领一张券", "claim the welcome coupon", "give me a coupon".

Issuing a coupon is a side effect whose every rule is checked here, never by the LLM: the customer is verified,
the campaign gives coupons, is on and inside its window (and its day of the month), is for them (segments),
they hold fewer than its per-customer limit, budget is left, and — for a new-customer coupon — no account linked to
theirs by the identity graph already had one (`campaigns.linked`). Budget and limit are checked again inside
the store's atomic claim (a conditional UPDATE), so two customers racing for the last coupon cannot both get
it. A claim is idempotent per conversation and campaign: asking again (or a retried request) returns the same
coupon. Each refusal says why, in zh and en.

Which coupon: the customer's own words decide — a campaign they name ("新人券", "满299减30"), else the coupon
offered last ("要这张", "claim it": the claimable coupons of the latest turn that offered any), else the one
claimable. An LLM's `campaign_id` is taken only when the words name none, and still passes every rule; words
asking for an amount no campaign gives ("a 100-yuan coupon") get none, whatever is proposed.

Not confirm-first (`confirm` False), on purpose: a claim costs the customer nothing, commits them to nothing and
is idempotent, and it is what they just asked for — "are you sure?" after "领取新人券" would only add a turn. A
return, which changes an order, is confirm-first; a coupon is not. What guards it is *who asks*: only the
customer's own words (or a coupon card's "领取 / Claim" action, which sends the claim in words) make a claim turn,
and an LLM's proposal to claim on any other turn is refused (`side_effects`: `not_requested`), so the bot never
claims on its own initiative (tests/tools/marketing/test_offer_tools.py).

The intent model was trained before this tool and misreads some claims: "我要领新人券" as asking for a person,
"claim it" as a complaint, "领取以旧换新补贴" (a coupon card's claim button) as a policy question, "要这张" as a
plain yes. The cue words below route them here (`overrides`: a calm message with them is a claim whatever the model
read), not retraining; a question ("领券需要什么条件？") is never a claim.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from agent.events import CouponIssued, OfferMade
from agent.policy import Decision, Turn
from agent.protocols import EventStore, Phrasebook, ToolContext, ToolError, ToolReply, ToolResult
from agent.tooling import BaseTool
from tools.marketing.campaigns import conversation
from tools.marketing.campaigns.eligibility import CustomerProfile, HeldCoupon, Refusal, claim_refusal
from tools.marketing.campaigns.linked import is_new_customer_offer, linked_refusal
from tools.marketing.campaigns.ports import CampaignStore, ClaimRequest
from tools.marketing.campaigns.rules import Campaign
from tools.marketing.campaigns.wording import Names, day, offer_text, validity_text, yuan
from tools.marketing.campaigns.words import amounts, coupon_matches_amounts, named_campaigns
from tools.marketing.experiments.placing import applied, place
from tools.marketing.experiments.ports import ExperimentStore
from tools.marketing.insight.identity_ports import LinkedAccounts
from tools.marketing.offers_tool import who_text

CAMPAIGN_ID = r"^[A-Za-z0-9_-]{1,32}$"
# Asking for a coupon (not asking about one): "领取…", "给我一张…券", "要这张", "claim …", "give me a … coupon".
_QUESTION = (r"^(?!.*(?:[?？吗么]|怎么|如何|能不能|可不可以|哪里|在哪|什么|哪些|哪张|多少|多久|为什么|条件|"
             r"\bhow\b|\bwhere\b|\bwhat\b|\bwhich\b|\bwhen\b|\bwhy\b|\bcan i\b|\bcould i\b))")
_CLAIM_ZH = (r"领取|帮我领|我要领|领一张|领个|领张|领这张|给我.{0,12}券|送我.{0,12}券|发我.{0,12}券|我要.{0,12}券|"
             r"来一张.{0,8}券|^(?:好的?[，,]?\s*)?(?:我)?(?:就)?要(?:这|那)(?:一)?张|(?:这|那)张(?:券)?我要")
_CLAIM_EN = (r"\bclaim\b|\bgive me\b.{0,40}\b(?:coupon|voucher)|\bsend me\b.{0,40}\b(?:coupon|voucher)|"
             r"\bi(?:'d| would)? (?:want|like|take)\b.{0,40}\b(?:coupon|voucher)|\bget me\b.{0,40}\b(?:coupon|voucher)|"
             r"\bi'?ll take (?:it|this|that)\b")


# What a claimable coupon card's "领取 / Claim" action says for the customer (it names the campaign, so the claim
# is read from these words like any other).
CLAIM_WORDS = {"zh": "领取{name}", "en": "Claim {name}"}


def claim_words(campaign: Campaign, language: str) -> str:
    return CLAIM_WORDS["zh" if language == "zh" else "en"].format(name=campaign.name(language))

# Words that point at a coupon shown ("要这张", "claim it") rather than name one.
_DEICTIC = re.compile(r"这张|那张|这个|那个|\b(?:it|this|that|this one|that one)\b", re.IGNORECASE)


def expiry(campaign: Campaign, now: datetime) -> datetime:
    """`valid_days` after the claim when the campaign says so, else the campaign's end."""
    days = campaign.rules.valid_days
    return now + timedelta(days=days) if days else campaign.ends_at


class ClaimCouponTool(BaseTool):
    """Issue a coupon the rules allow this customer, once."""

    name: ClassVar[str] = "claim_coupon"
    description: ClassVar[str] = (
        "Claim a coupon for this customer from a campaign that gives coupons (campaign_id). Every rule is "
        "checked (eligibility, window, budget, per-customer limit); the customer's own words decide which coupon."
    )
    purpose: ClassVar[dict[str, str]] = {"zh": "领取优惠券", "en": "claim a coupon"}
    intents: ClassVar[tuple[str, ...]] = ("claim_coupon",)
    refines: ClassVar[tuple[str, ...]] = ("coupon_question",)  # "领取新人券" reads as a coupon question
    # what the intent model misreads calm claims as (see the module docstring)
    overrides: ClassVar[tuple[str, ...]] = ("human", "complaint", "policy_question")
    side_effects: ClassVar[bool] = True  # issues a coupon: an LLM may propose it only when the customer asked
    confirm: ClassVar[bool] = False  # the customer's request is the confirmation (see the module docstring)
    llm_words: ClassVar[bool] = False  # the coupon's terms are the reply
    cues: ClassVar[dict[str, list[str]]] = {"zh": [_QUESTION + ".*(?:" + _CLAIM_ZH + ")"],
                                           "en": [_QUESTION + ".*(?:" + _CLAIM_EN + ")"]}
    templates: ClassVar[dict[str, dict[str, str]]] = {
        "zh": {
            "coupon_claim.done": "已为您领取「{name}」：{offer}，券码{code}，{expires}前有效。"
                                 "结算时会自动为您选用最省钱的券。",
            "coupon_claim.again": "您在这次对话里已经领过「{name}」了：券码{code}，{expires}前有效。",
            "coupon_claim.choose": "您现在可以领取这些券：{names}。要领哪一张？",
            "coupon_needs_sign_in": "领取优惠券需要先登录账号，登录后再来找我就可以领取。",
            "campaign_not_claimable": "「{name}」是结算时自动计算的活动，不用领券，满足条件就会自动优惠。",
            "campaign_paused": "「{name}」暂停了，现在不能领取。",
            "campaign_ended": "「{name}」已于{ends}结束，券已经不能领取了。",
            "campaign_not_started": "「{name}」{starts}才开始，到时再来领取吧。",
            "campaign_not_today": "「{name}」只在每月{day}日可以领取。",
            "campaign_not_for_you": "「{name}」仅限{who}领取，您的账户不在这次活动的范围内。",
            "campaign_budget_exhausted": "「{name}」的券已经全部领完了。",
            "coupon_already_claimed": "您已经领过「{name}」了（券码{code}，{expires}到期），每人限领{limit}张。",
            "coupon_linked_account": "「{name}」每位新客户只能领取一次。您的账户与一个已经领过新人券的账户相关联，"
                                     "所以这次不能再领取。如果您认为有误，可以转人工为您核实。",
            "coupon_not_offered": "我们没有{amount}的优惠券可以发放，我也不能额外创建优惠券。{alternatives}",
            "coupon_unknown_campaign": "没有找到可以领取的这张券。{alternatives}",
            "coupon_none_claimable": "您现在没有可以领取的优惠券。可以问我“有什么优惠”看看正在进行的活动。",
            "coupon_claim.alternatives": "您现在可以领取的是：{names}。",
        },
        "en": {
            "coupon_claim.done": "Done: “{name}” is yours — {offer}, code {code}, valid until {expires}. At checkout "
                                 "the coupon that saves you the most is picked for you.",
            "coupon_claim.again": "You already claimed “{name}” in this chat: code {code}, valid until {expires}.",
            "coupon_claim.choose": "You can claim these coupons: {names}. Which one would you like?",
            "coupon_needs_sign_in": "Please sign in to your account to claim coupons, then ask me again.",
            "campaign_not_claimable": "“{name}” applies automatically at checkout when you qualify; there's no "
                                      "coupon to claim.",
            "campaign_paused": "“{name}” is paused right now, so its coupon can't be claimed.",
            "campaign_ended": "“{name}” ended on {ends}; its coupon can no longer be claimed.",
            "campaign_not_started": "“{name}” starts on {starts}; you can claim its coupon then.",
            "campaign_not_today": "“{name}” can only be claimed on day {day} of each month.",
            "campaign_not_for_you": "“{name}” is for {who} only, and your account isn't part of it.",
            "campaign_budget_exhausted": "All coupons of “{name}” have been claimed.",
            "coupon_already_claimed": "You already have “{name}” (code {code}, expires {expires}); it's limited to "
                                      "{limit} per customer.",
            "coupon_linked_account": "“{name}” is one per new customer, and this account is linked to an account "
                                     "that already received a new-customer coupon, so it can't be claimed again. If "
                                     "you think this is a mistake, ask for a human agent to check.",
            "coupon_not_offered": "We have no {amount} coupon to give, and I can't create one. {alternatives}",
            "coupon_unknown_campaign": "I couldn't find that coupon to claim. {alternatives}",
            "coupon_none_claimable": "There's no coupon for you to claim right now. Ask me “what deals do you "
                                     "have?” to see what's on.",
            "coupon_claim.alternatives": "You can claim: {names}.",
        },
    }

    class Args(BaseModel):
        campaign_id: str | None = Field(default=None, pattern=CAMPAIGN_ID)

    def __init__(self, store: CampaignStore, events: EventStore, *, tz: str = "Asia/Shanghai",
                 experiments: ExperimentStore | None = None, linked: LinkedAccounts | None = None) -> None:
        self._store = store
        self._events = events
        self._tz = tz
        self._experiments = experiments
        self._linked = linked  # the identity graph: one new-customer coupon per linked group

    def _linked_to(self, customer_id: str, campaigns: list[Campaign]) -> tuple[str, ...]:
        """The accounts linked to the customer, looked up only when a new-customer campaign is in question."""
        if self._linked is None or not any(is_new_customer_offer(c) for c in campaigns):
            return ()
        return self._linked.linked_to(customer_id)

    def _refusal(self, campaign: Campaign, customer: CustomerProfile, held: list[HeldCoupon],
                 linked: tuple[str, ...], campaigns: list[Campaign], now: datetime) -> Refusal | None:
        """Every rule of the campaign, then one new-customer coupon per linked group."""
        newcomer = {c.id for c in campaigns if is_new_customer_offer(c)} | (
            {campaign.id} if is_new_customer_offer(campaign) else set())
        return (claim_refusal(campaign, customer, held, now, self._tz)
                or linked_refusal(campaign, linked, self._store.coupons, newcomer))

    def plan(self, turn: Turn) -> Decision:
        """A claim; which coupon is read from the customer's words when it runs. Its intent is the tool's own, so
        an LLM's proposal to claim is accepted only on a turn the rules read as a claim."""
        return Decision("call_tool", self.intents[0], tool=self.name, args={}, empathy=turn.empathy,
                        llm_words=self.llm_words)

    async def authorize(self, args: BaseModel, ctx: ToolContext) -> None:
        """Refuse before anything runs: an anonymous customer, or a named campaign the rules do not allow them."""
        assert isinstance(args, self.Args)
        if ctx.customer_id is None:
            raise ToolError("coupon_needs_sign_in", "Only signed-in customers can claim coupons.")
        if args.campaign_id is not None:
            await asyncio.to_thread(self._allowed, args.campaign_id, ctx)

    def _allowed(self, campaign_id: str, ctx: ToolContext) -> Campaign:
        assert ctx.customer_id is not None
        row = self._store.campaign(campaign_id)
        found = conversation.campaigns_from([row]) if row else []
        if not found:
            raise ToolError("coupon_unknown_campaign", f"No campaign {campaign_id}.", alternatives=[])
        campaign = found[0]
        customer = self._store.profile(ctx.customer_id)
        refusal = claim_refusal(campaign, customer, self._store.coupons(ctx.customer_id), ctx.now, self._tz)
        if refusal is None and customer is not None:
            everyone = conversation.live_campaigns(self._store)
            refusal = self._refusal(campaign, customer, self._store.coupons(ctx.customer_id),
                                    self._linked_to(ctx.customer_id, [campaign]), everyone, ctx.now)
        if refusal is not None:
            raise _refused(refusal)
        return campaign

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, self.Args)
        events = await self._events.load(ctx.conversation_id)
        words = conversation.last_words(events)
        offered = conversation.coupons_offered_by_turn(events)
        logged = {e.code for e in events if isinstance(e, CouponIssued)}
        return await asyncio.to_thread(self._claim, args, ctx, words, offered, logged)

    # --- the claim, blocking (SQL) -----------------------------------------------------------------------

    def _claim(self, args: Args, ctx: ToolContext, words: str, offered: list[list[str]],
               logged: Collection[str] = ()) -> ToolResult:
        """`logged`: the codes of coupons this conversation's log records as issued. A coupon held under this
        conversation's claim key but not in the log was issued by a turn that failed before recording it: it is
        reported (and recorded) as issued now, once."""
        if ctx.customer_id is None:
            raise ToolError("coupon_needs_sign_in", "Only signed-in customers can claim coupons.")
        store, now = self._store, ctx.now
        customer = store.profile(ctx.customer_id)
        if customer is None:  # a signed id the store does not know: nothing to issue to
            raise ToolError("coupon_needs_sign_in", "Unknown customer.")
        held = store.coupons(customer.customer_id)
        campaigns = conversation.live_campaigns(store)
        linked = self._linked_to(customer.customer_id, campaigns)
        claimable = [c for c in campaigns if self._refusal(c, customer, held, linked, campaigns, now) is None]
        choice = self._which(args, words, campaigns, claimable, offered, customer, held, ctx)
        names = store.category_names()
        if isinstance(choice, list):
            return self._choose(choice, ctx, names)
        campaign = self._placed(choice, customer, ctx)
        key = f"{ctx.conversation_id}:{campaign.id}"
        again = next((h for h in held if h.claim_key == key), None)
        if again is not None:  # asked again in this conversation (or a failed turn retried): the same coupon
            return self._result(campaign, again, ctx, names, issued=again.code not in logged, words=words)
        linked = linked if is_new_customer_offer(campaign) else ()
        refusal = self._refusal(campaign, customer, held, linked, campaigns, now)
        if refusal is not None:
            raise _refused(refusal)
        assert campaign.rules.discount is not None
        outcome = store.claim(ClaimRequest(campaign_id=campaign.id, customer_id=customer.customer_id, claim_key=key,
                                           discount=campaign.rules.discount, min_spend=campaign.rules.min_spend,
                                           expires_at=expiry(campaign, now), limit=campaign.per_customer_limit or 1,
                                           now=now, linked=linked))
        if outcome.kind in ("issued", "existing"):
            assert outcome.coupon is not None
            return self._result(campaign, outcome.coupon, ctx, names, issued=outcome.kind == "issued", words=words)
        if outcome.kind == "limit" and outcome.coupon is not None:
            c = outcome.coupon
            raise _refused(Refusal("coupon_already_claimed", {**_names(campaign), "coupon_code": c.code,
                                                              "expires_at": c.expires_at.isoformat(),
                                                              "limit": campaign.per_customer_limit or 1}))
        if outcome.kind == "linked":
            raise _refused(Refusal("coupon_linked_account", _names(campaign)))
        if outcome.kind == "budget":
            raise _refused(Refusal("campaign_budget_exhausted", _names(campaign)))
        row = store.campaign(campaign.id)  # paused, ended or out of its window since the checks above
        fresh = (conversation.campaigns_from([row]) if row else []) or [campaign]
        raise _refused(claim_refusal(fresh[0], customer, held, now, self._tz)
                       or Refusal("campaign_paused", _names(campaign)))

    def _placed(self, campaign: Campaign, customer: CustomerProfile, ctx: ToolContext) -> Campaign:
        """The campaign as the customer's experiment arm has it (their threshold is the coupon's minimum spend);
        a customer not yet in its experiment is not assigned by a claim."""
        if self._experiments is None:
            return campaign
        placements = place(self._experiments, [campaign], customer, ctx.conversation_id, ctx.now, assign=False)
        return applied(campaign, placements.get(campaign.id))

    def _which(self, args: Args, words: str, campaigns: list[Campaign], claimable: list[Campaign],
               offered: list[list[str]], customer: CustomerProfile, held: list[HeldCoupon],
               ctx: ToolContext) -> Campaign | list[Campaign]:
        """The campaign the customer's words ask for (the LLM's pick only when they name none), else the claimable
        coupon(s) offered last (`offered`: campaign ids per offering turn, the latest first), or the claimable ones
        to choose from."""
        named = named_campaigns(words, campaigns)
        coupons = [c for c in named if c.rules.type == "coupon"]
        if len(coupons) > 1:
            coupons = [c for c in coupons if c in claimable] or coupons[:1]
        if coupons:
            return coupons[0] if len(coupons) == 1 else coupons
        if named:  # a 满减 campaign, not a coupon
            raise _refused(Refusal("campaign_not_claimable", _names(named[0])))
        asked = amounts(words)
        if asked:  # "a 100-yuan coupon": only a coupon with exactly those terms
            fits = [c for c in claimable if coupon_matches_amounts(c, words)]
            if not fits:
                raise ToolError("coupon_not_offered", f"No coupon of {sorted(asked)} yuan.",
                                amount=min(asked), alternatives=[_names(c) for c in claimable])
            return fits[0] if len(fits) == 1 else fits
        if args.campaign_id is not None:
            return self._allowed(args.campaign_id, ctx)
        recent = next(([c for c in claimable if c.id in batch] for batch in offered
                       if any(c.id in batch for c in claimable)), [])
        pool = recent or claimable
        if not pool:
            raise ToolError("coupon_none_claimable", "Nothing to claim.")
        if not recent and _DEICTIC.search(words):  # "要这张" with no coupon offered: this one is for them to say
            return pool
        return pool[0] if len(pool) == 1 else pool

    def _result(self, campaign: Campaign, coupon: HeldCoupon, ctx: ToolContext, names: Names, *, issued: bool,
                words: str) -> ToolResult:
        lang = ctx.language
        data = {"status": "issued" if issued else "already_issued", "code": coupon.code, "campaign_id": campaign.id,
                "name": campaign.name(lang), "offer": offer_text(campaign, names, lang),
                "discount": f"{coupon.discount:.2f}", "min_spend": f"{coupon.min_spend:.2f}",
                "expires_at": coupon.expires_at.isoformat()}
        card = {"type": "coupon", "id": coupon.code, "code": coupon.code, "campaign_id": campaign.id,
                "title": campaign.name(lang), "status": "held", "discount_text": f"¥{yuan(coupon.discount)}",
                "discount": data["discount"], "min_spend": data["min_spend"], "currency": "CNY",
                "expires_at": data["expires_at"], "description": data["offer"]}
        events = [CouponIssued(conversation_id=ctx.conversation_id, code=coupon.code, campaign_id=campaign.id,
                               customer_id=str(ctx.customer_id), discount=data["discount"],
                               min_spend=data["min_spend"], expires_at=data["expires_at"], reason="claimed_in_chat",
                               requested=" ".join(words.split())[:200], source=self.name)] if issued else []
        return ToolResult(data=data, cards=[card], events=events)

    def _choose(self, options: list[Campaign], ctx: ToolContext, names: Names) -> ToolResult:
        lang = ctx.language
        cards, events = [], []
        for c in options:
            assert c.rules.discount is not None
            cards.append({"type": "coupon", "id": c.id, "campaign_id": c.id, "title": c.name(lang),
                          "status": "claimable", "discount_text": f"¥{yuan(c.rules.discount)}",
                          "discount": f"{c.rules.discount:.2f}", "min_spend": f"{c.rules.min_spend:.2f}",
                          "currency": "CNY",
                          "description": offer_text(c, names, lang) + validity_text(c, lang, self._tz),
                          "claim_text": claim_words(c, lang)})
            events.append(OfferMade(conversation_id=ctx.conversation_id, kind="coupon", offer_id=c.id,
                                    need="claim_asked", source=self.name))
        return ToolResult(data={"status": "choose", "names": [c.name(lang) for c in options]}, cards=cards,
                          events=events)

    # --- words -------------------------------------------------------------------------------------------

    def reply(self, result: ToolResult, decision: Decision, language: str, say: Phrasebook) -> ToolReply:
        data = result.data
        if data["status"] == "choose":
            names = data["names"]
            joined = ("、" if language == "zh" else ", ").join(names)
            return ToolReply(say.render("coupon_claim.choose", language, names=joined),
                             [CLAIM_WORDS["zh" if language == "zh" else "en"].format(name=n) for n in names[:3]])
        key = "coupon_claim.done" if data["status"] == "issued" else "coupon_claim.again"
        return ToolReply(say.render(key, language, name=data["name"], offer=data["offer"], code=data["code"],
                                    expires=day(datetime.fromisoformat(data["expires_at"]), language, self._tz)))

    def explain(self, error: ToolError, language: str, say: Phrasebook) -> str:
        """Why no coupon, with the dates, the audience or the coupon already held that decide it."""
        p, lang = dict(error.params), language
        if not say.has(error.code, lang):
            return super().explain(error, language, say)
        name = p.get("name_zh" if lang == "zh" else "name_en", "")
        join = "、" if lang == "zh" else ", "
        options = [o["name_zh" if lang == "zh" else "name_en"] for o in p.get("alternatives", [])]
        alternatives = say.render("coupon_claim.alternatives", lang, names=join.join(options)) if options else ""
        when = {k: day(datetime.fromisoformat(p[k]), lang, self._tz) for k in ("starts_at", "ends_at", "expires_at")
                if p.get(k)}
        amount = p.get("amount")
        return say.render(error.code, lang, name=name, who=who_text(list(p.get("segments", [])), lang),
                          starts=when.get("starts_at", ""), ends=when.get("ends_at", ""),
                          expires=when.get("expires_at", ""), day=p.get("day", ""), code=p.get("coupon_code", ""),
                          limit=p.get("limit", 1), alternatives=alternatives,
                          amount=f"¥{yuan(amount)}" if amount is not None else "").strip()


def _names(campaign: Campaign) -> dict[str, Any]:
    return {"campaign_id": campaign.id, "name_zh": campaign.name_zh, "name_en": campaign.name_en}


def _refused(refusal: Refusal) -> ToolError:
    return ToolError(refusal.code, f"Refused: {refusal.code}.", **refusal.params)

