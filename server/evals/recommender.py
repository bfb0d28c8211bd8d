"""`kefu eval recommender`: the data sets it reads (demo store, Groceries members, Instacart sample) and
the report. The algorithms and metrics are `tools.marketing.recommender`; this module only loads rows."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from tools.marketing.recommender import ItemInfo, Visit, basket_completion, next_basket, visits_from_rows
from tools.marketing.recommender.evaluate import Score
from tools.marketing.recommender.signals import ImplicitALS
from tools.marketing.recommender.train import AlsFactory, TrainConfig

Progress = Callable[[int], None]
DEMO_AS_OF = date(2026, 11, 20)


def store_rows(url: str) -> tuple[list[Visit], list[ItemInfo]]:
    """Orders (one visit per order time) and the catalogue of the store database at `url`."""
    from server.db.engine import make_engine, make_session_factory
    from server.db.purchases import load_interactions, load_products, load_purchases

    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        rows = load_purchases(sessions) + load_interactions(sessions)
        infos = [ItemInfo(**p) for p in load_products(sessions)]
    finally:
        engine.dispose()
    return visits_from_rows(rows), infos


def demo_store_rows(*, customers: int = 1000, orders: int = 10000, seed: int = 7) -> tuple[list[Visit], list[ItemInfo]]:
    """Build the demo store in a temporary SQLite file and read it back."""
    from server.demo.build import build_demo_store

    with tempfile.TemporaryDirectory(prefix="kefu-rec-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        build_demo_store(url, seed=seed, as_of=DEMO_AS_OF, customers=customers, orders=orders)
        return store_rows(url)


def groceries_rows(folder: Path, *, limit_members: int | None = None) -> list[Visit]:
    """Groceries_dataset.csv: a member's rows on one date form one visit."""
    with (folder / "Groceries_dataset.csv").open(encoding="utf-8") as f:
        rows = [(r["Member_number"], r["Date"], r["itemDescription"]) for r in csv.DictReader(f)]
    if limit_members is not None:
        keep = set(sorted({m for m, _, _ in rows})[:limit_members])
        rows = [r for r in rows if r[0] in keep]
    return visits_from_rows(rows)


def instacart_baskets(folder: Path) -> tuple[dict[str, list[str]], dict[str, str], list[ItemInfo]]:
    """Prior baskets (order id → product ids in cart order), order → user where known, products by aisle."""
    baskets: dict[str, list[str]] = {}
    with (folder / "order_products__prior.csv").open(encoding="utf-8") as f:
        for r in sorted(csv.DictReader(f), key=lambda r: (r["order_id"], int(r["add_to_cart_order"]))):
            baskets.setdefault(r["order_id"], []).append(r["product_id"])
    users: dict[str, str] = {}
    with (folder / "orders.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            users[r["order_id"]] = r["user_id"]
    with (folder / "products.csv").open(encoding="utf-8") as f:
        infos = [ItemInfo(r["product_id"], category=f"aisle:{r['aisle_id']}") for r in csv.DictReader(f)]
    return baskets, {o: u for o, u in users.items() if o in baskets}, infos


def run(
    data_dir: Path, *, quick: bool = False, config: TrainConfig | None = None, progress: Progress | None = None,
    als: AlsFactory = ImplicitALS,
) -> dict[str, list[Score]]:
    """Every evaluation, by title. `quick`: a small demo store and the first 400 Groceries members. `als` trains
    the ALS factors (`SparkALS` to measure the Spark engine)."""
    report: dict[str, list[Score]] = {}
    visits, infos = demo_store_rows(customers=150, orders=1500) if quick else demo_store_rows()
    report["demo store: next visit (leave last out)"] = next_basket(
        visits, infos, config=config, progress=progress, als=als
    )
    groceries = data_dir / "groceries_members"
    if (groceries / "Groceries_dataset.csv").exists():
        visits = groceries_rows(groceries, limit_members=400 if quick else None)
        report["Groceries members: next visit (leave last out)"] = next_basket(
            visits, config=config, progress=progress, als=als
        )
    instacart = data_dir / "instacart_sample"
    if (instacart / "order_products__prior.csv").exists() and not quick:
        baskets, users, infos = instacart_baskets(instacart)
        report["Instacart sample: basket completion (one item hidden)"] = basket_completion(
            baskets, users, infos, progress=progress, als=als
        )
    return report


def format_report(report: dict[str, list[Score]]) -> str:
    lines = []
    for title, scores in report.items():
        lines.append(title)
        lines.extend(f"  {s}" if s.users else f"  {s.method}" for s in scores)
    return "\n".join(lines)
