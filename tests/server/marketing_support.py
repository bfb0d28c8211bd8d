"""A store's marketing outcomes with known figures: two rule files (by product, by category) and a broken one,
cross-sell offers with their answers, recommendation lists with their clicks, some of them 40 days old. Used by
the API test and the console's browser test; the expected figures are written out where they are checked.

Products are picked from whatever catalogue the store has (one per category first), so the same seed works on
the hand-made test store and on the demo store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from agent.events import Event, OfferAnswered, OfferMade, ProductInteracted, RecommendationShown
from server.db.conversations import ConversationRepository
from server.db.engine import make_engine, make_session_factory
from server.db.events import SqlEventStore
from server.db.models import Product
from tools.marketing.rules import RuleSet

PRODUCT_RULES = "orders-product"
CATEGORY_RULES = "orders-category"
NAMES = (PRODUCT_RULES, CATEGORY_RULES)


@dataclass(frozen=True, slots=True)
class Seeded:
    p: list[str]  # seven product ids, p[0]..p[6]
    category: dict[str, str]  # product id -> category key
    names_zh: dict[str, str]


def pick_products(url: str) -> Seeded:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            rows = s.execute(select(Product.id, Product.category_key, Product.name_zh).order_by(Product.id)).all()
    finally:
        engine.dispose()
    first_of_category: dict[str, str] = {}
    for pid, category, _ in rows:
        first_of_category.setdefault(category, pid)
    picked = list(first_of_category.values())[:7]
    picked += [pid for pid, _, _ in rows if pid not in picked][: 7 - len(picked)]
    assert len(picked) == 7 and len({c for pid, c, _ in rows if pid in picked[:3]}) == 3
    return Seeded(p=picked, category={pid: c for pid, c, _ in rows}, names_zh={pid: n for pid, _, n in rows})


def rule_set(name: str, by: str, engine: str, rules: list[tuple[list[str], list[str], float, float, float]],
             created_at: datetime) -> RuleSet:
    return RuleSet.model_validate({
        "name": name, "engine": engine, "by": by, "source": "orders", "min_support": 0.01, "min_confidence": 0.1,
        "min_count": 3, "n_baskets": 300, "n_items": 40, "created_at": created_at,
        "itemsets": [{"items": a + c, "support": s} for a, c, s, _, _ in rules],
        "rules": [{"antecedent": a, "consequent": c, "support": s, "confidence": conf, "lift": lift}
                  for a, c, s, conf, lift in rules],
    })


def write_rules(rules_dir: Path, seeded: Seeded, mined_at: datetime, *, names: tuple[str, str] = NAMES,
                broken: bool = True) -> None:
    """Rule sets `names` (by product, by category), and with `broken` a file that is no rule set."""
    p, cat = seeded.p, seeded.category
    rules_dir.mkdir(parents=True, exist_ok=True)
    product_rules = rule_set(names[0], "product", "local", [
        ([p[0]], [p[2]], 0.04, 0.5, 4.0),
        ([p[1]], [p[3]], 0.03, 0.6, 5.0),
        ([p[5]], [p[6]], 0.01, 0.2, 1.2),
    ], mined_at)
    category_rules = rule_set(names[1], "category", "spark", [
        ([cat[p[0]]], [cat[p[2]]], 0.1, 0.45, 2.5),
    ], mined_at)
    for rs in (product_rules, category_rules):
        (rules_dir / f"{rs.name}.json").write_text(rs.model_dump_json(), encoding="utf-8")
    if broken:
        (rules_dir / "broken.json").write_text("{}", encoding="utf-8")


def _rule(rs: str, by: str, antecedent: list[str], consequent: list[str]) -> dict:
    return {"rule_set": rs, "by": by, "antecedent": antecedent, "consequent": consequent,
            "support": 0.0, "confidence": 0.0, "lift": 0.0}


def seed_events(url: str, seeded: Seeded, now: datetime, *, names: tuple[str, str] = NAMES) -> None:
    """Offers (by the rules of `write_rules` with the same `names`) and lists in four conversations: A a day ago,
    C and D two hours ago, B 40 days ago."""
    p, cat = seeded.p, seeded.category
    product_rules, category_rules = names
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        repo, store = ConversationRepository(sessions), SqlEventStore(sessions)

        def conversation(at: datetime, build) -> None:
            cid, _ = repo.create(channel="web", now=at)
            events: list[Event] = []
            clock = iter(range(1, 1000))

            def add(cls: type[Event], **fields) -> Event:
                event = cls(conversation_id=cid, at=at + timedelta(seconds=next(clock)), **fields)
                events.append(event)
                return event

            def offer(product: str, rule: dict | None, *answers: str) -> None:
                made = add(OfferMade, kind="cross_sell", offer_id=product, need=f"product:{product}",
                           source="cross_sell", rule=rule)
                for outcome in answers:
                    add(OfferAnswered, offer_event_id=made.id, kind="cross_sell", offer_id=product, outcome=outcome)

            def shown(products: list[str], sources: list[str], bandit: str | None = None,
                      tool: str = "recommend_products") -> None:
                add(RecommendationShown, product_ids=products, source=tool,
                    candidates=[{"product_id": x, "score": 0.5, "source": s} for x, s in zip(products, sources,
                                                                                           strict=False)],
                    bandit={"policy": bandit, "propensity": 0.6, "chosen": products[0]} if bandit else None)

            def did(kind: str, product: str) -> None:
                add(ProductInteracted, kind=kind, product_id=product)

            build(offer, shown, did)
            store.append_sync(cid, events)

        by_product = _rule(product_rules, "product", [p[0]], [p[2]])

        def a(offer, shown, did) -> None:
            offer(p[2], by_product, "clicked", "added_to_cart")
            offer(p[2], by_product, "declined")
            offer(p[3], _rule(product_rules, "product", [p[1]], [p[3]]), "purchased")
            offer(p[4], None)
            offer(p[3], _rule(product_rules, "product", ["P9999"], [p[3]]), "clicked")  # mined away since
            offer(p[2], _rule(category_rules, "category", [cat[p[0]]], [cat[p[2]]]), "added_to_cart")
            shown([p[2], p[3], p[4]], ["model", "co-occurrence", "popular"], bandit="linucb")
            did("viewed", p[2])
            did("added_to_cart", p[3])

        def b(offer, shown, did) -> None:
            offer(p[2], by_product, "purchased")
            shown([p[0]], ["model"])
            did("clicked", p[0])

        def c(offer, shown, did) -> None:
            shown([p[2], p[5]], ["compatible", "model"])
            did("clicked", p[5])
            did("purchased", p[5])

        def d(offer, shown, did) -> None:
            shown([p[0], p[1]], [], tool="search_products")
            did("viewed", p[1])

        conversation(now - timedelta(days=1), a)
        conversation(now - timedelta(days=40), b)
        conversation(now - timedelta(hours=2), c)
        conversation(now - timedelta(hours=2, minutes=30), d)
    finally:
        engine.dispose()
