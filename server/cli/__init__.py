"""`kefu`: the one command-line app (typer), assembled from one module per command group.

- `serve`, `chat` (`server.cli.serve`): run the service; talk to the agent in a terminal.
- `demo-data`, `ingest` (`server.cli.data`): build the demo store; index policy documents.
- `eval`, `train intents|affect` (`server.cli.models`): measure and rebuild the bundled models.
- `train recommender`, `eval recommender` (`server.cli.recommender`): the product recommender.
- `train bandit`, `eval bandit [--switch]` (`server.cli.bandit`): the re-ranking policy, rebuilt from the log
  and switched on only when an offline evaluation says it is better.
- `eval traffic` (`server.cli.traffic`): real shoppers' first messages against our labels.
- `llm install` (`server.cli.llm`): the bundled local LLM.
- `voice install` (`server.cli.voice`): the phone line's bundled speech recogniser.
- `e5 install` (`server.cli.e5`): the bundled e5's ONNX graph (built on first use otherwise).
- `train ser`, `eval ser` (`server.cli.ser`): the phone line's speech-emotion model.
- `train turn-end`, `eval turn-end` (`server.cli.turn_end`): the phone line's end-of-utterance model.
- `operator add|list|passwd` (`server.cli.operator`): console accounts.
- `rules mine` (`server.cli.rules`): association rules for cross-sell, local or on Spark.
- `analyze` (`server.cli.analyze`): language, sentiment, emotion and need tags of reviews and messages;
  `eval needs` (`server.cli.insight`): the need tags' precision and recall.
- `identity groups` (`server.cli.identity`): accounts linked by shared identifiers, with the evidence.
- `forecast campaign`, `eval forecast` (`server.cli.forecast`): a proposed campaign's forecast; its backtest.

Every command imports what it needs when it runs, so `kefu --help` stays fast. `app` is the console
script's entry point (`kefu = "server.cli:app"`); `python -m server.cli` runs it too.
"""

from __future__ import annotations

import typer

from server.cli import analyze, bandit, data, forecast, insight, recommender, ser, serve, traffic, turn_end
from server.cli.e5 import e5_app
from server.cli.identity import identity_app
from server.cli.llm import llm_app
from server.cli.models import eval_app, train_app
from server.cli.operator import operator_app
from server.cli.rules import rules_app
from server.cli.voice import voice_app

__all__ = ["app"]

recommender.register()  # its `train` and `eval` subcommands
bandit.register()
traffic.register()
insight.register()
ser.register()
turn_end.register()

app = typer.Typer(help="Kefu (客服): customer-service and marketing agent for an online store.", no_args_is_help=True)


@app.callback()
def _masked_logs() -> None:
    """Every command's log lines go through the masked handler (phones, emails, addresses and tokens hidden):
    a batch job logs customer ids and files as the service does. `serve` sets its own level on top."""
    from server.infra.logs import ensure_logging

    ensure_logging()


app.add_typer(llm_app, name="llm")
app.add_typer(identity_app, name="identity")
app.add_typer(voice_app, name="voice")
app.add_typer(e5_app, name="e5")
app.add_typer(operator_app, name="operator")
app.add_typer(train_app, name="train")
app.add_typer(rules_app, name="rules")
app.command()(serve.serve)
app.command("demo-data")(data.demo_data)
app.command()(data.ingest)
app.command()(serve.chat)
app.add_typer(eval_app, name="eval")
forecast.register(app)
app.command()(analyze.analyze)
