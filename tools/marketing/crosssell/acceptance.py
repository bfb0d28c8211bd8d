"""Each rule's acceptance rate, from the marketing outcome log: cross-sell offers made (`OfferMade`) and what became
of them (`OfferAnswered`). Plain events in, rows out; the console's rules view shows them beside the rules' figures.

    rows = acceptance(events)     # every OfferMade / OfferAnswered of the period, any order, other events ignored
    for row in rows: row.rule_set, row.antecedent, row.consequent, row.offers, row.accepted, row.rate

Counts are of offers, each counted once per outcome however often it was clicked. `accepted` counts offers taken
up (added to the cart or bought); `rate = accepted / offers`. Offers the catalogue's fit chose (no rule) share one
row with `rule_set` None. An answer whose offer is not among `events` is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agent.events import Event, OfferAnswered, OfferMade

RuleKey = tuple[str | None, tuple[str, ...], tuple[str, ...]]  # (rule set, antecedent, consequent)


@dataclass(frozen=True, slots=True)
class RuleAcceptance:
    """How one rule's offers were answered. `by` is the rule set's item kind (product or category), None with
    `rule_set` for the catalogue's fit."""

    rule_set: str | None
    by: str | None
    antecedent: tuple[str, ...]
    consequent: tuple[str, ...]
    offers: int
    clicked: int
    added: int
    purchased: int
    declined: int
    accepted: int  # offers added to the cart or bought
    rate: float  # accepted / offers

    @property
    def key(self) -> RuleKey:
        return (self.rule_set, self.antecedent, self.consequent)


@dataclass(slots=True)
class _Tally:
    by: str | None
    offers: int = 0
    outcomes: dict[str, set[str]] = field(default_factory=dict)  # outcome -> offer event ids


def acceptance(events: Iterable[Event], *, kind: str = "cross_sell") -> list[RuleAcceptance]:
    """Per rule: offers of `kind` made, answered by outcome, and the acceptance rate; most offered first, then by
    rate."""
    tallies: dict[RuleKey, _Tally] = {}
    offer_rule: dict[str, RuleKey] = {}
    answers: list[OfferAnswered] = []
    for event in events:
        if isinstance(event, OfferMade) and event.kind == kind:
            key, by = _rule_key(event.rule)
            tally = tallies.setdefault(key, _Tally(by))
            tally.offers += 1
            offer_rule[event.id] = key
        elif isinstance(event, OfferAnswered):
            answers.append(event)
    for answer in answers:
        key = offer_rule.get(answer.offer_event_id)
        if key is not None:
            tallies[key].outcomes.setdefault(answer.outcome, set()).add(answer.offer_event_id)
    rows = []
    for (rule_set, antecedent, consequent), t in tallies.items():
        taken = t.outcomes.get("added_to_cart", set()) | t.outcomes.get("purchased", set())
        rows.append(RuleAcceptance(
            rule_set=rule_set, by=t.by, antecedent=antecedent, consequent=consequent, offers=t.offers,
            clicked=len(t.outcomes.get("clicked", ())), added=len(t.outcomes.get("added_to_cart", ())),
            purchased=len(t.outcomes.get("purchased", ())), declined=len(t.outcomes.get("declined", ())),
            accepted=len(taken), rate=len(taken) / t.offers,
        ))
    return sorted(rows, key=lambda r: (-r.offers, -r.rate, r.rule_set or "", r.antecedent, r.consequent))


def _rule_key(rule: dict[str, Any] | None) -> tuple[RuleKey, str | None]:
    if not rule:
        return (None, (), ()), None
    antecedent = tuple(str(i) for i in rule.get("antecedent") or ())
    consequent = tuple(str(i) for i in rule.get("consequent") or ())
    by = rule.get("by")
    return (str(rule.get("rule_set") or ""), antecedent, consequent), str(by) if by else None
