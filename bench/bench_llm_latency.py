"""What a customer waits for with the default install's local LLM: first visible words and the whole checked reply.

The real runtime as `make run` builds it (demo store, knowledge index, trained NLU, the bundled Qwen2.5-Coder-1.5B in
process, the sentiment judge) answers a fixed set of zh/en messages (orders, policy, products). For each turn it
records when the first checked text reached the channel (`on_token`; a turn that streams nothing shows its words
when the reply is sent) and when the reply was complete. Two paths, interleaved message by message in the same
process so the shared machine's load falls on both:

- before: the path before this bench existed: the LLM is asked for a (forced) tool call whenever the reading is
  unsure, even when the rules hold the tool and its arguments, and the reply waits for the model's first sentence;
- now: no tool-call round when the rules hold the tool and its arguments, and the template's first sentence is said
  at once while the model continues it through the sentence gate.

    .venv/bin/python bench/bench_llm_latency.py [--passes 2] [--json out.json]

Needs llama-cpp-python and the model (`make llm`); without them it says so and exits 0 (`make bench` goes on).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import types
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from timing import demo_store_and_index, pct

MESSAGES = [
    ("zh", "我的订单{o}到哪了？"),
    ("en", "Where is my order {o}?"),
    ("zh", "7天无理由退货从哪天开始算？"),
    ("en", "How long does delivery take?"),
    ("zh", "保修期是多久？"),
    ("en", "What is your warranty policy?"),
    ("zh", "有没有蓝牙耳机推荐？"),
    ("en", "Do you have phone cases?"),
    ("zh", "能开发票吗？"),
    ("en", "Can I change the delivery address of order {o}?"),
]
TARGET_FIRST_P50_S = 1.5


@dataclass(slots=True)
class Sample:
    mode: str
    language: str
    text: str
    first_s: float
    full_s: float
    source: str | None
    fallback: str | None
    rounds: int  # LLM calls the turn made (tool-call rounds + wording)
    reply: str
    llm_first_s: float | None = None  # the wording's first token from the model (None: no wording, or none came)


class Counting:
    """Stands between the guard and the backend and counts its calls (tool-call rounds and wordings); `first_s` holds
    when each streamed wording's first token came from the model (None: none came)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls = 0
        self.first_s: list[float | None] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def stream(self, messages: Sequence[Any], *, max_tokens: int = 256) -> AsyncIterator[str]:
        self.calls += 1
        started = time.perf_counter()
        self.first_s.append(None)
        async for token in self._inner.stream(messages, max_tokens=max_tokens):
            if self.first_s[-1] is None:
                self.first_s[-1] = time.perf_counter() - started
            yield token

    async def complete(self, messages: Sequence[Any], **kw: Any) -> Any:
        self.calls += 1
        return await self._inner.complete(messages, **kw)


def before_should_propose(self: Any, decision: Any, confidence: float) -> bool:
    """`Agent._should_propose` as it was before the rounds were cut (kept here to measure the old path)."""
    from agent.pipeline import NO_PROPOSAL_INTENTS, UNSURE_BELOW
    from agent.policy import DECLINED_TEMPLATE

    if self.proposer is None or self.propose_when == "off" or decision.kind in ("silent", "handoff"):
        return False
    if decision.confirmed or decision.template == DECLINED_TEMPLATE or decision.recognised:
        return False
    if decision.intent in NO_PROPOSAL_INTENTS:
        return False
    if self.propose_when == "always":
        return True
    return decision.intent == "other" or bool(decision.ask_slot) or confidence < UNSURE_BELOW


def set_mode(agent: Any, mode: str) -> None:
    if mode == "before":
        agent._should_propose = types.MethodType(before_should_propose, agent)
        agent.responder.lead = False
    else:
        agent.__dict__.pop("_should_propose", None)  # the class's own method again
        agent.responder.lead = True


