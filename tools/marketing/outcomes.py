"""What the marketing outcome log says: each association rule's cross-sell acceptance, and the click-through of
recommended products by where they came from. Plain functions over dialogue events (any iterable, any order,
several conversations mixed); no store, no server.

Cross-sell acceptance (`rule_acceptance`): one row per rule key `(rule set, antecedent, consequent)` of the
`OfferMade` events (kind `cross_sell`); offers that no rule chose (the catalogue's fit) share one row whose
`rule_set` is None. An offer's outcomes are the `OfferAnswered` events naming it (`offer_event_id`); answers
to offers not among the events are ignored. Each offer counts once per outcome however often it was answered;
an offer is *accepted* when the customer took it (added to cart or bought; a click is interest, counted apart)
and *declined* when it was turned down and never accepted.

Click-through (`click_through`): every product of every `RecommendationShown` is one impression. A customer's
`ProductInteracted` credits the latest earlier list in the same conversation that showed that product (a
product interacted with before any list showed it credits nothing). An impression counts once per outcome:
*click* when the card was clicked or viewed, *add to cart*, *purchase*. Impressions are totalled (`all`) and
grouped three ways:
by the candidate's `source` (model, co-occurrence, popular, compatible, repeat; `none` for lists the tool did
not score, such as search results), by re-ranking policy (the list's `bandit.policy`, `none` without one) and
by the tool that showed the list.

Rates come with a 95% Wilson score interval, which stays inside [0, 1] and is honest for small counts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agent.events import Event, OfferAnswered, OfferMade, ProductInteracted, RecommendationShown

Z95 = 1.959963984540054
POSITIVE_OUTCOMES = ("clicked", "added_to_cart", "purchased")
# An offer is accepted when the customer takes it (into the cart, or bought); a click is interest, counted apart.
ACCEPTED_OUTCOMES = ("added_to_cart", "purchased")
CLICK_KINDS = ("clicked", "viewed")
NO_SOURCE = "none"  # a list the tool did not score, or no re-ranking policy
DIMENSIONS = ("all", "source", "bandit", "tool")  # "all": one group of every impression


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95% by default); None without trials."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class Rate:
    """successes / trials with its 95% Wilson interval (all None without trials)."""

    value: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, successes: int, trials: int) -> Rate:
        interval = wilson(successes, trials)
        if interval is None:
            return cls(None, None, None)
        return cls(successes / trials, *interval)


@dataclass(frozen=True, slots=True, order=True)
class RuleKey:
    """What names a rule across rule files and offers: items sorted, so the order they were written in does not
    matter. `rule_set` None: offers no rule chose."""

    rule_set: str | None
    antecedent: tuple[str, ...]
    consequent: tuple[str, ...]

    @classmethod
    def of(cls, rule_set: str | None, antecedent: Iterable[Any], consequent: Iterable[Any]) -> RuleKey:
        return cls(rule_set, tuple(sorted(str(i) for i in antecedent)), tuple(sorted(str(i) for i in consequent)))

    @classmethod
    def of_offer(cls, rule: dict[str, Any] | None) -> RuleKey:
        """The key of an `OfferMade.rule` payload (None or one without a rule set: the catalogue's fit)."""
        if not isinstance(rule, dict) or not rule.get("rule_set"):
            return cls(None, (), ())
        return cls.of(str(rule["rule_set"]), _items(rule.get("antecedent")), _items(rule.get("consequent")))


def _items(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)] if value not in (None, "") else []


@dataclass(frozen=True, slots=True)
class RuleAcceptance:
    """One rule's cross-sell offers and what became of them."""

    key: RuleKey
    by: str  # product | category | item, from the offers ("" when no rule chose them)
    offers: int
    clicked: int
    added_to_cart: int
    purchased: int
    declined: int
    accepted: int  # offers with any positive answer
    unanswered: int
    acceptance: Rate  # accepted / offers


@dataclass(frozen=True, slots=True)
class SourceCTR:
    """Impressions of one group (`dimension` source | bandit | tool, `key` its value) and what they earned."""

    dimension: str
    key: str
    impressions: int
    lists: int  # lists with at least one impression of the group
    clicks: int
    added_to_cart: int
    purchased: int
    ctr: Rate  # clicks / impressions
    cart_rate: Rate  # added_to_cart / impressions
    purchase_rate: Rate  # purchased / impressions


def _ordered(events: Iterable[Event]) -> dict[str, list[Event]]:
    """Events per conversation in log order (sequence number, then time; ties keep the input order)."""
    by_conversation: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_conversation[event.conversation_id].append(event)
    for log in by_conversation.values():
        log.sort(key=lambda e: (e.seq, e.at))
    return by_conversation


