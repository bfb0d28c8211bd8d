"""How often a turn's query embedding is already kept (`agent.e5.QUERY_CACHE`), on real shoppers' messages.

Replays the customer side of the Taobao dialogues (`/work/shared/data/taobao_dialogues_dev`, one conversation per
dialogue, in file order) through the in-process agent (no LLM), and the bench_turn script for comparison. Every text
the turn asks e5 for (affect's refine stage, retrieval, a coupon's citation) is recorded; the hit rate of a kept set
of each size is then replayed over that sequence, so sizes compare on the same traffic.

    .venv/bin/python bench/bench_e5_cache.py [--dialogues PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections import OrderedDict
from pathlib import Path

from bench_turn import SCRIPTS
from timing import demo_store_and_index

DIALOGUES = Path("/work/shared/data/taobao_dialogues_dev/ECD_sample_train.txt")
SIZES = (4, 64, 512, 2048)
# the corpus is word-segmented: drop a space unless both sides are ASCII ("快递 发" -> "快递发")
_SEGMENT_SPACE = re.compile(r"(?<=[^\x00-\x7f]) +|(?<=[\x00-\x7f]) +(?=[^\x00-\x7f])")


def customer_dialogues(path: Path) -> list[list[str]]:
    """The customer's messages of each dialogue (context utterances alternate customer / agent, customer first)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        label, *context = line.split("\t")
        if label != "1" or len(context) < 2:
            continue
        said = [_SEGMENT_SPACE.sub("", u).strip() for u in context[:-1:2]]  # the last one is the candidate reply
        out.append([s for s in said if s])
    return out


def lru_hits(sequence: list[str], size: int) -> int:
    kept: OrderedDict[str, None] = OrderedDict()
    hits = 0
    for text in sequence:
        if text in kept:
            hits += 1
            kept.move_to_end(text)
            continue
        kept[text] = None
        if len(kept) > size:
            kept.popitem(last=False)
    return hits


async def run(dialogues: list[list[str]]) -> None:
    from agent.e5 import SharedE5, shared_e5
    from server.runtime import build_runtime
    from server.settings import Settings

    asked: list[str] = []
    query = SharedE5.query

    def recording(self: SharedE5, texts: str | list[str]) -> object:
        if isinstance(texts, str):
            asked.append(texts)
        return query(self, texts)

    SharedE5.query = recording  # type: ignore[method-assign]
    url, index_dir = demo_store_and_index("kefu-bench-e5-", customers=40, orders=200)
    runtime = build_runtime(Settings(database_url=url, index_dir=index_dir))
    customers = runtime.customers.list_demo(20)

    async def replay(conversations: list[list[str]]) -> tuple[list[str], int]:
        shared_e5().forget()
        del asked[:]
        turns = 0
        for n, lines in enumerate(conversations):
            cust = customers[n % len(customers)]
            cid, _ = runtime.conversations.create(channel="api", customer_id=cust["customer_id"], language=None)
            await runtime.agent.start(cid, channel="api", customer_id=cust["customer_id"], language=None)
            for text in lines:
                await runtime.agent.handle(cid, text)
                turns += 1
        return list(asked), turns

    t0 = time.perf_counter()
    taobao, taobao_turns = await replay(dialogues)
    scripts = []
    for i, cust in enumerate(customers):
        orders = [o["order_id"] for o in cust["orders"]]
        lang = "zh" if i % 2 == 0 else "en"
        scripts.append([line.format(transit=orders[0], old=orders[-1]) for line in SCRIPTS[lang]])
    script, script_turns = await replay(scripts)
    runtime.close()
    print(f"replayed in {time.perf_counter() - t0:.0f} s\n")
    print(
        "| traffic                            | turns | e5 asks | distinct | "
        + " | ".join(f"hit rate, {s:>4} kept" for s in SIZES)
        + " |"
    )
    print("|" + "---|" * (4 + len(SIZES)))
    for label, seq, turns in (
        ("Taobao dialogues (real, zh)", taobao, taobao_turns),
        ("bench_turn script (fixed, repeats)", script, script_turns),
    ):
        rates = " | ".join(f"{lru_hits(seq, s) / max(1, len(seq)):19.1%}" for s in SIZES)
        print(f"| {label:<34} | {turns:5d} | {len(seq):7d} | {len(set(seq)):8d} | {rates} |")
    print("\nA hit within a turn is its affect and its retrieval sharing the words; a hit across turns is a repeat.")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dialogues", type=Path, default=DIALOGUES)
    args = parser.parse_args()
    asyncio.run(run(customer_dialogues(args.dialogues)))


if __name__ == "__main__":
    main()
