"""Prometheus metrics (`GET /metrics`): turns, turn latency, handoffs, reply sources, errors.

Counted from the events the agent emits, so REST, WebSocket and CLI turns are measured alike.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from agent.events import Event

REGISTRY = CollectorRegistry()
TURNS = Counter("kefu_turns_total", "Customer turns processed", ["language", "intent"], registry=REGISTRY)
REPLIES = Counter("kefu_replies_total", "Bot replies by source", ["source"], registry=REGISTRY)
HANDOFFS = Counter("kefu_handoffs_total", "Conversations queued for a person", ["reason"], registry=REGISTRY)
TOOL_ERRORS = Counter("kefu_tool_errors_total", "Tool calls that failed", ["tool", "code"], registry=REGISTRY)
TURN_SECONDS = Histogram(
    "kefu_turn_seconds", "Wall time of one customer turn", registry=REGISTRY,
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
API_ERRORS = Counter("kefu_api_errors_total", "Client errors answered", ["code"], registry=REGISTRY)
TURN_FAILURES = Counter("kefu_turns_failed_total", "Turns that failed inside and answered with an apology",
                        ["error"], registry=REGISTRY)
TURNS_SHED = Counter("kefu_turns_busy_total", "Customer turns refused as busy (not admitted, not recorded)",
                     registry=REGISTRY)


def observe_events(events: list[Event]) -> None:
    """Count a stored batch of events (fields read off the events: building each one's payload cost more)."""
    language = "?"
    for e in events:
        kind = e.type
        if kind == "user_uttered":
            language = getattr(e, "language", "?")
        elif kind == "intent_recognized":
            TURNS.labels(language, e.intent).inc()  # type: ignore[attr-defined]
        elif kind == "bot_uttered":
            REPLIES.labels(getattr(e, "source", None) or "none").inc()
        elif kind == "handoff_requested":
            HANDOFFS.labels(e.reason).inc()  # type: ignore[attr-defined]
        elif kind == "tool_returned" and not e.ok:  # type: ignore[attr-defined]
            TOOL_ERRORS.labels(e.tool, getattr(e, "error_code", None) or "?").inc()  # type: ignore[attr-defined]
        elif kind == "turn_failed":
            TURN_FAILURES.labels(getattr(e, "error", None) or "?").inc()


def render() -> bytes:
    return generate_latest(REGISTRY)
