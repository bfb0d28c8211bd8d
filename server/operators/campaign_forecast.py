"""The campaign forecast as the console, the CLI and the marketer's chat ask for it: read the store's orders and
campaigns, fit the baseline and the uplift (`tools.marketing.forecast`), answer a proposed offer.

The fitted uplift is cached per data snapshot (the store's order count and newest order, its campaigns, the
day), so a marketer trying several offers pays for the DoWhy fit once. Blocking (SQL, statsmodels): call it in
a worker thread.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import Campaign, Order, OrderLine, Product
from tools.marketing.forecast.forecast import MAX_DAYS, CampaignForecast, forecast_campaign
from tools.marketing.forecast.inputs import ForecastInputs, build_inputs
from tools.marketing.forecast.uplift import UpliftModel, fit_uplift

REFUTE_SIMULATIONS = 10


class ForecastError(ValueError):
    """A forecast the store's data cannot give (too little history, too few past campaigns, bad terms); the
    message is fit to show."""


class ForecastRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["full_reduction", "percent_off"]
    discount: Decimal = Field(gt=0, le=100000, description="Yuan off (满X减Y: Y), or percent off.")
    threshold: Decimal | None = Field(default=None, gt=0, le=1000000, description="满X减Y: X (yuan).")
    categories: list[str] = Field(default_factory=list, max_length=30)
    start: date | None = None  # default: tomorrow (store time)
    days: int = Field(default=7, ge=1, le=MAX_DAYS)
    refute: bool = False  # also run DoWhy's refutations (placebo, random common cause, subset): ~10 s more

    @model_validator(mode="after")
    def _terms(self) -> ForecastRequest:
        if self.type == "full_reduction" and (self.threshold is None or self.threshold <= self.discount):
            raise ValueError("a full reduction (满X减Y) needs a threshold above its discount")
        if self.type == "percent_off" and self.discount >= 100:
            raise ValueError("percent off must be below 100")
        return self


class DayOut(BaseModel):
    day: date
    orders_without: float
    orders_with: float
    revenue_without: float
    revenue_with: float


class RefutationOut(BaseModel):
    outcome: Literal["orders", "basket"]  # basket: the order value
    method: str
    estimate: float
    new_effect: float
    p_value: float | None
    passed: bool


class ForecastOut(BaseModel):
    type: str
    threshold: float | None
    discount: float
    categories: list[str]
    scope_share: float  # share of orders with something in scope (1: store-wide)
    start: date
    days: int
    orders_without: float
    orders_with: float
    revenue_without: float
    revenue_with: float
    orders_lift: float  # relative: 0.3 = 30% more
    revenue_lift: float
    history_days: int
    campaigns_learnt: int
    daily: list[DayOut]
    refutations: list[RefutationOut]
    method: str = "SARIMAX(0,1,1) baseline with weekday and festival regressors + DoWhy backdoor linear regression"


def to_out(fc: CampaignForecast) -> ForecastOut:
    o = fc.offer
    return ForecastOut(
        type=o.kind, threshold=o.threshold or None, discount=o.discount, categories=list(o.categories),
        scope_share=round(o.scope_share, 4), start=fc.start, days=len(fc.days),
        orders_without=round(fc.total("orders_without"), 1), orders_with=round(fc.total("orders_with"), 1),
        revenue_without=round(fc.total("revenue_without"), 2), revenue_with=round(fc.total("revenue_with"), 2),
        orders_lift=round(fc.orders_lift, 4), revenue_lift=round(fc.revenue_lift, 4), history_days=fc.history_days,
        campaigns_learnt=fc.campaigns_learnt,
        daily=[DayOut(day=d.day, orders_without=round(d.orders_without, 2), orders_with=round(d.orders_with, 2),
                      revenue_without=round(d.revenue_without, 2), revenue_with=round(d.revenue_with, 2))
               for d in fc.days],
        refutations=[RefutationOut(outcome=k, method=r.method, estimate=round(r.estimate, 4),  # type: ignore[arg-type]
                                   new_effect=round(r.new_effect, 4), p_value=r.p_value, passed=r.passed)
                     for k, rs in fc.refutations.items() for r in rs],
    )


def load_inputs(sessions: sessionmaker[Session], *, tz: str, today: date) -> ForecastInputs:
    """The store's orders (all of them: a year in the demo) and campaigns, up to `today` (store time)."""
    with sessions() as session:
        orders = [{"id": i, "placed_at": p, "total": t, "status": s} for i, p, t, s in
                  session.execute(select(Order.id, Order.placed_at, Order.total, Order.status))]
        categories: dict[str, set[str]] = {}
        for order_id, category in session.execute(
                select(OrderLine.order_id, Product.category_key).join(Product, Product.id == OrderLine.product_id)):
            categories.setdefault(order_id, set()).add(category)
        campaigns = [{"id": c.id, "kind": c.kind, "rules": dict(c.rules or {}), "starts_at": c.starts_at,
                      "ends_at": c.ends_at} for c in session.scalars(select(Campaign))]
    try:
        return build_inputs(orders, categories, campaigns, tz=tz, until=today)
    except ValueError as exc:
        raise ForecastError(str(exc)) from exc


