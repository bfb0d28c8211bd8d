"""`kefu serve` (the HTTP/WebSocket service) and `kefu chat` (the same pipeline in a terminal)."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Annotated

import typer

from server.settings import Settings, get_settings


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (KEFU_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (KEFU_PORT).")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes; more than one needs PostgreSQL and KEFU_REDIS_URL.")
    ] = 1,
) -> None:
    """Run the HTTP/WebSocket service (prints `Kefu ready on …` once `/readyz` says it can answer)."""
    started = time.monotonic()
    from server.infra.demo_mode import DemoRefused, check_demo
    from server.infra.locks import is_postgres
    from server.infra.logs import setup_logging

    settings = get_settings()
    setup_logging(settings.http.log_level, secrets=[settings.llm.api_key.get_secret_value()])
    # what is refused is refused before the app's imports (the models' libraries: seconds of CPU)
    try:
        check_demo(settings, workers)
    except DemoRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if workers > 1 and (not settings.redis.url or not is_postgres(settings.db.url)):
        typer.echo(
            "error: --workers > 1 needs KEFU_DATABASE_URL on PostgreSQL and KEFU_REDIS_URL (a customer and "
            "an operator on different workers must share the event log and the frames)",
            err=True,
        )
        raise typer.Exit(2)
    import uvicorn

    from server.app import create_app
    from server.cli.ready import announce_when_ready, local_url

    host, port = host or settings.http.host, port or settings.http.port
    bind = {
        "host": host,
        "port": port,
        "log_config": None,
        "ws_max_size": 1024 * 1024,
        # frames are a few hundred bytes of JSON: compressing them saves little, and a zlib context per socket and
        # direction costs CPU on every frame and memory on every one of thousands of open sockets
        "ws_per_message_deflate": False,
        "ws_ping_interval": settings.http.ws_ping_interval_s,
        "ws_ping_timeout": settings.http.ws_ping_timeout_s,
    }
    announce_when_ready(local_url(host, port), started, say=typer.echo)
    if workers == 1:
        uvicorn.run(create_app(settings, settle_heap=True), **bind)
        return
    # Each worker process imports the factory and builds its own runtime from the same KEFU_* environment;
    # building it (models, index) takes a while, so give a starting worker time before uvicorn thinks it hung.
    uvicorn.run("server.asgi:create", factory=True, workers=workers, timeout_worker_healthcheck=60, **bind)


def chat(
    customer: Annotated[str | None, typer.Option(help="Demo customer id, e.g. C00001.")] = None,
    language: Annotated[str | None, typer.Option(help="zh or en (default: detected per message).")] = None,
) -> None:
    """Talk to the agent in the terminal (in process, same pipeline as the server)."""
    asyncio.run(_chat(get_settings(), customer, language))


async def _chat(settings: Settings, customer: str | None, language: str | None) -> None:
    from agent.errors import InvalidMessage
    from server.runtime import build_runtime

    runtime = build_runtime(settings)
    try:
        if customer and runtime.customers.get(customer) is None:
            typer.echo(f"error: no customer {customer}", err=True)
            raise typer.Exit(2)
        cid, _ = runtime.conversations.create(channel="api", customer_id=customer, language=language)
        await runtime.agent.start(cid, channel="api", customer_id=customer, language=language)
        typer.echo("Kefu 客服 — type a message, Ctrl-D to quit.", err=True)
        while True:
            typer.echo("> ", nl=False, err=True)
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            if not line.strip():
                continue
            try:
                result = await runtime.agent.handle(cid, line)
            except InvalidMessage as exc:
                typer.echo(f"error: {exc}", err=True)
                continue
            reply = result.reply
            typer.echo(reply.text or "(an operator holds this conversation)")
            for card in reply.cards:
                typer.echo(f"  [{card['type']}] {card['id']} {card.get('title', '')} {card.get('price', '')}".rstrip())
            for cite in reply.citations:
                typer.echo(f"  source: {cite['title']}")
            if reply.quick_replies:
                typer.echo("  » " + " | ".join(reply.quick_replies))
    finally:
        runtime.close()
