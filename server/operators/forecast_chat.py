"""The marketer's chat answer to "预测一下满300减50的效果" / "forecast a spend 300 save 50 campaign": the offer read
from the words (`tools.marketing.forecast.words`), forecast from tomorrow over the window the words give (a
week when they give none), answered with the figures and the forecast as a card."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from prompts.marketer import marketer_text
from server.operators.campaign_forecast import ForecastError, ForecastRequest, forecaster
from tools.marketing.forecast.forecast import MAX_DAYS
from tools.marketing.forecast.words import proposed_offer

if TYPE_CHECKING:
    from server.runtime import Runtime

DEFAULT_DAYS = 7


def _offer_name(kind: str, discount: float, threshold: float | None, lang: str) -> str:
    if kind == "full_reduction":
        return (f"满{threshold:g}减{discount:g}" if lang == "zh" else f"spend ¥{threshold:g}, save ¥{discount:g}")
    return f"{(100 - discount) / 10:g}折" if lang == "zh" else f"{discount:g}% off"


async def forecast_answer(runtime: Runtime, text: str, lang: str, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    offer = proposed_offer(text)
    if offer is None:
        return marketer_text(lang, "forecast.no_offer"), []
    days = min(max(offer.days or DEFAULT_DAYS, 1), MAX_DAYS)
    try:
        request = ForecastRequest(type=offer.kind, discount=Decimal(str(offer.discount)),  # type: ignore[arg-type]
                                  threshold=None if offer.threshold is None else Decimal(str(offer.threshold)),
                                  days=days)
    except ValueError:
        return marketer_text(lang, "forecast.bad_terms"), []
    service = forecaster(runtime.sessions, runtime.settings.store.timezone)
    try:
        result = await asyncio.to_thread(service.forecast, request, now)
    except ForecastError as exc:
        return marketer_text(lang, "forecast.unavailable", why=str(exc)), []
    answer = marketer_text(
        lang, "forecast.result", offer=_offer_name(offer.kind, offer.discount, offer.threshold, lang), days=days,
        start=result.start.isoformat(), orders_without=f"{result.orders_without:.0f}",
        orders_with=f"{result.orders_with:.0f}", orders_lift=f"{result.orders_lift:+.0%}",
        revenue_without=f"{result.revenue_without:,.0f}", revenue_with=f"{result.revenue_with:,.0f}",
        revenue_lift=f"{result.revenue_lift:+.0%}", campaigns=result.campaigns_learnt)
    return answer, [{"type": "forecast", "forecast": result.model_dump(mode="json")}]
