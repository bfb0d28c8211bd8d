"""`kefu eval` and `kefu train …`: measure and rebuild the bundled understanding models (development only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.settings import get_settings

train_app = typer.Typer(help="Rebuild the bundled models from the data sets.", no_args_is_help=True)
# `kefu eval` alone measures the understanding models; `kefu eval <model>` (e.g. `recommender`) measures one.
eval_app = typer.Typer(help="Measure the models on held-out data.")


def eval_command(
    ctx: typer.Context,
    budget: Annotated[int | None, typer.Option(help="At most this many test items per model task (quick run).")] = None,
    suite_budget: Annotated[int | None, typer.Option(help="At most this many scripted conversations.")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Data sets folder (KEFU_DATA_DIR, default ../shared/data).")
    ] = None,
    judge: Annotated[
        bool, typer.Option(help="Also measure sentiment with the LLM judge (when the local model is installed).")
    ] = True,
    churn: Annotated[bool, typer.Option(help="Also measure churn risk on a fresh demo store (~20 s).")] = True,
) -> None:
    """Measure sentiment, emotion, intents and slots on held-out splits, run the conversation suites, and measure
    churn risk against recency alone."""
    if ctx.invoked_subcommand is not None:
        return
    from server.evals.report import format_report, run_eval
    from server.infra.llm import local_sentiment_judge

    settings = get_settings()
    report = run_eval(
        data_dir or settings.training.data_dir,
        budget=budget,
        suite_budget=suite_budget,
        index_dir=settings.knowledge.index_dir,
        sentiment_judge=local_sentiment_judge(settings) if judge else None,
    )
    typer.echo(format_report(report))
    if churn:
        from server.evals.churn import churn_on_demo

        typer.echo("\n" + "\n".join(churn_on_demo().lines()))
    from server.evals.forecast import evaluate_forecast, forecast_lines  # the campaign forecast's backtest

    typer.echo("\n" + "\n".join(forecast_lines(evaluate_forecast())))
    if not report.suites_passed:
        raise typer.Exit(1)


eval_app.callback(invoke_without_command=True)(eval_command)


@train_app.command("intents")
def train_intents_command(
    seed: Annotated[
        int, typer.Option(help="Random seed: splits, augmentation; same seed and data, same weights.")
    ] = 13,
    data_dir: Annotated[
        Path | None, typer.Option(help="Data sets folder (KEFU_DATA_DIR, default ../shared/data).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Weights file (default: agent/models/intents.npz).")] = None,
) -> None:
    """Train the zh/en intent classifier (bitext + the project's zh and store sets) and calibrate it."""
    from agent.nlu.intent_model import DEFAULT_MODEL_PATH, IntentModel
    from agent.training.intents import default_data_dir, train_intents

    try:
        report = train_intents(data_dir or default_data_dir(), seed=seed, out=out or DEFAULT_MODEL_PATH)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    IntentModel.forget()
    typer.echo(str(report))


@train_app.command("affect")
def train_affect_command(
    seed: Annotated[int, typer.Option(help="Random seed (CV folds); same seed and data, byte-identical weights.")] = 7,
    data_dir: Annotated[
        Path | None, typer.Option(envvar="KEFU_DATA_DIR", help="Data sets folder (default ../shared/data).")
    ] = None,
    out_dir: Annotated[Path | None, typer.Option(help="Where the weights go (default: agent/models).")] = None,
    refine: Annotated[bool, typer.Option(help="Also fit the e5 refine stage for uncertain text.")] = True,
    judge: Annotated[
        bool,
        typer.Option(
            help="Also fit the LLM judge stage (English) on the bundled model "
            "(`kefu llm install`); its first run takes ~20 min."
        ),
    ] = True,
) -> None:
    """Train zh/en sentiment and the customer-service emotion classifier (agent/models/affect_*.npz, emotion.npz)."""
    from agent.affect.model import MODELS_DIR
    from agent.training.affect import tqdm_progress, train_affect
    from server.infra.llm import local_sentiment_judge

    sentiment_judge = None
    if judge and refine:
        sentiment_judge = local_sentiment_judge(get_settings(), required=True)
        if sentiment_judge is None:
            typer.echo(
                "error: the LLM judge needs the local model: run `kefu llm install` and `make llm`, "
                "or train without it (--no-judge)",
                err=True,
            )
            raise typer.Exit(2)
    try:
        report = train_affect(
            data_dir, out_dir or MODELS_DIR, seed=seed, refine=refine, progress=tqdm_progress, judge=sentiment_judge
        )
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(str(report))
