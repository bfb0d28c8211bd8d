"""Channel adapters: each turns its wire protocol into agent turns and sends frames back.

- `chat_ws`: the widget's socket, `WS /ws/chat/{id}`; `operator_ws`: the console's socket, `WS /ws/operator`.
- `frames`: the one frame reader both sockets use (size limit, JSON, typed frame or an `error` frame) and
  the customer-facing frames built from dialogue events (shared by REST, sockets and resume).

The socket modules are imported by the app (`server.app`); this package exports the frame functions.
"""

from __future__ import annotations

from server.channels.frames import customer_event, error_frame, event_frame, read_frame, refuse, send_frame

__all__ = ["customer_event", "error_frame", "event_frame", "read_frame", "refuse", "send_frame"]
