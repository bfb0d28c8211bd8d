"""`kefu eval needs`: precision and recall of each need tag on the labelled set (`server.evals.needs`)."""

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


def register() -> None:
    """Add the command to `kefu eval`."""
    eval_app.command("needs")(eval_needs_command)
