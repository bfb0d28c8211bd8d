"""`SqlProductCatalog`: categories (cached) and product search as `tools.commerce.ports` views."""

from __future__ import annotations

import threading
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, case, func, literal, or_, select
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import Category, Product
from server.db.query_text import SearchTerm, keyword_index, parse_query
from tools.commerce.ports import CategoryView, ProductView

MAX_LIMIT = 50
SEARCH_CACHE = 512  # search statements kept (a few KB each)
_MISSING: Any = object()
# Only the columns a ProductView shows, the category's names joined in: no ORM objects on the search path.
_PRODUCTS = select(
    Product.id,
    Product.name_zh,
    Product.name_en,
    Product.category_key,
    Category.name_zh.label("category_zh"),
    Category.name_en.label("category_en"),
    Product.price,
    Product.stock,
    Product.brand,
    Product.attributes,
    Product.description_zh,
    Product.description_en,
).join(Category, Category.key == Product.category_key)


class SqlProductCatalog:
    """Blocking SQL implementation of `tools.commerce.ports.ProductCatalog`.

    Categories change only when the store is rebuilt, so they are read once and kept in memory
    (`refresh()` drops the cache).
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory
        self._lock = threading.Lock()
        self._categories: list[CategoryView] | None = None
        self._children: dict[str, list[str]] = {}
        self._keywords: dict[str, tuple[str, ...]] = {}
        # (text, category, limit) -> the search statement (None: the text has no term, nothing matches). Parsing a
        # query and building its scoring statement cost about as much as running it; shoppers repeat queries.
        self._searches: OrderedDict[tuple[str | None, str | None, int], Select | None] = OrderedDict()
        self._generation = 0  # bumped by refresh(): a statement built from older keywords is not kept

    def refresh(self) -> None:
        with self._lock:
            self._categories = None
            self._searches.clear()
            self._generation += 1

    def categories(self) -> list[CategoryView]:
        return list(self._load_categories())

    def category(self, key: str) -> CategoryView | None:
        return next((c for c in self._load_categories() if c.key == key), None)

    def _load_categories(self) -> list[CategoryView]:
        with self._lock:
            if self._categories is None:
                with self._sessions() as session:
                    rows = session.scalars(select(Category).order_by(Category.key)).all()
                children: dict[str, list[str]] = {}
                for row in rows:
                    if row.parent_key:
                        children.setdefault(row.parent_key, []).append(row.key)
                self._categories = [
                    CategoryView(
                        key=r.key,
                        name_zh=r.name_zh,
                        name_en=r.name_en,
                        keywords_zh=list(r.keywords_zh or []),
                        keywords_en=list(r.keywords_en or []),
                        returnable=r.returnable,
                    )
                    for r in rows
                ]
                self._children = children
                self._keywords = keyword_index(
                    (c.key, [c.name_zh, c.name_en, *c.keywords_zh, *c.keywords_en]) for c in self._categories
                )
            return self._categories

    def _with_descendants(self, key: str) -> list[str]:
        """The category and all its children (parents are optional; a cycle cannot loop forever)."""
        keys, stack = [], [key]
        while stack:
            k = stack.pop()
            if k not in keys:
                keys.append(k)
                stack.extend(self._children.get(k, []))
        return keys

    def get(self, product_id: str) -> ProductView | None:
        with self._sessions() as session:
            row = session.connection().execute(_PRODUCTS.where(Product.id == product_id)).first()
        return _view(row) if row is not None else None

    def every(self) -> list[ProductView]:
        """Every product (the recommender's shelf; the demo catalogue has a few hundred)."""
        self._load_categories()
        with self._sessions() as session:
            return [_view(r) for r in session.connection().execute(_PRODUCTS.order_by(Product.id))]

    def search(self, *, text: str | None = None, category: str | None = None, limit: int = 5) -> list[ProductView]:
        limit = max(1, min(limit, MAX_LIMIT))
        key = (text, category, limit)
        with self._lock:
            stmt, generation = self._searches.get(key, _MISSING), self._generation
            if stmt is not _MISSING:
                self._searches.move_to_end(key)
        if stmt is _MISSING:
            stmt = self._search_statement(text, category, limit)
            with self._lock:
                if generation == self._generation:
                    self._searches[key] = stmt
                while len(self._searches) > SEARCH_CACHE:
                    self._searches.popitem(last=False)
        if stmt is None:
            return []
        with self._sessions() as session:
            return [_view(r) for r in session.connection().execute(stmt)]

    def _search_statement(self, text: str | None, category: str | None, limit: int) -> Select | None:
        self._load_categories()
        terms = parse_query(text, self._keywords) if text and text.strip() else []
        if text and text.strip() and not terms:
            return None
        in_category = Product.category_key.in_(self._with_descendants(category)) if category else None
        if terms:
            stmt = _PRODUCTS.where(Product.id.in_(self._best_matches(in_category, terms)))
        else:
            stmt = _PRODUCTS if in_category is None else _PRODUCTS.where(in_category)
        in_stock = case((Product.stock > 0, 1), else_=0)
        return stmt.order_by(in_stock.desc(), Product.popularity.desc(), Product.price, Product.id).limit(limit)

    @staticmethod
    def _best_matches(in_category: ColumnElement[bool] | None, terms: list[SearchTerm]) -> Select[tuple[str]]:
        """The ids of the products (of the categories, if given) matching the largest number of terms (all of them
        if any product does)."""
        hits = [case((_term_matches(t), 1), else_=0) for t in terms]
        score = sum(hits[1:], hits[0]).label("score")
        scored = select(Product.id.label("pid"), score)
        if in_category is not None:
            scored = scored.where(in_category)
        scored = scored.subquery()
        ranked = select(scored.c.pid, scored.c.score, func.max(scored.c.score).over().label("best")).subquery()
        best_ids = select(ranked.c.pid).where(ranked.c.score == ranked.c.best, ranked.c.score > literal(0))
        return best_ids


def _view(row: Row) -> ProductView:
    return ProductView(
        product_id=row.id,
        name_zh=row.name_zh,
        name_en=row.name_en,
        category=row.category_key,
        category_zh=row.category_zh,
        category_en=row.category_en,
        price=Decimal(row.price),
        stock=row.stock,
        brand=row.brand,
        attributes=dict(row.attributes or {}),
        description_zh=row.description_zh or "",
        description_en=row.description_en or "",
    )


def _term_matches(term: SearchTerm) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [
        Product.name_zh.icontains(term.text, autoescape=True),
        Product.name_en.icontains(term.text, autoescape=True),
        Product.brand.icontains(term.text, autoescape=True),
    ]
    if term.categories:
        conditions.append(Product.category_key.in_(term.categories))
    return or_(*conditions)
