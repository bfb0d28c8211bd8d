"""The identity graph: accounts linked by identifiers they share, as connected components with the evidence.

Plain rows in (`IdentifierRow`: account, kind, value), groups out. Two accounts are linked when they share the
normalised key of a device, phone, address or payment token (`identity_keys`). A value shared by more than
`hub_limit` accounts is a hub — a store pickup point, a shop's demo phone, an office's payment terminal — and is
no evidence: it is reported, never linked through, or one public value would join half the store. Placeholders
(an all-zero device id) have no key at all.

Evidence is kept per link (the pair of accounts and the values they share) and per group (each shared value and
its accounts), with values masked for display (`identity_keys.masked`). Nothing here reads a database.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

import networkx as nx

from tools.marketing.insight.identity_keys import KINDS, identifier_key, masked

HUB_LIMIT = 8  # a value on more accounts than this is a public value, not evidence


@dataclass(frozen=True, slots=True)
class IdentifierRow:
    """One identifier seen on one account (raw value; the graph normalises it)."""

    customer_id: str
    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class SharedValue:
    """One identifier value several accounts share: the evidence, masked for display."""

    kind: str
    shown: str
    accounts: tuple[str, ...]
    key: str = field(repr=False, compare=True)


@dataclass(frozen=True, slots=True)
class Link:
    """Two accounts and the values they share directly."""

    a: str
    b: str
    evidence: tuple[SharedValue, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.kind for e in self.evidence))


@dataclass(frozen=True, slots=True)
class LinkedGroup:
    """A connected component of two or more accounts."""

    group_id: str
    accounts: tuple[str, ...]
    evidence: tuple[SharedValue, ...]
    links: tuple[Link, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(k for k in KINDS if any(e.kind == k for e in self.evidence))


@dataclass(frozen=True, slots=True)
class IdentityGraph:
    groups: tuple[LinkedGroup, ...]
    hubs: tuple[SharedValue, ...]  # values too common to be evidence
    accounts: int  # accounts with at least one identifier
    _by_account: dict[str, LinkedGroup] = field(default_factory=dict, repr=False, compare=False)

    def group_of(self, customer_id: str) -> LinkedGroup | None:
        """The customer's group, or None when no other account shares anything with them."""
        return self._by_account.get(customer_id)

    def linked_to(self, customer_id: str) -> tuple[str, ...]:
        """The other accounts of the customer's group."""
        group = self.group_of(customer_id)
        return tuple(a for a in group.accounts if a != customer_id) if group else ()


def group_id(accounts: Iterable[str]) -> str:
    """A stable name for a set of accounts (the same accounts, the same id), revealing none of them."""
    return "grp_" + hashlib.sha256(",".join(sorted(accounts)).encode()).hexdigest()[:10]


def build_graph(rows: Iterable[IdentifierRow], *, hub_limit: int = HUB_LIMIT,
                kinds: Iterable[str] = KINDS) -> IdentityGraph:
    """Link accounts by shared identifier keys of the given kinds; values on more than `hub_limit` accounts are
    hubs, not evidence."""
    wanted = set(kinds)
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    raw: dict[tuple[str, str], str] = {}
    seen: set[str] = set()
    for row in rows:
        seen.add(row.customer_id)
        if row.kind not in wanted:
            continue
        key = identifier_key(row.kind, row.value)
        if key is None:
            continue
        holders[(row.kind, key)].add(row.customer_id)
        raw.setdefault((row.kind, key), row.value)
    graph = nx.Graph()
    hubs = []
    for (kind, key), accounts in sorted(holders.items()):
        if len(accounts) < 2:
            continue
        value = SharedValue(kind, masked(kind, raw[(kind, key)], key), tuple(sorted(accounts)), key)
        if len(accounts) > hub_limit:
            hubs.append(value)
            continue
        for a, b in combinations(value.accounts, 2):
            if graph.has_edge(a, b):
                graph[a][b]["evidence"].append(value)
            else:
                graph.add_edge(a, b, evidence=[value])
    groups = []
    for component in nx.connected_components(graph):
        accounts = tuple(sorted(component))
        sub = graph.subgraph(component)
        links = tuple(sorted((Link(*sorted((a, b)), tuple(data["evidence"])) for a, b, data in sub.edges(data=True)),
                             key=lambda link: (link.a, link.b)))
        evidence = tuple(dict.fromkeys(e for link in links for e in link.evidence))
        evidence = tuple(sorted(evidence, key=lambda e: (KINDS.index(e.kind), e.accounts, e.key)))
        groups.append(LinkedGroup(group_id(accounts), accounts, evidence, links))
    groups.sort(key=lambda g: (-len(g.accounts), g.accounts))
    by_account = {a: g for g in groups for a in g.accounts}
    hubs.sort(key=lambda h: (-len(h.accounts), h.kind, h.key))
    return IdentityGraph(tuple(groups), tuple(hubs), len(seen), by_account)
