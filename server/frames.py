"""Customer-channel frames built from dialogue events: the one mapping REST, WS and resume share.

Internal events (intents, slots, tool calls, affect) are not sent to the customer's widget.
"""

from __future__ import annotations

from typing import Any

from agent.events import Event

_HANDOFF_STATUS = {"handoff_requested": "queued", "operator_joined": "operator", "handed_back": "bot"}


def event_frame(event: Event, state: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The customer-facing frame for an event, or None if the event is internal."""
    p = event.to_payload()
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
        return {"type": "operator_message", "seq": event.seq, "text": p["text"], "operator": p.get("operator")}
    if event.type in _HANDOFF_STATUS:
        return {"type": "handoff", "seq": event.seq, "status": _HANDOFF_STATUS[event.type]}
    if event.type == "csat_given":
        return {"type": "csat_recorded", "seq": event.seq, "score": p["score"]}
    return None


def error_frame(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}
