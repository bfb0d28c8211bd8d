"""The re-ranking policy rebuilt from logged lists (`kefu train bandit`) and the rows its offline evaluation
reads (`kefu eval bandit`). A list is a served record (`Served`) with the reward each shown product earned
(`tools.marketing.feedback.ranked_lists` attributes interactions to lists).

Training replays what online learning does: each shown position is one observation of its product (with the
position in the context) and the reward it earned, so a rebuilt policy equals one that learnt every list
online. Evaluation is on the first position, the one whose propensity covers every candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tools.marketing.bandit.policy import LinearThompson
from tools.marketing.bandit.records import Logged, Outcome, Served
from tools.marketing.bandit.serving import CHAT_POLICY


def shown(served: Served) -> list[str]:
    """The products shown, in order: the positions the policy drew (`propensities`), at least the first."""
    return served.ranking[: max(len(served.propensities), 1)]


def fit_policy(
    lists: Iterable[tuple[Served, Mapping[str, float]]], *, config: Mapping[str, Any] | None = None, seed: int = 0
) -> LinearThompson:
    """A fresh policy (the chat's configuration unless `config`) that learnt from every shown position."""
    policy = LinearThompson(**{**CHAT_POLICY, **(config or {})}, seed=seed)
    for served, rewards in lists:
        for slot, pid in enumerate(shown(served), start=1):
            candidate = served.candidate(pid)
            if candidate is not None:
                policy.update({**served.context, "slot": slot}, candidate, float(rewards.get(pid, 0.0)))
    policy.take_delta()  # nothing to pass on: this state is the file's
    return policy


def first_position_rows(lists: Iterable[tuple[Served, Mapping[str, float]]]) -> list[Logged]:
    """Offline evaluation rows: each list's first product and the reward it earned."""
    return [Logged(served=s, reward=float(r.get(s.chosen, 0.0)), outcome=Outcome()) for s, r in lists]
