"""`SqlIdentityStore`: the account identifiers (`account_identifiers`) as the identity graph reads them.

`graph()` loads every identifier with a key and builds the whole graph (the CLI, the console's list).
`linked_to(customer)` (the coupon claim's `LinkedAccounts`) walks out from one account by stored keys instead,
a hop at a time, dropping hub keys (more than `hub_limit` accounts) before following them, and runs the same
graph code on what it found: the same answer as the whole graph, at the cost of a few small queries.
`record()` is how a sign-in, session or order adds what it saw.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import AccountIdentifier
from server.db.reads import reading
from tools.marketing.insight.identity_graph import HUB_LIMIT, IdentifierRow, IdentityGraph, build_graph
from tools.marketing.insight.identity_keys import identifier_key

MAX_GROUP = 200  # a walk that reaches this many accounts stops (a group that big is a data problem to look at)


class SqlIdentityStore:
    def __init__(self, session_factory: sessionmaker[Session], *, hub_limit: int = HUB_LIMIT) -> None:
        self._sessions = session_factory
        self.hub_limit = hub_limit

    def rows(self) -> list[IdentifierRow]:
        with self._sessions() as s:
            return [IdentifierRow(c, k, v) for c, k, v in s.execute(
                select(AccountIdentifier.customer_id, AccountIdentifier.kind, AccountIdentifier.value)
                .where(AccountIdentifier.value_key.is_not(None))
                .order_by(AccountIdentifier.customer_id, AccountIdentifier.id))]

    def graph(self) -> IdentityGraph:
        return build_graph(self.rows(), hub_limit=self.hub_limit)

    def neighbourhood(self, customer_id: str) -> IdentityGraph:
        """The graph of the accounts reachable from `customer_id` through keys that are not hubs."""
        found: list[IdentifierRow] = []
        accounts, frontier = {customer_id}, {customer_id}
        followed: set[tuple[str, str]] = set()
        with reading(self._sessions) as s:
            while frontier and len(accounts) < MAX_GROUP:
                keys = {(k, v) for k, v in s.execute(
                    select(AccountIdentifier.kind, AccountIdentifier.value_key)
                    .where(AccountIdentifier.customer_id.in_(frontier), AccountIdentifier.value_key.is_not(None)))}
                keys -= followed
                followed |= keys
                if not keys:
                    break
                holders: dict[tuple[str, str], list[IdentifierRow]] = defaultdict(list)
                for c, k, key, v in s.execute(
                        select(AccountIdentifier.customer_id, AccountIdentifier.kind, AccountIdentifier.value_key,
                               AccountIdentifier.value)
                        .where(tuple_(AccountIdentifier.kind, AccountIdentifier.value_key).in_(sorted(keys)))):
                    holders[(k, key)].append(IdentifierRow(c, k, v))
                frontier = set()
                for rows in holders.values():
                    if len({r.customer_id for r in rows}) > self.hub_limit:
                        continue  # a hub: no evidence, never followed
                    found += rows
                    frontier |= {r.customer_id for r in rows} - accounts
                accounts |= frontier
        return build_graph(found, hub_limit=self.hub_limit)

    def linked_to(self, customer_id: str) -> tuple[str, ...]:
        return self.neighbourhood(customer_id).linked_to(customer_id)

    def record(self, customer_id: str, kind: str, value: str, source: str, at: datetime) -> None:
        """Add an identifier seen on an account, or move its `last_seen` on."""
        with self._sessions.begin() as s:
            row = s.scalar(select(AccountIdentifier).where(AccountIdentifier.customer_id == customer_id,
                                                           AccountIdentifier.kind == kind,
                                                           AccountIdentifier.value == value))
            if row is not None:
                row.last_seen = max(row.last_seen, at)
                return
            s.add(AccountIdentifier(customer_id=customer_id, kind=kind, value=value,
                                    value_key=identifier_key(kind, value), source=source, first_seen=at, last_seen=at))

    def counts(self) -> dict[str, int]:
        with self._sessions() as s:
            return {k: n for k, n in s.execute(select(AccountIdentifier.kind, func.count())
                                               .group_by(AccountIdentifier.kind))}


@dataclass(slots=True)
class AccountFacts:
    name: str
    created_at: datetime | None
    orders: int = 0
    new_customer_coupons: int = 0


def account_facts(sessions: sessionmaker[Session], customer_ids: list[str]) -> dict[str, AccountFacts]:
    """What an operator needs beside each linked account: its name, orders placed (not cancelled), when it was
    created, and how many new-customer coupons it holds (any status)."""
    from server.db.models import Campaign, Coupon, Customer, Order

    if not customer_ids:
        return {}
    with sessions() as s:
        facts = {
            cid: AccountFacts(name, created)
            for cid, name, created in s.execute(select(Customer.id, Customer.name, Customer.created_at)
                                                .where(Customer.id.in_(customer_ids)))}
        for cid, n in s.execute(select(Order.customer_id, func.count()).where(
                Order.customer_id.in_(customer_ids), Order.status != "cancelled").group_by(Order.customer_id)):
            facts[cid].orders = n
        newcomer = [c.id for c in s.scalars(select(Campaign)) if "new_customer" in (c.segments or [])]
        if newcomer:
            for cid, n in s.execute(select(Coupon.customer_id, func.count()).where(
                    Coupon.customer_id.in_(customer_ids), Coupon.campaign_id.in_(newcomer))
                    .group_by(Coupon.customer_id)):
                facts[cid].new_customer_coupons = n
    return facts
