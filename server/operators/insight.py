"""Customer profiles and churn risk from the store: what the console shows beside a conversation and in the
marketers' at-risk list, and what the conversation reads (`tools.marketing.insight.profile`, `.churn`).

Every customer's history is read once and kept for `ttl_s` (RFM quintiles and the churn model need the whole base;
a rebuild of ~1,000 customers takes a few seconds, so a conversation start only reads it once built and otherwise
starts building it in the background); the customer in front of an operator is read fresh so their
latest messages count. The churn model is trained on every month whose outcome is known (`churn.fit`). Blocking
(SQL, scikit-learn): call it in a worker thread. Thread-safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent.events import CustomerProfiled
from server.db.behaviour import load_histories
from server.db.models import Category
from tools.marketing.insight.behaviour import CustomerHistory
from tools.marketing.insight.churn import ChurnModel, NotEnoughHistory, Risk, fit
from tools.marketing.insight.needs import shared_tagger
from tools.marketing.insight.profile import Profile, Rfm, build_profile, rfm_of, segment_of

log = logging.getLogger(__name__)
TTL_S = 900.0
HIGH_RISK = 0.6  # a churn risk from which the conversation treats the customer as one to keep


@dataclass(frozen=True, slots=True)
class _Base:
    at: datetime
    loaded: float  # monotonic
    histories: dict[str, CustomerHistory]
    raw: dict[str, tuple[float, int, float]]  # RFM inputs of customers with an order
    model: ChurnModel | None
    risks: list[Risk]
    categories: dict[str, tuple[str, str]]  # key -> (zh, en) names
    rfm: dict[str, Rfm]  # every customer with an order, scored against the base once (not per conversation start)
    risk_of: dict[str, float]  # customer id -> churn risk
    # customer id -> profile (None: not in the base), built on first read: the base's histories never change, and
    # tagging a customer's texts for needs is the costly part of a profile
    briefs: dict[str, Profile | None] = field(default_factory=dict)


def _raw(h: CustomerHistory, now: datetime) -> tuple[float, int, float] | None:
    orders = [o for o in h.orders if o.at < now]
    if not orders:
        return None
    return (now - orders[-1].at).total_seconds() / 86400, len(orders), sum(o.total for o in orders)


class CustomerInsight:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime], ttl_s: float = TTL_S) -> None:
        self._sessions = sessions
        self._clock = clock
        self._ttl = ttl_s
        self._lock = threading.Lock()
        self._base: _Base | None = None
        self._loader: threading.Thread | None = None

    def warm_up(self) -> None:
        """Read every history and train the churn model now, not on the first request."""
        self._current()

    def _warm_or_start(self) -> bool:
        """True if the base is loaded and fresh; else start loading it in the background (once) and say False."""
        base = self._base
        if base is not None and time.monotonic() - base.loaded <= self._ttl:
            return True
        with self._lock:
            if self._loader is None or not self._loader.is_alive():
                self._loader = threading.Thread(target=self._load_quietly, name="kefu-insight", daemon=True)
                self._loader.start()
        return False

    def _load_quietly(self) -> None:
        try:
            self._current()
        except Exception as exc:
            log.warning("building customer profiles failed: %s", type(exc).__name__)

    def _current(self) -> _Base:
        with self._lock:
            base = self._base
            if base is None or time.monotonic() - base.loaded > self._ttl:
                base = self._base = self._load()
            return base

    def _load(self) -> _Base:
        now = self._clock()
        histories = load_histories(self._sessions, until=now)
        raw = {c: r for c, h in histories.items() if (r := _raw(h, now)) is not None}
        try:
            model: ChurnModel | None = fit(list(histories.values()), now)
        except NotEnoughHistory:
            model = None
        risks = model.score(list(histories.values()), now) if model else []
        with self._sessions() as s:
            names = {k: (zh, en) for k, zh, en in s.execute(select(Category.key, Category.name_zh, Category.name_en))}
        return _Base(now, time.monotonic(), histories, raw, model, risks, names, rfm_of(raw),
                     {r.customer_id: r.risk for r in risks})

    def _rfm(self, base: _Base, customer_id: str, mine: tuple[float, int, float] | None) -> Rfm | None:
        """The customer's RFM among the base's, with `mine` as their inputs (fresher than the base's, for the
        console): scored against the whole base again only when they differ from what the base holds."""
        if mine is None:
            return None
        if base.raw.get(customer_id) == mine:
            return base.rfm[customer_id]
        return rfm_of({**base.raw, customer_id: mine})[customer_id]

    def profile(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's profile with their churn risk, or None for a customer the store does not know."""
        base = self._current()
        now = self._clock()
        fresh = load_histories(self._sessions, customer_ids=[customer_id], until=now).get(customer_id)
        if fresh is None:
            return None
        profile = build_profile(fresh, self._rfm(base, customer_id, _raw(fresh, now)))
        risk = base.model.score([fresh], now) if base.model else []
        out = profile.as_dict()
        tagger = shared_tagger()
        for need in out["needs"]:
            need["name_zh"], need["name_en"] = tagger.name(need["tag"], "zh"), tagger.name(need["tag"], "en")
        for cat in out["categories"]:
            cat["name_zh"], cat["name_en"] = base.categories.get(cat["category"], (cat["category"], cat["category"]))
        out["churn"] = None if not risk else {"risk": round(risk[0].risk, 3), "high": risk[0].risk >= HIGH_RISK,
                                              "reasons": risk[0].reasons, "horizon_days": base.model.horizon_days
                                              if base.model else None}
        return out

    def brief(self, customer_id: str) -> Profile | None:
        """The profile alone, from the cached base (no SQL when warm): what a conversation reads."""
        base = self._current()
        if customer_id in base.briefs:
            return base.briefs[customer_id]
        h = base.histories.get(customer_id)
        profile = None if h is None else build_profile(h, base.rfm.get(customer_id))
        base.briefs[customer_id] = profile  # (two threads building the same one store equal profiles)
        return profile

    def risk(self, customer_id: str) -> float | None:
        return self._current().risk_of.get(customer_id)

    def profiled(self, conversation_id: str, customer_id: str) -> CustomerProfiled | None:
        """The `CustomerProfiled` event a conversation with this customer starts with (None: unknown customer, or
        the profiles are still being built: a conversation never waits for them)."""
        if not self._warm_or_start():
            return None
        profile = self.brief(customer_id)
        if profile is None:
            return None
        risk = self.risk(customer_id)
        return CustomerProfiled(conversation_id=conversation_id, segment=profile.segment,
                                churn_risk=None if risk is None else round(risk, 3),
                                keep=risk is not None and risk >= HIGH_RISK, needs=[n.tag for n in profile.needs])

    def at_risk(self, *, limit: int = 50, min_risk: float = 0.0, segment: str | None = None) -> dict[str, Any]:
        """Customers who ordered in the past year, riskiest first, with their value and what to look at."""
        base = self._current()
        rows = []
        for r in base.risks:
            if r.risk < min_risk:
                continue
            h = base.histories[r.customer_id]
            rfm = base.rfm.get(r.customer_id)
            seg = segment_of(rfm)
            if segment and seg != segment:
                continue
            rows.append({"customer_id": r.customer_id, "name": h.name, "risk": round(r.risk, 3), "segment": seg,
                         "orders": rfm.frequency if rfm else 0, "spend": round(rfm.monetary, 2) if rfm else 0.0,
                         "last_order_days": round(r.features["recency_days"]), "reasons": r.reasons})
            if len(rows) >= limit:
                break
        return {"as_of": base.at.isoformat(), "horizon_days": base.model.horizon_days if base.model else None,
                "trained_on": base.model.trained_on if base.model else 0, "scored": len(base.risks),
                "customers": rows}
