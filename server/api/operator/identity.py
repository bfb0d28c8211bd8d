"""`/api/operator/customers/{id}/linked` and `/api/operator/identity/groups`: the identity graph for staff.

The customer's linked accounts (the conversation's side panel) are for operators and supervisors, who are looking
at that customer; the store-wide list of linked groups is for supervisors and marketers, who look for coupon
abuse. Values are masked (phones 138****8000, addresses to the district, tokens and devices by their last four)
with a fingerprint that shows when two accounts share the same one.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from server.api.deps import RuntimeDep
from server.api.operator.deps import STAFF_ROLES, require_role
from server.db.identities import AccountFacts, SqlIdentityStore, account_facts
from server.errors import ApiError
from tools.marketing.insight.identity_graph import LinkedGroup, SharedValue

router = APIRouter(prefix="/api/operator", tags=["operator console"])
CustomerId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,16}$")]


class SharedValueOut(BaseModel):
    kind: str
    value: str  # masked
    accounts: list[str]


class HubOut(BaseModel):
    kind: str
    value: str  # masked
    accounts: int


class LinkOut(BaseModel):
    a: str
    b: str
    kinds: list[str]
    evidence: list[SharedValueOut]


class LinkedAccountOut(BaseModel):
    customer_id: str
    name: str
    created_at: datetime | None
    orders: int
    new_customer_coupons: int


class GroupOut(BaseModel):
    group_id: str
    kinds: list[str]
    accounts: list[LinkedAccountOut]
    new_customer_coupons: int  # the group's together: more than one is what the coupon rule now refuses
    evidence: list[SharedValueOut]
    links: list[LinkOut]


class CustomerLinksOut(BaseModel):
    customer_id: str
    group: GroupOut | None


class GroupsOut(BaseModel):
    accounts: int
    linked_accounts: int
    groups: list[GroupOut]
    hubs: list[HubOut]


def _value(v: SharedValue) -> SharedValueOut:
    return SharedValueOut(kind=v.kind, value=v.shown, accounts=list(v.accounts))


def _group(g: LinkedGroup, facts: dict[str, AccountFacts]) -> GroupOut:
    accounts = []
    for cid in g.accounts:
        f = facts.get(cid) or AccountFacts("", None)
        accounts.append(LinkedAccountOut(customer_id=cid, name=f.name, created_at=f.created_at, orders=f.orders,
                                         new_customer_coupons=f.new_customer_coupons))
    return GroupOut(group_id=g.group_id, kinds=list(g.kinds), accounts=accounts,
                    new_customer_coupons=sum(a.new_customer_coupons for a in accounts),
                    evidence=[_value(v) for v in g.evidence],
                    links=[LinkOut(a=link.a, b=link.b, kinds=list(link.kinds),
                                   evidence=[_value(v) for v in link.evidence]) for link in g.links])


@router.get("/customers/{customer_id}/linked", response_model=CustomerLinksOut,
            dependencies=[Depends(require_role(*STAFF_ROLES))])
async def customer_links(customer_id: CustomerId, runtime: RuntimeDep) -> CustomerLinksOut:
    """The accounts linked to this customer's, with what links them; `group` null when nothing does."""
    def read() -> CustomerLinksOut:
        if runtime.customers.get(customer_id) is None:
            raise ApiError(404, "unknown_customer", "No such customer.")
        group = SqlIdentityStore(runtime.sessions).neighbourhood(customer_id).group_of(customer_id)
        if group is None:
            return CustomerLinksOut(customer_id=customer_id, group=None)
        return CustomerLinksOut(customer_id=customer_id,
                                group=_group(group, account_facts(runtime.sessions, list(group.accounts))))

    return await asyncio.to_thread(read)


@router.get("/identity/groups", response_model=GroupsOut,
            dependencies=[Depends(require_role("supervisor", "marketer"))])
async def identity_groups(runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> GroupsOut:
    """Every linked group, largest first (at most `limit`), and the values ignored as too common."""
    def read() -> GroupsOut:
        graph = SqlIdentityStore(runtime.sessions).graph()
        groups = graph.groups[:limit]
        facts = account_facts(runtime.sessions, [a for g in groups for a in g.accounts])
        return GroupsOut(accounts=graph.accounts, linked_accounts=sum(len(g.accounts) for g in graph.groups),
                         groups=[_group(g, facts) for g in groups],
                         hubs=[HubOut(kind=h.kind, value=h.shown, accounts=len(h.accounts)) for h in graph.hubs])

    return await asyncio.to_thread(read)
