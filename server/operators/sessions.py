"""Telling open console sockets that an operator's sessions ended (signed out, new password, disabled).

The message names only the operator: it is a wake-up, not a verdict. Each console socket of that operator
re-checks its own session and, if it has ended, sends `session_ended` and closes (4401). Every worker's
sockets hear it through the runtime's pub/sub (Redis across workers). A `kefu operator` command run without
Redis cannot reach the server's process, so the sockets also re-check on a timer (the backstop,
`server.channels.operator_ws.SESSION_CHECK_SECONDS`).
"""

from __future__ import annotations

from typing import Any

from server.infra.pubsub import FramePubSub

SESSIONS_CHANNEL = "operator_sessions"


def ended_frame(operator_id: int) -> dict[str, Any]:
    return {"type": "sessions_ended", "operator_id": operator_id}


async def announce_ended(pubsub: FramePubSub, operator_id: int) -> None:
    """Ask every socket of `operator_id`, on every worker, to re-check its session now (never raises)."""
    await pubsub.publish(SESSIONS_CHANNEL, ended_frame(operator_id))
