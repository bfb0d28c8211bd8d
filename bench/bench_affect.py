"""Per-message latency of `TextAffect.analyze`, zh and en, against the old lexicon reader, in one process.

Two message sets per language: customer-service messages (`agent/data/emotions.jsonl`, the traffic the
hot path sees) and held-out review sentences (`kefu eval`'s sentiment split, where the English e5 refine
stage runs most). Also times English sentiment with and without refine, and reports how often refine ran.
Prints p50/p99 in milliseconds and the ratio new / old. `--judge` also times English `analyze()` with the
bundled LLM judge attached (as `make run` serves): p50/p90/p99 and how often the judge was asked.

    .venv/bin/python bench/bench_affect.py [--rounds 3] [--reviews 300] [--judge]
"""

from __future__ import annotations

import argparse

from timing import pct, timed

from agent.affect import TextAffect
from agent.training.affect_data import budgeted, default_data_dir, load_emotions, load_sentiment, stratified_split
from agent.training.affect_eval import CountingJudge
from agent.training.lexicon_baseline import LexiconAffect


def served_judge() -> object:
    """The judge `make run` attaches (same model path, threads and wait), loaded now."""
    from server.llm_factory import local_sentiment_judge
    from server.settings import Settings

    judge = local_sentiment_judge(Settings(), required=True)
    if judge is None:
        raise SystemExit("--judge needs llama_cpp and the local model (`make llm`)")
    judge.warm_up()  # type: ignore[attr-defined]
    return judge


def judge_section(sets: dict[str, dict[str, list[str]]], plain: TextAffect) -> None:
    judge = CountingJudge(served_judge())
    reader = TextAffect(judge=judge)
    reader.warm_up()
    print(f"\n{'English analyze() + LLM judge':<30} {'n':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'judged':>7}"
          f" {'no-judge p50':>12}")
    for kind, by_lang in sets.items():
        texts = by_lang["en"]
        judge.calls = 0
        a = timed(lambda t: reader.analyze(t, "en"), texts, 1)
        b = timed(lambda t: plain.analyze(t, "en"), texts, 1)
        print(f"{kind + ' en':<30} {len(texts):>5} {pct(a, .5):>8.3f} {pct(a, .9):>8.1f} {pct(a, .99):>8.1f} "
              f"{judge.calls / len(texts):>7.0%} {pct(b, .5):>12.3f}")


def main(rounds: int, reviews: int, judge: bool = False) -> None:
    new, old = TextAffect(), LexiconAffect()
    new.warm_up()
    old.warm_up()
    chat = load_emotions()
    sets: dict[str, dict[str, list[str]]] = {"chat": {}, "reviews": {}}
    for lang in ("zh", "en"):
        sets["chat"][lang] = [r.text for r in chat if r.language == lang]
        _, test = stratified_split(load_sentiment(default_data_dir(), lang))
        sets["reviews"][lang] = [r.text for r in budgeted(test, reviews)]

    print(f"{'analyze()':<30} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'old p50':>8} {'old p99':>8} {'p50 ratio':>9}")
    for kind, by_lang in sets.items():
        for lang, texts in by_lang.items():
            for text in texts[:30]:  # warm caches (regex, VADER, e5 scratch)
                new.analyze(text, lang)
                old.analyze(text, lang)
            a = timed(lambda t, lang=lang: new.analyze(t, lang), texts, rounds)
            b = timed(lambda t, lang=lang: old.analyze(t, lang), texts, rounds)
            print(f"{kind + ' ' + lang:<30} {len(texts):>5} {pct(a, .5):>8.3f} {pct(a, .99):>8.3f} "
                  f"{pct(b, .5):>8.3f} {pct(b, .99):>8.3f} {pct(a, .5) / pct(b, .5):>8.2f}x")

    en = new._load().sentiment["en"]
    print(f"\n{'English sentiment()':<30} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'refined':>8}")
    for kind, by_lang in sets.items():
        texts = by_lang["en"]
        refined = sum(en.uncertain(new.sentiment(t, "en", refine=False)) for t in texts) / len(texts)
        for refine in (False, True):
            a = timed(lambda t, refine=refine: new.sentiment(t, "en", refine=refine), texts, 1)
            print(f"{kind + (' refine' if refine else ' fast'):<30} {len(texts):>5} {pct(a, .5):>8.3f} "
                  f"{pct(a, .99):>8.3f} {refined if refine else 0:>8.0%}")
    # analyze() refines only non-neutral turns: how often that happened on chat traffic.
    hits = 0
    for text in sets["chat"]["en"]:
        probs, p, _, _ = new._perceive(text, "en")
        hits += new._load().emotion.label(probs) != "neutral" and en.uncertain(p)
    print(f"analyze() ran e5 on {hits / len(sets['chat']['en']):.0%} of English chat messages")
    if judge:
        judge_section(sets, new)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reviews", type=int, default=300)
    parser.add_argument("--judge", action="store_true", help="also time English analyze() with the LLM judge")
    args = parser.parse_args()
    main(args.rounds, args.reviews, args.judge)
