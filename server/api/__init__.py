"""HTTP routes of the public API: thin handlers over the runtime (`deps` gives them the runtime and the
conversation a bearer token opens; errors are `server.errors.ApiError`).

- `assets`: the browser scripts (`/widget.js`, the console's and the demo page's), joined from parts.
- `conversations`: open a conversation, send a message, interactions, the event log.
- `demo`: the demo store's signed customers (only with `KEFU_DEMO`).
- `health`: `/healthz` (alive, database reachable) and `/readyz` (models loaded, ready to answer).
- `marketing`: campaign copy for marketers.
- `operator/`: the operator console's REST side (sign-in, conversations, stats).
"""

from __future__ import annotations

from server.api import assets, conversations, demo, health, marketing, operator

__all__ = ["assets", "conversations", "demo", "health", "marketing", "operator"]
