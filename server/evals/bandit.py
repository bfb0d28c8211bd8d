"""`kefu train bandit` and `kefu eval bandit`: rebuild the re-ranking policy from the logged lists of every
conversation, and decide on held-out lists whether it beats the policy that served them before it is
switched on. The algorithms are `tools.marketing.bandit`; this module loads the logs and words the report.

Honest evaluation needs lists the candidate did not learn from: training holds out the newest `holdout`
share of lists and records where its data ends (`info.trained_until`); evaluation uses only lists shown
after that.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from tools.marketing.bandit import Estimate, LinearThompson, Verdict, compare, dr, ips, replay, snips
from tools.marketing.bandit.history import first_position_rows, fit_policy
from tools.marketing.bandit.offline import LoggingPolicy
from tools.marketing.bandit.records import RewardWeights
from tools.marketing.feedback import RankedList, ranked_lists

Method = Literal["dr", "snips", "ips"]
MIN_LISTS = 30  # fewer held-out lists than this: no verdict


def load_lists(url: str, weights: RewardWeights | None = None) -> list[RankedList]:
    """Every ranked list of the store at `url` with its rewards, oldest first."""
    from server.db.bandit_logs import load_sessions
    from server.db.engine import make_engine, make_session_factory

    engine = make_engine(url)
    try:
        sessions = load_sessions(make_session_factory(engine))
    finally:
        engine.dispose()
    lists = [r for s in sessions.values() for r in ranked_lists(s, weights or RewardWeights())]
    return sorted(lists, key=lambda r: r.at)


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def train(lists: list[RankedList], *, holdout: float = 0.2, seed: int = 0) -> LinearThompson:
    """The policy learnt from all but the newest `holdout` share of lists (which `evaluate` will use)."""
    if not lists:
        raise ValueError("no ranked lists in the log yet: the chat records them once the bandit re-ranks")
    keep = len(lists) - round(holdout * len(lists))
    if keep < 1:
        raise ValueError(f"holdout {holdout} leaves nothing to train on ({len(lists)} lists)")
    used = lists[:keep]
    policy = fit_policy(((r.served, r.rewards) for r in used), seed=seed)
    policy.info = {"lists": len(used), "trained_until": used[-1].at, "trained_until_iso": _iso(used[-1].at),
                   "held_out": len(lists) - keep, "rewarded": sum(1 for r in used if any(r.rewards.values()))}
    return policy


class Report(BaseModel):
    lists: int
    since: str | None
    current: Estimate
    estimates: list[Estimate]  # the candidate by every method (replay only on uniformly logged lists)
    verdict: Verdict


def evaluate(
    candidate: LinearThompson, lists: list[RankedList], *, method: Method = "dr", alpha: float = 0.05,
    min_lift: float = 0.0,
) -> Report:
    """The candidate against the logging policy on the lists shown after its training data ends."""
    until = candidate.info.get("trained_until")
    held = [r for r in lists if until is None or r.at > float(until)]
    if len(held) < MIN_LISTS:
        raise ValueError(f"{len(held)} lists were shown after the candidate's training data ends (need "
                         f"{MIN_LISTS}); train it with a holdout (`kefu train bandit --holdout 0.2`) or wait for "
                         "more lists")
    rows = first_position_rows((r.served, r.rewards) for r in held)
    verdict = compare(LoggingPolicy(), candidate, rows, method=method, alpha=alpha, min_lift=min_lift)
    estimates = [fn(candidate, rows, alpha=alpha) for fn in (ips, snips, dr)]
    with contextlib.suppress(ValueError):  # lists served by a learning policy are not uniform: no replay then
        estimates.append(replay(candidate, rows, alpha=alpha))
    return Report(lists=len(held), since=candidate.info.get("trained_until_iso"), current=verdict.current,
                  estimates=estimates, verdict=verdict)


def format_report(report: Report) -> str:
    v = report.verdict
    since = f" shown after {report.since}" if report.since else ""
    lines = [f"offline evaluation on {report.lists} lists{since} (mean reward per list, 95% interval)",
             f"  {'logged policy':<22} {report.current.value:.4f}  [{report.current.low:.4f}, "
             f"{report.current.high:.4f}]  ({v.method})"]
    for e in report.estimates:
        lines.append(f"  {'candidate ' + e.method:<22} {e.value:.4f}  [{e.low:.4f}, {e.high:.4f}]  "
                     f"effective lists {e.ess:.0f}")
    lines.append(f"  {'lift (' + v.method + ')':<22} {v.lift:+.4f}  [{v.lift_low:+.4f}, {v.lift_high:+.4f}]")
    lines.append(f"verdict: {v.decision}: {v.reason}")
    return "\n".join(lines)


def switch_on(candidate: Path, live: Path) -> None:
    """Put the candidate file in place of the live policy atomically (workers load it at their next sync)."""
    live.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=live.parent, prefix=".policy-", suffix=".npz")
    os.close(fd)
    try:
        shutil.copyfile(candidate, tmp)
        os.replace(tmp, live)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
