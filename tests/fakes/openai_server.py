"""A scripted OpenAI-compatible chat server (FastAPI + uvicorn in a thread on 127.0.0.1).

Each request to `/v1/chat/completions` takes the next scripted `Reply` (or the default): streamed
text deltas, native tool calls, a tool call written as a ```json block, a stall mid-stream, a slow
first token, or an HTTP error. Requests are recorded so tests can check what a backend sent.

    with ScriptedOpenAIServer() as server:
        server.push(Reply(text="您好"), Reply(tool_calls=[("order_status", {"order_id": "KF10000001"})]))
        llm = server.llm()  # GuardedLLM(OpenAICompatibleLLM(server.base_url, "fake"))

Unit tests that use it connect to 127.0.0.1: they need `@pytest.mark.allow_loopback` (tests/plugin.py).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from agent.llm import GuardedLLM, OpenAICompatibleLLM


@dataclass
class Reply:
    """One scripted answer.

    text: content, streamed in `chunk_chars`-sized deltas when the client streams.
    tool_calls: (name, arguments) pairs sent as native `tool_calls`.
    first_token_delay_s: wait before anything is sent (headers included for non-streamed replies).
    token_delay_s: wait between deltas.
    stall_after: stop sending after this many deltas and hang for `stall_s` (None: no stall).
    status: an HTTP error status instead of an answer.
    """

    text: str = ""
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    first_token_delay_s: float = 0.0
    token_delay_s: float = 0.0
    chunk_chars: int = 2
    stall_after: int | None = None
    stall_s: float = 30.0
    status: int | None = None

    @classmethod
    def json_block(cls, name: str, arguments: dict[str, Any], prose: str = "") -> Reply:
        """A tool call written in the text, the way Qwen2.5-Coder writes one."""
        body = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
        return cls(text=f"{prose}```json\n{body}\n```")


class ScriptedOpenAIServer:
    def __init__(self, default: Reply | None = None) -> None:
        self.default = default or Reply(text="OK")
        self.script: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.clients: list[tuple[str, int]] = []  # (host, port) each request came from: one port, one connection
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        # log_config=None: its lines go to the root logger (the test run's masked log file), not a stderr handler
        config = uvicorn.Config(self._app(), log_level="warning", log_config=None, lifespan="off",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    # ------------------------------------------------------------ control

    def push(self, *replies: Reply) -> None:
        self.script.extend(replies)

    def llm(self, **guard: Any) -> GuardedLLM:
        """The OpenAI-compatible backend on this server inside the guard (`timeout_s` 5 unless given; any other
        `GuardedLLM` limit by keyword)."""
        return GuardedLLM(OpenAICompatibleLLM(self.base_url, "fake", timeout=10), **{"timeout_s": 5, **guard})

    def __enter__(self) -> ScriptedOpenAIServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("scripted OpenAI server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    # ------------------------------------------------------------ app

    def _next(self) -> Reply:
        with self._lock:
            return self.script.popleft() if self.script else self.default

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/models")
        async def models() -> dict[str, Any]:
            return {"object": "list", "data": [{"id": "fake", "object": "model"}]}

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Any:
            body = await request.json()
            self.requests.append(body)
            if request.client is not None:
                self.clients.append((request.client.host, request.client.port))
            reply = self._next()
            if reply.status is not None:
                return JSONResponse(
                    {"error": {"message": "scripted failure", "type": "server_error"}}, status_code=reply.status
                )
            if body.get("stream"):
                return StreamingResponse(self._sse(reply, body), media_type="text/event-stream")
            async with self._busy():
                await asyncio.sleep(reply.first_token_delay_s)
                return _completion(reply, body)

        return app

    def _busy(self) -> _Busy:
        return _Busy(self)

    async def _sse(self, reply: Reply, body: dict[str, Any]) -> AsyncIterator[str]:
        async with self._busy():
            model = body.get("model", "fake")
            await asyncio.sleep(reply.first_token_delay_s)
            yield _event(_chunk(model, {"role": "assistant", "content": ""}))
            pieces = [reply.text[i : i + reply.chunk_chars] for i in range(0, len(reply.text), reply.chunk_chars)]
            for n, piece in enumerate(pieces):
                if reply.stall_after is not None and n == reply.stall_after:
                    await asyncio.sleep(reply.stall_s)
                    return
                if n and reply.token_delay_s:
                    await asyncio.sleep(reply.token_delay_s)
                yield _event(_chunk(model, {"content": piece}))
            for i, (name, args) in enumerate(reply.tool_calls):
                yield _event(
                    _chunk(
                        model,
                        {
                            "tool_calls": [
                                {
                                    "index": i,
                                    "id": f"call_{i}",
                                    "type": "function",
                                    "function": {"name": name, "arguments": json.dumps(args)},
                                }
                            ]
                        },
                    )
                )
            finish = "tool_calls" if reply.tool_calls else "stop"
            yield _event(_chunk(model, {}, finish))
            yield "data: [DONE]\n\n"


class _Busy:
    """Counts requests in flight (tests of the concurrency limit read `max_active`)."""

    def __init__(self, server: ScriptedOpenAIServer) -> None:
        self.server = server

    async def __aenter__(self) -> None:
        with self.server._lock:
            self.server.active += 1
            self.server.max_active = max(self.server.max_active, self.server.active)

    async def __aexit__(self, *exc: object) -> None:
        with self.server._lock:
            self.server.active -= 1


def _event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _completion(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)},
            }
            for i, (name, args) in enumerate(reply.tool_calls)
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