async def one_turn(runtime: Any, counting: Counting, mode: str, customer: dict[str, Any], lang: str,
                   text: str) -> Sample:
    from agent.events import BotUttered

    agent = runtime.agent
    set_mode(agent, mode)
    cid, _ = runtime.conversations.create(channel="api", customer_id=customer["customer_id"])
    await agent.start(cid, channel="api", customer_id=customer["customer_id"], language=lang)
    first: list[float] = []
    start = time.perf_counter()

    async def on_token(delta: str) -> None:
        if not first and delta.strip():
            first.append(time.perf_counter() - start)

    calls, streams = counting.calls, len(counting.first_s)
    result = await agent.handle(cid, text, on_token=on_token)
    full = time.perf_counter() - start
    bot = [e for e in result.events if isinstance(e, BotUttered)]
    worded = counting.first_s[streams:]
    return Sample(mode, lang, text, first[0] if first else full, full, result.reply.source,
                  bot[-1].fallback if bot else None, counting.calls - calls, result.reply.text,
                  worded[-1] if worded else None)


def summary(samples: list[Sample], mode: str) -> tuple[float, float, float, float]:
    firsts = [s.first_s for s in samples if s.mode == mode]
    fulls = [s.full_s for s in samples if s.mode == mode]
    return statistics.median(firsts), pct(firsts, 0.95), statistics.median(fulls), pct(fulls, 0.95)


