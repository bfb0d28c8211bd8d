"""What the console's marketing view shows: the mined association rules with their figures and the cross-sell
acceptance each earned, and the click-through of recommended products by where they came from.

The rules are the rule files `kefu rules mine` wrote (`KEFU_RULES_DIR`, at most `MAX_RULE_SETS` of them); the
outcomes are counted from the event log of a window of days (`tools.marketing.outcomes`, at most `MAX_EVENTS`
events read, the newest). A rule and its offers meet by rule key (rule set, antecedent, consequent); offers
whose rule is in no file any more (re-mined away) and offers no rule chose are shown apart, never dropped.
Blocking (files and SQL): call it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from agent.events import OfferAnswered, OfferMade, ProductInteracted, RecommendationShown
from server.db.marketing import ItemLabel, category_names, events_in_window, item_labels
from tools.marketing.outcomes import Rate, RuleAcceptance, RuleKey, SourceCTR, click_through, rule_acceptance
from tools.marketing.rules.errors import RulesError
from tools.marketing.rules.store import RuleSet, load_rules, rule_files

MAX_RULE_SETS = 50
MAX_EVENTS = 50_000
RuleSort = Literal["lift", "confidence", "support", "acceptance", "offers"]
By = Literal["item", "product", "category"]


class UnknownRuleSet(LookupError):
    """A rule set was asked for by a name no rule file has."""


class Window(BaseModel):
    since: datetime
    until: datetime
    days: int


class RateOut(BaseModel):
    value: float | None = Field(description="successes / trials; null without trials")
    low: float | None = Field(description="lower end of the 95% Wilson interval")
    high: float | None = Field(description="upper end of the 95% Wilson interval")

    @classmethod
    def of(cls, rate: Rate) -> RateOut:
        return cls(value=_round(rate.value), low=_round(rate.low), high=_round(rate.high))


class ItemOut(BaseModel):
    id: str
    kind: Literal["product", "category", "item"]  # item: a name from a baskets file the catalogue does not know
    name_zh: str
    name_en: str
    category: str | None  # a product's category key; a category's own key


class RuleSetInfo(BaseModel):
    name: str
    engine: str
    by: str
    source: str
    min_support: float
    min_confidence: float
    n_baskets: int
    n_items: int
    n_rules: int
    mined_at: datetime


class RuleFileProblem(BaseModel):
    name: str
    message: str


class Acceptance(BaseModel):
    offers: int
    accepted: int  # offers with any positive answer
    clicked: int
    added_to_cart: int
    purchased: int
    declined: int
    unanswered: int
    rate: RateOut  # accepted / offers

    @classmethod
    def of(cls, row: RuleAcceptance | None) -> Acceptance:
        if row is None:
            return cls(offers=0, accepted=0, clicked=0, added_to_cart=0, purchased=0, declined=0, unanswered=0,
                       rate=RateOut.of(Rate(None, None, None)))
        return cls(offers=row.offers, accepted=row.accepted, clicked=row.clicked, added_to_cart=row.added_to_cart,
                   purchased=row.purchased, declined=row.declined, unanswered=row.unanswered,
                   rate=RateOut.of(row.acceptance))


class RuleRow(BaseModel):
    rule_set: str
    by: str
    engine: str
    mined_at: datetime
    antecedent: list[ItemOut]
    consequent: list[ItemOut]
    support: float
    confidence: float
    lift: float
    acceptance: Acceptance


class OtherOffers(BaseModel):
    """Cross-sells whose rule is in no rule file now (`rule_set` set), or that no rule chose (`rule_set` null)."""

    rule_set: str | None
    antecedent: list[ItemOut]
    consequent: list[ItemOut]
    acceptance: Acceptance


class CategoryOut(BaseModel):
    key: str
    name_zh: str
    name_en: str


class RulesReport(BaseModel):
    window: Window
    rule_sets: list[RuleSetInfo]  # every rule file read, by name
    problems: list[RuleFileProblem]  # rule files that could not be read
    total: int  # rules matching the filters
    rules: list[RuleRow]  # the first `limit` of them by `sort`
    sort: RuleSort
    categories: list[CategoryOut]  # categories the rules speak of (the console's filter)
    offers: Acceptance  # every cross-sell offer in the window
    other_offers: list[OtherOffers]
    events_truncated: bool  # the window held more than MAX_EVENTS offer events; the oldest were left out


class CtrRow(BaseModel):
    key: str
    impressions: int
    lists: int
    clicks: int
    added_to_cart: int
    purchased: int
    ctr: RateOut
    cart_rate: RateOut
    purchase_rate: RateOut

    @classmethod
    def of(cls, row: SourceCTR) -> CtrRow:
        return cls(key=row.key, impressions=row.impressions, lists=row.lists, clicks=row.clicks,
                   added_to_cart=row.added_to_cart, purchased=row.purchased, ctr=RateOut.of(row.ctr),
                   cart_rate=RateOut.of(row.cart_rate), purchase_rate=RateOut.of(row.purchase_rate))


class RecommendationReport(BaseModel):
    window: Window
    total: CtrRow | None  # every impression; null when no list was shown
    by_source: list[CtrRow]  # candidate source: model, co-occurrence, popular, compatible, repeat; none = unscored
    by_bandit: list[CtrRow]  # re-ranking policy; none = no policy ran
    by_tool: list[CtrRow]  # the tool that showed the list
    events_read: int
    events_truncated: bool  # the window held more than MAX_EVENTS events; the oldest were left out


def _round(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


def _window(now: datetime, days: int) -> Window:
    return Window(since=now - timedelta(days=days), until=now, days=days)


@dataclass(frozen=True, slots=True)
class _Loaded:
    rule_sets: list[RuleSet]
    problems: list[RuleFileProblem]


def _load_rule_sets(rules_dir: Path) -> _Loaded:
    sets, problems = [], []
    try:
        paths = rule_files(rules_dir)
    except RulesError as exc:
        return _Loaded([], [RuleFileProblem(name="", message=str(exc))])
    for path in paths[:MAX_RULE_SETS]:
        try:
            sets.append(load_rules(path))
        except (RulesError, OSError) as exc:
            problems.append(RuleFileProblem(name=path.stem, message=str(exc)))
    if len(paths) > MAX_RULE_SETS:
        problems.append(RuleFileProblem(
            name="", message=f"{len(paths)} rule files; only the first {MAX_RULE_SETS} by name are shown"))
    return _Loaded(sets, problems)


def _item(item: str, labels: dict[str, ItemLabel]) -> ItemOut:
    label = labels.get(item)
    if label is None:
        return ItemOut(id=item, kind="item", name_zh=item, name_en=item, category=None)
    return ItemOut(id=item, kind=label.kind, name_zh=label.name_zh, name_en=label.name_en,  # type: ignore[arg-type]
                   category=label.category)


def _matches(items: Iterable[ItemOut], text: str | None, category: str | None) -> bool:
    items = list(items)
    if category is not None and not any(i.category == category for i in items):
        return False
    if text:
        needle = text.casefold()
        return any(needle in s.casefold() for i in items for s in (i.id, i.name_zh, i.name_en))
    return True


def _sort_key(sort: RuleSort, row: RuleRow) -> tuple:
    a = row.acceptance
    if sort == "acceptance":  # by the interval's low end: one lucky offer does not top the list
        return (a.rate.low is None, -(a.rate.low or 0.0), -a.offers, -row.lift)
    if sort == "offers":
        return (-a.offers, -row.lift)
    return (-getattr(row, sort), -row.lift, -row.confidence)


def rules_report(
    sessions: sessionmaker[Session],
    rules_dir: Path,
    *,
    now: datetime,
    days: int = 90,
    rule_set: str | None = None,
    by: By | None = None,
    item: str | None = None,
    category: str | None = None,
    sort: RuleSort = "lift",
    limit: int = 100,
) -> RulesReport:
    """The rules with their figures and acceptance, filtered, sorted and cut to `limit`."""
    loaded = _load_rule_sets(rules_dir)
    sets = loaded.rule_sets
    if rule_set is not None:
        sets = [s for s in sets if s.name == rule_set]
        if not sets:
            raise UnknownRuleSet(rule_set)
    if by is not None:
        sets = [s for s in sets if s.by == by]

    window = _window(now, days)
    read = events_in_window(sessions, types=(OfferMade.type, OfferAnswered.type), since=window.since,
                            until=window.until, limit=MAX_EVENTS)
    acceptance = rule_acceptance(read.events)
    by_key = {row.key: row for row in acceptance}

    joined = {RuleKey.of(s.name, r.antecedent, r.consequent) for s in sets for r in s.rules}
    other = [row for row in acceptance
             if row.key not in joined and (rule_set is None or row.key.rule_set in (None, rule_set))][:limit]
    labels = item_labels(sessions, {
        *(i for s in sets for r in s.rules for i in (*r.antecedent, *r.consequent)),
        *(i for row in other for i in (*row.key.antecedent, *row.key.consequent)),
    })
    rows: list[RuleRow] = []
    for s in sets:
        for r in s.rules:
            key = RuleKey.of(s.name, r.antecedent, r.consequent)
            row = RuleRow(
                rule_set=s.name, by=s.by, engine=s.engine, mined_at=s.created_at,
                antecedent=[_item(i, labels) for i in r.antecedent],
                consequent=[_item(i, labels) for i in r.consequent],
                support=r.support, confidence=r.confidence, lift=r.lift, acceptance=Acceptance.of(by_key.get(key)),
            )
            if _matches([*row.antecedent, *row.consequent], item, category):
                rows.append(row)
    rows.sort(key=lambda row: _sort_key(sort, row))

    touched = sorted({i.category for row in rows for i in (*row.antecedent, *row.consequent) if i.category})
    names = category_names(sessions, touched)
    return RulesReport(
        window=window,
        rule_sets=[
            RuleSetInfo(name=s.name, engine=s.engine, by=s.by, source=s.source, min_support=s.min_support,
                        min_confidence=s.min_confidence, n_baskets=s.n_baskets, n_items=s.n_items,
                        n_rules=len(s.rules), mined_at=s.created_at)
            for s in loaded.rule_sets
        ],
        problems=loaded.problems,
        total=len(rows),
        rules=rows[:limit],
        sort=sort,
        categories=[CategoryOut(key=k, name_zh=names[k][0], name_en=names[k][1]) for k in touched if k in names],
        offers=Acceptance.of(_summed(acceptance)),
        other_offers=[
            OtherOffers(rule_set=row.key.rule_set, antecedent=[_item(i, labels) for i in row.key.antecedent],
                        consequent=[_item(i, labels) for i in row.key.consequent], acceptance=Acceptance.of(row))
            for row in other
        ],
        events_truncated=read.truncated,
    )


def _summed(rows: list[RuleAcceptance]) -> RuleAcceptance | None:
    if not rows:
        return None
    total = {f: sum(getattr(r, f) for r in rows)
             for f in ("offers", "clicked", "added_to_cart", "purchased", "declined", "accepted", "unanswered")}
    return RuleAcceptance(key=RuleKey(None, (), ()), by="", acceptance=Rate.of(total["accepted"], total["offers"]),
                          **total)


def recommendations_report(sessions: sessionmaker[Session], *, now: datetime, days: int = 30) -> RecommendationReport:
    """Click-through of recommended products in the last `days` days, in total and per source, policy, tool."""
    window = _window(now, days)
    read = events_in_window(sessions, types=(RecommendationShown.type, ProductInteracted.type), since=window.since,
                            until=window.until, limit=MAX_EVENTS)
    rows = click_through(read.events)

    def dimension(name: str) -> list[CtrRow]:
        return [CtrRow.of(r) for r in rows if r.dimension == name]

    total = dimension("all")
    return RecommendationReport(
        window=window,
        total=total[0] if total else None,
        by_source=dimension("source"),
        by_bandit=dimension("bandit"),
        by_tool=dimension("tool"),
        events_read=len(read.events),
        events_truncated=read.truncated,
    )
