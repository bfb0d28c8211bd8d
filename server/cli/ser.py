"""`kefu train ser` and `kefu eval ser`: the speech-emotion model of the phone line (development only).

Training reads `emotional_speech/` under the data folder (zh CASIA, en RAVDESS and TESS), measures the recipe on
speakers it holds out, fits it on every speaker and writes the weights (default `agent/models/speech_emotion.npz`, what
`KEFU_VOICE_EMOTION_MODEL` points at; not in git). The corpora are licensed for non-commercial use only: the
weights' `.json` says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli.models import eval_app, train_app
from server.settings import get_settings

DataDir = Annotated[Path | None, typer.Option(help="Data sets folder (KEFU_DATA_DIR, default ../shared/data).")]
Quick = Annotated[int | None, typer.Option(min=1, help="At most this many clips per speaker and class (quick run).")]


def train_ser_command(
    data_dir: DataDir = None,
    out: Annotated[Path | None, typer.Option(help="Weights file (default: KEFU_VOICE_EMOTION_MODEL).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the solver.")] = 7,
    per_speaker_class: Quick = None,
) -> None:
    """Train the speech-emotion classifier (angry, happy, neutral, sad) with leave-speakers-out evaluation."""
    from agent.training.ser import train_ser
    from server.evals.speech_emotion import CACHE_DIR, featurizer

    settings = get_settings()
    featurize, version = featurizer()
    target = out or settings.voice.emotion_model
    try:
        report = train_ser(data_dir or settings.training.data_dir, featurize, target, version=version,
                           cache_dir=CACHE_DIR, seed=seed, per_speaker_class=per_speaker_class)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(str(report))
    typer.echo(f"wrote {target} (+ .json). The corpora are licensed for non-commercial use only: do not ship "
               "these weights; configure KEFU_VOICE_EMOTION_MODEL with a model trained on cleared data.")


def eval_ser_command(data_dir: DataDir = None, per_speaker_class: Quick = None) -> None:
    """Accuracy on held-out speakers per language beside the majority-class baseline, and anger recall."""
    from agent.training.ser import evaluate_clips, load_clips, subset
    from server.evals.speech_emotion import clip_features

    folder = data_dir or get_settings().training.data_dir
    try:
        clips = load_clips(folder)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if per_speaker_class is not None:
        clips = subset(clips, per_speaker_class)
    x, version = clip_features(folder, clips)
    typer.echo(str(evaluate_clips(x, clips, version=version)))


def register() -> None:
    train_app.command("ser")(train_ser_command)
    eval_app.command("ser")(eval_ser_command)
