"""`kefu eval`: one table of measured understanding, the scripted conversation suites and real traffic.

Model rows come from the training modules' evaluation functions on their held-out splits (with the need tags'
precision and recall on their labelled set, `server.evals.needs`); suites run
through the full pipeline (real tools over a fresh demo store with the association rules mined from its own
orders, as `make run` mines them, real retrieval, template replies); so do the real shoppers' messages of
`server.evals.traffic`, each the first turn of a fresh conversation.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from server.evals.conversations import Outcome, load_suites, run_suites
from server.evals.needs import NeedsReport, evaluate_needs, needs_lines
from server.evals.traffic import (
    SHOPDIAL,
    TAOBAO,
    TrafficOutcome,
    by_kind,
    labelled_messages,
    load_baseline,
    run_traffic,
    summary,
)

# (module, function): each returns rows {"task", "language", "n", metrics…, "baseline", baseline metrics…}.
EVALUATORS: list[tuple[str, str]] = [("agent.training.affect", "evaluate"), ("agent.training.nlu_eval", "evaluate"),
                                     ("server.evals.speech_emotion", "evaluate")]


@dataclass
class EvalReport:
    rows: list[dict[str, Any]]
    outcomes: list[Outcome]
    traffic: list[TrafficOutcome] = field(default_factory=list)
    traffic_skipped: str | None = None  # why real traffic was not measured (its data sets are missing)
    needs: dict[str, NeedsReport] = field(default_factory=dict)  # need tags' precision and recall, per part

    @property
    def suites_passed(self) -> bool:
        return all(o.passed for o in self.outcomes)


def collect_model_rows(data_dir: Path, budget: int | None, *, sentiment_judge: Any = None) -> list[dict[str, Any]]:
    """`sentiment_judge` goes to the evaluators that take one (affect): its rows then come twice, without
    the judge (a bare `kefu serve`) and with it (`make run`)."""
    rows: list[dict[str, Any]] = []
    for module, name in EVALUATORS:
        fn: Callable[..., list[dict[str, Any]]] = getattr(importlib.import_module(module), name)
        extra = {"judge": sentiment_judge} if "judge" in inspect.signature(fn).parameters else {}
        rows += fn(data_dir, budget=budget, **extra)
    return rows


async def _run_suites(index_dir: Path | None, budget: int | None, traffic_from: Path | None = None,
                      traffic_budget: int | None = None) -> tuple[list[Outcome], list[TrafficOutcome]]:
    """The scripted suites, then (given the data sets' folder) the real-traffic messages, on one demo store."""
    from server.demo.build import build_demo_store
    from server.runtime import build_runtime
    from server.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="kefu-eval-"))
    url = f"sqlite:///{tmp / 'kefu.db'}"
    now = datetime.now(UTC)
    await asyncio.to_thread(build_demo_store, url, seed=7, as_of=now.date(), customers=60, orders=400)
    await asyncio.to_thread(mine_store_rules, url, tmp / "rules")
    settings = Settings(database_url=url, index_dir=index_dir or tmp / "index", rules_dir=tmp / "rules")
    runtime = await asyncio.to_thread(build_runtime, settings)
    try:
        outcomes = await run_suites(runtime, load_suites(), now=now, budget=budget)
        traffic: list[TrafficOutcome] = []
        if traffic_from is not None:
            demo = runtime.customers.list_demo(20)
            customers = {lang: [c["customer_id"] for c in demo if c["language"] == lang] for lang in ("zh", "en")}
            traffic = await run_traffic(runtime, customers, labelled_messages(traffic_from), budget=traffic_budget)
        return outcomes, traffic
    finally:
        runtime.close()


# (by, min support) for a store of a few hundred orders: an itemset in at least 2 (products) or 4 (categories)
STORE_RULES: tuple[tuple[Literal["product", "category"], float], ...] = (("product", 0.005), ("category", 0.01))


def mine_store_rules(url: str, folder: Path) -> None:
    """The store's orders mined by product and by category into `folder` (what `kefu rules mine --from-orders`
    writes), so the cross-sell offers in the conversations follow the store's own rules."""
    from server.db.baskets import order_baskets
    from server.db.engine import make_engine, make_session_factory
    from tools.marketing.rules import RuleSet, mine_local, rules_path, save_rules

    engine = make_engine(url)
    try:
        for by, support in STORE_RULES:
            result = mine_local(order_baskets(make_session_factory(engine), by=by), min_support=support,
                                min_confidence=0.1)
            name = f"orders-{by}"
            save_rules(RuleSet.from_result(result, name=name, by=by, source="orders"), rules_path(folder, name))
    finally:
        engine.dispose()


