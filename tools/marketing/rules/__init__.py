"""Association rules for cross-sell: frequent itemsets and one-item-consequent rules (support, confidence, lift)
mined from order baskets, by two engines that give the same answer — `local` (Borgelt's compiled FP-growth,
`pyfim`) and `spark` (pyspark MLlib `FPGrowth`, for data beyond one machine) — and stored as one JSON file
format the service loads. Plain data in, plain data out: no server, no database here."""

from tools.marketing.rules.baskets import read_baskets, read_weighted_baskets
from tools.marketing.rules.errors import RulesError
from tools.marketing.rules.local import mine_local
from tools.marketing.rules.mining import Itemset, MiningResult, Rule, min_count_for, rules_from_itemsets
from tools.marketing.rules.store import RuleSet, load_rules, rule_files, rules_path, save_rules

__all__ = [
    "Itemset",
    "MiningResult",
    "Rule",
    "RuleSet",
    "RulesError",
    "load_rules",
    "min_count_for",
    "mine_local",
    "read_baskets",
    "read_weighted_baskets",
    "rule_files",
    "rules_from_itemsets",
    "rules_path",
    "save_rules",
]
