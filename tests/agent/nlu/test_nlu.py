"""The trained NLU: examples, multi-intent, taxonomy, and how it fails without weights (held-out accuracy and
calibration: test_nlu_accuracy.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from agent.nlu import INTENTS, NLU, NLUResult, split_clauses
from agent.nlu.intent_model import IntentModel, IntentModelError, load_weights
from agent.nlu.taxonomy import AGENT_INTENT, AGENT_INTENTS, BITEXT_INTENTS, FINE_INTENTS, agent_intent
from tests.fakes import LEXICON

pytestmark = pytest.mark.unit

# ------------------------------------------------------------ behaviour


@pytest.mark.parametrize("text", ["asdkjh qwe zxcmnb", "今天天气怎么样", "tell me a joke", "1+1等于几", "🤣🤣🤣"])
def test_gibberish_and_out_of_scope_are_other(trained_nlu: NLU, text: str) -> None:
    assert trained_nlu.parse(text).intent == "other"


def test_unsure_answers_say_so(trained_nlu: NLU) -> None:
    """Below the threshold the intent is `other`, the guess stays in `fine_intent`, confidence is low."""
    strict = NLU(LEXICON, threshold=0.999)
    result = strict.parse("is there a restocking fee for opened boxes")
    assert result.intent == "other" and result.confidence < 0.999
    assert result.fine_intent in FINE_INTENTS and result.fine_intent != "other"


@pytest.mark.parametrize(
    ("text", "intent", "fine"),
    [
        ("我的订单KF10000002到哪了？", "order_status", "track_order"),
        ("Where is my order KF10000002?", "order_status", "track_order"),
        ("7天无理由退货从哪天开始算？", "policy_question", "check_refund_policy"),
        ("How many days do I have to return something without a reason?", "policy_question", "check_refund_policy"),
        ("我要退货，订单KF10000001，不想要了", "return_request", "return_item"),
        ("tk到账了吗", "order_status", "track_refund"),
        ("能开fp吗", "policy_question", "get_invoice"),
        ("优惠卷怎么用😭", "coupon_question", "coupon_question"),
        ("zrg", "human", "contact_human_agent"),
        ("I want to talk to a human", "human", "contact_human_agent"),
        ("你们什么破服务，太差了，气死我了！！", "complaint", "complaint"),
        ("我想买手机壳", "product_search", "product_search"),
        ("Do you have phone cases?", "product_search", "product_search"),
        ("谢谢", "thanks", "thanks"),
        ("yes", "affirm", "affirm"),
        ("不用了", "deny", "deny"),
        ("你好", "greeting", "greeting"),
    ],
)
def test_examples(trained_nlu: NLU, text: str, intent: str, fine: str) -> None:
    result = trained_nlu.parse(text)
    assert (result.intent, result.fine_intent) == (intent, fine)


def test_order_id_alone_is_an_order_lookup(trained_nlu: NLU) -> None:
    result = trained_nlu.parse("订单号：kf 1000 0002")
    assert result.intent == "order_status" and result.slots["order_id"] == "KF10000002"


def test_delivery_time_of_a_given_order_is_its_status(trained_nlu: NLU) -> None:
    assert trained_nlu.parse("how soon can I expect order KF10000002").intent == "order_status"


# ------------------------------------------------------------ multi-intent


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        ("我要退货，顺便问下优惠券", {"return_request", "coupon_question"}),
        ("I want to return this and also, do you have coupons?", {"return_request", "coupon_question"}),
        ("我的快递到哪了？另外能开发票吗", {"order_status", "policy_question"}),
        ("Where is my package? Also, I want to talk to a human", {"order_status", "human"}),
    ],
)
def test_two_requests_keep_both_intents(trained_nlu: NLU, text: str, intents: set[str]) -> None:
    result = trained_nlu.parse(text)
    assert {result.intent, *result.others} == intents


def test_single_request_has_no_others(trained_nlu: NLU) -> None:
    assert trained_nlu.parse("我要退货，订单KF10000001，不想要了").others == []
    assert trained_nlu.parse("你好，我想查一下订单KF10000002").others == []


def test_clause_splitting() -> None:
    assert split_clauses("我要退货，顺便问下优惠券") == ["我要退货", "顺便问下优惠券"]
    assert split_clauses("I want to return this and also, do you have coupons?") == [
        "I want to return this",
        "and also, do you have coupons",
    ]
    assert split_clauses("我要退货，订单KF10000001，不想要了") == ["我要退货，订单KF10000001，不想要了"]


# ------------------------------------------------------------ taxonomy and interface


def test_taxonomy_covers_bitext_and_policy_intents() -> None:
    assert len(BITEXT_INTENTS) == 27 and set(BITEXT_INTENTS) <= set(FINE_INTENTS)
    assert set(AGENT_INTENT) == set(FINE_INTENTS)
    assert set(AGENT_INTENTS) == set(INTENTS)
    assert agent_intent("track_order") == "order_status" and agent_intent("get_refund") == "return_request"
    assert agent_intent("contact_customer_service") == "human" and agent_intent("nonsense") == "other"


def test_result_defaults_keep_old_callers_working() -> None:
    assert NLUResult("other", 0.3).fine_intent is None


def test_category_reader(trained_nlu: NLU) -> None:
    assert trained_nlu.category("我想买手机壳") == "phone_case"
    assert trained_nlu.category("no products here") is None


# ------------------------------------------------------------ weights file


def test_missing_weights_name_the_command(tmp_path: Path) -> None:
    nlu = NLU(model=tmp_path / "nope.npz")
    with pytest.raises(IntentModelError, match="kefu train intents"):
        nlu.parse("hello")


def test_corrupted_weights_name_the_command(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file at all")
    with pytest.raises(IntentModelError, match=r"corrupted.*kefu train intents"):
        NLU(model=bad).parse("hello")
    partial = tmp_path / "partial.npz"
    np.savez(partial, weights=np.zeros((4, 2), dtype=np.int8))
    with pytest.raises(IntentModelError, match=r"lacks.*kefu train intents"):
        NLU(model=partial).warm_up()


def test_weights_are_small_and_load_once_across_threads() -> None:
    IntentModel.forget()
    model = IntentModel()
    assert model.path.stat().st_size < 1_000_000
    seen: list[int] = []
    threads = [threading.Thread(target=lambda: seen.append(id(model.weights))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1
    assert load_weights(model.path).labels == FINE_INTENTS
