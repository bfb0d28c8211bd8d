"""Time to first token and generation speed of the bundled local LLM, in process and via llama_cpp.server.

Real prompts (the zh/en system prompt, an order's facts, a customer question) through the real
backends. The first call of each language pays for the system prompt; later ones reuse the KV cache.
Prints a table; not a timed test.

    .venv/bin/python bench/bench_llm.py [--runs 3] [--max-tokens 60] [--only inproc|server]
    OMP_WAIT_POLICY=ACTIVE .venv/bin/python bench/bench_llm.py --only inproc   # compare with PASSIVE
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FACTS = {"order_id": "KF10000002", "status": "shipped", "total": "1299.00", "items_zh": ["蓝牙耳机"],
         "items_en": ["Bluetooth earphones"],
         "shipment": {"carrier": "顺丰速运 SF Express", "tracking_no": "SF1234567890", "status": "in_transit",
                      "eta": "2026-11-21T10:00:00+08:00"}}
QUESTIONS = {
    "zh": ["我的订单KF10000002到哪了？", "什么时候能到？我很着急", "运单号是多少？"],
    "en": ["Where is my order KF10000002?", "When will it arrive? I'm worried.", "What's the tracking number?"],
}


async def measure(llm: object, language: str, question: str, max_tokens: int) -> tuple[float, int, float, str]:
    from agent.nlg import build_turn

    turn = build_turn(language, question, facts=FACTS)
    start = time.perf_counter()
    first = 0.0
    pieces: list[str] = []
    async for token in llm.stream(turn.messages, max_tokens=max_tokens):  # type: ignore[attr-defined]
        if not pieces:
            first = time.perf_counter() - start
        pieces.append(token)
    total = time.perf_counter() - start
    rate = (len(pieces) - 1) / (total - first) if len(pieces) > 1 and total > first else 0.0
    return first, len(pieces), rate, "".join(pieces)


async def run_backend(label: str, llm: object, runs: int, max_tokens: int) -> None:
    print(f"\n== {label}")
    print(f"{'lang':4} {'run':>3} {'ttft_s':>7} {'tokens':>6} {'tok/s':>6}  reply")
    ttfts: list[float] = []
    rates: list[float] = []
    for language in ("zh", "en"):
        for i in range(runs):
            q = QUESTIONS[language][i % len(QUESTIONS[language])]
            ttft, n, rate, text = await measure(llm, language, q, max_tokens)
            if i:
                ttfts.append(ttft)
            rates.append(rate)
            print(f"{language:4} {i + 1:>3} {ttft:7.2f} {n:6d} {rate:6.1f}  {' '.join(text.split())[:70]}")
    if ttfts:
        print(f"warm TTFT median {statistics.median(ttfts):.2f} s; "
              f"generation median {statistics.median(rates):.1f} tok/s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=60)
    parser.add_argument("--only", choices=["inproc", "server"])
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    from server.infra.llm_model import ensure_local_model
    from server.settings import get_settings

    model = ensure_local_model(args.model or get_settings().llm.model_path)
    print(f"model {model}  OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset: PASSIVE in process)')}")

    if args.only in (None, "inproc"):
        from agent.llm import LocalLlamaLLM

        t0 = time.perf_counter()
        local = LocalLlamaLLM(model)
        await local.load()
        print(f"in-process load {time.perf_counter() - t0:.1f} s")
        await run_backend("in process (llama_cpp.Llama, n_threads=2)", local, args.runs, args.max_tokens)
        await local.aclose()

    if args.only in (None, "server"):
        from agent.llm import OpenAICompatibleLLM

        port = free_port()
        env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
               "--port", str(port), "--n_threads", "2", "--n_ctx", "4096", "--chat_format", "chatml-function-calling"]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1).read()
                    break
                except OSError:
                    if proc.poll() is not None or time.perf_counter() - t0 > 120:
                        raise SystemExit("llama_cpp.server did not start") from None
                    time.sleep(0.3)
            print(f"\nllama_cpp.server up in {time.perf_counter() - t0:.1f} s: {' '.join(cmd[1:])}")
            remote = OpenAICompatibleLLM(f"http://127.0.0.1:{port}/v1", "local", timeout=120)
            await run_backend("llama_cpp.server (OpenAI API via langchain)", remote, args.runs, args.max_tokens)
        finally:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    asyncio.run(main())
