"""Issue 17: the offer turn reuses its validated campaigns and experiments only while the stored rows are unchanged,
so what a marketer changes through the store (a pause, a resume, a stopped experiment) is what the very next offer
turn of the same worker shows, zh and en."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.db.campaigns import Actor, CampaignRepository
from server.db.engine import make_engine, make_session_factory
from server.db.experiments import ExperimentRepository
from server.db.models import Customer
from server.runtime import Runtime, build_runtime
from server.settings import Settings
from tests.server.console_support import small_store
from tests.services import TEST_IDENTITY_SECRET
from tools.marketing.experiments import ExperimentSpec

pytestmark = pytest.mark.integration
MARKETER = Actor("mia", "marketer", "test")


def store_runtime(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Runtime]:
    """A runtime over a small demo store of its own (20 customers, 120 orders), closed after the test."""
    url = small_store(tmp_path_factory, name, customers=20, orders=120)
    rt = build_runtime(Settings(database_url=url, identity_secret=TEST_IDENTITY_SECRET), warm=False)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    yield from store_runtime(tmp_path_factory, "fresh")


def customer_of(url: str, language: str) -> str:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            first = s.scalars(select(Customer.id).where(Customer.language == language).order_by(Customer.id)).first()
            return str(first)
    finally:
        engine.dispose()


async def offered(rt: Runtime, customer: str, text: str) -> set[str]:
    """The offer and coupon cards a new conversation of `customer` gets for `text`."""
    cid, _ = rt.conversations.create(channel="api", customer_id=customer, language=None)
    await rt.agent.start(cid, channel="api", customer_id=customer, language=None)
    result = await rt.agent.handle(cid, text)
    return {str(c.get("campaign_id") or c["id"]) for c in result.reply.cards if c["type"] in ("offer", "coupon")}


@pytest.mark.parametrize(("language", "ask"), [("zh", "有什么优惠"), ("en", "What deals do you have?")])
async def test_a_paused_campaign_leaves_the_next_offer_turn_and_comes_back_on_resume(
    runtime: Runtime, language: str, ask: str
) -> None:
    customer = customer_of(runtime.settings.database_url, language)
    campaigns = CampaignRepository(runtime.sessions)
    before = await offered(runtime, customer, ask)
    assert "year_end" in before
    now = datetime.now(UTC)
    campaigns.set_status("year_end", "paused", "pause", MARKETER, now)
    assert "year_end" not in await offered(runtime, customer, ask)
    campaigns.set_status("year_end", "active", "resume", MARKETER, now)
    assert await offered(runtime, customer, ask) == before


async def test_a_stopped_experiment_no_longer_places_the_next_offer_turn(runtime: Runtime) -> None:
    """An experiment on the year-end 满减 (a lower threshold in one arm): running, the customer's offer is recorded
    under it; stopped, the next turn's offer is not."""
    customer = customer_of(runtime.settings.database_url, "zh")
    experiments = ExperimentRepository(runtime.sessions)
    now = datetime.now(UTC)
    spec = ExperimentSpec.model_validate({
        "name": "fresh", "campaign_id": "year_end", "arms": [{"key": "control"}, {"key": "low", "threshold": 280}],
        "starts_at": now.isoformat(), "ends_at": now.replace(year=now.year + 1).isoformat(),
    })
    experiments.create("exp-fresh", spec, "mia", "", now)

    async def placed() -> list[str]:
        cid, _ = runtime.conversations.create(channel="api", customer_id=customer, language=None)
        await runtime.agent.start(cid, channel="api", customer_id=customer, language=None)
        result = await runtime.agent.handle(cid, "有什么优惠")
        return [str(e.policy["experiment"]["id"]) for e in result.events
                if e.type == "offer_made" and "experiment" in (e.policy or {})]

    assert "exp-fresh" in await placed()
    experiments.stop("exp-fresh", "mia", now)
    assert "exp-fresh" not in await placed()


async def offer_cards(rt: Runtime, customer: str, text: str) -> dict[str, str]:
    """Campaign id → the words of its offer or coupon card, in a new conversation of `customer`."""
    cid, _ = rt.conversations.create(channel="api", customer_id=customer, language=None)
    await rt.agent.start(cid, channel="api", customer_id=customer, language=None)
    result = await rt.agent.handle(cid, text)
    return {str(c.get("campaign_id") or c["id"]): str(c.get("offer") or c.get("discount_text"))
            for c in result.reply.cards if c["type"] in ("offer", "coupon")}


@pytest.mark.parametrize(("language", "ask", "said"), [("zh", "有什么优惠", "满200减40"),
                                                       ("en", "What deals do you have?", "¥40 off")])
async def test_an_edited_campaign_is_offered_as_edited_and_an_ended_one_not_at_all_on_the_next_turn(
    runtime: Runtime, language: str, ask: str, said: str
) -> None:
    customer = customer_of(runtime.settings.database_url, language)
    campaigns = CampaignRepository(runtime.sessions)
    before = await offer_cards(runtime, customer, ask)
    assert "year_end" in before and said not in before["year_end"]
    assert "year_end_coupon" in before
    now = datetime.now(UTC)
    rules = {**campaigns.record("year_end")["rules"],  # type: ignore[index]
             "tiers": [{"min_spend": 200, "discount": 40}, {"min_spend": 600, "discount": 120}]}
    campaigns.update("year_end", {"rules": rules}, MARKETER, now)
    campaigns.set_status("year_end_coupon", "ended", "end", MARKETER, now)
    after = await offer_cards(runtime, customer, ask)
    assert said in after["year_end"]
    assert "year_end_coupon" not in after
