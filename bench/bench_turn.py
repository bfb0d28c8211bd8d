"""Latency of an in-process text turn (no LLM) over a few hundred mixed zh/en turns.

Real parts: SQLite demo store, SQL event store, FAISS+BM25 retrieval, rule NLU, snownlp/VADER
affect, template NLG. Prints p50/p99 of a whole turn and, as a baseline measured in the same
process, of perception alone (language + affect + NLU), with the ratio; each as wall clock and as
this process's CPU time (all its threads), which a machine shared with other work disturbs less.

    .venv/bin/python bench/bench_turn.py [--turns 400] [--json out.json]
"""

from __future__ import annotations

import statistics
import time

from timing import demo_store_and_index, pct, run_turns

SCRIPTS = {
    "zh": [
        "你好",
        "我的订单{transit}到哪了？",
        "7天无理由退货从哪天开始算？",
        "我想买手机壳",
        "有什么优惠券吗",
        "我要退货，订单{old}，不想要了",
        "能开发票吗",
        "你们什么破服务，太差了！！",
        "谢谢",
        "转人工",
    ],
    "en": [
        "Hi",
        "Where is my order {transit}?",
        "How long does delivery take?",
        "Do you have phone cases?",
        "Any coupons for me?",
        "I want to return order {old}, I changed my mind",
        "What is your warranty policy?",
        "This is ridiculous, worst service ever!!",
        "thanks",
        "I want to talk to a human",
    ],
}


async def run(turns: int) -> dict[str, float]:
    from agent.e5 import shared_e5
    from agent.pipeline import TurnInput
    from server.runtime import build_runtime
    from server.settings import Settings

    t0 = time.perf_counter()
    url, index_dir = demo_store_and_index("kefu-bench-", customers=200, orders=2000)
    runtime = build_runtime(Settings(database_url=url, index_dir=index_dir))
    runtime.settle_heap()  # as `kefu serve` does once its runtime is built
    print(f"setup: {time.perf_counter() - t0:.1f} s (demo store, index, runtime)")

    agent = runtime.agent
    customers = runtime.customers.list_demo(20)
    total: list[float] = []
    cpu: list[float] = []
    e5 = shared_e5()
    e5_cpu, e5_misses = 0.0, 0
    perceive: list[float] = []
    done = 0
    while done < turns:
        for i, cust in enumerate(customers):
            lang = "zh" if i % 2 == 0 else "en"
            orders = [o["order_id"] for o in cust["orders"]]
            cid, _ = runtime.conversations.create(channel="api", customer_id=cust["customer_id"], language=None)
            await agent.start(cid, channel="api", customer_id=cust["customer_id"], language=None)
            for line in SCRIPTS[lang]:
                text = line.format(transit=orders[0], old=orders[-1])
                shared_e5().forget()  # each timing embeds the words itself (e5 keeps a turn's few embeddings)
                t = time.perf_counter()
                agent.perceive(TurnInput(text), lang)
                perceive.append((time.perf_counter() - t) * 1000)
                shared_e5().forget()
                before = e5.query_cpu, e5.misses
                t, c = time.perf_counter(), time.process_time()
                await agent.handle(cid, text)
                total.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
                e5_cpu, e5_misses = e5_cpu + e5.query_cpu - before[0], e5_misses + e5.misses - before[1]
                done += 1
            if done >= turns:
                break
    p50, p99 = statistics.median(total), pct(total, 0.99)
    b50, b99 = statistics.median(perceive), pct(perceive, 0.99)
    print(f"turns: {len(total)} (zh and en, 10-turn scripts: order status, policy, products, returns, anger, handoff)")
    print(f"full turn     p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   (target p50 <= 10 ms, p99 <= 40 ms)")
    print(
        f"full turn CPU p50 {statistics.median(cpu):6.2f} ms   p99 {pct(cpu, 0.99):6.2f} ms   "
        f"mean {statistics.mean(cpu):6.2f} ms"
    )
    share = e5_cpu * 1000 / sum(cpu)
    print(
        f"of which e5   {e5_misses / len(total):.2f} query embeddings a turn, {e5_cpu * 1000 / len(total):.2f} ms CPU "
        f"a turn ({share:.0%} of the turns' CPU; nothing kept between turns: each embeds its own words)"
    )
    print(f"perceive only p50 {b50:6.2f} ms   p99 {b99:6.2f} ms   (baseline, same process)")
    print(f"ratio full/perceive: p50 x{p50 / b50:.1f}, p99 x{p99 / b99:.1f}")
    runtime.close()
    return {"turns": len(total), "p50_ms": p50, "p99_ms": p99, "cpu_p50_ms": statistics.median(cpu),
            "cpu_p99_ms": pct(cpu, 0.99), "perceive_p50_ms": b50, "perceive_p99_ms": b99}


if __name__ == "__main__":
    run_turns(run, __doc__, default=400)
