"""Re-ranking the recommender's candidates with a contextual bandit that learns from rewards (click, add to
cart, purchase), and offline evaluation on the logged lists that decides whether a new policy may be
switched on. Plain data in and out: no store, no server (`serving.Reranker` is the chat's copy, learning
online and pooled across workers through a `PolicyShare`; `history` rebuilds a policy from logged lists)."""

from tools.marketing.bandit.features import Candidate, Featurizer
from tools.marketing.bandit.offline import (
    Estimate,
    LoggingPolicy,
    Verdict,
    bootstrap,
    compare,
    dr,
    ips,
    replay,
    snips,
)
from tools.marketing.bandit.policy import Greedy, LinearThompson, Policy, ScoreOrder, StatsDelta, Uniform, rank
from tools.marketing.bandit.records import PAYLOAD_KEY, Logged, Outcome, RewardWeights, Served, join_logs

__all__ = [
    "PAYLOAD_KEY", "Candidate", "Estimate", "Featurizer", "Greedy", "LinearThompson", "Logged", "LoggingPolicy",
    "Outcome", "Policy",
    "RewardWeights", "ScoreOrder", "Served", "StatsDelta", "Uniform", "Verdict", "bootstrap", "compare", "dr",
    "ips", "join_logs", "rank", "replay", "snips",
]
