"""Per-message latency of the NLU, zh and en: the trained NLU against the old rule NLU, in one process.

Messages are the held-out test texts (bitext for en, the project's zh set for zh); the category lexicon
is the demo store's. Also times language detection + affect + NLU together (one turn's perception).
Prints p50/p99 in milliseconds and the ratio trained / rules. `--judge` attaches the bundled LLM judge
to affect, as `make run` serves (English turns it is asked about cost ~0.5 s more).

    .venv/bin/python bench/bench_nlu.py [--rounds 3] [--judge]
"""

from __future__ import annotations

import argparse
import statistics

from timing import pct, timed

from agent.affect import TextAffect
from agent.language import detect_language
from agent.nlu import NLU, RuleNLU
from agent.training.affect_eval import CountingJudge
from agent.training.intents import all_splits, default_data_dir, model_seed
from server.demo_catalog import CATEGORIES


def main(rounds: int, judge: bool = False) -> None:
    lexicon = {c.key: [*c.keywords_zh, *c.keywords_en, c.name_zh, c.name_en] for c in CATEGORIES}
    counting = None
    if judge:
        from bench_affect import served_judge

        counting = CountingJudge(served_judge())
    trained, rules, affect = NLU(lexicon), RuleNLU(lexicon), TextAffect(judge=counting)
    trained.warm_up()
    affect.warm_up()
    test = all_splits(default_data_dir(), model_seed()).test
    texts = {"en": [e.text for e in test if e.source == "bitext"],
             "zh": [e.text for e in test if e.source == "store_zh"]}
    print(f"{'':<26} {'n':>5} {'p50 ms':>8} {'p99 ms':>8}" + ("   (LLM judge attached)" if judge else ""))
    for lang, items in texts.items():
        for fn in (trained.parse, rules.parse):  # warm caches
            for t in items[:50]:
                fn(t)
        new = timed(trained.parse, items, rounds)
        old = timed(rules.parse, items, rounds)

        def perceive(text: str, lang: str = lang) -> None:
            language = detect_language(text, previous=lang)
            affect.analyze(text, language)
            trained.parse(text)

        if counting is not None:
            counting.calls = 0
        turn = timed(perceive, items, rounds)
        for name, xs in ((f"{lang} trained NLU", new), (f"{lang} rule NLU (baseline)", old),
                         (f"{lang} language+affect+NLU", turn)):
            print(f"{name:<26} {len(xs):>5} {pct(xs, 0.5):>8.3f} {pct(xs, 0.99):>8.3f}")
        if counting is not None:
            print(f"{lang} LLM judge answered on {counting.calls / len(turn):.1%} of turns; "
                  f"p90 {pct(turn, 0.9):.1f} ms")
        print(f"{lang} ratio trained/rules: p50 {pct(new, 0.5) / pct(old, 0.5):.2f}x, "
              f"p99 {pct(new, 0.99) / pct(old, 0.99):.2f}x, mean {statistics.mean(new) / statistics.mean(old):.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--judge", action="store_true", help="attach the bundled LLM judge to affect")
    args = parser.parse_args()
    main(args.rounds, args.judge)
