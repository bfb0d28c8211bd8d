"""What real shoppers ask (issue 14), through the wired agent on a demo store with the real policy index: a detail
of the product just shown comes from its fields; a bare order number of the customer's own order gives its status
and anyone else's reveals nothing; a bare listing number finds the product; a question the documents cannot
answer gets a question back, never a document. zh and en; every customer sentence here is written for the tests
(none is taken from the real-traffic development set)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.pipeline import TurnResult
from knowledge.base import KnowledgeBase
from knowledge.ingest import IngestReport
from prompts import template
from server.runtime import Runtime, build_runtime
from server.settings import Settings
from tests.services import TEST_IDENTITY_SECRET

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def runtime(demo_store: Callable[..., str], knowledge_index: tuple[Path, IngestReport],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    shared = Path(demo_store(customers=40, orders=300).removeprefix("sqlite:///"))
    folder = tmp_path_factory.mktemp("shoppers")
    shutil.copy(shared, folder / "kefu.db")  # the session's store stays read-only: conversations are written here
    settings = Settings(database_url=f"sqlite:///{folder / 'kefu.db'}", identity_secret=TEST_IDENTITY_SECRET,
                        recommender_model_path=folder / "none.npz", bandit_policy_path=folder / "policy.npz",
                        rules_dir=folder / "rules")
    kb = KnowledgeBase.load(knowledge_index[0])
    runtime = build_runtime(settings, retriever=kb, warm=False)
    yield runtime
    runtime.close()


def customers(runtime: Runtime, language: str) -> list[dict[str, Any]]:
    return [c for c in runtime.customers.list_demo(20) if c["language"] == language and c["orders"]]


def talk(runtime: Runtime, customer: dict[str, Any], *texts: str, viewed: str | None = None) -> list[TurnResult]:
    """A fresh conversation of this demo customer, in their language (as the widget opens it)."""

    async def run() -> list[TurnResult]:
        cid, _ = await asyncio.to_thread(runtime.conversations.create, channel="web",
                                         customer_id=customer["customer_id"])
        await runtime.agent.start(cid, channel="web", customer_id=customer["customer_id"],
                                  language=customer["language"])
        if viewed:
            await runtime.agent.interaction(cid, "viewed", viewed)
        return [await runtime.agent.handle(cid, t) for t in texts]

    return asyncio.run(run())


@pytest.mark.parametrize(("language", "show", "ask"), [
    ("zh", "帮我找找充电宝", "第二个是多大容量的？"),
    ("en", "could you show me some power banks?", "and the second one, what capacity does it have?"),
])
def test_a_detail_of_the_product_just_shown_comes_from_its_fields(runtime: Runtime, language: str, show: str,
                                                                  ask: str) -> None:
    shown, answer = talk(runtime, customers(runtime, language)[0], show, ask)
    assert len(shown.reply.cards) >= 2
    product = runtime.catalog.get(shown.reply.cards[1]["id"])
    assert product is not None and product.attributes.get("capacity")
    assert str(product.attributes["capacity"]) in answer.reply.text
    assert (product.name_zh if language == "zh" else product.name_en) in answer.reply.text
    assert [c["id"] for c in answer.reply.cards] == [product.product_id] and not answer.reply.citations


@pytest.mark.parametrize(("language", "ask"), [("zh", "这款是什么颜色的？还有货吗"),
                                               ("en", "what colour is this one?")])
def test_a_detail_of_the_product_the_customer_looked_at(runtime: Runtime, language: str, ask: str) -> None:
    phone = next(p for p in runtime.catalog.every() if p.category == "phone" and p.attributes.get("colour"))
    (answer,) = talk(runtime, customers(runtime, language)[0], ask, viewed=phone.product_id)
    colour = phone.attributes["colour_zh"] if language == "zh" else phone.attributes["colour"]
    assert str(colour) in answer.reply.text and not answer.reply.citations


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_bare_order_number_gives_the_own_order_and_reveals_nothing_of_anyone_elses(runtime: Runtime,
                                                                                   language: str) -> None:
    me, someone = customers(runtime, language)[0], customers(runtime, "en" if language == "zh" else "zh")[0]
    mine, theirs = me["orders"][0], someone["orders"][0]
    own, other, unknown = talk(runtime, me, mine["order_id"], theirs["order_id"], "KF99999999")
    assert mine["order_id"] in own.reply.text
    assert str(template(f"status.{mine['status']}", language)) in own.reply.text
    assert other.reply.text.replace(theirs["order_id"], "#") == unknown.reply.text.replace("KF99999999", "#")
    assert not other.reply.cards and not other.reply.citations


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_bare_listing_number_finds_the_product_and_an_unknown_one_asks_back(runtime: Runtime,
                                                                             language: str) -> None:
    product = runtime.catalog.every()[7]
    number = str(product.attributes["item_no"])
    unknown_number = next(str(n) for n in range(600_000_000_000, 600_000_000_100)
                          if all(str(p.attributes.get("item_no")) != str(n) for p in runtime.catalog.every()))
    found, missing = talk(runtime, customers(runtime, language)[0], number, unknown_number)
    assert (product.name_zh if language == "zh" else product.name_en) in found.reply.text
    assert found.reply.cards[0]["id"] == product.product_id
    assert unknown_number in missing.reply.text and ("？" in missing.reply.text or "?" in missing.reply.text)
    assert not missing.reply.citations and not missing.reply.cards


@pytest.mark.parametrize(("language", "vague"), [
    ("zh", "那个一般要等多长时间啊"),
    ("en", "so how long does that usually take?"),
])
def test_a_question_the_documents_cannot_answer_gets_a_question_back(runtime: Runtime, language: str,
                                                                     vague: str) -> None:
    me = customers(runtime, language)[0]
    (fresh,) = talk(runtime, me, vague)
    assert not fresh.reply.citations and fresh.reply.text.endswith(str(template("clarify", language)))
    order = me["orders"][0]["order_id"]
    _, about_order = talk(runtime, me, order, vague)
    assert not about_order.reply.citations and order in about_order.reply.text
    assert "?" in about_order.reply.text or "？" in about_order.reply.text
