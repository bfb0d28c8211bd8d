"""Threshold arithmetic on a basket (the cart, or the last order): how much of it a campaign counts, what it
saves now, and how much more reaches the next tier — "再买¥37就能用满300减50".

Store policy (knowledge/docs/*/coupons.md): a campaign counts only the items in its scope; one campaign
discount applies per order (the one that saves the most); a coupon's threshold is checked against its items
after that campaign discount, which is spread over the campaign's items in proportion to their prices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from tools.marketing.campaigns.rules import CENT, Campaign, CampaignRules, SpendTier, money

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Line:
    """One item of a basket: what it is and what it costs in all (unit price × quantity)."""

    product_id: str
    category: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Progress:
    """A campaign on a basket. `amount`: what it counts; `saving`: what it takes off now; `reached`: the best
    tier (or the coupon's own threshold) the amount reaches; `next` and `short`: the next tier up and how much
    more it needs (None when there is none)."""

    amount: Decimal
    saving: Decimal
    reached: SpendTier | None = None
    next: SpendTier | None = None
    short: Decimal | None = None

    @property
    def usable(self) -> bool:
        return self.saving > 0


def in_scope(rules: CampaignRules, line: Line) -> bool:
    if line.product_id in rules.exclude_products or line.category in rules.exclude_categories:
        return False
    if not rules.categories and not rules.products:
        return True
    return line.category in rules.categories or line.product_id in rules.products


def scoped_amount(rules: CampaignRules, lines: Sequence[Line]) -> Decimal:
    return money(sum((line.amount for line in lines if in_scope(rules, line)), ZERO))


def tier_progress(tiers: Sequence[SpendTier], amount: Decimal) -> Progress:
    """The best tier `amount` reaches and the next one up (tiers ascend, as validated)."""
    reached = [t for t in tiers if amount >= t.min_spend]
    ahead = [t for t in tiers if amount < t.min_spend]
    best = reached[-1] if reached else None
    nxt = ahead[0] if ahead else None
    return Progress(amount=money(amount), saving=money(best.discount) if best else ZERO, reached=best, next=nxt,
                    short=money(nxt.min_spend - amount) if nxt else None)


def percent_saving(percent: Decimal, amount: Decimal) -> Decimal:
    return (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def coupon_progress(min_spend: Decimal, discount: Decimal, amount: Decimal) -> Progress:
    """A coupon of `discount` off `min_spend` on `amount` of its items (a coupon never takes off more than the
    items cost)."""
    tier = SpendTier.model_construct(min_spend=money(min_spend), discount=money(discount))
    if amount > 0 and amount >= min_spend:
        return Progress(amount=money(amount), saving=money(min(discount, amount)), reached=tier)
    short = money(min_spend - amount) if min_spend > amount else None  # None: any item of its scope will do
    return Progress(amount=money(amount), saving=ZERO, next=tier, short=short)


def progress(rules: CampaignRules, lines: Sequence[Line]) -> Progress:
    """Any campaign's progress on a basket."""
    amount = scoped_amount(rules, lines)
    if rules.type == "threshold":
        return tier_progress(rules.tiers, amount)
    if rules.type == "percent_off":
        assert rules.percent_off is not None
        return Progress(amount=amount, saving=percent_saving(rules.percent_off, amount))
    assert rules.discount is not None
    return coupon_progress(rules.min_spend, rules.discount, amount)


def best_campaign(campaigns: Sequence[Campaign], lines: Sequence[Line]) -> tuple[Campaign, Progress] | None:
    """The automatic campaign that saves the most on the basket (the one checkout applies); None if none saves
    anything. Ties go to the first given."""
    best: tuple[Campaign, Progress] | None = None
    for campaign in campaigns:
        if not campaign.rules.automatic:
            continue
        p = progress(campaign.rules, lines)
        if p.saving > 0 and (best is None or p.saving > best[1].saving):
            best = (campaign, p)
    return best


def after_discount(lines: Sequence[Line], rules: CampaignRules, saving: Decimal) -> list[Line]:
    """The basket with `saving` taken off the campaign's items in proportion to their prices (to the cent; the
    last item takes the rounding), which is what a coupon's threshold is checked against."""
    scoped = [i for i, line in enumerate(lines) if in_scope(rules, line) and line.amount > 0]
    total = sum((lines[i].amount for i in scoped), ZERO)
    if saving <= 0 or total <= 0:
        return list(lines)
    out = list(lines)
    left = money(min(saving, total))
    for n, i in enumerate(scoped):
        share = left if n == len(scoped) - 1 else (saving * lines[i].amount / total).quantize(CENT, ROUND_HALF_UP)
        share = min(share, left)
        out[i] = replace(lines[i], amount=money(lines[i].amount - share))
        left -= share
    return out
