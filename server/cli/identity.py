"""`kefu identity groups`: accounts linked by shared devices, phones, addresses or payment tokens, with the
evidence (values masked), and the values ignored as too common to be evidence."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from server.settings import get_settings

identity_app = typer.Typer(help="The identity graph: linked accounts and their evidence.", no_args_is_help=True)


@identity_app.command("groups")
def groups_command(
    database_url: Annotated[
        str | None, typer.Option(help="Store database (default: the configured KEFU_DATABASE_URL).")
    ] = None,
    customer: Annotated[str | None, typer.Option(help="Only the group of this customer id.")] = None,
    hub_limit: Annotated[int, typer.Option(min=2, help="A value on more accounts than this is not evidence.")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document instead of text.")] = False,
) -> None:
    """List the linked groups, largest first, each shared value with the accounts that share it."""
    from server.db.engine import make_engine, make_session_factory
    from server.db.identities import SqlIdentityStore
    from tools.marketing.insight.identity_report import graph_dict, graph_lines, group_dict, group_lines

    url = database_url or get_settings().db.url
    engine = make_engine(url)
    try:
        store = SqlIdentityStore(make_session_factory(engine), hub_limit=hub_limit)
        try:
            graph = store.neighbourhood(customer) if customer else store.graph()
        except Exception as exc:  # an unreachable or unmigrated database: say so, no traceback
            typer.echo(f"error: cannot read account identifiers from {url}: {exc.__class__.__name__}", err=True)
            raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    if customer:
        group = graph.group_of(customer)
        if as_json:
            typer.echo(json.dumps({"customer_id": customer, "group": group_dict(group) if group else None},
                                  ensure_ascii=False))
        else:
            typer.echo("\n".join(group_lines(group)) if group else f"{customer}: no linked accounts")
        return
    typer.echo(json.dumps(graph_dict(graph), ensure_ascii=False) if as_json else "\n".join(graph_lines(graph)))
