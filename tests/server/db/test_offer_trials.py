"""What the offer bandit is rebuilt from, in the store: an offer of a campaign applied at checkout is redeemed when
the conversation's customer then placed an order the campaign discounted (the order records it), within a week; an
order of another campaign, a cancelled one, or one placed long after earns nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from agent.events import OfferMade
from server.db.conversations import ConversationRepository
from server.db.engine import make_engine, make_session_factory
from server.db.events import SqlEventStore
from server.db.models import Order
from server.db.offer_log import offer_trials
from server.demo.generate import reference_now
from tests.server.console_support import DEMO_AS_OF, small_store
from tools.marketing.offer_bandit import OfferRewards

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "trials", customers=40, orders=300)


def test_a_checkout_campaigns_offer_is_redeemed_by_the_order_it_discounted(store_url: str) -> None:
    engine = make_engine(store_url)
    sessions = make_session_factory(engine)
    now = reference_now(DEMO_AS_OF)
    at = now - timedelta(days=5)
    try:
        with sessions() as s:  # customers outside the scripted demos, with an order each
            customers = list(s.scalars(select(Order.customer_id).where(Order.customer_id > "C00028")
                                       .group_by(Order.customer_id).order_by(Order.customer_id).limit(4)))
            orders = {c: s.scalar(select(Order.id).where(Order.customer_id == c).limit(1)) for c in customers}
        assert len(customers) == 4
        # what the store's checkout recorded: year_end two days after the offer, member_day, year_end cancelled,
        # year_end a month later
        placed = [("year_end", at + timedelta(days=2), "paid"), ("member_day", at + timedelta(days=1), "paid"),
                  ("year_end", at + timedelta(days=1), "cancelled"), ("year_end", at + timedelta(days=30), "paid")]
        with sessions.begin() as s:
            for customer, (campaign, when, status) in zip(customers, placed, strict=True):
                s.execute(update(Order).where(Order.id == orders[customer]).values(
                    campaign_id=campaign, campaign_discount=50, placed_at=when, status=status))
        conversations = ConversationRepository(sessions)
        log = SqlEventStore(sessions)
        for n, customer in enumerate(customers):
            cid, _ = conversations.create(channel="web", customer_id=customer, now=at)
            log.append_sync(cid, [OfferMade(conversation_id=cid, at=at + timedelta(minutes=n), kind="campaign",
                                            offer_id="year_end", source="offers",
                                            policy={"name": "offer_thompson", "segment": "returning:regular",
                                                    "arm": "year_end|limited_time", "rank": 0, "propensity": 0.5})])
        trials = offer_trials(sessions, now + timedelta(days=40), days=60, rewards=OfferRewards())
    finally:
        engine.dispose()
    assert sorted(t.reward for t in trials if t.arm == "year_end|limited_time") == [0.0, 0.0, 0.0, 1.0]
