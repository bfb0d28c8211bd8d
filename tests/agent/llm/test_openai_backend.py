"""The OpenAI-compatible backend (httpx) and the guard, against a scripted server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from agent.llm import GuardedLLM, NoLLM, OpenAICompatibleLLM
from agent.llm.openai_compat import LLMServerError, _checked, _native_calls
from agent.llm.toolcalls import tool_schema
from agent.protocols import ChatMessage, LLMUnavailable, ToolCallProposal
from tests.fakes import OrderStatusSpec
from tests.fakes.openai_server import Reply, ScriptedOpenAIServer

pytestmark = [pytest.mark.unit, pytest.mark.allow_loopback]
ASK = [ChatMessage("system", "你是客服。"), ChatMessage("user", "我的订单KF10000002到哪了？")]
TOOLS = [tool_schema(OrderStatusSpec)]  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    with ScriptedOpenAIServer() as s:
        yield s


def backend(server: ScriptedOpenAIServer, timeout: float = 10.0) -> OpenAICompatibleLLM:
    return OpenAICompatibleLLM(server.base_url, "fake-model", timeout=timeout)


async def collect(llm: GuardedLLM | OpenAICompatibleLLM, messages: list[ChatMessage] = ASK, **kw: object) -> list[str]:
    return [t async for t in llm.stream(messages, **kw)]  # type: ignore[arg-type]


# ------------------------------------------------------------------ backend


async def test_stream_yields_deltas_in_order(server: ScriptedOpenAIServer) -> None:
    server.push(Reply(text="您的订单已发货，预计明天送达。", chunk_chars=3))
    tokens = await collect(backend(server), max_tokens=64)
    assert "".join(tokens) == "您的订单已发货，预计明天送达。" and len(tokens) > 3
    body = server.requests[-1]
    assert body["stream"] is True and body["model"] == "fake-model"
    assert body["max_tokens"] == 64  # llama_cpp.server reads only this one; vLLM either
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


async def test_requests_share_one_kept_alive_connection(server: ScriptedOpenAIServer) -> None:
    server.push(Reply(text="一二三四", chunk_chars=1), Reply(tool_calls=[("order_status", {})]), Reply(text="好"))
    llm = backend(server)
    assert "".join(await collect(llm)) == "一二三四"
    assert (await llm.complete(ASK, tools=TOOLS, tool_choice="order_status")).tool_calls[0].name == "order_status"
    assert "".join(await collect(llm)) == "好"
    assert len(server.clients) == 3 and len(set(server.clients)) == 1  # no TCP handshake per request
    assert server.requests[1]["tool_choice"] == {"type": "function", "function": {"name": "order_status"}}
    assert server.requests[1]["temperature"] == 0
    await llm.aclose()


async def test_error_inside_the_stream_and_malformed_call_arguments() -> None:
    bad_args = {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "a", "type": "function", "function": {"name": "order_status", "arguments": "{not json"}},
                        {"id": "b", "type": "function", "function": {"name": "order_status", "arguments": ""}},
                    ],
                }
            }
        ]
    }
    assert _native_calls(bad_args["choices"][0]["message"]) == [ToolCallProposal("order_status", {}, "b")]
    with pytest.raises(LLMServerError):
        _checked({"error": {"message": "context length exceeded"}})


async def test_complete_native_tool_call(server: ScriptedOpenAIServer) -> None:
    server.push(Reply(tool_calls=[("order_status", {"order_id": "KF10000002"})]))
    response = await backend(server).complete(ASK, tools=TOOLS)
    assert response.tool_calls == [ToolCallProposal("order_status", {"order_id": "KF10000002"}, "call_0")]
    sent = server.requests[-1]["tools"][0]["function"]
    assert sent["name"] == "order_status" and "order_id" in sent["parameters"]["properties"]


async def test_complete_tool_call_written_as_json_block(server: ScriptedOpenAIServer) -> None:
    server.push(Reply.json_block("order_status", {"order_id": "KF10000002"}, prose="我来帮您查询。\n"))
    response = await backend(server).complete(ASK, tools=TOOLS)
    assert response.tool_calls == [ToolCallProposal("order_status", {"order_id": "KF10000002"})]
    assert response.text == "我来帮您查询。"


async def test_complete_plain_text_with_and_without_tools(server: ScriptedOpenAIServer) -> None:
    server.push(Reply(text="Hello! How can I help?"), Reply(text='{"name": "order_status", "arguments": {}}'))
    response = await backend(server).complete(ASK, tools=TOOLS)
    assert response.text == "Hello! How can I help?" and response.tool_calls == []
    response = await backend(server).complete(ASK)  # no tools offered: JSON in text stays text
    assert response.tool_calls == [] and response.text.startswith("{")


async def test_tool_turns_are_sent_in_openai_shape(server: ScriptedOpenAIServer) -> None:
    call = ToolCallProposal("order_status", {"order_id": "KF10000002"}, "call_7")
    history = [
        *ASK,
        ChatMessage("assistant", "", tool_calls=(call,)),
        ChatMessage("tool", '{"status": "shipped"}', tool_call_id="call_7"),
    ]
    server.push(Reply(text="已发货。"))
    assert (await backend(server).complete(history, tools=TOOLS)).text == "已发货。"
    sent = server.requests[-1]["messages"]
    assert sent[2]["tool_calls"][0]["function"]["name"] == "order_status"
    assert sent[2]["content"] == ""  # llama_cpp.server rejects null content
    assert sent[3] == {"role": "tool", "content": '{"status": "shipped"}', "tool_call_id": "call_7"}


# ------------------------------------------------------------------ guard


async def test_slow_first_token_becomes_unavailable_within_the_limit(server: ScriptedOpenAIServer) -> None:
    server.push(Reply(text="迟到的回复", first_token_delay_s=5))
    llm = GuardedLLM(backend(server), timeout_s=10, first_token_timeout_s=0.5)
    start = time.monotonic()
    with pytest.raises(LLMUnavailable) as err:
        await collect(llm)
    assert err.value.reason == "first_token_timeout"
    assert time.monotonic() - start < 1.5
    assert llm.failures["first_token_timeout"] == 1 and llm.last_failure is err.value


async def test_stall_mid_stream_becomes_unavailable_after_partial_text(server: ScriptedOpenAIServer) -> None:
    server.push(Reply(text="您的订单已经发货了", chunk_chars=2, stall_after=2, stall_s=10))
    llm = GuardedLLM(backend(server), timeout_s=10, first_token_timeout_s=2, stall_timeout_s=0.5)
    got: list[str] = []
    start = time.monotonic()
    with pytest.raises(LLMUnavailable) as err:
        async for token in llm.stream(ASK):
            got.append(token)
    assert err.value.reason == "stall" and "".join(got) == "您的订单"
    assert time.monotonic() - start < 2


async def test_whole_call_timeout_even_while_tokens_flow(server: ScriptedOpenAIServer) -> None:
    server.push(Reply(text="x" * 200, chunk_chars=1, token_delay_s=0.05))
    llm = GuardedLLM(backend(server), timeout_s=0.8, first_token_timeout_s=None, stall_timeout_s=None)
    start = time.monotonic()
    with pytest.raises(LLMUnavailable) as err:
        await collect(llm)
    assert err.value.reason == "timeout" and time.monotonic() - start < 1.5


async def test_complete_timeout_and_http_error(server: ScriptedOpenAIServer) -> None:
    server.push(Reply(text="late", first_token_delay_s=5), Reply(status=500))
    llm = GuardedLLM(backend(server), timeout_s=0.5)
    start = time.monotonic()
    with pytest.raises(LLMUnavailable) as err:
        await llm.complete(ASK, tools=TOOLS)
    assert err.value.reason == "timeout" and time.monotonic() - start < 1.5
    with pytest.raises(LLMUnavailable) as err:
        await llm.complete(ASK)
    assert err.value.reason == "error" and "500" in err.value.detail


async def test_error_mid_setup_on_stream_and_unreachable_server() -> None:
    with ScriptedOpenAIServer() as s:
        s.push(Reply(status=503))
        with pytest.raises(LLMUnavailable, match="error"):
            await collect(GuardedLLM(backend(s)))
        url = s.base_url
    llm = GuardedLLM(OpenAICompatibleLLM(url, "fake-model", timeout=2))  # nothing listens there now
    with pytest.raises(LLMUnavailable) as err:
        await collect(llm)
    assert err.value.reason == "error"


async def test_concurrency_limit_queues_generations(server: ScriptedOpenAIServer) -> None:
    server.default = Reply(text="abcdef", chunk_chars=1, token_delay_s=0.05)
    llm = GuardedLLM(backend(server), max_concurrency=1, timeout_s=10, queue_timeout_s=10)
    results = await asyncio.gather(*(collect(llm) for _ in range(3)))
    assert ["".join(r) for r in results] == ["abcdef"] * 3
    assert server.max_active == 1


async def test_busy_when_the_queue_wait_is_too_long(server: ScriptedOpenAIServer) -> None:
    server.default = Reply(text="abcdefghij", chunk_chars=1, token_delay_s=0.1)
    llm = GuardedLLM(backend(server), max_concurrency=1, timeout_s=10, queue_timeout_s=0.2)
    first = asyncio.create_task(collect(llm))
    await asyncio.sleep(0.05)
    with pytest.raises(LLMUnavailable) as err:
        await collect(llm)
    assert err.value.reason == "busy"
    assert "".join(await first) == "abcdefghij"
    two = GuardedLLM(backend(server), max_concurrency=2, timeout_s=10)
    await asyncio.gather(collect(two), collect(two))
    assert server.max_active == 2


async def test_context_is_trimmed_to_the_budget(server: ScriptedOpenAIServer) -> None:
    history = [ChatMessage("system", "你是客服。")]
    for i in range(30):
        history += [ChatMessage("user", f"第{i}个问题" + "啊" * 50), ChatMessage("assistant", "回答" + "嗯" * 50)]
    history.append(ChatMessage("user", "最后的问题"))
    llm = GuardedLLM(backend(server), context_tokens=600)
    await collect(llm, history, max_tokens=100)
    sent = server.requests[-1]["messages"]
    assert sent[0] == {"role": "system", "content": "你是客服。"}
    assert sent[-1]["content"] == "最后的问题" and 3 < len(sent) < len(history)
    assert sent[1]["role"] == "user"


async def test_no_llm_is_always_unavailable() -> None:
    llm = GuardedLLM(NoLLM())
    with pytest.raises(LLMUnavailable, match="disabled"):
        await collect(llm)
    with pytest.raises(LLMUnavailable) as err:
        await llm.complete(ASK)
    assert err.value.reason == "disabled"
