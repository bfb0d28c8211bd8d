"""The guard every LLM call goes through: time-boxed, queued, trimmed, failures typed.

A turn must always be answered. This wrapper bounds how long a customer waits (total, before the
first token, and between tokens), how many generations run at once (one local model on two cores
serves one reply at a time), and how much history is sent; any failure becomes `LLMUnavailable`
with a reason, which the pipeline turns into the template reply. A backend that keeps failing (stalls,
refuses, errors) trips a circuit breaker: while it is open every call fails at once as `circuit_open`, so
turns stop paying the full timeout, and one trial call after `reset_s` finds out whether it is back. A stall is
seen before any timeout: a call still waiting after `slow_after_s` while a generation is stuck before its first
token and other calls wait too counts as a failure, so under load the breaker opens after `slow_after_s`, not after
the first-token timeout of several calls; when it opens, every call still waiting gives up at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from agent.breaker import CircuitBreaker
from agent.llm.base import Completion, LLMBackend
from agent.llm.context import trim_messages
from agent.protocols import LLM, ChatMessage, LLMFailure, LLMResponse, LLMUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
_EARLY = 1e-3  # a timer may fire this much before its time


@dataclass(eq=False, slots=True)
class _Wait:
    """One call that has no answer yet (queued for a slot, or generating before its first token)."""

    started: float
    generating_at: float | None = None  # holds a slot since (a stream: waiting for its first token)
    counted: bool = False  # already counted as a failure (slow), so its timeout does not count again
    tripped: bool = False  # the breaker opened while it waited: it fails as `circuit_open`
    task: asyncio.Future | None = None  # what it awaits now (cancelled when tripped)


class GuardedLLM(LLMBackend):
    """Wraps any `LLM` backend; same protocol, but every failure is `LLMUnavailable(reason)`.

    - `timeout_s`: the whole call, queueing included.
    - `first_token_timeout_s`: from the call to the first streamed token (queueing included).
    - `stall_timeout_s`: the longest gap between two streamed tokens.
    - `max_concurrency`: generations in flight; a call that cannot start within `queue_timeout_s`
      fails as `busy` rather than making the customer wait behind others.
    - `context_tokens`: the prompt budget (the model's context minus the reply's `max_tokens`).
    - `breaker`: opened by failures of the backend itself (not by `busy`, which is this process's own queue).
    - `slow_after_s` (default: half the first-token timeout): a call waiting this long while a stream has had no
      first token for as long and another call waits too counts once as a failure; `None` with no first-token
      timeout turns it off.
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
        slow_after_s: float | None = None,
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
        if slow_after_s is None and first_token_timeout_s is not None:
            slow_after_s = first_token_timeout_s / 2
        self.slow_after_s = slow_after_s
        self._waits: set[_Wait] = set()

    def _fail(self, reason: LLMFailure, detail: str = "", wait: _Wait | None = None) -> LLMUnavailable:
        exc = LLMUnavailable(reason, detail)
        if reason not in ("busy", "circuit_open") and not (wait is not None and wait.counted):  # the backend failed
            self._strike()
        self.failures[reason] += 1
        self.last_failure = exc
        (log.debug if reason == "circuit_open" else log.warning)(  # (the breaker says once when it opens)
            "llm %s unavailable: %s%s", self.name, reason, f" ({detail})" if detail else "")
        return exc

    def _strike(self) -> None:
        """One failure of the backend; when that opens the breaker, every call still waiting gives up at once."""
        self.breaker.failure()
        if self.breaker.state == "open":
            for wait in self._waits:
                if not wait.tripped:
                    wait.tripped = True
                    if wait.task is not None:
                        wait.task.cancel()

    def _check_slow(self) -> None:
        """Count each call waiting past `slow_after_s` as a failure, while a stream is stuck before its first token
        for as long and at least one other call waits (one slow prompt alone is not evidence of a stall)."""
        slow = self.slow_after_s
        if slow is None:
            return
        now = time.monotonic() + _EARLY
        waiting = [w for w in self._waits if not w.tripped]
        stuck = any(w.generating_at is not None and now - w.generating_at >= slow for w in waiting)
        if not stuck or len(waiting) < 2:
            return
        for wait in waiting:
            if not wait.counted and now - wait.started >= slow and not wait.tripped:
                wait.counted = True
                self.failures["slow"] += 1
                log.warning("llm %s: a call has waited %.1f s with %d others waiting", self.name, now - wait.started,
                            len(waiting) - 1)
                self._strike()

    def _watch_at(self, since: float) -> asyncio.TimerHandle | None:
        if self.slow_after_s is None:
            return None
        return asyncio.get_running_loop().call_later(max(since + self.slow_after_s - time.monotonic(), 0.0),
                                                     self._check_slow)

    async def _await(self, wait: _Wait, aw: Awaitable[T], timeout: float) -> T:
        """`aw` within `timeout` (else `TimeoutError`); `circuit_open` at once if the breaker opens meanwhile."""
        task = asyncio.ensure_future(aw)
        wait.task = task
        done: set[asyncio.Future[T]] = set()
        try:
            if not wait.tripped:
                done, _ = await asyncio.wait({task}, timeout=max(timeout, 0.0))
        finally:
            wait.task = None
            if not task.done():
                task.cancel()
                await asyncio.wait({task})  # let it unwind before the caller closes what it awaited
        if task in done and not task.cancelled():
            return task.result()
        if wait.tripped:
            raise self._fail("circuit_open", f"{self.breaker.name}: opened while this call waited")
        raise TimeoutError

    def _fit(self, messages: Sequence[ChatMessage], max_tokens: int) -> list[ChatMessage]:
        return trim_messages(messages, max(self.context_tokens - max_tokens, 64))

    @asynccontextmanager
    async def _slot(self, deadline: float) -> AsyncIterator[_Wait]:
        """A generation slot, and the call's `_Wait` (done with it once it has its first token or its answer)."""
        if not self.breaker.allow():
            raise self._fail("circuit_open", f"{self.breaker.name}: not called for up to {self.breaker.reset_s:g}s")
        wait = _Wait(time.monotonic())
        self._waits.add(wait)
        timers = [self._watch_at(wait.started)]
        try:
            acquire = asyncio.ensure_future(self._slots.acquire())
            try:
                await self._await(wait, acquire, min(self.queue_timeout_s, deadline - time.monotonic()))
            except BaseException as exc:
                if acquire.done() and not acquire.cancelled() and acquire.exception() is None:
                    self._slots.release()  # acquired just as this call gave up
                if isinstance(exc, TimeoutError):
                    raise self._fail("busy", f"{self.max_concurrency} generation(s) in flight") from None
                raise
            wait.generating_at = time.monotonic()
            timers.append(self._watch_at(wait.generating_at))
            self.in_flight += 1
            try:
                yield wait
            finally:
                self.in_flight -= 1
                self._slots.release()
        finally:
            self._waits.discard(wait)
            for timer in timers:
                if timer is not None:
                    timer.cancel()

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        """Tokens as they come; raises `LLMUnavailable` on a timeout, a stall or an error.

        Tokens already yielded stay with the caller: on a mid-stream failure the caller decides
        whether to keep the partial text or replace it with the template reply. A caller that may
        stop early should iterate inside `contextlib.aclosing(...)`, so the slot is freed at once.
        """
        start = time.monotonic()
        deadline = start + self.timeout_s
        async with self._slot(deadline) as wait:
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
                        if first:
                            token = await self._await(wait, agen.__anext__(), limit)
                        else:
                            token = await asyncio.wait_for(agen.__anext__(), timeout=max(limit, 0.0))
                    except StopAsyncIteration:
                        return
                    except TimeoutError:
                        raise self._fail(reason, f"after {time.monotonic() - start:.1f}s", wait) from None
                    except LLMUnavailable as exc:
                        if exc.reason == "circuit_open" and wait.tripped:
                            raise
                        raise self._fail(exc.reason, exc.detail, wait) from exc
                    except Exception as exc:  # any backend failure means a template reply
                        raise self._fail("error", f"{type(exc).__name__}: {exc}", wait) from exc
                    if first:
                        self._waits.discard(wait)  # answering: no longer waiting
                        self.breaker.success()  # it answers
                    first = False
                    if token:
                        yield token

    async def _complete(self, messages: Sequence[ChatMessage], ask: Completion) -> LLMResponse:
        """A whole reply or tool-call proposal within `timeout_s`, else `LLMUnavailable`."""
        tools, max_tokens, tool_choice = ask.tools, ask.max_tokens, ask.tool_choice
        start = time.monotonic()
        deadline = start + self.timeout_s
        async with self._slot(deadline) as wait:
            wait.generating_at = None  # a whole completion takes long by nature: waiting, but no sign of a stall
            call = self.inner.complete(
                self._fit(messages, max_tokens), tools=tools, max_tokens=max_tokens, tool_choice=tool_choice
            )
            try:
                response = await self._await(wait, call, deadline - time.monotonic())
            except TimeoutError:
                raise self._fail("timeout", f"after {time.monotonic() - start:.1f}s", wait) from None
            except LLMUnavailable as exc:
                if exc.reason == "circuit_open" and wait.tripped:
                    raise
                raise self._fail(exc.reason, exc.detail, wait) from exc
            except Exception as exc:  # any backend failure means a template reply
                raise self._fail("error", f"{type(exc).__name__}: {exc}", wait) from exc
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
