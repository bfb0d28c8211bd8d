"""The cart kept as dialogue state is the cart the offer tools read from the log (`conversation.cart`)."""

from __future__ import annotations

import pytest

from agent.events import ConversationStarted, Event, ProductInteracted, replay
from agent.state import DialogueState
from tools.marketing.campaigns.conversation import cart

pytestmark = pytest.mark.unit
CID = "c-cart"


def interacted(kind: str, product_id: str) -> ProductInteracted:
    return ProductInteracted(conversation_id=CID, kind=kind, product_id=product_id)


def test_the_state_cart_is_the_logs_cart_at_every_step() -> None:
    log: list[Event] = [ConversationStarted(conversation_id=CID, channel="web", customer_id=None, language="zh")]
    steps = [("added_to_cart", "P1"), ("viewed", "P2"), ("added_to_cart", "P2"), ("added_to_cart", "P1"),
             ("purchased", "P1"), ("clicked", "P3"), ("purchased", "P9"), ("added_to_cart", "P1")]
    state = replay(list(log), DialogueState(conversation_id=CID))
    for kind, product in steps:
        event = interacted(kind, product)
        log.append(event)
        replay([event], state)
        assert state.cart == cart(log), (kind, product)
    assert state.cart == ["P2", "P1"]
    assert replay(log, DialogueState(conversation_id=CID)).snapshot() == state.snapshot()  # rebuilt the same
