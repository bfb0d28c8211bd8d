"""What customers call an operator: their display name, never their login.

Operator events store the username (it decides who holds a conversation); every frame and event that goes
to a customer names the operator by display name instead (`server.channels.frames`). Names are read from the
operators table in one query per batch and cached for a minute, so a renamed operator shows up soon and a
burst of messages costs no extra queries. An unknown username (a deleted account) maps to no name: the
widget then says "agent" / "人工客服".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

from sqlalchemy.exc import SQLAlchemyError

from agent.events import Event
from server.db.operators import OperatorRepository

log = logging.getLogger(__name__)
OPERATOR_EVENTS = frozenset({"operator_joined", "operator_uttered", "handed_back"})


def operator_usernames(events: Iterable[Event]) -> set[str]:
    """Usernames named by operator events."""
    return {e.operator for e in events if e.type in OPERATOR_EVENTS and getattr(e, "operator", None)}


class OperatorNames:
    def __init__(
        self, operators: OperatorRepository, *, ttl_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._operators = operators
        self._ttl = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, str | None]] = {}

    async def for_events(self, events: Iterable[Event]) -> dict[str, str]:
        """username → display name for every operator the events name (empty, with no query, if none)."""
        return await self.resolve(operator_usernames(events))

    async def resolve(self, usernames: Iterable[str]) -> dict[str, str]:
        now = self._clock()
        wanted = set(usernames)
        stale = {u for u in wanted if u not in self._cache or self._cache[u][0] <= now}
        if stale:
            try:
                found = await asyncio.to_thread(self._operators.display_names, stale)
            except SQLAlchemyError:  # a name is not worth failing a customer's turn: show "agent" this time
                log.warning("could not read operator display names", exc_info=True)
                return {u: name for u in wanted if u in self._cache and (name := self._cache[u][1])}
            if len(self._cache) > 4096:
                self._cache.clear()
            for username in stale:
                self._cache[username] = (now + self._ttl, found.get(username))
        return {u: name for u in wanted if (name := self._cache[u][1])}
