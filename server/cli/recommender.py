"""`kefu train recommender` and `kefu eval recommender`: fit the product recommender from the store's
orders (and recorded interactions) into a model file; measure it beside popularity, co-occurrence and
plain ALS. Batch jobs, never part of serving."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from server.cli.models import eval_app, train_app
from server.settings import get_settings

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
    with tqdm(total=config.steps, desc="recommender", unit="step") as bar:
        model = fit_recommender(visits, infos, config=config, progress=bar.update)
    path = model.save(out)
    weights = ", ".join(f"{s} {w:g}" for s, w in model.weights.by_source().items() if w)
    typer.echo(
        f"recommender: {len(model.items)} items, {model.meta['customers']} customers, {len(visits)} visits; "
        f"blend {weights}; wrote {path} and {path.with_suffix('.json')}"
    )


def eval_recommender_command(
    data_dir: Annotated[
        Path | None, typer.Option(help="Data sets folder (KEFU_DATA_DIR, default ../shared/data).")
    ] = None,
    quick: Annotated[bool, typer.Option(help="A small demo store and 400 Groceries members; no Instacart.")] = False,
) -> None:
    """Leave-last-visit-out HR@10 / NDCG@10 on the demo store and Groceries members, and basket completion
    on the Instacart sample: the shipped recommender beside popularity, co-occurrence and plain ALS."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from server.evals.recommender import format_report, run

    report = run(data_dir or get_settings().training.data_dir, quick=quick)
    typer.echo(format_report(report))


def register() -> None:
    """Add the commands to `kefu train` and `kefu eval`."""
    train_app.command("recommender")(train_recommender_command)
    eval_app.command("recommender")(eval_recommender_command)
