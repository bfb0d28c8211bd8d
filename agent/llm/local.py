"""In-process llama.cpp backend (the bundled Qwen2.5-Coder-1.5B GGUF) for the embedded default.

One model on two cores generates one reply at a time, so every generation runs on a single worker
thread (a queue, never the event loop) and tokens cross to the caller through an asyncio queue.
llama.cpp keeps the KV cache of the last prompt and reuses its longest common prefix, so a stable
system prompt placed first makes the next turn's first token ~10× faster. A caller that stops
listening (timeout, disconnect) sets a flag the worker checks after each token.

A streamed conversation that ends with an assistant message is continued: the model writes on from that
text (the chat template's prompt with the assistant turn opened and the text in it), so a reply whose first
sentence is already said finishes it rather than starting over (`continues_replies`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.llm.base import Completion, LLMBackend
from agent.llm.toolcalls import normalize_tools, parse_text_tool_calls, proposal_from_obj, tool_names
from agent.protocols import ChatMessage, LLMResponse

if TYPE_CHECKING:
    from llama_cpp import Llama

log = logging.getLogger(__name__)
_DONE = object()


def to_llama(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """OpenAI-style dicts; assistant content is "" rather than null (llama.cpp rejects null)."""
    out: list[dict[str, Any]] = []
    for m in messages:
        item: dict[str, Any] = {"role": m.role, "content": m.content or ""}
        if m.tool_calls:
            item["tool_calls"] = [
                {
                    "id": c.id or f"call_{i}",
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                }
                for i, c in enumerate(m.tool_calls)
            ]
        if m.role == "tool" and m.tool_call_id:
            item["tool_call_id"] = m.tool_call_id
        out.append(item)
    return out


def quiet_openmp() -> None:
    """OMP_WAIT_POLICY=PASSIVE unless set: idle OpenMP threads sleep instead of spinning on two cores.

    OpenMP reads it when llama.cpp's library loads, so this must run before `import llama_cpp`.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class LocalLlamaLLM(LLMBackend):
    """`llama_cpp.Llama` in process, loaded on first use (≈1 s) in its worker thread.

    `omp_passive` sets OMP_WAIT_POLICY=PASSIVE before llama.cpp loads, so its idle OpenMP threads
    sleep instead of spinning against the rest of the service on two cores.
    `prefix_cache_mb` keeps the KV state of recent prompts in RAM (llama_cpp.LlamaRAMCache), so a
    conversation in the other language, or a call with tools after one without, resumes from its
    own cached prefix instead of re-reading the whole system prompt; 0 turns it off.
    """

    continues_replies = True  # `stream` writes on from a closing assistant message (see the module docstring)

    def __init__(
        self,
        model_path: str | Path,
        n_ctx: int = 4096,
        n_threads: int = 2,
        *,
        temperature: float = 0.3,
        seed: int = 7,
        chat_format: str | None = None,
        omp_passive: bool = True,
        prefix_cache_mb: int = 512,
    ) -> None:
        self.model_path = Path(model_path)
        self.name = f"local:{self.model_path.stem}"
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.temperature = temperature
        self.seed = seed
        self.chat_format = chat_format
        self.omp_passive = omp_passive
        self.prefix_cache_mb = prefix_cache_mb
        self._llama: Llama | None = None
        self._formatter: Any = None  # the model's own chat template, for continued replies
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")

    # ------------------------------------------------------------ worker thread

    def _load(self) -> Llama:
        if self._llama is None:
            if not self.model_path.is_file():
                raise FileNotFoundError(f"model file not found: {self.model_path} (run `kefu llm install`)")
            if self.omp_passive:
                quiet_openmp()
            import llama_cpp

            llama = llama_cpp.Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                seed=self.seed,
                chat_format=self.chat_format,
                verbose=False,
            )
            if self.prefix_cache_mb:
                llama.set_cache(llama_cpp.LlamaRAMCache(capacity_bytes=self.prefix_cache_mb << 20))
            self._llama = llama
        return self._llama

    def _generate(
        self,
        messages: list[dict[str, Any]],
        max_tokens: int,
        tools: list[dict[str, Any]] | None,
        stop: threading.Event,
        emit: Callable[[str], None],
        schema: dict[str, Any] | None = None,
    ) -> None:
        if stop.is_set():  # the caller gave up while this job waited in the queue
            return
        llama = self._load()
        if messages and messages[-1]["role"] == "assistant" and tools is None and schema is None:
            self._continue(llama, messages, max_tokens, stop, emit)
            return
        kwargs: dict[str, Any] = {"tools": tools, "tool_choice": "auto"} if tools else {}
        if schema is not None:  # a forced call: the output is the arguments, decoded under their JSON schema
            kwargs = {"response_format": {"type": "json_object", "schema": schema}}
        chunks = llama.create_chat_completion(
            messages=messages, max_tokens=max_tokens, stream=True, temperature=self.temperature, **kwargs
        )
        try:
            for chunk in chunks:
                if stop.is_set():
                    break
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if delta:
                    emit(delta)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def _continue(
        self,
        llama: Llama,
        messages: list[dict[str, Any]],
        max_tokens: int,
        stop: threading.Event,
        emit: Callable[[str], None],
    ) -> None:
        """Write on from the closing assistant message: the template's prompt of the messages before it (the same
        tokens `create_chat_completion` would make, so the cached prefix serves), the assistant turn opened, then
        the text already said."""
        if self._formatter is None:
            from llama_cpp import llama_chat_format

            template = llama.metadata.get("tokenizer.chat_template")
            if not template:
                raise ValueError("the model has no chat template: a reply cannot be continued")
            eos, bos = llama.token_eos(), llama.token_bos()
            self._formatter = llama_chat_format.Jinja2ChatFormatter(
                template=template,
                eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
                bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
                stop_token_ids=[eos],
            )
        formatted = self._formatter(messages=messages[:-1])
        chunks = llama.create_completion(
            prompt=formatted.prompt + messages[-1]["content"], max_tokens=max_tokens, stream=True,
            temperature=self.temperature, stop=formatted.stop,
        )
        try:
            for chunk in chunks:
                if stop.is_set():
                    break
                text = chunk["choices"][0].get("text")
                if text:
                    emit(text)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    # ------------------------------------------------------------ async side

    async def _tokens(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int,
        tools: list[dict[str, Any]] | None = None,
        schema: dict[str, Any] | None = None,
    ) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()

        def emit(token: str) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, token)
            except RuntimeError:  # the loop is gone: nobody is listening
                stop.set()

        job = loop.run_in_executor(
            self._worker, self._generate, to_llama(messages), max_tokens, tools, stop, emit, schema
        )
        job.add_done_callback(lambda _: queue.put_nowait(_DONE))
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    job.result()  # re-raises a failure of the worker
                    return
                assert isinstance(item, str)
                yield item
        finally:
            stop.set()

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        async for token in self._tokens(messages, max_tokens):
            yield token

    async def _complete(self, messages: Sequence[ChatMessage], ask: Completion) -> LLMResponse:
        """The whole reply; Qwen-coder writes tool calls as text (```json / <tool_call>), parsed here.

        A named `tool_choice` asks for that tool's arguments only, as JSON under its schema (llama.cpp
        turns the schema into a grammar), so the call cannot turn into prose.
        """
        tools, max_tokens, tool_choice = ask.tools, ask.max_tokens, ask.tool_choice
        specs = normalize_tools(tools) if tools else None
        if specs and tool_choice is not None:
            spec = next((t["function"] for t in specs if t["function"]["name"] == tool_choice), None)
            if spec is None:
                raise ValueError(f"tool_choice {tool_choice!r} is not one of the offered tools")
            ask = ChatMessage(
                "system",
                f"Call the function {tool_choice} ({spec['description']}). Reply with its "
                f"arguments only, as one JSON object.",
            )
            text = "".join([t async for t in self._tokens([*messages, ask], max_tokens, None, spec["parameters"])])
            call = proposal_from_obj({"name": tool_choice, "arguments": text}, {tool_choice})
            return LLMResponse(text="", tool_calls=[call] if call else [])
        text = "".join([t async for t in self._tokens(messages, max_tokens, specs)])
        if not specs:
            return LLMResponse(text=text)
        calls, rest = parse_text_tool_calls(text, tool_names(specs))
        return LLMResponse(text=rest, tool_calls=calls)

    async def load(self) -> None:
        """Load the model now (in the worker thread) rather than on the first customer's turn."""
        await asyncio.get_running_loop().run_in_executor(self._worker, self._load)

    async def warm_up(self, messages: Sequence[ChatMessage]) -> None:
        """Load the model and cache the prompt prefix (the system prompt) before the first customer."""
        async for _ in self._tokens(messages, 1):
            pass

    async def aclose(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._worker.shutdown)
        if self._llama is not None:
            self._llama.close()
            self._llama = None
