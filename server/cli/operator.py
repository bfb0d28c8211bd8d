"""`kefu operator …`: console accounts (add, list, passwd, disable, enable). Mounted by `server.cli`.

The password comes from `--password`, else `KEFU_OPERATOR_PASSWORD`, else an interactive prompt asked
twice. Prefer the prompt or the variable: a `--password` value shows in the shell history and `ps`.

`passwd` and `disable` end every session of the account in the database at once. With Redis configured
(`KEFU_REDIS_URL`) they also tell the servers, whose console sockets of that account close right away;
without it the servers' sockets notice at their next periodic session check (a few seconds).
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from server.settings import get_settings

if TYPE_CHECKING:
    from server.db.operators import OperatorRow
    from server.operators.accounts import OperatorAuth

operator_app = typer.Typer(help="Operator console accounts.", no_args_is_help=True)

PASSWORD_HELP = "Password (else KEFU_OPERATOR_PASSWORD, else asked twice)."


class Role(StrEnum):
    operator = "operator"
    supervisor = "supervisor"
    marketer = "marketer"


def _auth() -> OperatorAuth:
    """Imports lazily: `kefu --help` stays fast."""
    from server.db.engine import make_engine, make_session_factory
    from server.db.migrate import upgrade
    from server.db.operators import OperatorRepository
    from server.operators.accounts import OperatorAuth

    url = get_settings().db.url
    upgrade(url)
    return OperatorAuth(OperatorRepository(make_session_factory(make_engine(url))))


def _announce_ended(operator_id: int) -> None:
    """Tell the servers (through Redis, when there is one) that this account's sessions ended."""
    settings = get_settings()
    if not settings.redis.url:
        return  # one embedded server: its sockets re-check their session every few seconds
    from server.infra.pubsub_redis import RedisPubSub
    from server.operators.sessions import announce_ended

    async def publish(url: str) -> None:
        hub = RedisPubSub(url, prefix=settings.redis.prefix)
        try:
            await announce_ended(hub, operator_id)
        finally:
            await hub.aclose()

    asyncio.run(publish(settings.redis.url))


def _password(given: str | None) -> str:
    if given:
        return given
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@operator_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name: letters, digits, '.', '_' or '-'.")],
    role: Annotated[Role, typer.Option(help="operator | supervisor | marketer.")] = Role.operator,
    name: Annotated[str | None, typer.Option(help="Display name shown in the console (default: username).")] = None,
    password: Annotated[str | None, typer.Option(envvar="KEFU_OPERATOR_PASSWORD", help=PASSWORD_HELP)] = None,
) -> None:
    """Create an operator account in KEFU_DATABASE_URL."""
    from server.db.operators import DuplicateOperator
    from server.operators.accounts import InvalidAccount

    auth = _auth()
    try:
        row = auth.register(
            username=username, display_name=name or username, role=role.value, password=_password(password)
        )
    except (InvalidAccount, DuplicateOperator) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"operator {row.username} ({row.role}, {row.display_name}) created")


@operator_app.command("list")
def list_operators() -> None:
    """Show the accounts (never their passwords)."""
    for row in _auth().repo.list_operators():
        state = f"disabled since {row.disabled_at:%Y-%m-%d %H:%M} UTC" if row.disabled_at else "active"
        typer.echo(f"{row.username}\t{row.role}\t{row.display_name}\t{state}")


@operator_app.command("passwd")
def passwd(
    username: Annotated[str, typer.Argument()],
    password: Annotated[str | None, typer.Option(envvar="KEFU_OPERATOR_PASSWORD", help=PASSWORD_HELP)] = None,
) -> None:
    """Set a new password; this also signs the account out everywhere."""
    from server.db.operators import UnknownOperator
    from server.operators.accounts import InvalidAccount

    try:
        row = _auth().change_password(username, _password(password))
    except InvalidAccount as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except UnknownOperator as exc:
        typer.echo(f"error: no operator {username!r}", err=True)
        raise typer.Exit(2) from exc
    _announce_ended(row.id)
    typer.echo(f"password of {row.username} changed; its sessions have ended")


@operator_app.command("disable")
def disable(username: Annotated[str, typer.Argument()]) -> None:
    """Disable an account: it cannot sign in, and every session of it ends now."""
    row = _set_disabled(username, True)
    _announce_ended(row.id)
    typer.echo(f"operator {row.username} disabled; its sessions have ended")


@operator_app.command("enable")
def enable(username: Annotated[str, typer.Argument()]) -> None:
    """Let a disabled account sign in again (with its password)."""
    row = _set_disabled(username, False)
    typer.echo(f"operator {row.username} enabled")


def _set_disabled(username: str, disabled: bool) -> OperatorRow:
    from server.db.operators import UnknownOperator

    auth = _auth()
    try:
        return auth.disable(username) if disabled else auth.enable(username)
    except UnknownOperator as exc:
        typer.echo(f"error: no operator {username!r}", err=True)
        raise typer.Exit(2) from exc
