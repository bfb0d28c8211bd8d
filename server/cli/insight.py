"""`kefu eval needs`: precision and recall of each need tag on the labelled set (`server.evals.needs`);
`kefu eval cross-domain`: sentiment trained on one source, tested on another (`agent.training.cross_domain`);
`kefu eval churn`: churn risk's AUC on held-back months beside recency alone (`server.evals.churn`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli.models import eval_app
from server.settings import get_settings


def eval_needs_command(
    data_dir: Annotated[
        Path | None, typer.Option(help="Data sets folder (KEFU_DATA_DIR, default ../shared/data).")
    ] = None,
    misses: Annotated[bool, typer.Option(help="List every text whose tags are not the labelled ones.")] = False,
) -> None:
    """Per need tag: support, precision, recall and F1, on all labelled texts and on their test and dev parts."""
    from server.evals.needs import evaluate_needs, load_labels, needs_lines
    from tools.marketing.insight import shared_tagger

    folder = data_dir or get_settings().training.data_dir
    reports = evaluate_needs(folder)
    typer.echo("\n".join(needs_lines(reports, parts=("all", "test", "dev", "zh", "en"))))
    if misses:
        tagger = shared_tagger()
        for item in load_labels(folder)[0]:
            got = {t.tag: list(t.words) for t in tagger.tag(item.text, item.language)}
            if set(got) != item.tags:
                typer.echo(f"  {item.id} [{item.split}] {item.text[:60]!r}: labelled {sorted(item.tags)}, got {got}")


def eval_cross_domain_command(
    language: Annotated[list[str] | None, typer.Option(help="zh and/or en (default both).")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Data sets folder (KEFU_DATA_DIR, default ../shared/data).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Training seed (as `kefu train affect`).")] = 7,
    e5_sample: Annotated[int, typer.Option(help="Also a balanced probe on e5 alone, on this many training texts "
                                           "per source (0: not; e5 embeds ~10 reviews a second here).")] = 0,
) -> None:
    """Accuracy of the fast sentiment stage trained on each source and tested on every source's held-out part:
    before (each source's own share of positive text kept) and after (sources balanced, as `kefu train affect`
    trains now), beside the lexicon baseline."""
    from agent.training.affect import BALANCE_SOURCES
    from agent.training.cross_domain import cross_domain, e5_cross_domain, off_diagonal_mean

    folder = data_dir or get_settings().training.data_dir
    for lang in language or ["zh", "en"]:
        if lang not in ("zh", "en"):
            typer.echo(f"error: unknown language {lang!r} (zh or en)", err=True)
            raise typer.Exit(2)
        try:
            before = cross_domain(lang, folder, seed=seed, balance=False)
            after = cross_domain(lang, folder, seed=seed, balance=True, baseline=False)
        except FileNotFoundError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        shipped = "after" if BALANCE_SOURCES[lang] else "before"
        for name, table in (("before: sources' own priors", before), ("after: sources balanced", after)):
            typer.echo(f"{name} (cross-source mean {100 * off_diagonal_mean(table):.1f}%)"
                       + ("  <- what `kefu train affect` trains" if name.startswith(shipped) else ""))
            typer.echo("\n".join(table.lines()) + "\n")
        if e5_sample:
            table = e5_cross_domain(lang, folder, seed=seed, train_n=e5_sample)
            typer.echo(f"e5 probe, sources balanced, {e5_sample} training texts a source (cross-source mean "
                       f"{100 * off_diagonal_mean(table):.1f}%)")
            typer.echo("\n".join(table.lines()) + "\n")


def register() -> None:
    """Add the commands to `kefu eval`."""
    eval_app.command("needs")(eval_needs_command)
    eval_app.command("cross-domain")(eval_cross_domain_command)
    eval_app.command("churn")(eval_churn_command)


def eval_churn_command(
    database_url: Annotated[str | None, typer.Option(help="Measure on this store instead of a fresh demo store.")]
    = None,
    as_of: Annotated[str | None, typer.Option(help="The store's 'now' (YYYY-MM-DD; default the demo store's date, "
                                              "or today for --database-url).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the fresh demo store.")] = 7,
    horizon: Annotated[int, typer.Option(min=7, max=180, help="Churn: no order in this many days.")] = 60,
    test_months: Annotated[int, typer.Option(min=1, max=6, help="Held-back monthly cut-offs.")] = 2,
) -> None:
    """Churn risk: AUC on held-back months of the model and of recency alone."""
    from datetime import UTC, date, datetime, time

    from server.evals.churn import DEMO_AS_OF, churn_on, churn_on_demo
    from tools.marketing.insight.churn import NotEnoughHistory

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        typer.echo(f"error: --as-of {as_of!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from exc
    try:
        if database_url:
            now = datetime.combine(day, time(0), UTC) if day else datetime.now(UTC)
            result = churn_on(database_url, now, horizon_days=horizon, test_months=test_months)
        else:
            result = churn_on_demo(seed=seed, as_of=day or DEMO_AS_OF, horizon_days=horizon,
                                   test_months=test_months)
    except NotEnoughHistory as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo("\n".join(result.lines()))
