"""What operators, supervisors and marketers can do, independent of HTTP: the operator desk.

- `accounts`: accounts, sign-in sessions, disabling (`OperatorAuth`); `passwords`: hashing and policy;
  `throttle`: failed sign-ins per (address, username), never an account lock; `sessions`: telling console
  sockets that an operator's sessions ended (the `operator_sessions` pub/sub channel).
- `actions`: every operator rule in one module (take over, write, type, note, hand back, resolve).
- `feed`: the console's live view (`ConsoleFeed`: summaries projected from the event log, the `console`
  pub/sub channel); `names`: operators' display names for what customers see.
- Marketing: `marketing` (rules and click-through figures), `campaign_readout` (a campaign's funnel, segments
  and days), `campaign_moves` (pause, resume, end with their audit entry), `marketer_chat` (requests typed by
  marketers: answers, drafts, proposals confirmed by token), `experiments_hook` (experiments, when the store
  has them).

Nothing here talks to the customer directly: customer-facing effects go through the agent's event log
(`Agent.record`) or the conversation's pub/sub channel, so the customer path stays the one place that
decides what a customer sees. The routes are in `server.api.operator`, the socket in
`server.channels.operator_ws`, the `kefu operator` commands in `server.cli.operator`.
"""

from __future__ import annotations

from server.operators import actions
from server.operators.accounts import LoginError, OperatorAuth
from server.operators.feed import CONSOLE_CHANNEL, ConsoleFeed, ConversationSummary
from server.operators.names import OperatorNames
from server.operators.passwords import Passwords

__all__ = [
    "CONSOLE_CHANNEL",
    "ConsoleFeed",
    "ConversationSummary",
    "LoginError",
    "OperatorAuth",
    "OperatorNames",
    "Passwords",
    "actions",
]
