"""Tool-call proposals from native calls and from text the way small models write them."""

from __future__ import annotations

import pytest

from agent.llm.toolcalls import merge_calls, normalize_tools, parse_text_tool_calls, tool_schema
from agent.protocols import ToolCallProposal
from tests.fakes import OrderStatusSpec

pytestmark = pytest.mark.unit
ALLOWED = {"order_status", "request_return"}


def test_tool_schema_is_openai_function_shape() -> None:
    schema = tool_schema(OrderStatusSpec)  # type: ignore[arg-type]
    assert schema["type"] == "function"
    assert schema["function"]["name"] == "order_status"
    order_id = schema["function"]["parameters"]["properties"]["order_id"]
    assert "pattern" not in str(schema)  # llama.cpp's grammar converter chokes on \d
    assert order_id["anyOf"][0]["description"] == r"(format: ^KF\d{8}$)"
    assert normalize_tools([schema["function"]]) == [schema]
    with pytest.raises(ValueError):
        normalize_tools([{"description": "no name"}])


def test_tool_schema_is_built_once_and_each_caller_gets_its_own_copy() -> None:
    first = tool_schema(OrderStatusSpec)  # type: ignore[arg-type]
    first["function"]["parameters"]["properties"].clear()  # a caller that edits what it was given
    first["function"]["name"] = "edited"
    again = tool_schema(OrderStatusSpec)  # type: ignore[arg-type]
    assert again["function"]["name"] == "order_status" and "order_id" in again["function"]["parameters"]["properties"]
    calls = 0
    real = OrderStatusSpec.Args.model_json_schema

    def counted(*args: object, **kwargs: object) -> dict[str, object]:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(OrderStatusSpec.Args, "model_json_schema", counted)
        for _ in range(3):
            tool_schema(OrderStatusSpec)  # type: ignore[arg-type]
    assert calls == 0  # pydantic's schema generation (~0.6 ms) is not on every turn's path


def test_json_block_with_prose_around() -> None:
    text = '好的，我来查一下。\n```json\n{"name": "order_status", "arguments": {"order_id": "KF10000002"}}\n```'
    calls, rest = parse_text_tool_calls(text, ALLOWED)
    assert calls == [ToolCallProposal("order_status", {"order_id": "KF10000002"})]
    assert rest == "好的，我来查一下。"


def test_bare_json_object_and_string_arguments() -> None:
    text = '{"name": "order_status", "arguments": "{\\"order_id\\": \\"KF10000003\\"}"}'
    calls, rest = parse_text_tool_calls(text, ALLOWED)
    assert calls == [ToolCallProposal("order_status", {"order_id": "KF10000003"})]
    assert rest == ""


def test_tool_call_tag_and_function_wrapper_and_parameters_key() -> None:
    text = '<tool_call>\n{"function": {"name": "request_return", "parameters": {"order_id": "KF1"}}}\n</tool_call>'
    calls, _ = parse_text_tool_calls(text, ALLOWED)
    assert calls == [ToolCallProposal("request_return", {"order_id": "KF1"})]


def test_list_of_calls_in_one_block() -> None:
    text = '```json\n[{"name": "order_status", "arguments": {}}, {"name": "request_return", "arguments": {}}]\n```'
    calls, _ = parse_text_tool_calls(text, ALLOWED)
    assert [c.name for c in calls] == ["order_status", "request_return"]


def test_ordinary_json_is_not_a_call() -> None:
    for text in ('Our hours: {"open": "9:00", "close": "21:00"}', "订单 {KF10000001} 已发货", "{not json"):
        calls, rest = parse_text_tool_calls(text, ALLOWED)
        assert calls == [] and rest == text


def test_calls_of_tools_not_offered_are_dropped_and_cut_from_the_text() -> None:
    for text in (
        '```json\n{"name": "delete_all_orders", "arguments": {}}\n```',
        '{{"name": "greeting", "arguments": {"message": "你好！"}}}',
    ):  # seen from Qwen-coder
        assert parse_text_tool_calls(text, ALLOWED) == ([], "")
    calls, rest = parse_text_tool_calls('您好！{"name": "greeting", "arguments": {}}', ALLOWED)
    assert calls == [] and rest == "您好！"


def test_native_calls_win_and_are_filtered() -> None:
    native = [
        ToolCallProposal("order_status", {"order_id": "KF10000001"}, "call_0"),
        ToolCallProposal("hack", {}, "call_1"),
    ]
    calls, text = merge_calls(native, "ignored", ALLOWED)
    assert [c.name for c in calls] == ["order_status"] and text == "ignored"