def _snapshot(sessions: sessionmaker[Session], today: date) -> tuple[object, ...]:
    with sessions() as session:
        count, newest = session.execute(select(func.count(Order.id), func.max(Order.placed_at))).one()
        campaigns = session.execute(select(func.count(Campaign.id), func.max(Campaign.starts_at))).one()
    return (today, count, newest, *campaigns)


class Forecaster:
    """Forecasts against one store, with the fitted inputs and uplift cached per data snapshot."""

    def __init__(self, sessions: sessionmaker[Session], *, tz: str) -> None:
        self._sessions, self._tz = sessions, tz
        self._lock = threading.Lock()
        self._cached: tuple[tuple[object, ...], ForecastInputs, UpliftModel] | None = None

    def fitted(self, today: date, *, refute: bool = False) -> tuple[ForecastInputs, UpliftModel]:
        key = _snapshot(self._sessions, today)
        with self._lock:
            cached = self._cached
            if cached is not None and cached[0] == key and (cached[2].refutations or not refute):
                return cached[1], cached[2]
            inputs = load_inputs(self._sessions, tz=self._tz, today=today)
            try:
                model = fit_uplift(inputs.history, inputs.campaigns, refute=refute, simulations=REFUTE_SIMULATIONS)
            except ValueError as exc:
                raise ForecastError(str(exc)) from exc
            self._cached = (key, inputs, model)
            return inputs, model

    def forecast(self, request: ForecastRequest, now: datetime) -> ForecastOut:
        today = now.astimezone(ZoneInfo(self._tz)).date()
        inputs, model = self.fitted(today, refute=request.refute)
        try:
            offer = inputs.offer(request.type, float(request.discount), float(request.threshold or 0),
                                 request.categories)
            fc = forecast_campaign(inputs.history, inputs.campaigns, offer, request.start or today + timedelta(days=1),
                                   request.days, uplift=model)
        except ValueError as exc:
            raise ForecastError(str(exc)) from exc
        if not request.refute:
            fc = CampaignForecast(fc.offer, fc.start, fc.days, fc.orders_lift, fc.revenue_lift, fc.history_days,
                                  fc.campaigns_learnt, {})
        return to_out(fc)


_forecasters: dict[tuple[str, str], Forecaster] = {}


def forecaster(sessions: sessionmaker[Session], tz: str) -> Forecaster:
    """The one forecaster of a store (by its database URL and time zone), its cache shared by the console, the
    chat and the CLI of a process; it keeps the sessions it was made with."""
    bind = sessions.kw.get("bind")
    shared = bind is not None and bind.url.database not in (None, "", ":memory:")  # in-memory: one per engine
    key = (bind.url.render_as_string(hide_password=True) if shared else str(id(sessions)), tz)
    if key not in _forecasters:
        _forecasters[key] = Forecaster(sessions, tz=tz)
    return _forecasters[key]
