"""Dynamic thresholds in the store: what each level earned, and moving the level with its audit entry.

Observations (`observations`): every offer of the campaign recorded with the level in force
(`OfferMade.policy["threshold"]`) to a signed-in customer. The customer took part when, within
`ATTRIBUTION_DAYS` of the offer, they placed an order (not cancelled) whose spend on the campaign's items reached
that level (a coupon campaign: an order they used one of its coupons on); its reward is that spend times the
margin less the discount. Offers younger than the attribution window that have not converted yet count as not
taking part, which leans early figures low for every level alike.

Moves (`set_level`) change the threshold inside `rules` (the lowest tier's or the coupon's minimum spend), so
offers, the arithmetic and claims read the new level at once, in the same transaction as the audit entry, and
only if the level is still the one the decision was made on (two workers tuning at once move it once).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent.events import OfferMade
from server.db.campaigns import campaign_record
from server.db.marketing import events_in_window
from server.db.models import Campaign as CampaignRow
from server.db.models import CampaignChange, Conversation, Coupon, Order, OrderLine, Product
from tools.marketing.campaigns import Campaign, Line
from tools.marketing.campaigns.dynamic import Observation, reward
from tools.marketing.campaigns.rules import CampaignRules
from tools.marketing.campaigns.thresholds import scoped_amount

log = logging.getLogger(__name__)

ATTRIBUTION_DAYS = 7
MAX_OFFERS = 50000  # offers read per campaign and decision (the newest)
SETTING_ACTIONS = ("create", "update", "threshold", "revert", "pin")  # entries that may have set the level


class LevelChanged(Exception):
    """The threshold is no longer the level the move was decided on."""


def load(sessions: sessionmaker[Session], campaign_id: str) -> Campaign | None:
    with sessions() as s:
        row = s.get(CampaignRow, campaign_id)
        return Campaign.model_validate(campaign_record(row)) if row is not None else None


def level_set_at(sessions: sessionmaker[Session], campaign_id: str) -> datetime | None:
    """When the level in force was set (the newest audit entry that could have set it)."""
    with sessions() as s:
        return s.scalar(select(CampaignChange.at).where(CampaignChange.campaign_id == campaign_id,
                                                        CampaignChange.action.in_(SETTING_ACTIONS))
                        .order_by(CampaignChange.at.desc(), CampaignChange.id.desc()).limit(1))


def _level(policy: dict[str, Any] | None) -> Decimal | None:
    try:
        return Decimal(str(policy["threshold"])) if policy and policy.get("threshold") is not None else None
    except (ArithmeticError, ValueError):
        return None


def observations(sessions: sessionmaker[Session], campaign: Campaign, now: datetime,
                 since: datetime | None = None) -> list[tuple[datetime, Observation]]:
    """Offers of the campaign with their level and outcome, oldest first (see the module docstring)."""
    start = since or campaign.starts_at
    window = events_in_window(sessions, types=[OfferMade.type], since=start, until=now, limit=MAX_OFFERS)
    offers = [e for e in window.events if isinstance(e, OfferMade) and e.offer_id == campaign.id
              and _level(e.policy) is not None]
    if not offers:
        return []
    dt = campaign.rules.dynamic_threshold
    margin = dt.margin if dt else 0.3
    with sessions() as s:
        who = dict(s.execute(select(Conversation.id, Conversation.customer_id)
                             .where(Conversation.id.in_({e.conversation_id for e in offers}))).all())
        customers = sorted({c for c in who.values() if c})
        orders = s.execute(select(Order.id, Order.customer_id, Order.placed_at).where(
            Order.customer_id.in_(customers), Order.status != "cancelled", Order.placed_at >= start)
            .order_by(Order.placed_at)).all() if customers else []
        lines: dict[str, list[Line]] = defaultdict(list)
        if orders:
            for oid, pid, cat, price, qty in s.execute(
                    select(OrderLine.order_id, OrderLine.product_id, Product.category_key, OrderLine.unit_price,
                           OrderLine.quantity).join(Product, Product.id == OrderLine.product_id)
                    .where(OrderLine.order_id.in_([o[0] for o in orders]))):
                lines[oid].append(Line(pid, cat, Decimal(price) * qty))
        used = set(s.scalars(select(Coupon.used_order_id).where(Coupon.campaign_id == campaign.id,
                                                                 Coupon.status == "used"))) - {None}
    by_customer: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for oid, c, at in orders:
        by_customer[c].append((oid, at))
    out = []
    for e in offers:
        level = _level(e.policy)
        assert level is not None
        customer = who.get(e.conversation_id)
        if not customer:
            continue
        rules = _at(campaign.rules, level)
        discount = rules.tiers[0].discount if rules.tiers else (rules.discount or Decimal("0"))
        took, spend = False, Decimal("0")
        for oid, at in by_customer.get(customer, []):
            if not e.at <= at <= e.at + timedelta(days=ATTRIBUTION_DAYS):
                continue
            amount = scoped_amount(rules, lines.get(oid, []))
            if (oid in used) if rules.type == "coupon" else amount >= level:
                took, spend = True, amount
                break
        out.append((e.at, Observation(level, took, reward(spend, discount, margin) if took else 0.0)))
    return out


def _at(rules: CampaignRules, level: Decimal) -> CampaignRules:
    try:
        return rules.with_threshold(level)
    except ValueError:  # a level outside today's bounds (they were changed): count it at its own figure
        return rules


def set_level(sessions: sessionmaker[Session], campaign_id: str, *, expected: Decimal, level: Decimal | None,
              pinned: bool | None, action: str, actor: str, role: str, note: str, now: datetime) -> Campaign:
    """Set the threshold to `level` (None: keep it) and/or pin or unpin it, with the audit entry; `LevelChanged`
    when the threshold is no longer `expected`."""
    with sessions.begin() as s:
        row = s.get(CampaignRow, campaign_id, with_for_update=True)
        if row is None:
            raise LookupError(campaign_id)
        rules = CampaignRules.model_validate(row.rules or {})
        dt = rules.dynamic_threshold
        if dt is None:
            raise ValueError("the campaign has no dynamic threshold")
        if rules.threshold != expected:
            raise LevelChanged(f"{rules.threshold} is not {expected}")
        changes: dict[str, Any] = {}
        if level is not None and level != rules.threshold:
            changes["threshold"] = {"from": f"{rules.threshold:.2f}", "to": f"{level:.2f}"}
            rules = rules.with_threshold(level)
        if pinned is not None and pinned != dt.pinned:
            changes["pinned"] = {"from": dt.pinned, "to": pinned}
            rules = CampaignRules.model_validate({**rules.data(), "dynamic_threshold": {**dt.data(),
                                                                                        "pinned": pinned}})
        if changes:
            row.rules = rules.data()
            s.add(CampaignChange(campaign_id=campaign_id, at=now, actor=actor, actor_role=role, action=action,
                                 changes=changes, note=note))
        record = campaign_record(row)
    return Campaign.model_validate(record)


def last_move(sessions: sessionmaker[Session], campaign_id: str) -> dict[str, Any] | None:
    """The newest move the system made (`from`, `to`, `at`, `note`), or None."""
    with sessions() as s:
        row = s.scalar(select(CampaignChange).where(CampaignChange.campaign_id == campaign_id,
                                                    CampaignChange.action == "threshold")
                       .order_by(CampaignChange.at.desc(), CampaignChange.id.desc()).limit(1))
        if row is None or "threshold" not in (row.changes or {}):
            return None
        return {**row.changes["threshold"], "at": row.at, "note": row.note}


def moves(sessions: sessionmaker[Session], campaign_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The threshold's history: the system's moves and the marketer's answers, newest first."""
    with sessions() as s:
        rows = s.scalars(select(CampaignChange).where(CampaignChange.campaign_id == campaign_id,
                                                      CampaignChange.action.in_(("threshold", "revert", "pin",
                                                                                 "unpin")))
                         .order_by(CampaignChange.at.desc(), CampaignChange.id.desc()).limit(limit))
        return [{"at": r.at, "actor": r.actor, "actor_role": r.actor_role, "action": r.action,
                 "changes": dict(r.changes or {}), "note": r.note} for r in rows]
