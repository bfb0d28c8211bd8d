"""`kefu eval traffic`: real shoppers' first messages through the agent, against our labels of what a good reply
does (`server.evals.traffic`); `kefu eval` prints the same rows with everything else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from server.cli.models import eval_app
from server.settings import get_settings


def eval_traffic_command(
    data_dir: Annotated[
        Path | None, typer.Option(help="Data sets folder (KEFU_DATA_DIR, default ../shared/data).")
    ] = None,
    budget: Annotated[int | None, typer.Option(help="At most this many messages per language.")] = None,
    misses: Annotated[bool, typer.Option(help="List every message not handled as labelled, with why.")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the figures and each message's outcome (JSON).")]
    = None,
) -> None:
    """Share of real shoppers' messages handled as labelled, and share that got the generic fallback, zh and en."""
    from server.evals.report import run_traffic_eval, traffic_lines
    from server.evals.traffic import summary

    settings = get_settings()
    report = run_traffic_eval(data_dir or settings.training.data_dir, index_dir=settings.knowledge.index_dir,
                              budget=budget)
    if report.traffic_skipped:
        typer.echo(f"error: {report.traffic_skipped}", err=True)
        raise typer.Exit(2)
    typer.echo("\n".join(traffic_lines(report, kinds=True)))
    if misses:
        for o in report.traffic:
            if not o.handled:
                typer.echo(f"  {o.label.id} [{o.label.kind}] {o.text[:60]!r} -> {o.reply[:80]!r}: "
                           f"{'; '.join(o.failures)}")
    if out is not None:
        outcomes = {o.label.id: {"handled": o.handled, "generic": o.generic, "failures": o.failures}
                    for o in report.traffic}
        out.write_text(json.dumps({"summary": summary(report.traffic), "messages": outcomes}, indent=1,
                                  ensure_ascii=False) + "\n", encoding="utf-8")


def register() -> None:
    """Add the command to `kefu eval`."""
    eval_app.command("traffic")(eval_traffic_command)
