"""`kefu eval forecast` (and a section of `kefu eval`): the campaign forecast's backtest on the demo store.

The demo store (generated in memory for a seed and date, as `kefu demo-data` writes it) holds a year of orders
with past campaigns whose lift is planted in the orders (`server.demo.campaign_history`). The last few
campaigns are held back: each is forecast from the days before it, with only the campaigns before it to learn
from, and its window's actual orders and revenue are compared with the forecast and with seasonal naive (the
same weekday last week). The DoWhy refutations are those of the model fitted on the whole year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tools.marketing.forecast.backtest import HELD_BACK, Backtest, backtest
from tools.marketing.forecast.inputs import ForecastInputs, build_inputs
from tools.marketing.forecast.uplift import Refutation, fit_uplift

TZ = "Asia/Shanghai"
AS_OF = date(2026, 12, 6)


@dataclass(frozen=True, slots=True)
class ForecastEval:
    backtest: Backtest
    refutations: dict[str, list[Refutation]]
    ate: dict[str, float]
    campaigns: int
    days: int


def demo_inputs(*, seed: int = 7, as_of: date = AS_OF, customers: int = 1000, orders: int = 10000,
                ) -> ForecastInputs:
    from server.demo.generate import generate

    rows = generate(seed=seed, as_of=as_of, customers=customers, orders=orders)
    category = {p["id"]: p["category_key"] for p in rows["products"]}
    categories: dict[str, set[str]] = {}
    for line in rows["order_lines"]:
        categories.setdefault(line["order_id"], set()).add(category[line["product_id"]])
    return build_inputs(rows["orders"], categories, rows["campaigns"], tz=TZ, until=as_of)


def evaluate_forecast(*, seed: int = 7, as_of: date = AS_OF, held_back: int = HELD_BACK,
                      simulations: int = 10) -> ForecastEval:
    inputs = demo_inputs(seed=seed, as_of=as_of)
    result = backtest(inputs.history, inputs.campaigns, held_back=held_back)
    model = fit_uplift(inputs.history, inputs.campaigns, refute=True, simulations=simulations)
    return ForecastEval(result, model.refutations, model.ate, model.campaigns, model.days)


def forecast_lines(e: ForecastEval) -> list[str]:
    b = e.backtest
    lines = [f"campaign forecast: backtest on {len(b.held_back)} held-back campaigns "
             f"({', '.join(h.campaign_id for h in b.held_back)})",
             f"{'method':<34} {'orders MAPE':>11} {'revenue MAPE':>12} {'orders total err':>16} "
             f"{'revenue total err':>17}"]
    for method, name in (("forecast", "forecast (SARIMAX + DoWhy uplift)"),
                         ("baseline", "SARIMAX alone (no uplift)"), ("naive", "seasonal naive (weekday last week)")):
        lines.append(f"{name:<34} {b.mean_mape(method, 'orders'):>11.1%} {b.mean_mape(method, 'revenue'):>12.1%} "
                     f"{b.total_error(method, 'orders'):>16.1%} {b.total_error(method, 'revenue'):>17.1%}")
    lines.append(f"uplift on campaign days (DoWhy, {e.campaigns} campaigns, {e.days} days): orders "
                 f"{e.ate['orders']:+.3f}, order value {e.ate['basket']:+.3f} (log terms)")
    for outcome, refutations in e.refutations.items():
        for r in refutations:
            p = "—" if r.p_value is None else f"{r.p_value:.2f}"
            lines.append(f"  refutation {outcome:<8} {r.method:<27} {r.estimate:+.4f} -> {r.new_effect:+.4f} "
                         f"p={p} {'passed' if r.passed else 'FAILED'}")
    return lines
