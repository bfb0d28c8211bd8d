"""Plumbing the service runs on, none of it specific to customer service.

- `pubsub`: the `FramePubSub` port and its in-process hub; `pubsub_redis`: the same across workers.
- `locks`: PostgreSQL advisory locks (one conversation's turns at a time, one migrator at a time).
- `limits`: the request-body size limit (ASGI middleware).
- `logs`: logging that masks phone numbers, emails and addresses.
- `metrics`: Prometheus counters and the `/metrics` body.
- `llm`: the LLM backend and sentiment judge the settings choose; `llm_model`: the bundled model file.

The names below are loaded on first use (Redis, psycopg, prometheus and the LLM backends are imported
only by whoever needs them).
"""

from __future__ import annotations

import importlib

_HOME = {
    "FramePubSub": "pubsub",
    "InProcessPubSub": "pubsub",
    "RedisPubSub": "pubsub_redis",
    "PgTurnLock": "locks",
    "TurnLockTimeout": "locks",
    "is_postgres": "locks",
    "migration_lock": "locks",
    "BodySizeLimit": "limits",
    "mask": "logs",
    "setup_logging": "logs",
    "ensure_logging": "logs",
    "observe_events": "metrics",
    "build_llm": "llm",
    "build_sentiment_judge": "llm",
    "local_sentiment_judge": "llm",
    "ensure_local_model": "llm_model",
    "is_installed": "llm_model",
    "ModelInstallError": "llm_model",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
