"""Campaigns and coupons on plain data: the rules marketers write and their validation (`rules`), who may have
an offer now and why not (`eligibility`), threshold arithmetic on a basket (`thresholds`), the campaign a
customer's words name (`words`), offers in zh and en words (`wording`), what the tools read from the event
log (`conversation`) and what they need from the store (`ports`). The chat tools on top are
`tools.marketing.offers_tool.OffersTool` and `tools.marketing.claim_tool.ClaimCouponTool`."""

from tools.marketing.campaigns.eligibility import CustomerProfile, HeldCoupon, Refusal, claim_refusal, offer_refusal
from tools.marketing.campaigns.ports import Basket, CampaignStore, ClaimOutcome, ClaimRequest
from tools.marketing.campaigns.rules import (
    SEGMENTS,
    STATUSES,
    Campaign,
    CampaignRules,
    CampaignSpec,
    SpendTier,
    money,
    validation_messages,
)
from tools.marketing.campaigns.thresholds import Line, Progress, after_discount, best_campaign, progress

__all__ = [
    "SEGMENTS",
    "STATUSES",
    "Basket",
    "Campaign",
    "CampaignRules",
    "CampaignSpec",
    "CampaignStore",
    "ClaimOutcome",
    "ClaimRequest",
    "CustomerProfile",
    "HeldCoupon",
    "Line",
    "Progress",
    "Refusal",
    "SpendTier",
    "after_discount",
    "best_campaign",
    "claim_refusal",
    "money",
    "offer_refusal",
    "progress",
    "validation_messages",
]
