"""How often the bundled model's own tool call answers an order question, over llama_cpp.server.

For N zh and N en order-status turns through the whole pipeline: was the executed lookup the LLM's
proposal (`proposed_by == "llm"`), did the LLM's wording pass the guard, and did the streamed reply
state the real status — with the tool the rules chose forced (`tool_choice` by name, the default) and,
with `--compare`, with "auto" as before. Prints figures; not a test.

    .venv/bin/python bench/bench_llm_toolcalls.py --runs 4 [--compare]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.events import BotUttered, ToolCalled
from tests.agent.llm.llama_server import llama_server, real_pipeline

TURNS = [
    ("zh", "我的订单KF10000002到哪了？", ("运输中", "已发货")),
    ("zh", "帮我看看KF10000002这单现在什么状态", ("运输中", "已发货")),
    ("en", "Where is my order KF10000002?", ("in transit", "shipped")),
    ("en", "Any news on KF10000002? It still hasn't arrived.", ("in transit", "shipped")),
]


async def run(base_url: str, runs: int, force: bool, temperature: float) -> None:
    rows: dict[str, list[tuple[bool, bool, bool, float]]] = {"zh": [], "en": []}
    for i in range(runs):
        for language, text, statuses in TURNS:
            tokens: list[str] = []
            agent = real_pipeline(base_url, tokens, force=force, temperature=temperature)
            cid = f"c{i}-{len(rows[language])}"
            await agent.start(cid, channel="web", customer_id="C1", language=None)
            started = time.monotonic()
            result = await agent.handle(cid, text)
            took = time.monotonic() - started
            calls = [e for e in result.events if isinstance(e, ToolCalled)]
            bot = [e for e in result.events if isinstance(e, BotUttered)][-1]
            by_llm = [(c.tool, c.args.get("order_id"), c.proposed_by) for c in calls] == [
                ("order_status", "KF10000002", "llm")
            ]
            streamed = "".join(tokens)
            stated = bot.source == "llm" and any(s in streamed.lower() for s in statuses)
            rows[language].append((by_llm, bot.source == "llm", stated, took))
            print(
                f"  {'forced' if force else 'auto  '} {language} call={'llm' if by_llm else 'rules'} "
                f"reply={bot.source}/{bot.fallback} status={'yes' if stated else 'no'} {took:.1f}s | "
                f"{streamed if bot.fallback == 'guard' else streamed[:70]!r}",
                flush=True,
            )
    for language, r in rows.items():
        n = len(r)
        print(
            f"{'forced' if force else 'auto'} {language}: LLM call executed {sum(x[0] for x in r)}/{n}, "
            f"LLM wording kept {sum(x[1] for x in r)}/{n}, streamed reply states the status "
            f"{sum(x[2] for x in r)}/{n}, mean turn {sum(x[3] for x in r) / n:.1f}s"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", action="store_true", help="also run with tool_choice auto")
    parser.add_argument("--temperature", type=float, default=0.3, help="of the reply (0.3 is production's)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, llama_server(Path(tmp)) as (_, base_url):
        asyncio.run(run(base_url, args.runs, True, args.temperature))
        if args.compare:
            asyncio.run(run(base_url, args.runs, False, args.temperature))


if __name__ == "__main__":
    main()
