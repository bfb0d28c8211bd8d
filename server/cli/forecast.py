"""`kefu forecast campaign`: a proposed campaign's orders and revenue with and without it, from the store's
database (`server.operators.campaign_forecast`); `kefu eval forecast`: the backtest on held-back campaigns
beside seasonal naive, with DoWhy's refutations (`server.evals.forecast`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import typer

from server.cli.models import eval_app

forecast_app = typer.Typer(help="Forecast what a campaign will do before it runs.", no_args_is_help=True)


@forecast_app.command("campaign")
def forecast_campaign_command(
    type_: Annotated[Literal["full_reduction", "percent_off"], typer.Option("--type", help="满X减Y or percent off.")],
    discount: Annotated[float, typer.Option(help="Yuan off (满X减Y: Y) or percent off.")],
    threshold: Annotated[float | None, typer.Option(help="满X减Y: X, in yuan.")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Only these categories (repeat; default: all).")] = None,
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD (default: tomorrow).")] = None,
    days: Annotated[int, typer.Option(help="Days the campaign runs.")] = 7,
    refute: Annotated[bool, typer.Option(help="Also run DoWhy's refutations (~10 s more).")] = False,
    output: Annotated[Literal["table", "json"], typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Forecast orders and revenue over the window, with and without the campaign."""
    from pydantic import ValidationError

    from server.db.engine import make_engine, make_session_factory
    from server.operators.campaign_forecast import ForecastError, ForecastRequest, forecaster
    from server.settings import get_settings

    settings = get_settings()
    try:
        request = ForecastRequest(type=type_, discount=Decimal(str(discount)),
                                  threshold=None if threshold is None else Decimal(str(threshold)),
                                  categories=category or [], start=date.fromisoformat(start) if start else None,
                                  days=days, refute=refute)
    except (ValidationError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    engine = make_engine(settings.db.url)
    try:
        result = forecaster(make_session_factory(engine), settings.store.timezone).forecast(request, datetime.now(UTC))
    except ForecastError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    if output == "json":
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{'day':<12} {'orders w/o':>10} {'orders with':>11} {'revenue w/o':>12} {'revenue with':>13}")
    for d in result.daily:
        typer.echo(f"{d.day.isoformat():<12} {d.orders_without:>10.1f} {d.orders_with:>11.1f} "
                   f"{d.revenue_without:>12.0f} {d.revenue_with:>13.0f}")
    typer.echo(f"{'total':<12} {result.orders_without:>10.1f} {result.orders_with:>11.1f} "
               f"{result.revenue_without:>12.0f} {result.revenue_with:>13.0f}")
    typer.echo(f"lift: orders {result.orders_lift:+.1%}, revenue {result.revenue_lift:+.1%} (learnt from "
               f"{result.campaigns_learnt} past campaigns over {result.history_days} days; scope share "
               f"{result.scope_share:.0%})")
    for r in result.refutations:
        typer.echo(f"refutation {r.outcome:<8} {r.method:<27} effect {r.estimate:+.4f} -> {r.new_effect:+.4f} "
                   f"p={r.p_value if r.p_value is not None else float('nan'):.2f} {'ok' if r.passed else 'FAILED'}")


def eval_forecast_command(
    seed: Annotated[int, typer.Option(help="Demo store seed.")] = 7,
    as_of: Annotated[str, typer.Option(help="The demo store's date, YYYY-MM-DD.")] = "2026-12-06",
    held_back: Annotated[int, typer.Option(help="Past campaigns held back.")] = 4,
) -> None:
    """Backtest on the demo store's last held-back campaigns: MAPE beside seasonal naive; DoWhy refutations."""
    from server.evals.forecast import evaluate_forecast, forecast_lines

    typer.echo("\n".join(forecast_lines(evaluate_forecast(seed=seed, as_of=date.fromisoformat(as_of),
                                                          held_back=held_back))))


def register(app: typer.Typer) -> None:
    app.add_typer(forecast_app, name="forecast")
    eval_app.command("forecast")(eval_forecast_command)
