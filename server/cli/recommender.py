"""`kefu train recommender` and `kefu eval recommender`: fit the product recommender from the store's
orders (and recorded interactions) into a model file; measure it beside popularity, co-occurrence and
plain ALS. Batch jobs, never part of serving. `--engine spark` trains the ALS part with MLlib on
`KEFU_SPARK_MASTER` (`tools.marketing.recommender.spark_als`); the model file is the same."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from server.cli.models import eval_app, train_app
from server.cli.spark import Engine
from server.settings import get_settings

if TYPE_CHECKING:
    from tools.marketing.recommender.train import AlsFactory

DEFAULT_MODEL = Path("var/models/recommender/recommender.npz")


def train_recommender_command(
    out: Annotated[Path, typer.Option(help="Model file (.npz, with its .json metadata beside it).")] = DEFAULT_MODEL,
    database_url: Annotated[
        str | None, typer.Option(help="Store database (default: the configured KEFU_DATABASE_URL).")
    ] = None,
    factors: Annotated[int, typer.Option(min=2, max=256, help="ALS factors.")] = 32,
    iterations: Annotated[int, typer.Option(min=1, max=200, help="ALS iterations.")] = 15,
    tune: Annotated[bool, typer.Option(help="Tune the blend on each customer's last visit first.")] = True,
    seed: Annotated[int, typer.Option(help="Random seed (ALS initialisation).")] = 13,
    engine: Annotated[
        Engine, typer.Option(help="ALS on this machine (implicit) or on Spark (MLlib ALS, KEFU_SPARK_MASTER).")
    ] = Engine.local,
    master: Annotated[
        str | None, typer.Option(help="Spark master for --engine spark (default KEFU_SPARK_MASTER, local[2]).")
    ] = None,
) -> None:
    """Train the recommender from order lines per customer and recorded product interactions."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit's ALS threads itself
    from tqdm import tqdm

    from server.evals.recommender import store_rows
    from tools.marketing.recommender import TrainConfig, fit_recommender

    url = database_url or get_settings().db.url
    try:
        visits, infos = store_rows(url)
    except Exception as exc:  # an unreachable or unmigrated database: say so, no traceback
        typer.echo(f"error: cannot read orders from {url}: {exc.__class__.__name__}: {exc}", err=True)
        raise typer.Exit(2) from exc
    if not visits:
        typer.echo(f"error: no orders in {url}; build the demo store with `kefu demo-data` first", err=True)
        raise typer.Exit(2)
    config = TrainConfig(factors=factors, iterations=iterations, tune=tune, seed=seed)
    als = _als_factory(engine, master, "kefu-train-recommender")
    from tools.marketing.spark_session import SparkError

    try:
        with tqdm(total=config.steps, desc=f"recommender ({engine.value})", unit="step") as bar:
            model = fit_recommender(visits, infos, config=config, progress=bar.update, als=als)
    except SparkError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    path = model.save(out)
    weights = ", ".join(f"{s} {w:g}" for s, w in model.weights.by_source().items() if w)
    typer.echo(
        f"recommender: {len(model.items)} items, {model.meta['customers']} customers, {len(visits)} visits; "
        f"blend {weights}; ALS on the {engine.value} engine; wrote {path} and {path.with_suffix('.json')}"
    )


def _als_factory(engine: Engine, master: str | None, app_name: str) -> AlsFactory:
    """What trains the ALS factors: `implicit` here, or MLlib on a SparkSession started now (exit 2 with the
    reason when pyspark, Java or the cluster is missing)."""
    from tools.marketing.recommender.signals import ImplicitALS

    if engine is Engine.local:
        return ImplicitALS
    from functools import partial

    from server.cli.spark import start_spark
    from tools.marketing.recommender.spark_als import SparkALS
    from tools.marketing.spark_session import SparkError

    try:
        return partial(SparkALS, spark=start_spark(app_name, master))
    except SparkError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def eval_recommender_command(
    data_dir: Annotated[
        Path | None, typer.Option(help="Data sets folder (KEFU_DATA_DIR, default ../shared/data).")
    ] = None,
    quick: Annotated[bool, typer.Option(help="A small demo store and 400 Groceries members; no Instacart.")] = False,
    engine: Annotated[
        Engine, typer.Option(help="Train plain ALS and the shipped model's ALS here (implicit) or on Spark (MLlib).")
    ] = Engine.local,
    master: Annotated[
        str | None, typer.Option(help="Spark master for --engine spark (default KEFU_SPARK_MASTER, local[2]).")
    ] = None,
) -> None:
    """Leave-last-visit-out HR@10 / NDCG@10 on the demo store and Groceries members, and basket completion
    on the Instacart sample: the shipped recommender beside popularity, co-occurrence and plain ALS."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from server.evals.recommender import format_report, run

    als = _als_factory(engine, master, "kefu-eval-recommender")
    report = run(data_dir or get_settings().training.data_dir, quick=quick, als=als)
    typer.echo(format_report(report))


def register() -> None:
    """Add the commands to `kefu train` and `kefu eval`."""
    train_app.command("recommender")(train_recommender_command)
    eval_app.command("recommender")(eval_recommender_command)
