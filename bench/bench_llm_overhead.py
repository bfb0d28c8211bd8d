"""Kefu's own overhead on top of the LLM backend's time to first token.

An in-process LLM that answers instantly stands in for the backend, so the time from a customer
turn's start to the first streamed token is all Kefu's (perception, tools, retrieval, prompt
building). A template-only turn over the same conversations is the baseline in the same process.

    .venv/bin/python bench/bench_llm_overhead.py [--turns 200]
"""

from __future__ import annotations

import statistics
import time
from collections.abc import AsyncIterator, Sequence

from timing import demo_store_and_index, pct, run_turns

from agent.protocols import ChatMessage, LLMResponse

TEXTS = {
    "zh": ["我的订单{o}到哪了？", "7天无理由退货从哪天开始算？", "有什么优惠券吗"],
    "en": ["Where is my order {o}?", "How long does delivery take?", "Any coupons for me?"],
}


class InstantLLM:
    name = "instant"

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        draft = messages[-1].content
        yield draft[:8]
        yield ""

    async def complete(
        self, messages: Sequence[ChatMessage], *, tools=None, max_tokens: int = 256, tool_choice: str | None = None
    ) -> LLMResponse:
        return LLMResponse("", [])


class FirstToken:
    """Time from a turn's start to its first streamed token."""

    def __init__(self) -> None:
        self.first: list[float] = []
        self.started = 0.0
        self.seen = False

    def start(self) -> None:
        self.started, self.seen = time.perf_counter(), False

    async def on_token(self, delta: str) -> None:
        if not self.seen:
            self.first.append((time.perf_counter() - self.started) * 1000)
            self.seen = True


async def run(turns: int) -> None:
    from server.runtime import build_runtime
    from server.settings import Settings

    url, index_dir = demo_store_and_index("kefu-bench-llm-", customers=60, orders=400)
    results: dict[str, list[float]] = {}
    for mode, llm in (("template only (baseline)", None), ("LLM path, first token", InstantLLM())):
        runtime = build_runtime(Settings(database_url=url, index_dir=index_dir), llm=llm)
        timer = FirstToken()
        sink = timer.on_token if llm is not None else None
        whole: list[float] = []
        customers = runtime.customers.list_demo(10)
        done = 0
        while done < turns:
            for i, cust in enumerate(customers):
                lang = "zh" if i % 2 == 0 else "en"
                cid, _ = runtime.conversations.create(channel="api", customer_id=cust["customer_id"])
                await runtime.agent.start(cid, channel="api", customer_id=cust["customer_id"], language=None)
                for text in TEXTS[lang]:
                    timer.start()
                    await runtime.agent.handle(cid, text.format(o=cust["orders"][0]["order_id"]), on_token=sink)
                    whole.append((time.perf_counter() - timer.started) * 1000)
                    done += 1
        results[mode] = timer.first or whole
        runtime.close()
    for mode, values in results.items():
        p50, p99 = statistics.median(values), pct(values, 0.99)
        print(f"{mode:<28} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   (n={len(values)})")
    base, llm_first = results["template only (baseline)"], results["LLM path, first token"]
    print(
        f"Kefu overhead before the backend's first token: p50 {statistics.median(llm_first):.2f} ms "
        f"(target <= 20 ms); x{statistics.median(llm_first) / statistics.median(base):.2f} of a template turn"
    )


if __name__ == "__main__":
    run_turns(run, __doc__, default=200)
