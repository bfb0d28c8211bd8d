"""The guard every LLM call goes through: time-boxed, queued, trimmed, failures typed.

A turn must always be answered. This wrapper bounds how long a customer waits (total, before the
first token, and between tokens), how many generations run at once (one local model on two cores
serves one reply at a time), and how much history is sent; any failure becomes `LLMUnavailable`
with a reason, which the pipeline turns into the template reply. A backend that keeps failing (stalls,
refuses, errors) trips a circuit breaker: while it is open every call fails at once as `circuit_open`, so
turns stop paying the full timeout, and one trial call after `reset_s` finds out whether it is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing, asynccontextmanager

from agent.breaker import CircuitBreaker
from agent.llm.base import Completion, LLMBackend
from agent.llm.context import trim_messages
from agent.protocols import LLM, ChatMessage, LLMFailure, LLMResponse, LLMUnavailable

log = logging.getLogger(__name__)


class GuardedLLM(LLMBackend):
    """Wraps any `LLM` backend; same protocol, but every failure is `LLMUnavailable(reason)`.

    - `timeout_s`: the whole call, queueing included.
    - `first_token_timeout_s`: from the call to the first streamed token (queueing included).
    - `stall_timeout_s`: the longest gap between two streamed tokens.
    - `max_concurrency`: generations in flight; a call that cannot start within `queue_timeout_s`
      fails as `busy` rather than making the customer wait behind others.
    - `context_tokens`: the prompt budget (the model's context minus the reply's `max_tokens`).
    - `breaker`: opened by failures of the backend itself (not by `busy`, which is this process's own queue).
    """

    def __init__(
        self,
        inner: LLM,
        *,
        timeout_s: float = 20.0,
        first_token_timeout_s: float | None = 8.0,
        stall_timeout_s: float | None = 5.0,
        max_concurrency: int = 1,
        queue_timeout_s: float | None = None,
        context_tokens: int = 4096,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.inner = inner
        self.name = inner.name
        self.continues_replies = bool(getattr(inner, "continues_replies", False))  # see `continues`
        self.timeout_s = timeout_s
        self.first_token_timeout_s = first_token_timeout_s
        self.stall_timeout_s = stall_timeout_s
        self.queue_timeout_s = queue_timeout_s if queue_timeout_s is not None else first_token_timeout_s or timeout_s
        self.context_tokens = context_tokens
        self.max_concurrency = max_concurrency
        self._slots = asyncio.Semaphore(max_concurrency)
        self.breaker = breaker or CircuitBreaker(f"llm {inner.name}", failures=3, reset_s=30.0)
        self.failures: Counter[str] = Counter()  # reason -> count, for metrics
        self.last_failure: LLMUnavailable | None = None
        self.in_flight = 0

    def _fail(self, reason: LLMFailure, detail: str = "") -> LLMUnavailable:
        exc = LLMUnavailable(reason, detail)
        if reason not in ("busy", "circuit_open"):  # the backend itself failed
            self.breaker.failure()
        self.failures[reason] += 1
        self.last_failure = exc
        (log.debug if reason == "circuit_open" else log.warning)(  # (the breaker says once when it opens)
            "llm %s unavailable: %s%s", self.name, reason, f" ({detail})" if detail else "")
        return exc

    def _fit(self, messages: Sequence[ChatMessage], max_tokens: int) -> list[ChatMessage]:
        return trim_messages(messages, max(self.context_tokens - max_tokens, 64))

    @asynccontextmanager
    async def _slot(self, deadline: float) -> AsyncIterator[None]:
        if not self.breaker.allow():
            raise self._fail("circuit_open", f"{self.breaker.name}: not called for up to {self.breaker.reset_s:g}s")
        wait = min(self.queue_timeout_s, deadline - time.monotonic())
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=max(wait, 0.0))
        except TimeoutError:
            raise self._fail("busy", f"{self.max_concurrency} generation(s) in flight") from None
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._slots.release()

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        """Tokens as they come; raises `LLMUnavailable` on a timeout, a stall or an error.

        Tokens already yielded stay with the caller: on a mid-stream failure the caller decides
        whether to keep the partial text or replace it with the template reply. A caller that may
        stop early should iterate inside `contextlib.aclosing(...)`, so the slot is freed at once.
        """
        start = time.monotonic()
        deadline = start + self.timeout_s
        async with self._slot(deadline):
            agen = self.inner.stream(self._fit(messages, max_tokens), max_tokens=max_tokens)
            async with aclosing(agen):  # closing it tells a local backend to stop generating
                first = True
                while True:
                    now = time.monotonic()
                    limit, reason = deadline - now, "timeout"
                    gap = self.first_token_timeout_s if first else self.stall_timeout_s
                    if first and gap is not None:
                        gap -= now - start
                    if gap is not None and gap < limit:
                        limit, reason = gap, "first_token_timeout" if first else "stall"
                    try:
                        token = await asyncio.wait_for(agen.__anext__(), timeout=max(limit, 0.0))
                    except StopAsyncIteration:
                        return
                    except TimeoutError:
                        raise self._fail(reason, f"after {time.monotonic() - start:.1f}s") from None
                    except LLMUnavailable as exc:
                        raise self._fail(exc.reason, exc.detail) from exc
                    except Exception as exc:  # any backend failure means a template reply
                        raise self._fail("error", f"{type(exc).__name__}: {exc}") from exc
                    if first:
                        self.breaker.success()  # it answers
                    first = False
                    if token:
                        yield token

    async def _complete(self, messages: Sequence[ChatMessage], ask: Completion) -> LLMResponse:
        """A whole reply or tool-call proposal within `timeout_s`, else `LLMUnavailable`."""
        tools, max_tokens, tool_choice = ask.tools, ask.max_tokens, ask.tool_choice
        start = time.monotonic()
        deadline = start + self.timeout_s
        async with self._slot(deadline):
            call = self.inner.complete(
                self._fit(messages, max_tokens), tools=tools, max_tokens=max_tokens, tool_choice=tool_choice
            )
            try:
                response = await asyncio.wait_for(call, timeout=max(deadline - time.monotonic(), 0.0))
            except TimeoutError:
                raise self._fail("timeout", f"after {time.monotonic() - start:.1f}s") from None
            except LLMUnavailable as exc:
                raise self._fail(exc.reason, exc.detail) from exc
            except Exception as exc:  # any backend failure means a template reply
                raise self._fail("error", f"{type(exc).__name__}: {exc}") from exc
            self.breaker.success()
            return response

    async def aclose(self) -> None:
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()


async def complete_within(
    llm: LLM, messages: Sequence[ChatMessage], *, max_tokens: int, budget_s: float
) -> LLMResponse | str:
    """One non-streamed completion inside `budget_s`: the response, or the fallback reason
    (`llm_timeout`, `llm_<reason>`) for side tasks (operator drafts, campaign copy) that answer with
    templates instead."""
    try:
        return await asyncio.wait_for(llm.complete(messages, max_tokens=max_tokens), timeout=budget_s)
    except TimeoutError:
        return "llm_timeout"
    except LLMUnavailable as exc:
        return f"llm_{exc.reason}"
