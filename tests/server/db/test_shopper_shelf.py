"""The recommender's and cross-sell's shelf is read once per `ttl_s`, not per request, and read again after it."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from server.db.catalog import SqlProductCatalog
from server.db.models import Product
from server.db.purchases import SqlShopperData

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("migrated_db_url", ["sqlite"], indirect=True)
def test_the_shelf_and_units_sold_are_read_again_only_after_the_ttl(seeded) -> None:
    now = [0.0]
    shopper = SqlShopperData(seeded, SqlProductCatalog(seeded), ttl_s=30.0, clock=lambda: now[0])
    shelf, sold = shopper.shelf(), shopper.popularity()
    with seeded.begin() as s:
        s.execute(update(Product).where(Product.id == "P0001").values(stock=0, popularity=7))

    now[0] = 29.0
    assert shopper.shelf() is shelf and shopper.popularity() == sold  # the same list: tools key on it
    now[0] = 31.0
    assert next(p.stock for p in shopper.shelf() if p.product_id == "P0001") == 0
    assert shopper.popularity()["P0001"] == 7.0
