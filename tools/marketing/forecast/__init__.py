"""Campaign forecast: what a proposed campaign (满X减Y or percent off, store-wide or on some categories, over a
window) will do to daily orders and revenue, beside what the store does without it.

- `series`: the plain inputs (daily orders and revenue, past campaign windows, the offer) built from order rows;
- `baseline`: the no-campaign forecast (statsmodels SARIMAX with weekly seasonality, campaign days masked) and
  the seasonal-naive yardstick (the same weekday last week);
- `uplift`: the campaign effect learnt from past campaigns with DoWhy (backdoor linear regression; treatment =
  a campaign is running, effect modifiers = depth, threshold, scope; confounders = weekday, trend, season,
  festival) and its refutations (placebo treatment, random common cause, data subset);
- `forecast`: the two combined; `backtest`: the error on held-back campaigns beside seasonal naive;
- `words`: the offer a marketer's words propose ("满300减50", "spend 300 save 50", "8折 on coffee").

Algorithms on plain arrays and rows; nothing here reads a database.
"""

from __future__ import annotations

from tools.marketing.forecast.series import DailyHistory, Offer, PastCampaign, daily_history, offer_of_rules

__all__ = ["DailyHistory", "Offer", "PastCampaign", "daily_history", "offer_of_rules"]