async def run(passes: int, verbose: bool, timeout_s: float) -> dict[str, Any] | None:
    try:
        import llama_cpp  # noqa: F401
    except (ImportError, OSError) as exc:
        print(f"bench_llm_latency: skipped, llama_cpp is not importable ({exc}); run `make llm`")
        return
    from agent.nlg.messages import warm_up
    from server.infra.llm_model import is_installed
    from server.runtime import build_runtime
    from server.settings import AffectSettings, LLMSettings, Settings

    # patient budgets (--timeout-s): on a loaded machine the guard's defaults (8 s to the first token, a breaker after
    # three failures) turn the model off and the bench would time templates; fallbacks are counted either way
    llm_settings = LLMSettings(backend="local", timeout_s=timeout_s, first_token_timeout_s=timeout_s,
                               stall_timeout_s=timeout_s, breaker_failures=1000)
    if not is_installed(llm_settings.model_path):
        print(f"bench_llm_latency: skipped, no verified model at {llm_settings.model_path}; run `make llm`")
        return
    t0 = time.perf_counter()
    url, index_dir = demo_store_and_index("kefu-bench-llm-latency-", customers=40, orders=300)
    settings = Settings(database_url=url, index_dir=index_dir, llm=llm_settings, affect=AffectSettings(judge="local"))
    runtime = build_runtime(settings)
    runtime.warm_up()
    guarded = runtime.llm
    if guarded is None:
        print("bench_llm_latency: skipped, the runtime built no LLM (see the log)")
        return
    counting = Counting(guarded.inner)
    guarded.inner = counting
    await warm_up(guarded)
    customers = [c for c in runtime.customers.list_demo(20) if c["orders"]]
    print(f"setup {time.perf_counter() - t0:.1f} s (demo store, index, runtime, model load, prompt warm-up)")
    # one untimed turn per language and path: the first call of each prompt shape pays for its prefix
    order = customers[0]["orders"][0]["order_id"]
    for mode in ("before", "now"):
        for lang, text in MESSAGES[:2]:
            await one_turn(runtime, counting, mode, customers[0], lang, text.format(o=order))

    samples: list[Sample] = []
    for p in range(passes):
        for i, (lang, line) in enumerate(MESSAGES):
            customer = customers[(p * len(MESSAGES) + i) % len(customers)]
            text = line.format(o=customer["orders"][0]["order_id"])
            # which path goes first alternates by message pair, so both pay a language switch (the other language's
            # system prompt read again) on zh and on en alike
            for mode in (("before", "now") if (i // 2 + p) % 2 == 0 else ("now", "before")):
                s = await one_turn(runtime, counting, mode, customer, lang, text)
                samples.append(s)
                if verbose:
                    print(f"  {mode:6} first {s.first_s:5.2f}s full {s.full_s:5.2f}s rounds {s.rounds} "
                          f"{s.source}/{s.fallback or '-'}  {text} -> {' '.join(s.reply.split())[:90]}", flush=True)
    runtime.close()

    n = len(samples) // 2
    print(f"\nlocal LLM, {n} turns per path ({passes} passes over {len(MESSAGES)} zh/en messages: orders, policy, "
          f"products), one process on a shared 2-core machine (load average {os.getloadavg()[0]:.1f}); "
          f"guard budgets {timeout_s:g} s")
    print(f"{'path':8} {'turns':14} {'n':>3} {'first text p50':>15} {'p95':>7} {'full reply p50':>15} {'p95':>7} "
          f"{'LLM calls/turn':>15} {'LLM-worded':>11}")
    # "LLM turns": the messages whose turn called the model on either path (product lists and questions back never do)
    asked = {s.text for s in samples if s.rounds}
    for label, chosen in (("all", samples), ("LLM turns", [s for s in samples if s.text in asked])):
        for mode in ("before", "now"):
            mine = [s for s in chosen if s.mode == mode]
            if not mine:
                continue
            f50, f95, w50, w95 = summary(mine, mode)
            calls = sum(s.rounds for s in mine) / len(mine)
            worded = sum(s.source == "llm" for s in mine)
            print(f"{mode:8} {label:14} {len(mine):3d} {f50:14.2f}s {f95:6.2f}s {w50:14.2f}s {w95:6.2f}s "
                  f"{calls:15.2f} {worded:>7}/{len(mine)}")
    llm_now = [s for s in samples if s.mode == "now" and s.text in asked]
    if not llm_now:
        print("target: first visible text p50 <= 1.5 s -> not measured (no turn reached the model)")
    else:
        f50 = summary(llm_now, "now")[0]
        verdict = "met" if f50 <= TARGET_FIRST_P50_S else "NOT met"
        print(f"target: first visible text p50 <= {TARGET_FIRST_P50_S:.1f} s on LLM turns -> {verdict} ({f50:.2f} s)")
    print("\nnow, LLM turns by language (the model's first token: what the 8 s first-token budget is measured on)")
    print(f"{'lang':5} {'n':>3} {'first text p50':>15} {'model 1st token p50':>20} {'max':>7} {'LLM-worded':>11} "
          f"{'timeouts':>9}")
    by_language: dict[str, Any] = {}
    for lang in ("zh", "en"):
        mine = [s for s in llm_now if s.language == lang]
        if not mine:
            continue
        model_first = [s.llm_first_s for s in mine if s.llm_first_s is not None]
        timeouts = sum(bool(s.fallback and "timeout" in s.fallback) for s in mine)
        m50 = statistics.median(model_first) if model_first else float("nan")
        mmax = max(model_first) if model_first else float("nan")
        worded = sum(s.source == "llm" for s in mine)
        print(f"{lang:5} {len(mine):3d} {statistics.median(s.first_s for s in mine):14.2f}s {m50:19.2f}s "
              f"{mmax:6.2f}s {worded:>7}/{len(mine)} {timeouts:9d}")
        by_language[lang] = {"turns": len(mine), "first_p50_s": statistics.median(s.first_s for s in mine),
                             "model_first_token_p50_s": m50 if model_first else None, "llm_worded": worded,
                             "timeouts": timeouts}
    fallbacks: dict[str, int] = {}
    for s in samples:
        if s.mode == "now" and s.fallback:
            fallbacks[s.fallback] = fallbacks.get(s.fallback, 0) + 1
    print(f"now: template fallbacks {fallbacks or 'none'}")
    now = [s for s in samples if s.mode == "now"]
    f50, f95, w50, w95 = summary(llm_now, "now") if llm_now else (None,) * 4
    return {"turns": len(now), "llm_turns": len(llm_now), "first_p50_s": f50, "first_p95_s": f95,
            "full_p50_s": w50, "full_p95_s": w95, "llm_worded": sum(s.source == "llm" for s in now),
            "fallbacks": fallbacks, "load_average": os.getloadavg()[0], "by_language": by_language}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--verbose", "-v", action="store_true", help="print every turn")
    parser.add_argument("--timeout-s", type=float, default=60.0,
                        help="the LLM guard's budgets in this bench (whole call, first token, stall)")
    parser.add_argument("--json", type=Path, help="also write the figures here ({\"skipped\": true} when skipped)")
    args = parser.parse_args()
    figures = asyncio.run(run(args.passes, args.verbose, args.timeout_s))
    if args.json:
        args.json.write_text(json.dumps(figures or {"skipped": True}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
