"""Demo marketing history: past conversations in which customers asked for offers, were shown the campaigns
running for them then, claimed some coupons and redeemed some of those on the order they went on to place — so
the console's campaign readouts, and the supervisor's figures, have something to show on `make run`.

Everything follows the store's own rules, so the history reads like the tools wrote it: what a conversation
shows is what `offer_refusal` allows the customer at that moment (window, audience, budget), a coupon is
claimed only where `claim_refusal` allows it (once per customer, within the budget), its claim key is
`conversation:campaign` like the claim tool's, and it is redeemed only on a later order of the customer, before
it expires, whose eligible amount reaches its threshold (the order's total drops by the coupon). The events are
the ones the offer and claim tools record (`OfferMade`, `CouponIssued`), so the readout counts them like live
ones. The history covers the last `RECENT_DAYS` days and the windows of the festivals of the past year.
With a `Tuning` (`server.demo.tuning`), a customer shown a campaign under experiment is placed in an arm as the
offer tool places them (`ExperimentAssigned`, the arm's threshold in the offer and the coupon) and a campaign with
a dynamic threshold is shown at the level in force then; both are recorded in the offer's `policy`.
Showcase and scenario customers (the scripted demos) are left out, so their chats start from a clean slate.

Deterministic for the random stream it is given.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from agent.events import (
    BotUttered,
    ConversationStarted,
    CouponIssued,
    Event,
    ExperimentAssigned,
    IntentRecognized,
    OfferMade,
    UserUttered,
)
from server.demo.catalog import CATEGORIES
from server.demo.orders import OrderDraft
from server.demo.people import Person
from server.demo.tuning import Tuning, claim_lift
from tools.marketing.campaigns import Campaign, CustomerProfile, HeldCoupon, claim_refusal, offer_refusal
from tools.marketing.campaigns.rules import CODE_ALPHABET
from tools.marketing.campaigns.wording import offer_text, validity_text
from tools.marketing.experiments.placing import Placement, applied, place

BEIJING_TZ = "Asia/Shanghai"
RECENT_DAYS = 42
CONVERSATIONS_PER_CUSTOMER_DAY = 1 / 80  # 1,000 customers: about 12 offer conversations a day
BEFORE_ORDER_SHARE = 0.5  # conversations held shortly before the customer's next order
ANONYMOUS_SHARE = 0.2
REDEEM_ON_ORDER = 0.75  # a claimed coupon that fits the order it was claimed for is used on it
CLAIM_RATE = {"new_customer": 0.5, "regular": 0.22, "silver": 0.28, "gold": 0.32, "platinum": 0.38}
HOUR_WEIGHTS = (1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1, 2, 3, 4, 4, 3.5, 3, 3, 3, 3, 3, 3.5, 4, 5, 5, 4, 2)
ASK = {
    "zh": ("有什么优惠吗？", "最近有什么活动？", "有优惠券可以领吗？", "现在买有折扣吗？", "有满减活动吗？"),
    "en": ("Any deals right now?", "Do you have any coupons?", "What promotions are on?",
           "Is there a discount if I buy now?", "Any offers for me?"),
}
CLAIM = {"zh": "领取{name}", "en": "I'd like the {name}"}
SHOWN = {"zh": ("目前可以参加的优惠：", "；"), "en": ("Offers you can use now: ", "; ")}
CLAIMED = {"zh": "已为您领取「{name}」，券码 {code}{validity}。",
           "en": "Done: the {name} ({code}) is in your account{validity}."}
NAMES = {c.key: (c.name_zh, c.name_en) for c in CATEGORIES}


@dataclass(slots=True)
class History:
    conversations: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    coupons: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _Shop:
    """The store as the history goes: orders per customer, coupons held, budgets spent."""

    placed: dict[str, list[datetime]]  # customer -> times of their orders not cancelled, sorted
    held: dict[str, list[HeldCoupon]]
    spent: dict[str, Decimal]
    codes: set[str]
    tuning: Tuning | None = None

    def profile(self, customer_id: str, tier: str, at: datetime) -> CustomerProfile:
        return CustomerProfile(customer_id, tier, bisect_left(self.placed.get(customer_id, []), at))


def history_days(now: datetime, campaigns: list[dict[str, Any]]) -> list[date]:
    """The last RECENT_DAYS days, and each day of the festival windows of the past year."""
    days = {now.date() - timedelta(days=k) for k in range(1, RECENT_DAYS + 1)}
    for c in campaigns:
        if c["kind"] == "festival" and now - timedelta(days=365) <= c["starts_at"] and c["ends_at"] < now:
            first, last = c["starts_at"].date(), c["ends_at"].date()
            days |= {first + timedelta(days=k) for k in range((last - first).days + 1)}
    return sorted(days)


def offer_history(
    rng: random.Random,
    now: datetime,
    people: list[tuple[str, Person]],
    drafts: list[OrderDraft],
    campaigns: list[dict[str, Any]],
    coupons: list[dict[str, Any]],
    tiers: dict[str, str],
    reserved: Callable[[str], bool],
    tuning: Tuning | None = None,
) -> History:
    """Conversations, their events and the coupons claimed in them (see the module docstring)."""
    live = [Campaign.model_validate({**c, "status": "active"}) for c in campaigns]  # as they were while running
    shop = _Shop(placed={}, held={}, spent={c.id: Decimal(0) for c in live}, codes={c["code"] for c in coupons},
                 tuning=tuning)
    for o in drafts:
        if o.status != "cancelled":
            shop.placed.setdefault(o.customer_id, []).append(o.placed_at)
    for times in shop.placed.values():
        times.sort()
    for c in coupons:
        shop.held.setdefault(c["customer_id"], []).append(_held(c))
        shop.spent[c["campaign_id"]] = shop.spent.get(c["campaign_id"], Decimal(0)) + c["discount"]
    language = {cid: p.language for cid, p in people}
    open_to = [cid for cid, _ in people if not reserved(cid)]
    upcoming = _orders_by_day(drafts, reserved)
    out = History()
    rate = len(people) * CONVERSATIONS_PER_CUSTOMER_DAY
    for day in history_days(now, campaigns):
        count = int(rate) + (rng.random() < rate - int(rate))
        for _ in range(count):
            order = _take(rng, upcoming, day) if rng.random() < BEFORE_ORDER_SHARE else None
            if order is not None:
                who: str | None = order.customer_id
                at = order.placed_at - timedelta(minutes=rng.uniform(10, 36 * 60))
            else:
                who = None if rng.random() < ANONYMOUS_SHARE or not open_to else rng.choice(open_to)
                at = _time_on(rng, day)
            if at >= now:
                continue
            lang = language[who] if who else ("zh" if rng.random() < 0.6 else "en")
            _conversation(rng, out, shop, live, who, tiers.get(who or "", "regular"), lang, at, order, now)
    return out


def _held(c: dict[str, Any]) -> HeldCoupon:
    return HeldCoupon(code=c["code"], campaign_id=c["campaign_id"], discount=c["discount"], min_spend=c["min_spend"],
                      expires_at=c["expires_at"], status=c["status"], claim_key=c.get("claim_key"))


def _orders_by_day(drafts: list[OrderDraft], reserved: Callable[[str], bool]) -> dict[date, list[OrderDraft]]:
    """Orders a conversation may come before: placed by a customer outside the scripted demos, paid, no coupon."""
    out: dict[date, list[OrderDraft]] = {}
    for o in drafts:
        if not o.special and not o.discount and not reserved(o.customer_id) and o.status not in (
                "pending_payment", "cancelled"):
            out.setdefault(o.placed_at.date(), []).append(o)
    return out


def _take(rng: random.Random, upcoming: dict[date, list[OrderDraft]], day: date) -> OrderDraft | None:
    """An order placed on `day` or the two after it, not yet taken by another conversation."""
    pool = [o for d in (day, day + timedelta(days=1), day + timedelta(days=2)) for o in upcoming.get(d, [])]
    if not pool:
        return None
    order = rng.choice(pool)
    upcoming[order.placed_at.date()].remove(order)
    return order


def _time_on(rng: random.Random, day: date) -> datetime:
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)))
    return (local - timedelta(hours=8)).replace(tzinfo=UTC)  # Beijing time to UTC


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _code(rng: random.Random, taken: set[str]) -> str:
    while True:
        code = "CP" + "".join(rng.choice(CODE_ALPHABET) for _ in range(8))
        if code not in taken:
            taken.add(code)
            return code


def _eligible_amount(order: OrderDraft, campaign: Campaign) -> Decimal:
    rules = campaign.rules
    return sum((ln.unit_price * ln.quantity for ln in order.lines
                if (not rules.categories or ln.product.category in rules.categories)
                and ln.product.category not in rules.exclude_categories
                and (not rules.products or ln.product_id in rules.products)
                and ln.product_id not in rules.exclude_products), Decimal(0))


def _conversation(rng: random.Random, out: History, shop: _Shop, campaigns: list[Campaign], who: str | None,
                  tier: str, lang: str, at: datetime, order: OrderDraft | None, now: datetime) -> None:
    customer = shop.profile(who, tier, at) if who else None
    held = shop.held.get(who, []) if who else []
    running = []
    for c in campaigns:
        current = c.model_copy(update={"spent": shop.spent.get(c.id, Decimal(0))})
        if shop.tuning is not None:
            current = shop.tuning.at_level(current, at)
        if offer_refusal(current, customer, at, BEIJING_TZ) is not None:
            continue
        if current.rules.type == "coupon":
            refusal = claim_refusal(current, customer, held, at, BEIJING_TZ)
            if refusal is not None and refusal.code != "coupon_needs_sign_in":
                continue  # already held: the offer tool shows it as held, not as an offer
        running.append(current)
    if not running:
        return
    cid = _hex(rng)
    events: list[Event] = [
        ConversationStarted(conversation_id=cid, channel="web", customer_id=who, language=lang),
        UserUttered(conversation_id=cid, text=rng.choice(ASK[lang])),
        IntentRecognized(conversation_id=cid, intent="coupon_question", confidence=round(rng.uniform(0.7, 0.98), 2)),
    ]
    placements: dict[str, Placement] = {}
    if shop.tuning is not None and customer is not None:  # as the offer tool places a customer it shows them to
        placements = place(shop.tuning.experiments, running, customer, cid, at)
        for p in placements.values():
            if p.new:
                events.append(ExperimentAssigned(conversation_id=cid, experiment_id=p.experiment.id, arm=p.arm.key,
                                                 customer_id=customer.customer_id, stratum=p.stratum,
                                                 campaign_id=p.experiment.campaign_id))
        running = [applied(c, placements.get(c.id)) for c in running]
    lines, cards = [], []
    for c in running:
        kind = "coupon" if c.rules.type == "coupon" else "campaign"
        policy: dict[str, Any] = {}
        if c.rules.dynamic_threshold is not None or (c.id in placements and placements[c.id].arm.threshold):
            policy["threshold"] = f"{c.rules.threshold:.2f}"
        if c.id in placements:
            policy["experiment"] = placements[c.id].payload()
        lines.append(f"{c.name(lang)}：{offer_text(c, NAMES, lang)}" if lang == "zh"
                     else f"{c.name(lang)}: {offer_text(c, NAMES, lang)}")
        cards.append({"type": "coupon" if kind == "coupon" else "offer", "id": c.id, "title": c.name(lang)})
        events.append(OfferMade(conversation_id=cid, kind=kind, offer_id=c.id, need="offers_asked",
                                source="offers", policy=policy or None))
    lead, join = SHOWN[lang]
    events.append(BotUttered(conversation_id=cid, text=lead + join.join(lines), cards=cards))
    if customer is not None:
        for c in running:
            if c.rules.type == "coupon" and rng.random() < claim_lift(placements.get(c.id)) * CLAIM_RATE.get(
                    "new_customer" if customer.orders == 0 else tier, 0.25):
                events += _claim(rng, out, shop, c, cid, who or "", lang, order, at, now)
                break  # one claim per conversation
    _record(rng, out, cid, who, lang, at, events)


def _claim(rng: random.Random, out: History, shop: _Shop, c: Campaign, cid: str, who: str, lang: str,
           order: OrderDraft | None, at: datetime, now: datetime) -> list[Event]:
    discount, min_spend = c.rules.discount, c.rules.min_spend
    assert discount is not None
    if c.budget is not None and shop.spent.get(c.id, Decimal(0)) + discount > c.budget:
        return []
    code = _code(rng, shop.codes)
    expires = at + timedelta(days=c.rules.valid_days) if c.rules.valid_days else c.ends_at
    used = None
    if (order is not None and at < order.placed_at <= expires and not order.discount
            and _eligible_amount(order, c) >= max(min_spend, discount) and rng.random() < REDEEM_ON_ORDER):
        order.discount, used = discount, order
    status = "used" if used else "expired" if expires < now else "issued"
    row = {"code": code, "campaign_id": c.id, "customer_id": who, "discount": discount, "min_spend": min_spend,
           "expires_at": expires, "status": status, "used_order": used, "issued_at": at, "claim_key": f"{cid}:{c.id}"}
    out.coupons.append(row)
    shop.held.setdefault(who, []).append(_held(row))
    shop.spent[c.id] = shop.spent.get(c.id, Decimal(0)) + discount
    validity = validity_text(c, lang, BEIJING_TZ)
    words = CLAIM[lang].replace("{name}", c.name(lang))
    return [
        UserUttered(conversation_id=cid, text=words),
        CouponIssued(conversation_id=cid, code=code, campaign_id=c.id, customer_id=who, discount=f"{discount:.2f}",
                     min_spend=f"{min_spend:.2f}", expires_at=expires.isoformat(), reason="claimed_in_chat",
                     requested=words, source="claim_coupon"),
        BotUttered(conversation_id=cid, text=CLAIMED[lang].replace("{name}", c.name(lang)).replace("{code}", code)
                   .replace("{validity}", validity),
                   cards=[{"type": "coupon", "id": code, "campaign_id": c.id, "title": c.name(lang),
                           "status": "held"}]),
    ]


def _record(rng: random.Random, out: History, cid: str, who: str | None, lang: str, at: datetime,
            events: list[Event]) -> None:
    """The conversation's row and its events, a few seconds apart from `at`."""
    token_hash = hashlib.sha256(_hex(rng).encode()).hexdigest()  # a token nobody holds: the chat is closed
    out.conversations.append({"id": cid, "channel": "web", "customer_id": who, "language": lang,
                              "token_hash": token_hash, "created_at": at, "last_seq": len(events), "handoff": "bot",
                              "held_by": None})
    claimed = {c["code"]: c for c in out.coupons[-2:]}
    t = at
    for seq, event in enumerate(events, start=1):
        out.events.append({"id": len(out.events) + 1, "event_id": _hex(rng), "conversation_id": cid, "seq": seq,
                           "type": event.type, "payload": event.to_payload(), "at": t})
        if isinstance(event, CouponIssued):  # the coupon was issued when the claim tool recorded it
            claimed[event.code]["issued_at"] = t
        t += timedelta(seconds=rng.uniform(1, 20) if event.type != "user_uttered" else rng.uniform(5, 60))
