"""The offer bandit's decisions and their outcomes, read from the event log (any iterable, several conversations
mixed): what `OfferBandit.from_trials` rebuilds the posterior from, and what the chat credits online.

A decision is an `OfferMade` (kind campaign, coupon or trade_in) whose `policy` is the bandit's rank-0 record. Its
outcomes, in the same conversation after it: *claimed* when a `CouponIssued` of the offered campaign follows;
*redeemed* when that coupon was used on an order (`used_codes`, from the store), or, for a campaign applied at
checkout (nothing to claim), when the customer bought a product it covers (`ProductInteracted` purchased, the
product in its scope by `covers`) or placed an order the campaign discounted (`ordered`: the store's orders record
the campaign checkout applied).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from agent.events import CouponIssued, Event, OfferMade, ProductInteracted
from tools.marketing.offer_bandit import POLICY_NAME, OfferArm, OfferRewards, Trial

OFFER_KINDS = ("campaign", "coupon", "trade_in")  # a trade-in offer is a campaign or coupon put proactively


def is_decision(event: Event) -> bool:
    """An offer the bandit put first (what it learns from)."""
    policy = getattr(event, "policy", None)
    return (isinstance(event, OfferMade) and event.kind in OFFER_KINDS and isinstance(policy, dict)
            and policy.get("name") == POLICY_NAME and policy.get("rank") == 0 and bool(policy.get("arm")))


@dataclass(slots=True)
class Decision:
    """A logged decision and what became of it so far."""

    event: OfferMade
    segment: str
    arm: str
    propensity: float
    outcomes: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)  # coupons claimed under it

    @property
    def offer_id(self) -> str:
        return OfferArm.of_key(self.arm).offer_id

    def trial(self, rewards: OfferRewards) -> Trial:
        return Trial(self.segment, self.arm, rewards.of(self.outcomes), self.propensity)


def decision_of(event: OfferMade) -> Decision:
    policy = event.policy or {}
    try:
        propensity = float(policy.get("propensity") or 1.0)
    except (TypeError, ValueError):
        propensity = 1.0
    return Decision(event, str(policy.get("segment") or "anonymous"), str(policy["arm"]), propensity)


# (conversation id, campaign id, when it was offered) -> whether the conversation's customer then placed an order
# the campaign discounted at checkout
Ordered = Callable[[str, str, datetime], bool]


def decisions(events: Iterable[Event], *, used_codes: Iterable[str] = (),
              covers: Callable[[str, str], bool] | None = None, ordered: Ordered | None = None) -> list[Decision]:
    """Every decision in the events with its outcomes (see the module docstring), in log order."""
    used = set(used_codes)
    by_conversation: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        by_conversation[e.conversation_id].append(e)
    out: list[Decision] = []
    for log in by_conversation.values():
        log.sort(key=lambda e: (e.seq, e.at))
        open_: list[Decision] = []
        for e in log:
            if isinstance(e, OfferMade) and is_decision(e):
                d = decision_of(e)
                open_.append(d)
                out.append(d)
            elif isinstance(e, CouponIssued):
                latest = next((d for d in reversed(open_) if d.offer_id == e.campaign_id), None)
                if latest is not None:
                    latest.outcomes.add("claimed")
                    latest.codes.add(e.code)
                    if e.code in used:
                        latest.outcomes.add("redeemed")
            elif isinstance(e, ProductInteracted) and e.kind == "purchased":
                for d in reversed(open_):
                    if d.event.kind == "campaign" and (covers is None or covers(d.offer_id, e.product_id)):
                        d.outcomes.add("redeemed")
                        break
    if ordered is not None:
        for d in out:
            if d.event.kind == "campaign" and ordered(d.event.conversation_id, d.offer_id, d.event.at):
                d.outcomes.add("redeemed")
    return out


def trials(events: Iterable[Event], rewards: OfferRewards | None = None, *, used_codes: Iterable[str] = (),
           covers: Callable[[str, str], bool] | None = None, ordered: Ordered | None = None) -> list[Trial]:
    rewards = rewards or OfferRewards()
    return [d.trial(rewards) for d in decisions(events, used_codes=used_codes, covers=covers, ordered=ordered)]