def rule_acceptance(events: Iterable[Event]) -> list[RuleAcceptance]:
    """Cross-sell acceptance per rule key, most offers first (then by key)."""
    offers: dict[str, OfferMade] = {}
    answers: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if isinstance(event, OfferMade) and event.kind == "cross_sell":
            offers[event.id] = event
        elif isinstance(event, OfferAnswered):
            answers[event.offer_event_id].add(event.outcome)

    counts: dict[RuleKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by: dict[RuleKey, str] = {}
    for offer_id, offer in offers.items():
        key = RuleKey.of_offer(offer.rule)
        if key.rule_set is not None and key not in by:
            by[key] = str((offer.rule or {}).get("by") or "")
        outcomes = answers.get(offer_id, set())
        accepted = bool(outcomes & set(ACCEPTED_OUTCOMES))
        c = counts[key]
        c["offers"] += 1
        for outcome in POSITIVE_OUTCOMES:
            c[outcome] += outcome in outcomes
        c["accepted"] += accepted
        c["declined"] += "declined" in outcomes and not accepted
        c["unanswered"] += not outcomes

    rows = [
        RuleAcceptance(
            key=key,
            by=by.get(key, ""),
            offers=c["offers"],
            clicked=c["clicked"],
            added_to_cart=c["added_to_cart"],
            purchased=c["purchased"],
            declined=c["declined"],
            accepted=c["accepted"],
            unanswered=c["unanswered"],
            acceptance=Rate.of(c["accepted"], c["offers"]),
        )
        for key, c in counts.items()
    ]
    rows.sort(key=lambda r: (-r.offers, r.key.rule_set is None, r.key.rule_set or "", r.key))
    return rows


@dataclass(slots=True)
class _Impression:
    groups: tuple[tuple[str, str], ...]  # (dimension, key) per dimension
    outcomes: set[str] = field(default_factory=set)


def _impressions(shown: RecommendationShown) -> dict[str, _Impression]:
    """The list's impressions by product id (a product listed twice is one impression)."""
    sources = {
        str(c.get("product_id")): str(c.get("source") or NO_SOURCE)
        for c in shown.candidates
        if isinstance(c, dict) and c.get("product_id") is not None
    }
    bandit = shown.bandit.get("policy") if isinstance(shown.bandit, dict) else None
    policy = str(bandit) if bandit else NO_SOURCE
    tool = shown.source or NO_SOURCE
    return {
        pid: _Impression(
            (("all", "all"), ("source", sources.get(pid, NO_SOURCE)), ("bandit", policy), ("tool", tool))
        )
        for pid in dict.fromkeys(str(p) for p in shown.product_ids)
    }


def click_through(events: Iterable[Event]) -> list[SourceCTR]:
    """Impressions and outcomes per group: dimensions in `DIMENSIONS` order, most impressions first within one."""
    lists: list[dict[str, _Impression]] = []
    for log in _ordered(events).values():
        latest: dict[str, _Impression] = {}  # product id -> its impression in the latest list that showed it
        for event in log:
            if isinstance(event, RecommendationShown):
                shown = _impressions(event)
                lists.append(shown)
                latest.update(shown)
            elif isinstance(event, ProductInteracted) and event.product_id in latest:
                kind = "clicked" if event.kind in CLICK_KINDS else event.kind
                latest[event.product_id].outcomes.add(kind)

    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for shown in lists:
        groups_in_list: set[tuple[str, str]] = set()
        for impression in shown.values():
            for group in impression.groups:
                c = counts[group]
                c["impressions"] += 1
                for outcome in POSITIVE_OUTCOMES:
                    c[outcome] += outcome in impression.outcomes
                groups_in_list.add(group)
        for group in groups_in_list:
            counts[group]["lists"] += 1

    rows = [
        SourceCTR(
            dimension=dimension,
            key=key,
            impressions=c["impressions"],
            lists=c["lists"],
            clicks=c["clicked"],
            added_to_cart=c["added_to_cart"],
            purchased=c["purchased"],
            ctr=Rate.of(c["clicked"], c["impressions"]),
            cart_rate=Rate.of(c["added_to_cart"], c["impressions"]),
            purchase_rate=Rate.of(c["purchased"], c["impressions"]),
        )
        for (dimension, key), c in counts.items()
    ]
    rows.sort(key=lambda r: (DIMENSIONS.index(r.dimension), -r.impressions, r.key))
    return rows
