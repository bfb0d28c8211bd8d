"""The operator console's REST side, `/api/operator/*`, and what its routes and sockets depend on.

- `auth`: sign-in, sign-out, who am I (session cookie or bearer token).
- `console`: the conversation list and detail, take over, write, note, hand back, resolve, suggestions,
  canned responses (operators and supervisors).
- `identity`: linked accounts and their evidence (the identity graph).
- `stats`: the supervisor view's figures; `marketing`: the marketing view's (rules, acceptance, click-through);
  `forecast`: a proposed campaign's forecast.
- `insight`: a customer's profile and churn risk, and the marketers' at-risk list.
- `deps`: who is signed in and may they do this (routes and sockets); `views`: the customer and order
  JSON the console shows; `page`: the console page's security headers.

The rules themselves (who may take over, what a message may be) live in `server.operators`.
`routers` is what the app mounts.
"""

from __future__ import annotations

from server.api.operator import auth, console, forecast, identity, insight, marketing, stats

__all__ = ["auth", "console", "forecast", "identity", "insight", "marketing", "routers", "stats"]

routers = (
    auth.router, console.router, stats.router, marketing.router, identity.router, insight.profiles, insight.churn,
    forecast.router,
)
