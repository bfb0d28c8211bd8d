"""OpenAI-compatible chat backend through langchain (vLLM in production, llama_cpp.server in tests)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from agent.llm.base import Completion, LLMBackend
from agent.llm.toolcalls import merge_calls, normalize_tools, tool_names
from agent.protocols import ChatMessage, LLMResponse, ToolCallProposal

if TYPE_CHECKING:
    import httpx
    from langchain_core.messages import BaseMessage
    from langchain_openai import ChatOpenAI


def to_langchain(messages: Sequence[ChatMessage]) -> list[BaseMessage]:
    """Our messages as langchain's. A tool result without a call id goes in as a user message."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    out: list[BaseMessage] = []
    for m in messages:
        if m.role == "system":
            out.append(SystemMessage(m.content))
        elif m.role == "user":
            out.append(HumanMessage(m.content))
        elif m.role == "assistant":
            calls = [
                {"name": c.name, "args": c.arguments, "id": c.id or f"call_{i}", "type": "tool_call"}
                for i, c in enumerate(m.tool_calls)
            ]
            out.append(AIMessage(m.content, tool_calls=calls))
        elif m.tool_call_id:
            out.append(ToolMessage(m.content, tool_call_id=m.tool_call_id))
        else:
            out.append(HumanMessage(f"[tool result]\n{m.content}"))
    return out


@cache
def _compatible_chat_class() -> type[ChatOpenAI]:
    """`ChatOpenAI` whose requests also suit servers that follow the older API (llama_cpp.server).

    langchain sends `max_completion_tokens` only (llama_cpp.server ignores it and may generate up to
    the context size) and `content: null` on assistant tool-call messages (llama_cpp.server rejects
    it); vLLM accepts either form. So also send `max_tokens`, and "" for null content.
    """
    from langchain_openai import ChatOpenAI

    class CompatibleChatOpenAI(ChatOpenAI):
        def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any) -> dict:
            payload = super()._get_request_payload(input_, stop=stop, **kwargs)
            if "max_completion_tokens" in payload:
                payload["max_tokens"] = payload["max_completion_tokens"]
            for message in payload.get("messages", []):
                if message.get("content") is None:
                    message["content"] = ""
            return payload

    return CompatibleChatOpenAI


def _text(content: Any) -> str:
    """langchain content is a string or a list of parts; keep the text parts."""
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") if isinstance(p, Mapping) else str(p) for p in content or [])


class OpenAICompatibleLLM(LLMBackend):
    """Chat completions from any OpenAI-compatible server (`base_url` ends in `/v1`).

    Retries are off: the guard (`GuardedLLM`) owns time limits, and a retry would blow them.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "none",
        timeout: float = 30.0,
        *,
        temperature: float = 0.3,
    ) -> None:
        self.name = f"openai:{model}"
        self.base_url = base_url
        self.model = model
        self._api_key = api_key or "none"
        self.timeout = timeout
        self.temperature = temperature
        self._chat: ChatOpenAI | None = None
        self._http: httpx.AsyncClient | None = None
        self._building = asyncio.Lock()

    def _client(self) -> ChatOpenAI:
        if self._chat is None:  # langchain imports take ~1 s: not at import time
            import httpx
            from pydantic import SecretStr

            # our own connection pool: langchain's default one is shared process-wide and stays bound
            # to the event loop that first used it
            self._http = httpx.AsyncClient(timeout=self.timeout)
            self._chat = _compatible_chat_class()(
                base_url=self.base_url,
                model=self.model,
                api_key=SecretStr(self._api_key),
                timeout=self.timeout,
                max_retries=0,
                temperature=self.temperature,
                http_async_client=self._http,
            )
        return self._chat

    async def _ready(self) -> ChatOpenAI:
        """The client; built off the event loop the first time (importing langchain takes 1–7 s here)."""
        if self._chat is None:
            async with self._building:
                return await asyncio.to_thread(self._client)
        return self._chat

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        chat = (await self._ready()).bind(max_tokens=max_tokens)
        async for chunk in chat.astream(to_langchain(messages)):
            text = _text(chunk.content)
            if text:
                yield text

    async def _complete(self, messages: Sequence[ChatMessage], ask: Completion) -> LLMResponse:
        """One reply; tool calls come natively or, from models that write them as text, parsed out.

        A named `tool_choice` is sent as `{"type": "function", "function": {"name": …}}`: vLLM and
        llama_cpp.server then decode the arguments under the tool's JSON schema, so a small model
        cannot answer in prose instead (measured with Qwen2.5-Coder-1.5B: ~1 turn in 4 under "auto").
        Proposals are sampled at temperature 0: filling arguments is copying, not writing.
        """
        tools, max_tokens, tool_choice = ask.tools, ask.max_tokens, ask.tool_choice
        chat = await self._ready()
        allowed: set[str] | None = None
        if tools:
            specs = normalize_tools(tools)
            allowed = tool_names(specs)
            if tool_choice is not None and tool_choice not in allowed:
                raise ValueError(f"tool_choice {tool_choice!r} is not one of the offered tools")
            # "auto" said explicitly: llama_cpp.server ignores the tools without a tool_choice
            runnable = chat.bind_tools(specs, tool_choice=tool_choice or "auto").bind(
                max_tokens=max_tokens, temperature=0
            )
        else:
            runnable = chat.bind(max_tokens=max_tokens)
        message = await runnable.ainvoke(to_langchain(messages))
        native = [
            ToolCallProposal(name=c["name"], arguments=dict(c.get("args") or {}), id=c.get("id"))
            for c in getattr(message, "tool_calls", [])
        ]
        for bad in getattr(message, "invalid_tool_calls", []):  # arguments that were not valid JSON
            try:
                args = json.loads(bad.get("args") or "{}")
            except json.JSONDecodeError:
                continue
            if isinstance(args, dict) and bad.get("name"):
                native.append(ToolCallProposal(name=bad["name"], arguments=args, id=bad.get("id")))
        if not tools:
            return LLMResponse(text=_text(message.content))
        calls, text = merge_calls(native, _text(message.content), allowed)
        return LLMResponse(text=text, tool_calls=calls)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        self._chat, self._http = None, None
