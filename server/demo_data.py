"""Old home of `server.demo.build`, kept only because `tests/conftest.py` (owned elsewhere) imports it.

Import from `server.demo` instead; delete this module once nothing imports it.
"""

from server.demo.build import DemoReport, DemoStoreExists, build_demo_store, store_has_products

__all__ = ["DemoReport", "DemoStoreExists", "build_demo_store", "store_has_products"]
