"""The real-traffic labels and their checks (`server.evals.traffic`): every label is well formed and points at a
message of the shared data sets; each check reads a reply as its docstring says."""

from __future__ import annotations

import pytest

from agent.events import ToolCalled
from agent.pipeline import TurnResult
from agent.protocols import Reply
from agent.state import DialogueState
from prompts import template
from server.evals.traffic import (
    Label,
    TrafficError,
    check,
    is_generic,
    labelled_messages,
    load_baseline,
    load_labels,
)
from tests.datasets import shared_data

pytestmark = pytest.mark.unit

CHECKS = {"asks", "short", "tool", "cites", "cite", "cards", "human", "says", "fallback"}


def _label(must: list[str], must_not: list[str] = (), language: str = "zh") -> Label:  # type: ignore[assignment]
    return Label(id="t", source="taobao_ecd", ref={"context": 1}, sha1="0" * 12, language=language, kind="k",
                 note="n", must=must, must_not=list(must_not))


def _result(text: str, *, tools: tuple[str, ...] = (), citations: tuple[str, ...] = (),
            cards: tuple[str, ...] = (), offer_human: bool = False) -> TurnResult:
    reply = Reply(text=text, citations=[{"doc": d, "title": d, "snippet": ""} for d in citations],
                  cards=[{"type": t, "id": "x"} for t in cards], offer_human=offer_human)
    events = [ToolCalled(conversation_id="c", tool=t, args={}) for t in tools]
    return TurnResult(reply, DialogueState(conversation_id="c"), events)


def test_labels_are_well_formed() -> None:
    labels = load_labels()
    assert len(labels) >= 150 and len({label.id for label in labels}) == len(labels)
    for lang in ("zh", "en"):
        assert sum(label.language == lang for label in labels) >= 70
    for label in labels:
        for entry in [*label.must, *label.must_not]:
            assert {alt.partition(":")[0] for alt in entry.split("|")} <= CHECKS, (label.id, entry)
    baseline = load_baseline()
    assert baseline is not None and set(baseline["summary"]) == {"zh", "en"}


def test_labels_point_at_the_shared_messages() -> None:
    data_dir = shared_data("taobao_dialogues_dev", "mg_shopdial")
    messages = labelled_messages(data_dir)
    assert len(messages) == len(load_labels())
    assert all(text.strip() for _, text in messages)
    changed = load_labels()[:1]
    changed[0].sha1 = "f" * 12
    with pytest.raises(TrafficError, match="changed"):
        labelled_messages(data_dir, changed)


def test_checks() -> None:
    human = str(template("offer_human", "zh"))
    assert check(_label(["asks"]), _result("请问是哪件商品？")) == []
    assert check(_label(["asks"]), _result("好的。" + human, offer_human=True)) == ["not asks"]  # not a question back
    assert check(_label(["short"], ["tool"]), _result("好的", tools=("order_status",))) == ["did tool"]
    assert check(_label(["tool:product_info|tool:order_status"]), _result("…", tools=("order_status",))) == []
    assert check(_label(["cites:shipping"], ["fallback"]), _result("…", citations=("privacy",))) == \
        ["not cites:shipping"]
    assert check(_label(["cards:product"]), _result("…", cards=("product",))) == []
    assert check(_label(["says:unsold"]), _result("抱歉，本店没有销售粽子。")) == []
    assert check(_label(["says:unsold"], language="en"), _result("Sorry, we don't sell books.")) == []
    assert check(_label([], ["fallback"]), _result(str(template("fallback", "zh")))) == ["did fallback"]
    assert is_generic(str(template("kb_no_answer", "en")), "en") and not is_generic("Hi", "en")
    with pytest.raises(TrafficError, match="unknown check"):
        check(_label(["smiles"]), _result("…"))
