"""How often the bundled model's chit-chat, operator drafts and campaign copy survive the guard.

Over `python -m llama_cpp.server` with the bundled model: N rounds of a zh and an en out-of-scope turn,
operator drafts for a zh order conversation, and zh + en copy for a threshold campaign. Prints which
path answered each (llm, or template with the reason) and the time; not a test.

    .venv/bin/python bench/bench_llm_tasks.py --runs 2
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.events import BotUttered
from agent.llm import GuardedLLM, OpenAICompatibleLLM
from agent.tasks.assist import draft_operator_replies
from agent.tasks.campaign_copy import draft_campaign_copy
from tests.agent.llm.llama_server import llama_server, real_pipeline
from tests.fakes import DOUBLE11

# the Singles' Day campaign without its gift-card exclusion (as these figures were first measured)
CAMPAIGN = replace(DOUBLE11, rules={"type": "threshold", "tiers": DOUBLE11.rules["tiers"]}, categories={})
CHITCHAT = [("zh", "今天天气怎么样？你喜欢看电影吗"), ("en", "Tell me a joke about cats")]


async def run(base_url: str, runs: int) -> None:
    tally: Counter[str] = Counter()
    llm = GuardedLLM(OpenAICompatibleLLM(base_url, "local", timeout=240), timeout_s=240, first_token_timeout_s=180)
    for i in range(runs):
        for language, text in CHITCHAT:
            tokens: list[str] = []
            agent = real_pipeline(base_url, tokens, propose_when="off")
            await agent.start(f"c{i}{language}", channel="web", customer_id="C1", language=language)
            t = time.monotonic()
            result = await agent.handle(f"c{i}{language}", text)
            bot = [e for e in result.events if isinstance(e, BotUttered)][-1]
            tally[f"chitchat {language} {bot.source}/{bot.fallback}"] += 1
            print(
                f"chitchat {language}: {bot.source}/{bot.fallback} {time.monotonic() - t:.0f}s | "
                f"{''.join(tokens)[:90]!r}",
                flush=True,
            )

        agent = real_pipeline(base_url, [], propose_when="off")
        await agent.start(f"a{i}", channel="web", customer_id="C1", language="zh")
        await agent.handle(f"a{i}", "我的订单KF10000002怎么还没到？")
        t = time.monotonic()
        state, events = await agent.state(f"a{i}"), await agent.store.load(f"a{i}")
        drafts = await draft_operator_replies(llm, state, events, operator="王芳", budget_s=240)
        tally[f"assist zh {drafts.source}/{drafts.fallback}"] += 1
        print(
            f"assist zh: {drafts.source}/{drafts.fallback} kept {len(drafts.suggestions)}, dropped "
            f"{len(drafts.rejected)} {time.monotonic() - t:.0f}s | {drafts.suggestions[0][:60]!r}",
            flush=True,
        )

        t = time.monotonic()
        copy = await draft_campaign_copy(llm, CAMPAIGN, budget_s=480)
        for lang, d in copy.items():
            tally[f"copy {lang} {d.source}/{d.fallback}"] += 1
            print(f"copy {lang}: {d.source}/{d.fallback} | {d.text[:90]!r}", flush=True)
        print(f"  copy took {time.monotonic() - t:.0f}s", flush=True)
    await llm.aclose()
    for key, n in sorted(tally.items()):
        print(f"{key}: {n}/{runs}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, llama_server(Path(tmp)) as (_, base_url):
        asyncio.run(run(base_url, args.runs))


if __name__ == "__main__":
    main()
