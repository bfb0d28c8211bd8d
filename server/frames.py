"""Customer-channel frames built from dialogue events: the one mapping REST, WS and resume share.

Internal events (intents, slots, tool calls, affect) are not sent to the customer's widget. Operators are
named by display name (`names`: username → display name, see `server.operators.names`), never by login.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent.events import Event

_HANDOFF_STATUS = {"handoff_requested": "queued", "operator_joined": "operator", "handed_back": "bot"}


def event_frame(
    event: Event, state: dict[str, Any] | None = None, names: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """The customer-facing frame for an event, or None if the event is internal."""
    p = event.to_payload()
    operator = (names or {}).get(p.get("operator") or "")
    if event.type == "user_uttered":
        return {"type": "user_message", "seq": event.seq, "text": p["text"], "client_msg_id": p.get("client_msg_id")}
    if event.type == "bot_uttered":
        frame = {
            "type": "bot_message",
            "seq": event.seq,
            "text": p["text"],
            "source": p.get("source"),
            "citations": p.get("citations", []),
            "cards": p.get("cards", []),
            "quick_replies": p.get("quick_replies", []),
        }
        if state is not None:
            frame["state"] = state
        return frame
    if event.type == "operator_uttered":
        return {"type": "operator_message", "seq": event.seq, "text": p["text"], "operator": operator}
    if event.type in _HANDOFF_STATUS:
        frame = {"type": "handoff", "seq": event.seq, "status": _HANDOFF_STATUS[event.type]}
        if event.type != "handoff_requested":
            frame["operator"] = operator
        return frame
    if event.type == "csat_given":
        return {"type": "csat_recorded", "seq": event.seq, "score": p["score"]}
    return None


def customer_event(event: Event, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An event of the log as a customer reads it (`GET /api/conversations/{id}/events`): an operator's login
    is replaced by their display name (None if unknown)."""
    out = event.to_dict()
    if "operator" in out["payload"] and out["payload"]["operator"] is not None:
        out["payload"]["operator"] = (names or {}).get(out["payload"]["operator"])
    return out


def error_frame(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}
