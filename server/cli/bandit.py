"""`kefu train bandit` and `kefu eval bandit`: rebuild the re-ranking policy from the event log of every
conversation into a candidate file, then evaluate it offline against the policy that served the logged lists
and, only when asked (`--switch`) and only when it is better, switch it on (the file the service loads)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from server.cli.models import eval_app, train_app
from server.settings import get_settings

if TYPE_CHECKING:
    from tools.marketing.feedback import RankedList

DEFAULT_CANDIDATE = Path("var/models/bandit/candidate.npz")


def _lists(database_url: str | None) -> list[RankedList]:
    from server.evals.bandit import load_lists
    from server.runtime import reward_weights

    settings = get_settings()
    url = database_url or settings.db.url
    try:
        return load_lists(url, reward_weights(settings))
    except Exception as exc:  # an unreachable or unmigrated database: say so, no traceback
        typer.echo(f"error: cannot read the event log from {url}: {exc.__class__.__name__}: {exc}", err=True)
        raise typer.Exit(2) from exc


def train_bandit_command(
    out: Annotated[Path, typer.Option(help="Candidate policy file (.npz); `kefu eval bandit` judges it.")]
    = DEFAULT_CANDIDATE,
    database_url: Annotated[
        str | None, typer.Option(help="Store database (default: the configured KEFU_DATABASE_URL).")
    ] = None,
    holdout: Annotated[float, typer.Option(min=0.0, max=0.9, help="Newest share of lists kept for evaluation.")]
    = 0.2,
    seed: Annotated[int, typer.Option(help="Random seed of the policy's exploration.")] = 0,
) -> None:
    """Rebuild the re-ranking policy from every ranked list in the log and the rewards its products earned."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from server.evals.bandit import train

    live = get_settings().bandit.policy_path
    if out.resolve() == live.resolve():
        typer.echo(f"error: {out} is the live policy; write a candidate and switch it on with "
                   "`kefu eval bandit --switch` once it proves better", err=True)
        raise typer.Exit(2)
    lists = _lists(database_url)
    try:
        policy = train(lists, holdout=holdout, seed=seed)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    policy.save(out)
    info = policy.info
    typer.echo(f"bandit: learnt from {info['lists']} lists ({info['rewarded']} with a reward) up to "
               f"{info['trained_until_iso']}; {info['held_out']} newer lists held out; wrote {out}")


def eval_bandit_command(
    candidate: Annotated[Path, typer.Option(help="Candidate policy file from `kefu train bandit`.")]
    = DEFAULT_CANDIDATE,
    database_url: Annotated[
        str | None, typer.Option(help="Store database (default: the configured KEFU_DATABASE_URL).")
    ] = None,
    method: Annotated[str, typer.Option(help="Estimator the verdict rests on: dr, snips or ips.")] = "dr",
    alpha: Annotated[float, typer.Option(min=0.001, max=0.5, help="1 - confidence of the intervals.")] = 0.05,
    min_lift: Annotated[float, typer.Option(help="Switch on only if the lift's lower bound clears this.")] = 0.0,
    switch: Annotated[bool, typer.Option("--switch", help="Switch the candidate on if, and only if, it is better.")]
    = False,
) -> None:
    """Offline evaluation (IPS, SNIPS, doubly robust; replay on uniform logs) of a candidate policy against the
    logged one on the lists it did not learn from; with --switch, put it live when it is better."""
    from server.evals.bandit import evaluate, format_report, switch_on
    from tools.marketing.bandit import LinearThompson

    if method not in ("dr", "snips", "ips"):
        raise typer.BadParameter("use dr, snips or ips", param_hint="--method")
    try:
        policy = LinearThompson.load(candidate)
    except (OSError, ValueError, KeyError) as exc:
        typer.echo(f"error: cannot load the candidate {candidate}: {exc}", err=True)
        raise typer.Exit(2) from exc
    lists = _lists(database_url)
    try:
        report = evaluate(policy, lists, method=method, alpha=alpha, min_lift=min_lift)  # type: ignore[arg-type]
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(format_report(report))
    live = get_settings().bandit.policy_path
    if not switch:
        hint = "run again with --switch to switch it on" if report.verdict.switch_on else "not switched on"
        typer.echo(f"{hint} (the live policy is {live})")
        return
    if not report.verdict.switch_on:
        typer.echo(f"refused: the candidate is not better ({report.verdict.decision}); {live} is unchanged", err=True)
        raise typer.Exit(1)
    switch_on(candidate, live)
    typer.echo(f"switched on: {candidate} is now {live}; every worker loads it at its next sync")


def register() -> None:
    """Add the commands to `kefu train` and `kefu eval`."""
    train_app.command("bandit")(train_bandit_command)
    eval_app.command("bandit")(eval_bandit_command)
