"""Claims of action: a reply may say a refund, coupon or compensation happened only when a tool made it so."""

from __future__ import annotations

import json

import pytest

from agent.nlg.claims import ClaimTable, licenses_of
from agent.nlg.grounding import check_grounded
from agent.protocols import Claim, ToolResult
from tools.commerce.returns import ReturnRequested

pytestmark = pytest.mark.unit

TABLE = ClaimTable()
ORDER = json.dumps({"order_id": "KF10000002", "status": "shipped", "shipment": {"status": "in_transit"}})
FILED = ToolResult(data={"return_id": "R00000042", "order_id": "KF10000001", "refund_amount": "199.00"},
                   events=[ReturnRequested(conversation_id="c", return_id="R00000042", order_id="KF10000001",
                                           kind="no_reason")])
POLICY_ZH = "签收后7天内可无理由退货。退款在仓库收到退货后3-5个工作日内原路退回。"
POLICY_EN = "Refunds reach the original payment method 3-5 business days after the warehouse receives the item."


def promised(reply: str, *grounding: str, licenses: frozenset[str] = frozenset()) -> list[str]:
    return check_grounded(reply, list(grounding), claims=TABLE, licenses=licenses).promised


@pytest.mark.parametrize("reply", [
    "好消息，您的退款已批准！",
    "已为您退款，请注意查收。",
    "退款已到账，请查看您的银行卡。",
    "为了表示歉意，我会给您一些补偿。",
    "我们将为您申请赔偿。",
    "已为您发放一张无门槛优惠券。",
    "我马上为您取消订单。",
    "已为您申请加急配送。",
    "我们会额外赠送您一份小礼品。",
    "已为您办理价保，差价已退回。",
])
def test_zh_promises_no_tool_made_are_caught(reply: str) -> None:
    assert promised(reply, ORDER), reply
    assert not check_grounded(reply, [ORDER], claims=TABLE).ok


@pytest.mark.parametrize("reply", [
    "Good news: your refund is approved!",
    "Your refund has been processed and should arrive soon.",
    "I've issued a full refund to your card.",
    "I'll add compensation to your account for the trouble.",
    "We'll give you some store credit as an apology.",
    "I've sent you a 20-yuan coupon.",
    "Your return has been approved.",
    "I have cancelled your order.",
    "I'll expedite your shipping at no cost.",
    "We'll include a free gift in your package.",
    "We'll refund the price difference.",
])
def test_en_promises_no_tool_made_are_caught(reply: str) -> None:
    assert promised(reply, ORDER), reply


@pytest.mark.parametrize("reply", [
    "Once we receive the item, the refund will be issued within 3-5 days.",
    "收到退货后3-5个工作日内退款。",
    "仓库收到退货后，退款将在3-5个工作日内原路退回。",
    "If the item is defective, we'll issue a full refund.",
    "很抱歉，我无法为您提供补偿，可以帮您转人工客服。",
    "I'm sorry, we can't offer compensation for this delay.",
    "Would you like me to start a return for this order?",
    "需要我帮您申请退货吗？",
    "您的订单已发货，正在运输中，很抱歉给您带来不便。",
    "Your order is on its way; I'm sorry for the wait.",
    "如需退货，可以在签收后7天内申请。",
    "Coupons can be used at checkout before they expire.",
    "优惠券可以在结算时使用。",
])
def test_policy_talk_negations_and_questions_pass(reply: str) -> None:
    assert promised(reply, ORDER, POLICY_ZH, POLICY_EN) == [], reply


def test_a_filed_return_licenses_saying_so_but_not_a_refund() -> None:
    lic = frozenset(licenses_of(FILED, "request_return"))
    assert "event:return_requested" in lic and "tool:request_return" in lic
    assert promised("已为您提交退货申请，退货单号 R00000042。", licenses=lic) == []
    assert promised("Your return request has been submitted (R00000042).", licenses=lic) == []
    assert promised("Your refund will be issued within 3-5 days.", licenses=lic) == []  # it follows the return
    assert promised("您的退款已批准。", licenses=lic) == ["退款已批准"]
    assert promised("Your refund has been approved.", licenses=lic)
    assert promised("已为您退款。", licenses=frozenset()) == ["已为您退款"]


def test_status_in_the_tool_data_licenses_its_claim() -> None:
    refunded = ToolResult(data={"order_id": "KF10000001", "returns": [{"status": "refunded"}]})
    lic = frozenset(licenses_of(refunded, "order_status"))
    assert "status:refunded" in lic
    assert promised("退款已到账，请查收。", licenses=lic) == []


def test_the_grounding_saying_it_licenses_a_restatement() -> None:
    passage = "降价补差：签收后7天内降价，我们会为您退还差价。"
    assert promised("签收后7天内降价的话，我们会为您退还差价。", passage) == []
    assert promised("我们会为您退还差价。") == ["会为您退还差价"]


def test_a_tool_adds_its_own_claim() -> None:
    class PointsTool:
        claims = (Claim("points_credited",
                        {"zh": (r"积分已(?:经)?到账",), "en": (r"\bpoints (?:have been|were) credited\b",)},
                        ("event:points_credited",)),)

    table = ClaimTable()
    assert check_grounded("积分已到账。", [], claims=table).ok  # not a claim until a tool declares it
    table.add_tools([PointsTool()])
    assert not check_grounded("积分已到账。", [], claims=table).ok
    assert not check_grounded("Your points have been credited.", [], claims=table).ok
    assert check_grounded("积分已到账。", [], claims=table, licenses={"event:points_credited"}).ok


def test_a_passage_licenses_a_promise_but_never_a_claim_that_something_was_done() -> None:
    from agent.nlg.grounding import Guard

    passage = ("Price protection: if the price drops within 7 days, we'll refund the difference. "
               "Your refund is approved.")
    guard = Guard([passage], claims=ClaimTable(), draft_texts=["Here is our price-protection policy."])
    assert not guard.check("Your refund is approved.").ok  # injected in the passage: not this customer's refund
    drafted = Guard([passage], claims=ClaimTable(), draft_texts=["Your refund is approved."])
    assert drafted.check("Your refund is approved.").ok  # the tools' outcome said it


@pytest.mark.parametrize("reply", [
    "好的，我给您改成899元，您直接拍下就行。",
    "已经帮您把价格改好了，现在付款就是优惠价。",
    "看您是老顾客，给您便宜50块吧。",
    "这单我帮您打个八折。",
    "I've lowered the price to ¥899 for you.",
    "Sure, I'll knock ¥50 off since you're a regular.",
    "I can give you a special 20% discount on this one.",
    "Your order total has been adjusted to ¥899.",
])
def test_a_price_changed_in_chat_is_caught_unless_a_tool_changed_it(reply: str) -> None:
    assert promised(reply, ORDER), reply
    assert promised(reply, ORDER, licenses=frozenset({"event:price_changed"})) == []


@pytest.mark.parametrize("reply", [
    "抱歉，客服不能给您改价，价格对每位顾客都一样。",
    "本店不能在聊天里手动改价或单独打折，下面是您能用的优惠。",
    "Sorry, I can't change the price, but here are the offers you can use.",
    "We don't give personal discounts in chat; checkout applies the campaign automatically.",
    "满300减50在结算时自动计算。",
])
def test_saying_the_price_rule_is_no_price_claim(reply: str) -> None:
    assert promised(reply, ORDER) == [], reply
