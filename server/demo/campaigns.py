"""Demo marketing: the festival and evergreen campaigns, and the coupons issued (and some used) under them.

Dates follow the reference instant (festival windows are the most recent ones, in Beijing time);
deterministic for the random stream it is given.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from server.demo.orders import OrderDraft
from server.demo.people import Person
from tools.marketing.campaigns import Campaign, CustomerProfile, offer_refusal
from tools.marketing.campaigns.thresholds import Line, best_campaign

BEIJING = timezone(timedelta(hours=8))


def _window(now: datetime, month: int, first: int, last: int) -> tuple[datetime, datetime]:
    """The most recent festival window (Beijing dates) that has started by `now`."""
    year = now.year
    start = datetime(year, month, first, tzinfo=BEIJING)
    if start > now:
        year -= 1
        start = datetime(year, month, first, tzinfo=BEIJING)
    end = datetime(year, month, last, 23, 59, 59, tzinfo=BEIJING)
    return start.astimezone(UTC), end.astimezone(UTC)


def campaigns(now: datetime) -> list[dict[str, Any]]:
    """The demo's campaigns (rules as `tools.marketing.campaigns.CampaignRules` validates them). Running at `now`:
    the year-end 满减 and its coupon for everyone, the new-customer coupon, member day (gold and platinum, on the
    18th), the winter coffee and toothbrush sale, the trade-in bonus coupon for returning customers (kind
    `trade_in`, offered after a question about returns); the festivals are over and the spring one is ahead."""
    d11, d618 = _window(now, 11, 1, 11), _window(now, 6, 1, 18)
    year_ago, year_ahead = now - timedelta(days=365), now + timedelta(days=365)
    year_end = (now - timedelta(days=3), now + timedelta(days=25))
    everyone: dict[str, Any] = {}
    spec = [
        (
            "double11",
            "双十一狂欢节",
            "Singles' Day Sale",
            "festival",
            *d11,
            {
                "type": "threshold",
                "tiers": [{"min_spend": 300, "discount": 30}, {"min_spend": 1000, "discount": 120}],
                "exclude_categories": ["gift_card"],
            },
            everyone,
        ),
        (
            "mid618",
            "618年中大促",
            "618 Mid-year Sale",
            "festival",
            *d618,
            {
                "type": "threshold",
                "tiers": [{"min_spend": 200, "discount": 20}, {"min_spend": 800, "discount": 90}],
                "exclude_categories": ["gift_card"],
            },
            everyone,
        ),
        (
            "new_customer",
            "新人专享券",
            "New customer coupon",
            "new_customer",
            year_ago,
            year_ahead,
            # the welcome coupon of the coupon rules (knowledge/docs/*/coupons.md): ¥20 off ¥199, 30 days
            {"type": "coupon", "discount": 20, "min_spend": 199, "valid_days": 30,
             "keywords": ["新人券", "新人礼券", "新会员", "welcome", "new member"]},
            {"segments": ["new_customer"], "per_customer_limit": 1, "budget": Decimal(50000)},
        ),
        (
            "member_day",
            "会员日",
            "Member day",
            "member_day",
            year_ago,
            year_ahead,
            {"type": "percent_off", "day_of_month": 18, "percent_off": 5},
            {"segments": ["gold", "platinum"]},
        ),
        (
            "winter_refresh",
            "冬季焕新季",
            "Winter refresh",
            "seasonal",
            now - timedelta(days=7),
            now + timedelta(days=21),
            {
                "type": "percent_off",
                "categories": ["coffee_machine", "coffee_beans", "electric_toothbrush"],
                "percent_off": 10,
            },
            everyone,
        ),
        (
            "year_end",
            "年终满减季",
            "Year-end savings",
            "seasonal",
            *year_end,
            {
                "type": "threshold",
                "tiers": [{"min_spend": 300, "discount": 50}, {"min_spend": 600, "discount": 120}],
                "exclude_categories": ["gift_card"],
                "keywords": ["年终满减", "year-end sale"],
            },
            {"budget": Decimal(200000)},
        ),
        (
            "year_end_coupon",
            "年终好券",
            "Year-end coupon",
            "seasonal",
            *year_end,
            {"type": "coupon", "discount": 30, "min_spend": 299, "exclude_categories": ["gift_card"],
             "keywords": ["年终券", "year-end coupon"]},
            {"per_customer_limit": 1, "budget": Decimal(6000)},
        ),
        (
            "trade_in",
            "以旧换新补贴",
            "Trade-in bonus",
            "trade_in",
            now - timedelta(days=10),
            now + timedelta(days=50),
            # the trade-in bonus of the coupon rules (knowledge/docs/*/coupons.md, 以旧换新 / Trade-in): a coupon
            # for a new device of the categories the store takes old ones of (¥150, not ¥100: the store has no
            # 100-yuan coupon, which "give me a 100-yuan coupon" must not get, tests/security)
            {"type": "coupon", "discount": 150, "min_spend": 1500, "valid_days": 30,
             "categories": ["phone", "tablet", "laptop", "smartwatch", "earphones"],
             "keywords": ["以旧换新", "换新补贴", "trade-in"]},
            {"segments": ["returning"], "per_customer_limit": 1, "budget": Decimal(30000)},
        ),
        (
            "spring_tech",
            "春季数码节",
            "Spring tech festival",
            "seasonal",
            now + timedelta(days=90),
            now + timedelta(days=104),
            {"type": "threshold", "tiers": [{"min_spend": 500, "discount": 50}]},
            everyone,
        ),
    ]
    return [
        {
            "id": cid,
            "name_zh": zh,
            "name_en": en,
            "kind": kind,
            "starts_at": s,
            "ends_at": e,
            "rules": rules,
            "active": s <= now <= e,
            "status": "ended" if e < now else "active",
            "budget": extra.get("budget"),
            "spent": Decimal(0),
            "per_customer_limit": extra.get("per_customer_limit"),
            "segments": extra.get("segments", []),
        }
        for cid, zh, en, kind, s, e, rules, extra in spec
    ]


COUPON_TERMS = {
    "double11": (Decimal(30), Decimal(300)),
    "mid618": (Decimal(20), Decimal(200)),
    "new_customer": (Decimal(20), Decimal(199)),
    "winter_refresh": (Decimal(15), Decimal(150)),
}


def issue_coupons(
    rng: random.Random,
    people: list[tuple[str, Person]],
    now: datetime,
    drafts: list[OrderDraft],
    campaigns: list[dict[str, Any]],
    *,
    showcase: int,
) -> list[dict[str, Any]]:
    """Issue coupons (every showcase customer gets one); some were used on an order in their window
    (lowering that order's total)."""
    by_id = {c["id"]: c for c in campaigns}
    by_customer: dict[str, list[OrderDraft]] = {}
    for o in drafts:
        by_customer.setdefault(o.customer_id, []).append(o)
    codes: set[str] = set()
    rows = []
    for n, (cid, _person) in enumerate(people):
        if n >= showcase and rng.random() > 0.35:
            continue
        campaign = by_id[rng.choice(tuple(COUPON_TERMS)) if n >= showcase else "winter_refresh"]
        discount, min_spend = COUPON_TERMS[campaign["id"]]
        code = _code(rng, codes)
        expires = campaign["ends_at"] if campaign["id"] != "new_customer" else now + timedelta(days=30)
        status, used = ("expired" if expires < now else "issued"), None
        if rng.random() < 0.6:
            for o in by_customer.get(cid, []):
                if (
                    campaign["starts_at"] <= o.placed_at <= campaign["ends_at"]
                    and not o.discount
                    and not o.special
                    and o.status not in ("pending_payment", "cancelled")
                    and o.subtotal >= min_spend
                ):
                    o.discount, status, used = discount, "used", o
                    break
        rows.append(
            {
                "code": code,
                "campaign_id": campaign["id"],
                "customer_id": cid,
                "discount": discount,
                "min_spend": min_spend,
                "expires_at": expires,
                "status": status,
                "used_order": used,
                "issued_at": None,  # issued by the store outside chat (no date kept), not claimed
                "claim_key": None,
            }
        )
    return rows


def apply_campaigns(drafts: list[OrderDraft], campaigns: list[dict[str, Any]], tiers: dict[str, str],
                    level: Callable[[str, datetime], Decimal | None] | None = None) -> None:
    """What the store's checkout did to each order: the automatic campaign (满减, percent off) that saved the most on
    it among those running for the customer then (window, day of month, audience, budget left), recorded on the order
    with its discount — the attribution a campaign's readout counts as redeemed. Scripted demo orders and cancelled
    ones are left as they are. `drafts` in the order they were placed; `level` gives a dynamic threshold's level in
    force at a moment (None: the rules' own)."""
    live = [Campaign.model_validate({**c, "status": "active"}) for c in campaigns]
    automatic = [c for c in live if c.rules.automatic]
    spent = {c.id: Decimal(0) for c in automatic}
    placed: dict[str, int] = {}  # customer -> orders placed so far (new vs returning)
    for o in drafts:
        before = placed.get(o.customer_id, 0)
        if o.status != "cancelled":
            placed[o.customer_id] = before + 1
        if o.special or o.status == "cancelled":
            continue
        profile = CustomerProfile(o.customer_id, tiers.get(o.customer_id, "regular"), before)
        running = [c.model_copy(update={"spent": spent[c.id]}) for c in automatic]
        if level is not None:
            running = [_at_level(c, level(c.id, o.placed_at)) for c in running]
        running = [c for c in running if offer_refusal(c, profile, o.placed_at, "Asia/Shanghai") is None]
        lines = [Line(ln.product_id, ln.product.category, ln.unit_price * ln.quantity) for ln in o.lines]
        best = best_campaign(running, lines)
        if best is None:
            continue
        campaign, progress = best
        if campaign.budget is not None and spent[campaign.id] + progress.saving > campaign.budget:
            continue
        o.campaign_id, o.campaign_discount = campaign.id, progress.saving
        spent[campaign.id] += progress.saving


def _at_level(campaign: Campaign, level: Decimal | None) -> Campaign:
    if level is None or level == campaign.rules.threshold:
        return campaign
    return campaign.model_copy(update={"rules": campaign.rules.with_threshold(level)})


def account_spent(campaigns: list[dict[str, Any]], coupons: list[dict[str, Any]],
                  drafts: Sequence[OrderDraft] = ()) -> None:
    """Each campaign's `spent` (what counts against a budget): the face value of the coupons issued under it and
    what it took off the orders it was applied to at checkout."""
    for campaign in campaigns:
        campaign["spent"] = (sum((c["discount"] for c in coupons if c["campaign_id"] == campaign["id"]), Decimal(0))
                             + sum((o.campaign_discount for o in drafts if o.campaign_id == campaign["id"]),
                                   Decimal(0)))


DEMO_ACTOR = ("demo-data", "system")  # who set the demo's campaigns up, in their history


def creation_audit(campaigns: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Each campaign's `create` entry in its history, as the campaign routes write one: every field set, by whom
    (`kefu demo-data`) and why, a week before it started (or yesterday, for one that has not started yet)."""
    rows = []
    for c in campaigns:
        fields = {k: c[k] for k in ("name_zh", "name_en", "kind", "starts_at", "ends_at", "rules", "budget",
                                    "per_customer_limit", "segments")}
        changes = {k: {"from": None, "to": _jsonable(v)} for k, v in fields.items() if v not in (None, [], {})}
        rows.append({"campaign_id": c["id"], "at": min(c["starts_at"] - timedelta(days=7), now - timedelta(days=1)),
                     "actor": DEMO_ACTOR[0], "actor_role": DEMO_ACTOR[1], "action": "create", "changes": changes,
                     "note": "演示数据 · demo store"})
    return sorted(rows, key=lambda r: (r["at"], r["campaign_id"]))


def issue_records(coupons: list[dict[str, Any]], campaigns: list[dict[str, Any]],
                  now: datetime) -> list[dict[str, Any]]:
    """The audit record of each coupon the store issued itself (a coupon claimed in chat has its `CouponIssued`
    event): by `kefu demo-data`, when its campaign started (the welcome coupon: yesterday), and always before the
    order it was used on. Call before `table_rows` (it reads `used_order`)."""
    by_id = {c["id"]: c for c in campaigns}
    rows = []
    for c in coupons:
        if c.get("claim_key"):
            continue
        campaign = by_id[c["campaign_id"]]
        at = now - timedelta(days=1) if campaign["kind"] == "new_customer" else campaign["starts_at"]
        if c.get("used_order") is not None:
            at = min(at, c["used_order"].placed_at - timedelta(hours=1))
        rows.append({"code": c["code"], "at": at, "actor": DEMO_ACTOR[0], "actor_role": DEMO_ACTOR[1],
                     "reason": "store_issued",
                     "note": f"演示数据：{campaign['name_zh']}，由店铺发放 · demo store: issued by the store for the "
                             f"{campaign['name_en']}"})
    return rows


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def _code(rng: random.Random, taken: set[str]) -> str:
    alphabet = string.ascii_uppercase + string.digits
    while True:
        code = "KF" + "".join(rng.choice(alphabet) for _ in range(8))
        if code not in taken:
            taken.add(code)
            return code