def run_eval(data_dir: Path, *, budget: int | None = None, suite_budget: int | None = None,
             index_dir: Path | None = None, sentiment_judge: Any = None) -> EvalReport:
    rows = collect_model_rows(data_dir, budget, sentiment_judge=sentiment_judge)
    skipped = traffic_missing(data_dir)
    outcomes, traffic = asyncio.run(_run_suites(index_dir, suite_budget, None if skipped else data_dir, budget))
    return EvalReport(rows, outcomes, traffic, skipped, evaluate_needs(data_dir))


def run_traffic_eval(data_dir: Path, *, index_dir: Path | None = None, budget: int | None = None) -> EvalReport:
    """Real traffic alone (`kefu eval traffic`): no model rows, no scripted suites."""
    skipped = traffic_missing(data_dir)
    if skipped:
        return EvalReport([], [], [], skipped)
    _, traffic = asyncio.run(_run_suites(index_dir, 0, data_dir, budget))
    return EvalReport([], [], traffic)


def traffic_missing(data_dir: Path) -> str | None:
    """Why real traffic cannot be measured from `data_dir`, or None when it can."""
    absent = [str(data_dir / p) for p in (TAOBAO, SHOPDIAL) if not (data_dir / p).is_file()]
    return f"data sets not found: {', '.join(absent)}" if absent else None


def _pct(value: Any) -> str:
    return f"{100 * value:5.1f}%" if isinstance(value, int | float) else "    — "


def format_report(report: EvalReport) -> str:
    lines = [
        f"{'task':<13} {'lang':<4} {'n':>6}  {'accuracy':>8} {'macro-F1':>8} {'F1':>7}   "
        f"{'baseline':<10} {'b.acc':>7} {'b.F1':>7}",
        "-" * 88,
    ]
    for r in report.rows:
        lines.append(
            f"{r['task']:<13} {r.get('language', ''):<4} {r.get('n', 0):>6}  {_pct(r.get('accuracy')):>8} "
            f"{_pct(r.get('macro_f1')):>8} {_pct(r.get('f1')):>7}   {r.get('baseline', ''):<10} "
            f"{_pct(r.get('baseline_accuracy')):>7} {_pct(r.get('baseline_macro_f1') or r.get('baseline_f1')):>7}"
            + (f"   (judge asked on {_pct(r['judged_share']).strip()})" if "judged_share" in r else "")
            + (f"   (negatives {_pct(r['negative_agreement']).strip()}, positives "
               f"{_pct(r['positive_agreement']).strip()})" if "negative_agreement" in r else "")
            + (f"   (anger recall {_pct(r['anger_recall']).strip()})" if "anger_recall" in r else "")
        )
    by_lang: dict[str, list[Outcome]] = {}
    for o in report.outcomes:
        by_lang.setdefault(o.language, []).append(o)
    for lang, outs in sorted(by_lang.items()):
        passed = sum(o.passed for o in outs)
        lines.append(f"{'dialogues':<13} {lang:<4} {len(outs):>6}  {_pct(passed / len(outs)):>8}   "
                     f"({passed}/{len(outs)} scripted conversations pass)")
    lines += traffic_lines(report)
    if report.needs:
        lines += needs_lines(report.needs, parts=("test",))
    failures = [o for o in report.outcomes if not o.passed]
    if failures:
        lines.append("")
        lines.append("failing conversations:")
        for o in failures:
            lines.append(f"  [{o.suite}] {o.name}")
            lines += [f"      {f}" for f in o.failures]
    return "\n".join(lines)


def traffic_lines(report: EvalReport, *, kinds: bool = False) -> list[str]:
    """The real-traffic rows: handled as labelled and generic fallback per language, beside the baseline."""
    if report.traffic_skipped:
        return [f"{'real traffic':<13} (not measured: {report.traffic_skipped})"]
    if not report.traffic:
        return []
    baseline = (load_baseline() or {}).get("summary", {})
    lines = []
    for lang, row in summary(report.traffic).items():
        base = baseline.get(lang)
        before = (f"   before issue 14: {_pct(base['handled']).strip()} handled, {_pct(base['fallback']).strip()} "
                  f"fallback (n={base['n']})") if base else ""
        lines.append(f"{'real traffic':<13} {lang:<4} {row['n']:>6}  {_pct(row['handled']):>8} handled as labelled, "
                     f"{_pct(row['fallback']).strip()} generic fallback{before}")
    if kinds:
        for (lang, kind), (handled, n) in sorted(by_kind(report.traffic).items()):
            lines.append(f"    {lang} {kind:<18} {handled:>3}/{n:<3}")
    return lines
