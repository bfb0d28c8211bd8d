"""OpenAI-compatible chat backend (vLLM in production, llama_cpp.server in tests), spoken directly over httpx.

The chat-completions wire format is small (a JSON body; a JSON reply or server-sent events), so it is written here
rather than going through langchain and the openai SDK: those layers (callbacks, runnables, request options,
pydantic response models, one conversion each way) cost ~4 ms of CPU per proposal and ~7 ms per streamed reply,
against ~1 ms for the request itself, and a production turn makes one of each.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agent.llm.base import Completion, LLMBackend
from agent.llm.toolcalls import merge_calls, normalize_tools, tool_names
from agent.protocols import ChatMessage, LLMResponse, ToolCallProposal

if TYPE_CHECKING:
    import httpx


class LLMServerError(RuntimeError):
    """The server answered with an error object (mid-stream, or in a 200 reply)."""


def to_openai(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Our messages in the API's shape. An assistant's tool calls carry `content: ""` (llama_cpp.server rejects
    null); a tool result without a call id goes in as a user message."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role in ("system", "user"):
            out.append({"role": m.role, "content": m.content})
        elif m.role == "assistant":
            message: dict[str, Any] = {"role": "assistant", "content": m.content or ""}
            if m.tool_calls:
                message["tool_calls"] = [
                    {
                        "id": c.id or f"call_{i}",
                        "type": "function",
                        "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)},
                    }
                    for i, c in enumerate(m.tool_calls)
                ]
            out.append(message)
        elif m.tool_call_id:
            out.append({"role": "tool", "content": m.content, "tool_call_id": m.tool_call_id})
        else:
            out.append({"role": "user", "content": f"[tool result]\n{m.content}"})
    return out


def _text(content: Any) -> str:
    """Content is a string, null, or (some servers) a list of parts; keep the text."""
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") if isinstance(p, Mapping) else str(p) for p in content or [])


def _native_calls(message: Mapping[str, Any]) -> list[ToolCallProposal]:
    """The reply's `tool_calls` whose arguments are a JSON object (others are dropped, as a malformed call)."""
    calls: list[ToolCallProposal] = []
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        name, raw = fn.get("name"), fn.get("arguments")
        if not isinstance(name, str):
            continue
        try:
            args = json.loads(raw, strict=False) if isinstance(raw, str) and raw.strip() else (raw or {})
        except json.JSONDecodeError:
            continue
        if isinstance(args, dict):
            call_id = call.get("id")
            calls.append(ToolCallProposal(name=name, arguments=args, id=call_id if isinstance(call_id, str) else None))
    return calls


def _checked(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise LLMServerError(f"unexpected reply: {type(body).__name__}")
    if body.get("error"):
        raise LLMServerError(str(body["error"]))
    return body


class OpenAICompatibleLLM(LLMBackend):
    """Chat completions from any OpenAI-compatible server (`base_url` ends in `/v1`).

    Retries are off: the guard (`GuardedLLM`) owns time limits, and a retry would blow them. One connection pool
    per backend, kept alive between requests.
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
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(
                timeout=self.timeout,
                headers={"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"},
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=32),
            )
        return self._http

    def _body(self, messages: Sequence[ChatMessage], max_tokens: int, **extra: Any) -> bytes:
        # both token fields: llama_cpp.server reads only `max_tokens`, newer servers `max_completion_tokens`
        body = {
            "model": self.model,
            "messages": to_openai(messages),
            "temperature": self.temperature,
            "max_tokens": max_tokens,
            "max_completion_tokens": max_tokens,
            **extra,
        }
        return json.dumps(body, ensure_ascii=False).encode()

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        body = self._body(messages, max_tokens, stream=True)
        async with self._client().stream("POST", self._url, content=body) as response:
            response.raise_for_status()
            done = False
            async for line in response.aiter_lines():  # to the body's end: a connection read to it is reused
                if done or not line.startswith("data:"):
                    continue  # blank separators, comments, `event:` lines
                data = line[5:].strip()
                if data == "[DONE]":
                    done = True
                    continue
                chunk = _checked(json.loads(data))
                for choice in chunk.get("choices") or ():  # a usage-only chunk has none
                    text = _text((choice.get("delta") or {}).get("content"))
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
        allowed: set[str] | None = None
        if tools:
            specs = normalize_tools(tools)
            allowed = tool_names(specs)
            if tool_choice is not None and tool_choice not in allowed:
                raise ValueError(f"tool_choice {tool_choice!r} is not one of the offered tools")
            # "auto" said explicitly: llama_cpp.server ignores the tools without a tool_choice
            choice: Any = {"type": "function", "function": {"name": tool_choice}} if tool_choice else "auto"
            body = self._body(messages, max_tokens, tools=specs, tool_choice=choice, temperature=0)
        else:
            body = self._body(messages, max_tokens)
        response = await self._client().post(self._url, content=body)
        response.raise_for_status()
        choices = _checked(response.json()).get("choices") or [{}]
        message = choices[0].get("message") or {}
        if not tools:
            return LLMResponse(text=_text(message.get("content")))
        calls, text = merge_calls(_native_calls(message), _text(message.get("content")), allowed)
        return LLMResponse(text=text, tool_calls=calls)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        self._http = None
