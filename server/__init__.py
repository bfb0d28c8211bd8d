"""Kefu's server: the FastAPI app, the runtime that wires the agent's ports to implementations, and
everything around them.

- `app` (the FastAPI application), `asgi` (the factory each worker imports), `runtime` (builds the
  `Runtime`: database, repositories, knowledge index, tools, agent, pub/sub), `settings` (`KEFU_*`,
  nested per area), `errors` (the one error shape).
- `api/` (REST routes, `api/operator/` for the console), `channels/` (chat and operator sockets, the
  frame reader and writer), `operators/` (what operators can do: accounts, actions, the live feed),
  `db/` (models, repositories, Alembic), `infra/` (pub/sub, locks, limits, logs, metrics, LLM backends),
  `demo/` (the demo store), `cli/` (`kefu`), `evals/`, `static/` (pages, CSS and the parts of the browser
  scripts, which `api/assets` joins), `deploy/`.

The names below are loaded on first use, so importing one submodule does not import the whole server.
"""

from __future__ import annotations

import importlib

__all__ = ["Runtime", "Settings", "build_runtime", "create_app", "get_settings"]
_HOME = {
    "Runtime": "server.runtime",
    "build_runtime": "server.runtime",
    "create_app": "server.app",
    "Settings": "server.settings",
    "get_settings": "server.settings",
}


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)
