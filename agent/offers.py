"""What became of the offers made in a conversation (`OfferMade`): the answers the marketing outcome log records
(`OfferAnswered`), read from what the customer did and said. Pure: state and words in, events out.

- A product card interaction on an offered product answers its offer: `viewed` or `clicked` → `clicked` (the
  card's "view" action is how a customer clicks an offer), `added_to_cart`, `purchased`; each outcome is recorded
  once per offer.
- A plain no in the customer's next message after an offer ("不用了", "no thanks") → `declined`, unless they had
  already taken it up.
"""

from __future__ import annotations

import re
from typing import Any

from agent.events import OfferAnswered
from agent.state import DialogueState

# interaction kind → offer outcome (see OFFER_OUTCOMES)
INTERACTION_OUTCOMES = {"viewed": "clicked", "clicked": "clicked", "added_to_cart": "added_to_cart",
                        "purchased": "purchased"}
TAKEN = ("added_to_cart", "purchased")
# A short message saying no: the answer to the offer just made (longer ones may say no to something else).
DECLINE_MAX_CHARS = 24
_DECLINE = re.compile(
    r"不用|不需要|不要|算了|没兴趣|不感兴趣|下次吧|\bno,? thanks?\b|\bno,? thank you\b|\bnot interested\b|\bno need\b|"
    r"\bnot now\b|\bnope\b|\bi'?m good\b|\bi'?ll pass\b|\bdon'?t need\b|^no\b",
    re.IGNORECASE,
)


def answered_by_interaction(state: DialogueState, kind: str, product_id: str) -> list[OfferAnswered]:
    """The answers an interaction (`kind` on `product_id`) gives to the conversation's offers of that product."""
    outcome = INTERACTION_OUTCOMES.get(kind)
    if outcome is None:
        return []
    return [_answer(state, offer, outcome) for offer in state.offers
            if offer.get("offer_id") == product_id and outcome not in offer.get("outcomes", ())]


def declined(state: DialogueState, text: str, intent: str) -> list[OfferAnswered]:
    """`declined` for the offer made right before this customer turn (`state` holds the turn's own events), when
    the customer says no to it and has not taken it up."""
    offer = state.offers[-1] if state.offers else None
    if offer is None or offer.get("turn") != state.turn - 1:
        return []
    if any(o in offer.get("outcomes", ()) for o in (*TAKEN, "declined")):
        return []
    words = text.strip()
    if intent != "deny" and not (len(words) <= DECLINE_MAX_CHARS and _DECLINE.search(words)):
        return []
    return [_answer(state, offer, "declined")]


def _answer(state: DialogueState, offer: dict[str, Any], outcome: str) -> OfferAnswered:
    return OfferAnswered(conversation_id=state.conversation_id, offer_event_id=str(offer.get("event_id", "")),
                         kind=str(offer.get("kind", "")), offer_id=str(offer.get("offer_id", "")), outcome=outcome)
