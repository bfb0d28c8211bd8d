"""One new-customer coupon per linked group: the rule that stops one person farming welcome coupons with new
accounts. A campaign for the `new_customer` segment refuses a customer when any account linked to theirs (the
identity graph: a shared device, phone, address or payment token) already holds a coupon of such a campaign. The
refusal names no other account and none of the shared values: it says only that the account is linked to one
that had the welcome coupon.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tools.marketing.campaigns.eligibility import HeldCoupon, Refusal
from tools.marketing.campaigns.rules import Campaign

NEW_CUSTOMER = "new_customer"


def is_new_customer_offer(campaign: Campaign) -> bool:
    return NEW_CUSTOMER in campaign.segments


def linked_refusal(campaign: Campaign, linked: Iterable[str], coupons_of: Callable[[str], list[HeldCoupon]],
                   new_customer_campaigns: set[str]) -> Refusal | None:
    """Refuse a new-customer coupon when a linked account already got one (of any new-customer campaign)."""
    if not is_new_customer_offer(campaign):
        return None
    for account in linked:
        if any(c.campaign_id in new_customer_campaigns for c in coupons_of(account)):
            return Refusal("coupon_linked_account", {"campaign_id": campaign.id, "name_zh": campaign.name_zh,
                                                     "name_en": campaign.name_en})
    return None
