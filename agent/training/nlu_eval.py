"""Held-out measurement of the NLU for `kefu eval`: intents, slots and language, zh and en.

Intent rows compare the trained NLU with the rule-based `RuleNLU` (the previous NLU, its agent-level
intents) on the test split that `agent.training.intents` derives from the seed stored with the weights:
bitext's held-out rows for en, the project's zh set for zh, and the English store extras as a third row.
`accuracy` / `macro_f1` are agent-level and end to end (an unsure answer counts as `other`; the NLU gets
the slot test catalog, as it gets the store's catalog at wiring time);
`fine_accuracy` / `fine_macro_f1` are the classifier's top-1 fine label; `ece` is the expected calibration
error of its confidence (15 equal-width bins). Slot rows score (slot, value) pairs on the hand-labelled
`agent/data/slots_test.jsonl`; language rows score `agent/data/language_test.jsonl`.
Every function takes `budget` (at most that many test items, for a quick run).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from agent.language import detect_language
from agent.nlu import NLU, RuleNLU
from agent.nlu.intent_model import DEFAULT_MODEL_PATH, IntentModel
from agent.nlu.slots import SlotExtractor
from agent.nlu.taxonomy import agent_intent
from agent.training.intents import DATA_FILES, Example, all_splits, default_data_dir, model_seed

SCORED_SLOTS = ("order_id", "category", "product", "quantity", "date", "amount", "phone", "return_kind")
ECE_BINS = 15


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Unweighted mean F1 over the labels of the test set (a wrong label still costs precision there)."""
    labels = set(gold)
    tp = Counter(g for g, p in zip(gold, pred, strict=True) if g == p)
    gc, pc = Counter(gold), Counter(pred)
    f1s = [2 * tp[lab] / (gc[lab] + pc[lab]) if gc[lab] + pc[lab] else 0.0 for lab in labels]
    return float(np.mean(f1s)) if f1s else 0.0


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], bins: int = ECE_BINS) -> float:
    conf, ok = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=float)
    if conf.size == 0:
        return 0.0
    which = np.minimum((conf * bins).astype(int), bins - 1)
    return float(sum(abs(ok[which == b].mean() - conf[which == b].mean()) * (which == b).sum()
                     for b in range(bins) if (which == b).any()) / conf.size)


def _budgeted(items: list[Any], budget: int | None, seed: int = 0) -> list[Any]:
    """All items, or `budget` of them in a fixed shuffled order (every label still likely present)."""
    if budget is None or budget >= len(items):
        return items
    order = np.random.default_rng(seed).permutation(len(items))[:budget]
    return [items[i] for i in sorted(order)]


def intent_row(examples: Sequence[Example], language: str, nlu: NLU, rules: RuleNLU, dataset: str) -> dict[str, Any]:
    gold_fine = [e.label for e in examples]
    results = [nlu.parse(e.text) for e in examples]
    gold_agent = [nlu.agent_level(e.label, r.slots) for e, r in zip(examples, results, strict=True)]
    pred_agent = [r.intent for r in results]
    top = [nlu.classify(e.text) for e in examples]
    pred_fine = [label for label, _ in top]
    base = [rules.parse(e.text).intent for e in examples]
    base_gold = [agent_intent(g) for g in gold_fine]
    n = len(examples)

    def acc(g: Sequence[str], p: Sequence[str]) -> float:
        return sum(a == b for a, b in zip(g, p, strict=True)) / n if n else 0.0

    return {
        "task": "intent", "language": language, "dataset": dataset, "n": n,
        "accuracy": acc(gold_agent, pred_agent), "macro_f1": macro_f1(gold_agent, pred_agent),
        "fine_accuracy": acc(gold_fine, pred_fine), "fine_macro_f1": macro_f1(gold_fine, pred_fine),
        "ece": expected_calibration_error([p for _, p in top], [g == p for g, p in zip(gold_fine, pred_fine,
                                                                                       strict=True)]),
        "unsure_rate": sum(r.intent == "other" and r.fine_intent != "other" for r in results) / n if n else 0.0,
        "baseline": "rules", "baseline_accuracy": acc(base_gold, base), "baseline_macro_f1": macro_f1(base_gold, base),
    }


