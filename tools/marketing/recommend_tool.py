"""`RecommendTool`: "推荐一款手机壳", "有没有类似的", "recommend a phone case", "show me something like this".

The list comes from the recommender (`tools.marketing.recommender`): the trained model file when there is one
(`kefu train recommender`; loaded once, on first use), else a catalogue model (popularity, same category and
brand, what fits what) so a fresh store recommends too. What it is fed:

- the customer's purchases (`ShopperData.purchases`) — only for a verified customer; an anonymous one has no
  history, so the recommender gives popular-and-safe items (no device-specific accessories);
- the in-session signal: the products the customer viewed, clicked, added to the cart or bought in this
  conversation (`ProductInteracted` events), from the live signals (`LiveSignals`: in process, or Redis so a
  request served by another worker sees the same signal) in one round trip, with the trending products;
  from the conversation's event log when the live store does not hold the whole session (or without one).
  The next list changes at once, with no retraining;
- trending products across conversations (decayed interaction counts) lift the popularity signal;
- the catalogue's stock and fit (an iPhone 16 owner gets cases that fit an iPhone 16).

With a `Reranker`, the recommender proposes twice as many candidates as are shown and the re-ranking policy
(a contextual bandit, `tools.marketing.bandit`) draws the shown order with exploration; its record (policy,
generation, context, candidates with their features, per-position propensities) goes into the event, so the
lists can be evaluated offline (`kefu eval bandit`). Rewards reach it through `tools.marketing.feedback`.

Every list is recorded as `RecommendationShown` with each product's score and source signal.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, Field
from scipy import sparse

from agent.events import RecommendationShown
from agent.policy import Decision, Turn
from agent.protocols import EventStore, Phrasebook, ToolContext, ToolReply, ToolResult
from agent.tooling import BaseTool
from tools.commerce.ports import ProductView
from tools.commerce.products import product_card
from tools.marketing.bandit.features import Candidate as Arm
from tools.marketing.bandit.records import Served
from tools.marketing.bandit.serving import Reranker
from tools.marketing.live import trend_shares
from tools.marketing.ports import LiveSignals, ShopperData
from tools.marketing.recommender import Candidate, ItemInfo, Recommender, Weights
from tools.marketing.session import SESSION_KINDS, Session

log = logging.getLogger(__name__)

# "有没有类似的", "show me something like this": like the product the customer looked at last
SIMILAR = re.compile(
    r"类似|相似|差不多的|同款|同类|像这|这种的|这样的|"
    r"\bsimilar\b|\b(something|anything|one|ones|more|others?) like (this|that|it)\b|\balternatives?\b",
    re.IGNORECASE,
)
TREND_WEIGHT = 0.3  # share of the popularity signal given to what trends now
PER_CATEGORY = 3  # the recommender's diversity rule, kept when the policy re-ranks (no category asked)
__all__ = ["SESSION_KINDS", "RecommendTool", "catalogue_recommender"]


def catalogue_recommender(products: Sequence[ProductView], sold: Mapping[str, float]) -> Recommender:
    """A recommender from the catalogue alone (no trained model): popularity from units sold, items alike when
    they share a category (and more so a brand), and the catalogue's fit. Its session and history signals
    work like the trained model's, only coarser."""
    items = [p.product_id for p in products]
    n = len(items)
    units = np.array([max(float(sold.get(i, 0.0)), 0.0) for i in items])
    categories = np.array([p.category for p in products], dtype=object)
    brands = np.array([p.brand or f"-{i}" for i, p in enumerate(products)], dtype=object)
    alike = (categories[:, None] == categories[None, :]).astype(np.float32)
    alike += 0.5 * (brands[:, None] == brands[None, :])
    np.fill_diagonal(alike, 0.0)
    return Recommender(
        items=items,
        popularity=(units + 1.0) / (units.sum() + max(n, 1)),
        buyers=units.astype(np.int64),
        propensity=np.zeros(n),  # nothing is known to be bought again: what one owns is not shown again
        similarity=sparse.csr_matrix(alike),
        item_factors=np.zeros((n, 0), dtype=np.float32),
        als_regularization=0.05,
        als_alpha=2.0,
        weights=Weights(popular=1.0, cooccurrence=0.5, compatible=1.0),
        infos=[ItemInfo(p.product_id, p.category, p.stock, p.brand, dict(p.attributes)) for p in products],
        meta={"kind": "catalogue"},
    )


