"""`kefu train turn-end` and `kefu eval turn-end`: the phone line's end-of-utterance model (`voice.turn_end`).

Training reads the project's own messages (`agent/data`) and the licensed customer-service sets under the data folder
(Bitext, Banking77), prints the held-out evaluation beside the particle rule, and writes `voice/models/turn_end.npz`
(shipped in git). Evaluation also reads sets of unstated licence (Taobao, waimai, MG-ShopDial), never trained on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli.models import eval_app, train_app
from server.settings import get_settings

DataDir = Annotated[Path | None, typer.Option(help="Data sets folder (KEFU_DATA_DIR, default ../shared/data).")]


def _speaker():  # type: ignore[no-untyped-def]
    """The bundled voices and Whisper, what is heard cached in var/ (`voice.turn_end_spoken`)."""
    from server.infra.voice import turn_end_speaker
    from voice.turn_end_train import SPOKEN_CACHE

    return turn_end_speaker(get_settings().voice, SPOKEN_CACHE)


def train_turn_end_command(
    data_dir: DataDir = None,
    out: Annotated[Path | None, typer.Option(help="Weights file (default: voice/models/turn_end.npz).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the cuts of the training messages.")] = 16,
    c: Annotated[float, typer.Option(help="Inverse regularisation strength of the logistic regression.")] = 0.3,
    spoken: Annotated[int, typer.Option(help="Held-out messages said per language for the fusion with the "
                                             "recogniser's end mark (bundled voices and Whisper; cached in "
                                             "var/turn_end_spoken.jsonl). 0: the words alone.")] = 300,
) -> None:
    """Train the end-of-utterance model (finished vs cut-off zh and en transcripts) and evaluate it on held-out data."""
    from voice.turn_end import MODEL_FILE
    from voice.turn_end_train import train_turn_end

    try:
        speaker = _speaker() if spoken else None
        report = train_turn_end(data_dir or get_settings().training.data_dir, out or MODEL_FILE, seed=seed, c=c,
                                spoken=spoken, speaker=speaker)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(str(report))


def eval_turn_end_command(
    data_dir: DataDir = None,
    spoken: Annotated[bool, typer.Option(help="Also other-domain messages as heard at a pause (says them with the "
                                              "bundled voices the first time: minutes).")] = True,
) -> None:
    """The shipped end-of-utterance model on held-out and other-domain messages, beside the particle rule."""
    from voice.turn_end_train import eval_turn_end

    try:
        report = eval_turn_end(data_dir or get_settings().training.data_dir, speaker=_speaker() if spoken else None)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(str(report))


def register() -> None:
    train_app.command("turn-end")(train_turn_end_command)
    eval_app.command("turn-end")(eval_turn_end_command)
