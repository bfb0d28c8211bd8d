"""Product questions answered from the catalogue's fields (`ProductInfoTool`), through the whole pipeline with an
in-memory store: details of the products just shown, of a named product, of a listing number; comparisons; what
the store does not sell; "which product?" when there is nothing to refer to. Every sentence a customer says here
is written for these tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent.events import ToolCalled
from agent.nlg import TemplateNLG
from agent.pipeline import Agent, TurnResult
from agent.policy import Decision
from agent.protocols import ToolContext
from tests.fakes import CATEGORIES, NOW, MemoryCatalog, MemoryOrders, commerce_tools, make_agent
from tools.commerce.ports import ProductView
from tools.commerce.product_info import ProductInfoTool
from tools.commerce.product_shelf import ProductShelf, Snapshot

pytestmark = pytest.mark.unit


def _p(pid: str, zh: str, en: str, cat: str, price: str, stock: int, desc_zh: str = "", desc_en: str = "",
       **attributes: object) -> ProductView:
    names = {c.key: (c.name_zh, c.name_en) for c in CATEGORIES}
    return ProductView(pid, zh, en, cat, *names[cat], Decimal(price), stock,
                       brand="Star 星耀" if cat == "phone" else "", attributes=dict(attributes),
                       description_zh=desc_zh, description_en=desc_en)


class Shop(MemoryCatalog):
    """The fake catalogue with fields worth asking about, and the whole shelf at once."""

    def __init__(self) -> None:
        super().__init__()
        self.products = [
            _p("P0001", "星耀手机 X 256GB 黑色", "Star Phone X 256GB Black", "phone", "3999", 5,
               "星耀手机 X，5G，支持无线充电，续航一整天。", "Star Phone X, 5G, wireless charging, all-day battery.",
               model="Star X", storage="256GB", colour="black", colour_zh="黑色", item_no="612345678901"),
            _p("P0003", "星耀手机 X 512GB 白色", "Star Phone X 512GB White", "phone", "4499", 0,
               model="Star X", storage="512GB", colour="white", colour_zh="白色", item_no="612345678903"),
            _p("P0002", "透明手机壳 星耀 X", "Clear case for Star X", "phone_case", "59", 50,
               "适用于星耀手机 X，TPU 软壳，精准开孔。", "Made for Star Phone X; soft TPU, precise cut-outs.",
               compatible_with=["Star X"], colour="clear", colour_zh="透明"),
            _p("P0004", "皮革手机壳 星耀 X", "Leather case for Star X", "phone_case", "99", 3,
               "真皮材质，手感细腻。", "Genuine leather, soft to the touch.",
               compatible_with=["Star X"], colour="brown", colour_zh="棕色"),
            _p("P0005", "晨光 咖啡豆 250g", "Morning Roast coffee beans 250g", "coffee_beans", "88", 40,
               size="250g"),
        ]

    def every(self) -> list[ProductView]:
        return list(self.products)


def _agent() -> Agent:
    shop = Shop()
    tools = [*commerce_tools(MemoryOrders(), shop), ProductInfoTool(ProductShelf(shop))]
    return make_agent(tools=tools)


async def _talk(agent: Agent, *texts: str, customer: str = "C1", cid: str = "c") -> list[TurnResult]:
    await agent.start(cid, channel="web", customer_id=customer, language=None)
    return [await agent.handle(cid, t) for t in texts]


def _called(result: TurnResult) -> list[tuple[str, dict[str, object]]]:
    return [(e.tool, e.args) for e in result.events if isinstance(e, ToolCalled)]


async def test_a_detail_of_the_product_just_shown_zh() -> None:
    shown, colour, stock = await _talk(_agent(), "给我看看手机壳", "第二个是什么颜色的？", "那它还有现货吗")
    assert [c["id"] for c in shown.reply.cards][:2] == ["P0002", "P0004"]
    assert ("product_info", {"question": "第二个是什么颜色的？", "attribute": "colour", "product_ids": ["P0004"]}) \
        in _called(colour)
    assert "棕色" in colour.reply.text and "透明" not in colour.reply.text
    assert "仅剩 3 件" in stock.reply.text and "¥99.00" in stock.reply.text  # the leather case's own stock and price


async def test_a_detail_of_the_product_just_shown_en() -> None:
    shown, price, fits = await _talk(_agent(), "Do you have phone cases?", "how much is the first one?",
                                     "would it fit a Star X?")
    assert shown.reply.cards[0]["id"] == "P0002"
    assert "Clear case for Star X" in price.reply.text and "¥59.00" in price.reply.text
    assert "fits Star X" in fits.reply.text


async def test_a_named_model_lists_its_versions_and_a_listing_number_finds_the_product() -> None:
    versions, number, unknown = await _talk(_agent(), "星耀手机 X 有哪些颜色", "612345678901",
                                            "这个编号 600000000000 是什么")
    assert "共 2 个版本" in versions.reply.text and "¥3999.00" in versions.reply.text
    assert "暂时缺货" in versions.reply.text  # the white one
    assert "星耀手机 X 256GB 黑色" in number.reply.text and number.reply.cards[0]["id"] == "P0001"
    assert "600000000000" in unknown.reply.text and "？" in unknown.reply.text and not unknown.reply.citations


async def test_pack_size_unit_price_and_comparison() -> None:
    size, unit, diff = await _talk(_agent(), "晨光咖啡豆一袋装多少克", "折合单价是多少",
                                   "透明手机壳和皮革手机壳有什么区别")
    assert "250g" in size.reply.text
    assert "¥35.20/100g" in unit.reply.text  # 88 / 250 g
    assert "¥59.00" in diff.reply.text and "¥99.00" in diff.reply.text and "便宜 ¥40.00" in diff.reply.text


async def test_what_the_store_does_not_sell_and_nothing_to_refer_to() -> None:
    agent = _agent()
    unsold, which = await _talk(agent, "你们店有没有卖月饼", "那这个多重呀")
    assert "本店没有销售月饼" in unsold.reply.text and unsold.reply.quick_replies
    assert "哪件商品" in which.reply.text and not which.reply.citations
    (en_unsold,) = await _talk(agent, "I'm looking for a good yoga mat", cid="e")
    assert "we don't sell yoga mat" in en_unsold.reply.text


@pytest.mark.parametrize(("ask", "unsold", "nearest"), [
    ("有没有卖咖啡杯的", "本店没有销售咖啡杯", "「晨光 咖啡豆 250g」¥88.00"),
    ("do you sell coffee mugs?", "we don't sell coffee mugs", "“Morning Roast coffee beans 250g” ¥88.00"),
])
async def test_what_the_store_does_not_sell_gets_the_nearest_products(ask: str, unsold: str, nearest: str) -> None:
    (result,) = await _talk(_agent(), ask)
    assert unsold in result.reply.text and nearest in result.reply.text, result.reply.text
    assert result.reply.cards and all(c["type"] == "product" for c in result.reply.cards)
    assert "P0003" not in {c["id"] for c in result.reply.cards}  # out of stock: not offered instead


def test_nearest_products_need_a_shared_word_not_a_shared_character() -> None:
    snap = Snapshot.build(Shop().every(), CATEGORIES)
    assert [p.product_id for p in snap.like("coffee grinder")] == ["P0005"]
    assert snap.like("月饼") == [] and snap.like("fishing rod") == []
    assert snap.like("手套") == []  # "手" alone (of 手机) makes no likeness


async def test_questions_about_rules_or_orders_are_not_product_questions() -> None:
    refund, order = await _talk(_agent(), "这个手机壳退货运费谁出？", "KF10000002 到哪了")
    assert not any(name == "product_info" for name, _ in _called(refund))
    assert any(name == "order_status" for name, _ in _called(order))


def test_snapshot_reads_names_numbers_and_kinds() -> None:
    snap = Snapshot.build(Shop().every(), CATEGORIES)
    assert [p.product_id for p in snap.named("星耀手机 X 多少钱")] == ["P0001", "P0003"]
    assert snap.named("手机多少钱") == []  # a kind, not a product
    assert snap.by_number("612345678903").product_id == "P0003"  # type: ignore[union-attr]
    assert snap.sells("手机壳") is True and snap.sells("月饼") is False and snap.sells("东西") is None
    assert snap.sells("smartphones") is True and snap.sells("yoga mat") is False and snap.sells("stuff") is None


async def test_the_call_refuses_nothing_and_records_what_it_showed() -> None:
    shop = Shop()
    tool = ProductInfoTool(ProductShelf(shop))
    ctx = ToolContext(conversation_id="c", customer_id=None, language="en", now=NOW)
    result = await tool(tool.Args(product_ids=["P0004", "P9999"], attribute="material"), ctx)
    assert [c["id"] for c in result.cards] == ["P0004"] and result.events[0].product_ids == ["P0004"]
    said = tool.reply(result, None, "en", TemplateNLG(tools=[tool]))  # type: ignore[arg-type]
    assert "Genuine leather" in said.text


async def test_a_turn_the_tool_recognised_is_not_handed_to_an_llm_proposal() -> None:
    agent = _agent()
    (result,) = await _talk(agent, "525873142019")
    decision_events = _called(result)
    assert decision_events and decision_events[0][0] == "product_info"
    agent.proposer, agent.propose_when = object(), "always"  # type: ignore[assignment]
    assert not agent._should_propose(Decision("call_tool", "product_question", tool="product_info", recognised=True),
                                     0.1)


def _mentioned_by_scanning(snap: Snapshot, text: str) -> list[str]:
    """What `mentioned_categories` answers, the slow way: every word of every category looked for in the text."""
    low, found = text.lower(), []
    for key, words in snap.category_words.items():
        at = [pos for w in words if w and (pos := _whole_or_cjk(low, w.lower())) >= 0]
        if at:
            found.append((min(at), key))
    return [key for _, key in sorted(found)]


def _whole_or_cjk(low: str, word: str) -> int:
    import re

    if re.search(r"[\u4e00-\u9fff]", word):
        return low.find(word)
    m = re.search(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", low)
    return m.start() if m else -1


@pytest.mark.parametrize("text", [
    "有手机壳吗", "星耀手机 X 的手机壳", "do you have phone cases?", "PHONE CASE for my phone", "phones",
    "咖啡豆和手机", "coffee beans or a phone case", "iphonecase", "壳", "", "a", "手机手机壳",
])
def test_categories_mentioned_are_those_a_scan_of_every_word_finds(text: str) -> None:
    snap = Snapshot.build(Shop().every(), CATEGORIES)
    assert snap.mentioned_categories(text) == _mentioned_by_scanning(snap, text)


def test_the_categories_that_fit_another_are_those_with_a_compatibility_attribute() -> None:
    assert Snapshot.build(Shop().every(), CATEGORIES).fitting_categories() == {"phone_case"}
