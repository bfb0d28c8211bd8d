"""`POST /api/operator/marketing/forecast`: a proposed campaign's orders and revenue with and without it
(`server.operators.campaign_forecast`). Marketers and supervisors only, like the rest of the marketing view;
terms the store's data cannot forecast get 422 `forecast_unavailable` with the reason."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends

from server.api.deps import RuntimeDep
from server.api.operator.deps import MARKETING_ROLES, require_role
from server.errors import ApiError
from server.operators.campaign_forecast import ForecastError, ForecastOut, ForecastRequest, forecaster

router = APIRouter(
    prefix="/api/operator/marketing", tags=["marketing"], dependencies=[Depends(require_role(*MARKETING_ROLES))]
)


@router.post("/forecast", response_model=ForecastOut)
async def forecast(runtime: RuntimeDep, body: ForecastRequest) -> ForecastOut:
    """Daily orders and revenue over the window, without the campaign (SARIMAX) and with it (+ DoWhy uplift)."""
    service = forecaster(runtime.sessions, runtime.settings.store.timezone)
    try:
        return await asyncio.to_thread(service.forecast, body, runtime.console.clock())
    except ForecastError as exc:
        raise ApiError(422, "forecast_unavailable", str(exc)) from exc
