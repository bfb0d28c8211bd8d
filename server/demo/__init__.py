"""The demo store (`kefu demo-data`, `make run`): a catalogue, customers and a year of orders with
shipments, tracking, returns, campaigns and coupons, deterministic for a seed and an `as_of` date.

- `build`: migrate a database and write the store (`build_demo_store`, `store_has_products`).
- `generate`: every row, in pure Python on seeded random streams; `orders`: baskets and order drafts;
  `shipping`: shipment timelines, carriers and returns; `campaigns`: campaigns and coupons;
  `rows`: drafts as table rows; `behaviour`: reviews (texts in `reviews.json`) and browsing.
- `catalog`: the typed loader of `catalog.json` (categories, brands, colours, products);
  `people`: invented customers and places from `people.json`.
"""

from __future__ import annotations

from server.demo.build import DemoReport, DemoStoreExists, build_demo_store, store_has_products

__all__ = ["DemoReport", "DemoStoreExists", "build_demo_store", "store_has_products"]