def evaluate_intents(data_dir: Path | None = None, *, budget: int | None = None,
                     model_path: Path = DEFAULT_MODEL_PATH) -> list[dict[str, Any]]:
    """One row per test set: en (bitext held-out), zh (project set), en store extras."""
    data_dir = Path(data_dir) if data_dir else default_data_dir()
    test = all_splits(data_dir, model_seed(model_path)).test
    categories, products = load_slot_catalog()
    nlu, rules = NLU(categories, products=products, model=IntentModel(model_path)), RuleNLU(categories)
    rows = []
    for language, source, dataset in (("en", "bitext", "bitext"), ("zh", "store_zh", "kefu_zh"),
                                      ("en", "store_en", "kefu_en_store")):
        examples = _budgeted([e for e in test if e.source == source], budget)
        rows.append(intent_row(examples, language, nlu, rules, dataset))
    return rows


# --------------------------------------------------------------------- slots


def load_slot_tests(path: Path | None = None) -> list[dict[str, Any]]:
    """The blind slot test set (`slots_dev.jsonl` is the one the rules were developed on)."""
    with (path or DATA_FILES / "slots_test.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_slot_catalog() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(categories, products) the slot test set is labelled against."""
    with (DATA_FILES / "slots_catalog.json").open(encoding="utf-8") as fh:
        catalog = json.load(fh)
    return catalog["categories"], catalog["products"]


def _pairs(slots: dict[str, Any]) -> set[tuple[str, str]]:
    def norm(k: str, v: Any) -> Any:
        return {"value": float(v["value"]), "currency": v["currency"]} if k == "amount" and isinstance(v, dict) else v

    return {(k, json.dumps(norm(k, v), sort_keys=True, ensure_ascii=False)) for k, v in slots.items()
            if k in SCORED_SLOTS}


def slot_scores(items: Iterable[dict[str, Any]], extract: Any) -> dict[str, float | int]:
    tp = fp = fn = n = 0
    for item in items:
        gold, pred = _pairs(item["slots"]), _pairs(extract(item))
        tp, fp, fn, n = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred), n + 1
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"n": n, "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def evaluate_slots(data_dir: Path | None = None, *, budget: int | None = None) -> list[dict[str, Any]]:
    """Slot P/R/F1 per language on the labelled slot set; baseline: RuleNLU's slots (order id, category, kind)."""
    categories, products = load_slot_catalog()
    rows = []
    items = load_slot_tests()
    for language in ("zh", "en"):
        chosen = _budgeted([i for i in items if i["language"] == language], budget)

        def ours(item: dict[str, Any]) -> dict[str, Any]:
            today = date.fromisoformat(item.get("today", "2026-11-20"))
            return SlotExtractor(categories, products, today).extract(item["text"])

        rules = RuleNLU(categories)
        base = slot_scores(chosen, lambda item, r=rules: r.parse(item["text"]).slots)
        rows.append({"task": "slots", "language": language, **slot_scores(chosen, ours), "baseline": "rules",
                     "baseline_f1": base["f1"], "baseline_precision": base["precision"],
                     "baseline_recall": base["recall"]})
    return rows


# ------------------------------------------------------------------ language


def evaluate_language(data_dir: Path | None = None, *, budget: int | None = None) -> list[dict[str, Any]]:
    """Accuracy of per-turn language detection on the labelled set (with each item's previous language)."""
    with (DATA_FILES / "language_test.jsonl").open(encoding="utf-8") as fh:
        items = _budgeted([json.loads(line) for line in fh if line.strip()], budget)
    ok = sum(detect_language(i["text"], previous=i.get("previous")) == i["language"] for i in items)
    return [{"task": "language", "language": "zh+en", "n": len(items), "accuracy": ok / len(items) if items else 0.0}]


def evaluate(data_dir: Path | None = None, *, budget: int | None = None) -> list[dict[str, Any]]:
    """All NLU rows for `kefu eval`."""
    return [*evaluate_intents(data_dir, budget=budget), *evaluate_slots(data_dir, budget=budget),
            *evaluate_language(data_dir, budget=budget)]
