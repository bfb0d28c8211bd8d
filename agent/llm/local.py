"""In-process llama.cpp backend (the bundled Qwen2.5-Coder-1.5B GGUF) for the embedded default.

One model on two cores generates one reply at a time, so every generation runs on a single worker
thread (a queue, never the event loop) and tokens cross to the caller through an asyncio queue.
llama.cpp keeps the KV cache of the last prompt and reuses its longest common prefix, so a stable
system prompt placed first makes the next turn's first token ~10× faster. A caller that stops
listening (timeout, disconnect) sets a flag the worker checks after each token.

A streamed conversation that ends with an assistant message is continued: the model writes on from that
text (the chat template's prompt with the assistant turn opened and the text in it), so a reply whose first
sentence is already said finishes it rather than starting over (`continues_replies`).

The prompt is read ("prefilled") in chunks of `PREFILL_CHUNK` tokens with the stop flag checked between them: llama.cpp
cannot stop inside one read, and a turn that timed out while ~400 tokens of facts were still being read used to hold
the single worker for seconds after the caller had left, so the next customer's turn timed out behind it. Each
prefill is logged (DEBUG) and kept in `last_prefill`: prompt tokens, how many came from the context or a saved state,
how many were read, and how long the first token took.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.llm.base import Completion, LLMBackend
from agent.llm.prefix_cache import PrefixCache, common_prefix
from agent.llm.toolcalls import normalize_tools, parse_text_tool_calls, proposal_from_obj, tool_names
from agent.protocols import ChatMessage, LLMResponse

if TYPE_CHECKING:
    from llama_cpp import Llama

log = logging.getLogger(__name__)
_DONE = object()
PREFILL_CHUNK = 64  # tokens read between two looks at the stop flag (~1 s on two busy cores)


@dataclass(slots=True)
class Prefill:
    """How one prompt was read: what its first token cost is made of."""

    prompt_tokens: int
    from_context: int = 0  # already in the model's context (the previous prompt's prefix)
    from_cache: int = 0  # restored from a saved state (`PrefixCache`), when longer than what the context held
    evaluated: int = 0  # read now
    prefill_s: float = 0.0
    first_token_s: float | None = None  # from the start of the call


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
        self._cache: PrefixCache | None = None
        self.last_prefill: Prefill | None = None  # the latest continued call's (see the module docstring)
        self.warmed: list[Prefill] = []  # the prefixes `warm_up` read and pinned, in order
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
                self._cache = PrefixCache(self.prefix_cache_mb << 20)
                llama.set_cache(self._cache)
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

    def _template(self, llama: Llama) -> Any:
        """The model's own chat template (what `create_chat_completion` formats with when no chat_format is set)."""
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
        return self._formatter

    def _prefill(self, llama: Llama, tokens: list[int], stop: threading.Event) -> Prefill | None:
        """Read all of `tokens` but the last into the context, from the longest prefix the context or a saved state
        holds, `PREFILL_CHUNK` tokens at a time; None when the caller gave up meanwhile. The last token is left for
        the generation, which decodes it to get the logits it samples from."""
        started = time.perf_counter()
        stats = Prefill(prompt_tokens=len(tokens))
        held = stats.from_context = common_prefix(llama._input_ids.tolist(), tokens)
        if self._cache is not None:
            key, shared = self._cache.longest(tokens)
            if key is not None and shared > held:
                llama.load_state(self._cache[key])
                held = stats.from_cache = shared
        keep = min(held, len(tokens) - 1)
        llama.n_tokens = keep  # `eval` drops the context's cells from here on
        for start in range(keep, len(tokens) - 1, PREFILL_CHUNK):
            if stop.is_set():
                return None
            llama.eval(tokens[start : min(start + PREFILL_CHUNK, len(tokens) - 1)])
        stats.evaluated = len(tokens) - 1 - keep
        stats.prefill_s = time.perf_counter() - started
        return stats

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
        started = time.perf_counter()
        formatted = self._template(llama)(messages=messages[:-1])
        tokens = llama.tokenize((formatted.prompt + messages[-1]["content"]).encode("utf-8"), special=True)
        stats = self._prefill(llama, tokens, stop)
        if stats is None:
            log.debug("prefill of %d tokens stopped: the caller gave up", len(tokens))
            return
        self.last_prefill = stats
        chunks = llama.create_completion(
            prompt=tokens,
            max_tokens=max_tokens,
            stream=True,
            temperature=self.temperature,
            stop=formatted.stop,
        )
        try:
            for chunk in chunks:
                if stop.is_set():
                    break
                text = chunk["choices"][0].get("text")
                if text:
                    if stats.first_token_s is None:
                        stats.first_token_s = time.perf_counter() - started
                        log.debug(
                            "prompt %d tokens: %d in context, %d from a saved state, %d read in %.2f s; "
                            "first token at %.2f s",
                            stats.prompt_tokens,
                            stats.from_context,
                            stats.from_cache,
                            stats.evaluated,
                            stats.prefill_s,
                            stats.first_token_s,
                        )
                    emit(text)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def _warm(self, messages: list[dict[str, Any]], stop: threading.Event) -> None:
        """Read the prompt of `messages` (the assistant turn opened) and keep its state pinned in the prefix cache,
        so the first turn of its language resumes from it however many other prompts came between."""
        llama = self._load()
        tokens = llama.tokenize(self._template(llama)(messages=messages).prompt.encode("utf-8"), special=True)
        stats = self._prefill(llama, tokens, stop)
        if stats is None:
            return
        log.info(
            "warmed a %d-token prompt prefix (%d read in %.1f s)", stats.prompt_tokens, stats.evaluated, stats.prefill_s
        )
        if self._cache is not None:
            self._cache.put(llama._input_ids.tolist(), llama.save_state(), pin=True)
        self.warmed.append(stats)

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
        """Load the model and cache the prompt prefix (the system prompt) before the first customer: its state stays
        pinned in the prefix cache (see `_warm`). Formatted as a continued turn is, so the prefix is the same tokens."""
        stop = threading.Event()
        try:
            await asyncio.get_running_loop().run_in_executor(self._worker, self._warm, to_llama(messages), stop)
        finally:
            stop.set()

    async def aclose(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._worker.shutdown)
        if self._llama is not None:
            self._llama.close()
            self._llama = None