class RecommendTool(BaseTool):
    """Recommend products that fit this customer and what they showed interest in during this conversation."""

    name: ClassVar[str] = "recommend"
    description: ClassVar[str] = (
        "Recommend products for this customer, optionally of one category key, or similar to the product they "
        "looked at last (similar=true). Uses their purchases and what they viewed or added to the cart."
    )
    purpose: ClassVar[dict[str, str]] = {"zh": "推荐商品", "en": "recommend products"}
    intents: ClassVar[tuple[str, ...]] = ("recommend",)
    refines: ClassVar[tuple[str, ...]] = ("product_search",)
    llm_words: ClassVar[bool] = False  # the cards speak; the line above them is fixed
    cues: ClassVar[dict[str, list[str]]] = {
        "zh": ["推荐", "类似", "相似", "差不多的", "同款", "像这"],
        "en": [r"\brecommend", r"\bsuggest", r"\bsimilar\b", r"\balternatives?\b",
               r"\b(something|anything|one|ones|more) like (this|that|it)\b"],
    }
    templates: ClassVar[dict[str, dict[str, str]]] = {
        "zh": {
            "recommend.personal": "根据您的购买记录，为您推荐这些{category}：",
            "recommend.session": "根据您刚才看过的商品，为您推荐这些{category}：",
            "recommend.popular": "这些{category}很受欢迎，推荐给您：",
            "recommend.similar": "和「{anchor}」相似的{category}：",
            "recommend.none": "暂时没有合适的{category}可以推荐，换个品类看看？",
        },
        "en": {
            "recommend.personal": "Based on what you've bought, you may like these {category}:",
            "recommend.session": "Based on what you just looked at, you may like these {category}:",
            "recommend.popular": "These {category} are popular right now:",
            "recommend.similar": "Similar to “{anchor}”, you may like these {category}:",
            "recommend.none": "I have no {category} to recommend right now. Try another kind of product?",
        },
    }

    class Args(BaseModel):
        category: str | None = Field(default=None, max_length=64)
        similar: bool = False  # like the product the customer viewed last (or was shown last)
        limit: int = Field(default=4, ge=1, le=10)

    def __init__(
        self, data: ShopperData, store: EventStore, *, model_path: Path | None = None, live: LiveSignals | None = None,
        reranker: Reranker | None = None, trend_weight: float = TREND_WEIGHT,
    ) -> None:
        self._data = data
        self._store = store
        self._model_path = model_path
        self._model: Recommender | None = None
        self._lock = threading.Lock()
        self.live = live
        self.reranker = reranker
        self.trend_weight = trend_weight
        # the shelf by id and each product's stock, built from the last product list the source handed over (the same
        # list comes back until the catalogue is read again)
        self._views: tuple[list[ProductView], dict[str, ProductView], dict[str, int]] | None = None

    # --- the model: loaded once, on first use -----------------------------------------------------------

    def model(self) -> Recommender:
        """The trained model from `model_path` when the file exists, else the catalogue model (blocking)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def warm_up(self) -> None:
        """Load the model now (the runtime's start-up), not on the first recommendation."""
        self.model()

    def _load(self) -> Recommender:
        path = self._model_path
        if path is not None and Path(path).with_suffix(".npz").exists():
            try:
                model = Recommender.load(Path(path))
                log.info("recommender: loaded %s (%d items)", path, len(model.items))
                return model
            except (OSError, ValueError, KeyError) as exc:  # a damaged or outdated file: say so, still serve
                log.warning("recommender: cannot load %s (%s); using the catalogue model", path, exc)
        model = catalogue_recommender(self._data.shelf(), self._data.popularity())
        log.info("recommender: no trained model; catalogue model over %d products", len(model.items))
        return model

    # --- one request ------------------------------------------------------------------------------------

    async def signals(self, conversation_id: str) -> tuple[Session, dict[str, float]]:
        """This conversation's session (live, else from its event log) and the trending products' counts."""
        session, hot = await self.live.read(conversation_id) if self.live is not None else (None, {})
        if session is None or not session.complete:
            session = Session.from_events(await self._store.load(conversation_id))
        return session, hot

    async def session(self, conversation_id: str) -> tuple[list[str], list[str]]:
        """(products interacted with in this conversation, oldest first; the last list shown)."""
        session, _ = await self.signals(conversation_id)
        return session.interest(), session.last_shown()

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, self.Args)
        signal, hot = await self.signals(ctx.conversation_id)
        picked, served, anchor, category, personalised = await asyncio.to_thread(
            self._recommend, args, ctx, signal, trend_shares(hot)
        )
        if self.reranker is not None:
            self.reranker.sync_soon()
        ids = [p.product_id for _, p in picked]
        basis = ("similar" if anchor is not None else "session" if signal.interest()
                 else "personal" if personalised else "popular")
        data: dict[str, Any] = {"product_ids": ids, "category": category, "basis": basis,
                                "anchor": _name(anchor, ctx.language) if anchor is not None else None}
        events = [
            RecommendationShown(
                conversation_id=ctx.conversation_id, product_ids=ids, source=self.name, personalised=personalised,
                candidates=[{"product_id": c.item, "score": c.score, "source": c.source} for c, _ in picked],
                bandit=served.to_payload() if served is not None else None,
            )
        ] if ids else []
        cards = [{**product_card(p, ctx.language), "actions": ["view", "add_to_cart"]} for _, p in picked]
        return ToolResult(data=data, cards=cards, events=events)

    def _recommend(
        self, args: Args, ctx: ToolContext, signal: Session, trend: Mapping[str, float]
    ) -> tuple[list[tuple[Candidate, ProductView]], Served | None, ProductView | None, str | None, bool]:
        """Everything blocking of one request (the store's SQL, numpy) in one thread hop: (the list, the policy's
        record, the anchor of "similar", the category, whether it is personalised)."""
        model = self.model()
        products = self._data.shelf()
        views = self._views
        if views is None or views[0] is not products:
            views = self._views = (products, {p.product_id: p for p in products},
                                   {p.product_id: p.stock for p in products})
        shelf, stock = views[1], views[2]
        history = self._data.purchases(ctx.customer_id) if ctx.customer_id else []
        interest, shown = signal.interest(), signal.last_shown()
        category = args.category
        anchor = None
        if args.similar:
            anchor = next((shelf[p] for p in reversed(interest or shown[:1]) if p in shelf), None)
            if anchor is not None and category is None:
                category = anchor.category
        session = [*interest, *([anchor.product_id] if anchor is not None else [])]
        personalised = bool(ctx.customer_id and any(history))
        context = {"segment": "returning" if personalised else "new" if ctx.customer_id else "anonymous",
                   "language": ctx.language, "category": category or "", "session": signal.strongest()}
        picked, served = self._pick(model, shelf, stock, history, session, category, args.limit, trend, context)
        return picked, served, anchor, category, personalised

    def _pick(
        self, model: Recommender, shelf: Mapping[str, ProductView], stock: Mapping[str, int], history: list[list[str]],
        session: list[str], category: str | None, limit: int, trend: Mapping[str, float], context: Mapping[str, Any],
    ) -> tuple[list[tuple[Candidate, ProductView]], Served | None]:
        """The recommender's candidates (twice as many as shown when the policy re-ranks), then the policy's
        order; blocking (numpy), run in a thread."""
        pool = limit * 2 if self.reranker is not None else limit
        candidates = model.recommend(
            history, k=pool + len(session), category=category, session=session,
            stock=stock, popularity=self._popularity(model, trend),
        )
        seen = set(session)
        ranked = [(c, shelf[c.item]) for c in candidates if c.item in shelf and c.item not in seen][:pool]
        if self.reranker is None or len(ranked) < 2:
            return ranked[:limit], None
        top = max(c.score for c, _ in ranked) or 1.0
        liked = {shelf[p].category for p in session if p in shelf}
        bands = _price_bands(shelf.values(), {p.category for _, p in ranked})
        arms = [Arm(product_id=c.item, source=c.source, score=round(c.score / top, 6), category=p.category,
                    price_band=bands.get(p.product_id, ""), hot=round(trend.get(c.item, 0.0), 6),
                    session=1.0 if p.category in liked else 0.0) for c, p in ranked]
        served = self.reranker.serve(context, arms, slots=min(limit, len(arms)),
                                     per_category=None if category else PER_CATEGORY)
        by_id = {c.item: (c, p) for c, p in ranked}
        return [by_id[pid] for pid in served.ranking[:limit]], served

    def _popularity(self, model: Recommender, trend: Mapping[str, float]) -> np.ndarray | None:
        """The model's popularity with what trends now mixed in (`trend_weight`), or None (the model's own)."""
        if not trend or self.trend_weight <= 0:
            return None
        pop = np.asarray(model.popularity, dtype=np.float64)
        top = float(pop.max()) if len(pop) else 0.0
        live = np.zeros(len(pop))
        idx = model.encode(list(trend))
        if not len(idx):
            return None
        live[idx] = [trend[model.items[i]] for i in idx]
        return (1.0 - self.trend_weight) * (pop / top if top > 0 else pop) + self.trend_weight * live

    def plan(self, turn: Turn) -> Decision:
        args: dict[str, Any] = {"similar": bool(SIMILAR.search(turn.text))}
        category = turn.slot("category")
        if category is not None:
            args["category"] = category
        return turn.call(self.name, args, llm_words=self.llm_words)

    def reply(self, result: ToolResult, decision: Decision, language: str, say: Phrasebook) -> ToolReply:
        generic = say.render("products_generic", language)
        category = (result.cards[0]["category"] if result.cards and result.data.get("category") else None) or generic
        if language == "en":
            category = category.lower()  # mid-sentence: "these phone cases"
        if not result.cards:
            return ToolReply(say.render("recommend.none", language, category=category))
        key = f"recommend.{result.data.get('basis') or 'popular'}"
        return ToolReply(say.render(key, language, category=category, anchor=result.data.get("anchor") or ""))


def _price_bands(shelf: Iterable[ProductView], categories: set[str]) -> dict[str, str]:
    """low / mid / high: a product's price tercile within its category (what "cheap" means differs per kind)."""
    prices: dict[str, list[tuple[float, str]]] = {}
    for p in shelf:
        if p.category in categories:
            prices.setdefault(p.category, []).append((float(p.price), p.product_id))
    out: dict[str, str] = {}
    for rows in prices.values():
        rows.sort()
        for i, (_, pid) in enumerate(rows):
            out[pid] = ("low", "mid", "high")[min(3 * i // len(rows), 2)]
    return out


def _name(product: ProductView, language: str) -> str:
    return product.name_zh if language == "zh" else product.name_en
