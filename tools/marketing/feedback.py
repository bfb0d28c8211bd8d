"""What recorded events teach the marketing stack: `Feedback.observe` keeps the live signals current (a list
shown, a card touched, a conversation started) and credits the re-ranking policy with the rewards customers
give the products it ranked. The runtime calls it after every append to the event log.

Attribution, the same online and offline (`credits`, `ranked_lists`): an interaction with product p is a
reward for the latest list before it, in the same conversation, that the policy ranked and that showed p; a
product's reward in a list is the largest weight of what was done with it since (`RewardWeights`: a purchase
implies the click before it, so weights do not add up).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from agent.events import ConversationStarted, Event, ProductInteracted, RecommendationShown
from agent.protocols import EventStore
from tools.marketing.bandit.records import Outcome, RewardWeights, Served
from tools.marketing.bandit.serving import Reranker
from tools.marketing.ports import LiveSignals
from tools.marketing.session import Session, Shown, Touch

log = logging.getLogger(__name__)


def _reward(kinds: Sequence[str], weights: RewardWeights) -> float:
    return Outcome.of_kinds(kinds).reward(weights)


@dataclass(slots=True)
class Credit:
    served: Served
    product_id: str
    reward: float
    previous: float


def credit_for(session: Session, touch: Touch, weights: RewardWeights) -> Credit | None:
    """What `touch` earns the list it answers (None: no ranked list showed its product before it, or it adds
    nothing to what the product had earned there)."""
    ranked = [s for s in session.shown if s.bandit and s.seq < touch.seq and touch.product_id in s.product_ids]
    if not ranked:
        return None
    shown = ranked[-1]
    before = [t.kind for t in session.touches
              if t.product_id == touch.product_id and shown.seq < t.seq < touch.seq]
    previous, now = _reward(before, weights), _reward([*before, touch.kind], weights)
    if now <= previous:
        return None
    assert shown.bandit is not None
    return Credit(Served.from_payload(shown.bandit), touch.product_id, now, previous)


@dataclass(slots=True)
class RankedList:
    """A list the policy ranked, with each shown product's reward and when it was shown (epoch seconds)."""

    served: Served
    rewards: dict[str, float]
    at: float


def ranked_lists(session: Session, weights: RewardWeights) -> list[RankedList]:
    """Every list the policy ranked in a whole conversation, with each shown product's reward (offline)."""
    rewards: list[dict[str, float]] = [{} for _ in session.shown]
    kinds: list[dict[str, list[str]]] = [{} for _ in session.shown]
    for touch in session.touches:
        for i in range(len(session.shown) - 1, -1, -1):
            s = session.shown[i]
            if s.seq < touch.seq and s.bandit and touch.product_id in s.product_ids:
                kinds[i].setdefault(touch.product_id, []).append(touch.kind)
                break
    out = []
    for s, r, k in zip(session.shown, rewards, kinds, strict=True):
        if not s.bandit:
            continue
        try:
            served = Served.from_payload(s.bandit)
        except (KeyError, TypeError, ValueError) as exc:  # a damaged record: skip the list, keep the rest
            log.warning("bandit: skipping a malformed list record (%s)", exc)
            continue
        r.update({p: _reward(ks, weights) for p, ks in k.items()})
        out.append(RankedList(served, r, s.at))
    return out


class Feedback:
    """Mirrors events into the live signals and credits the policy (never raises: a failure is logged)."""

    def __init__(self, live: LiveSignals, store: EventStore, reranker: Reranker | None = None,
                 weights: RewardWeights | None = None) -> None:
        self.live, self.store, self.reranker = live, store, reranker
        self.weights = weights or RewardWeights()

    async def observe(self, conversation_id: str, events: Sequence[Event]) -> None:
        for event in events:
            try:
                if isinstance(event, ConversationStarted):
                    await self.live.start(conversation_id)
                elif isinstance(event, RecommendationShown) and event.product_ids:
                    await self.live.shown(conversation_id, Shown.of(event))
                elif isinstance(event, ProductInteracted):
                    await self._touched(conversation_id, Touch.of(event))
            except Exception:  # the reply and the log must not suffer from the marketing side
                log.exception("feedback on %s failed for a %s event", conversation_id, event.type)
        if self.reranker is not None:
            self.reranker.sync_soon()

    async def _touched(self, conversation_id: str, touch: Touch) -> None:
        session = await self.live.touch(conversation_id, touch)
        if self.reranker is None:
            return
        if session is None or not session.complete:
            session = Session.from_events(await self.store.load(conversation_id))
        credit = credit_for(session, touch, self.weights)
        if credit is not None:  # O(d): no thread needed
            self.reranker.credit(credit.served, credit.product_id, credit.reward, credit.previous)
